/*
 * Unit tests for the GPT module (images/core/gpt.c, structures in format.h).
 *
 * Why: strata.efi rewrites a disk's partition table from these functions, and decides from
 * strata_gpt_check_preserve whether that is safe for partitions holding user data.  A wrong
 * LBA or CRC makes a machine unbootable; a wrong preserve decision destroys data.  The
 * tests pin the geometry at 512- and 4096-byte blocks (size=rest, exact fit, one block too
 * many, min-size, misalignment, every plan rule with its own message), the encoding (every
 * header field at its offset, CRCs against an independent bitwise CRC-32, names in UTF-16LE,
 * the protective MBR), parse round trips of both copies, rejection of each header field
 * with its rc and offset (CRC fixed up, and not), every header bit flip, entry-array CRC
 * flips, entry rules, truncation and odd entry counts, and the preserve/restore decisions.
 * Buffers are heap copies of exactly the bytes under test, so ASan catches any overread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "gpt.h"
#include "harness.h"
#include "le.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define ARRAY STRATA_GPT_ARRAY_BYTES

static const uint8_t linux_type[16] = {   /* 0FC63DAF-8483-4772-8E79-3D69D8477DE4 */
	0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47,
	0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4,
};

/* A recognisable non-zero GUID per seed. */
static void guid_of(uint8_t g[16], unsigned int seed)
{
	for (unsigned int k = 0; k < 16; k++)
		g[k] = (uint8_t)(seed * 37 + k * 11 + 1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

static uint8_t *copy_of(const uint8_t *src, size_t len)
{
	uint8_t *p = xmalloc(len);

	memcpy(p, src, len);
	return p;
}

static void manifest_init(struct strata_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->version = 1;
	guid_of(m->disk_guid, 99);
}

/* Append partition num (GUID seeded by num) to m. */
static struct strata_part *add_part(struct strata_manifest *m, uint32_t num, const char *label,
				    uint64_t start, uint64_t size, enum strata_policy policy)
{
	struct strata_part *p = &m->parts[m->nparts++];

	memset(p, 0, sizeof(*p));
	p->num = num;
	snprintf(p->label, sizeof(p->label), "%s", label);
	memcpy(p->type_guid, linux_type, 16);
	guid_of(p->part_guid, num);
	p->start = start;
	p->size = size;
	p->policy = policy;
	p->has_layer = policy != STRATA_POLICY_PRESERVE;
	return p;
}

/* ESP 1M+64M, root 65M+1G, data 1089M..rest (preserve): the manifest.h example. */
static void std_manifest(struct strata_manifest *m)
{
	manifest_init(m);
	add_part(m, 1, "ESP", 1 * MiB, 64 * MiB, STRATA_POLICY_WRITE);
	add_part(m, 2, "root", 65 * MiB, 1 * GiB, STRATA_POLICY_WRITE);
	add_part(m, 3, "data", 1089 * MiB, 0, STRATA_POLICY_PRESERVE);
}

static int plan(const struct strata_manifest *m, uint64_t disk, uint32_t bs,
		struct strata_gpt_plan *p, struct strata_diag *d)
{
	d->msg = NULL;
	d->where = UINT64_MAX;
	return strata_gpt_plan(m, disk, bs, p, d);
}

/* An encoded table: what strata.efi would write, each buffer exactly sized. */
struct disk {
	struct strata_gpt_plan plan;
	uint8_t *array, *primary, *backup;
};

static void disk_encode(struct disk *k, const struct strata_manifest *m, uint64_t bytes,
			uint32_t bs)
{
	struct strata_diag d;

	if (plan(m, bytes, bs, &k->plan, &d) != 0)
		abort();
	k->array = xmalloc(ARRAY);
	k->primary = xmalloc(bs);
	k->backup = xmalloc(bs);
	if (strata_gpt_encode(&k->plan, k->plan.disk_guid, k->array, k->primary, k->backup, bs))
		abort();
}

static void disk_free(struct disk *k)
{
	free(k->array);
	free(k->primary);
	free(k->backup);
}

/* Parse a header block (a heap copy of it) read at lba and an array of len bytes. */
static int parse(const struct disk *k, const uint8_t *hdr, uint64_t lba, const uint8_t *array,
		 size_t len, struct strata_gpt_table *t, struct strata_diag *d)
{
	uint8_t *h = copy_of(hdr, k->plan.block_size), *a = copy_of(array, len);
	int rc;

	d->msg = NULL;
	d->where = UINT64_MAX;
	rc = strata_gpt_parse(h, lba, a, len, k->plan.block_size, k->plan.disk_blocks, t, d);
	free(h);
	free(a);
	return rc;
}

/* Independent bitwise CRC-32 (IEEE, reflected), to check strata_crc32 and the encoder. */
static uint32_t ref_crc(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* Recompute a header's CRC after changing it. */
static void fix_hdr_crc(uint8_t *h)
{
	le32_put(h + 16, 0);
	le32_put(h + 16, ref_crc(h, 92));
}

static void test_crc32(void)
{
	static const uint8_t buf[] = "123456789";
	uint8_t big[1000];

	CHECK_EQ(strata_crc32(0, buf, 9), 0xCBF43926u);
	CHECK_EQ(strata_crc32(0, buf, 0), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(strata_crc32(0, big, sizeof(big)), ref_crc(big, sizeof(big)));
	CHECK_EQ(strata_crc32(strata_crc32(0, big, 333), big + 333, 667),
		 strata_crc32(0, big, sizeof(big)));
}

static void check_std_plan(uint32_t bs)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d = { "untouched", 42 };
	uint64_t disk = 8 * GiB, n = disk / bs, a = ARRAY / bs;

	std_manifest(&m);
	CHECK_EQ(strata_gpt_plan(&m, disk, bs, &p, &d), 0);
	CHECK(d.where == 42 && strcmp(d.msg, "untouched") == 0);   /* diag only on failure */
	CHECK_EQ(p.block_size, bs);
	CHECK_EQ(p.array_blocks, a);
	CHECK_EQ(p.disk_blocks, n);
	CHECK_EQ(p.first_usable, 2 + a);
	CHECK_EQ(p.backup_lba, n - 1);
	CHECK_EQ(p.backup_array_lba, n - 1 - a);
	CHECK_EQ(p.last_usable, n - 2 - a);
	CHECK(memcmp(p.disk_guid, m.disk_guid, 16) == 0);
	CHECK_EQ(p.nparts, 3);
	CHECK_EQ(p.parts[0].num, 1);
	CHECK_EQ(p.parts[0].first_lba, MiB / bs);
	CHECK_EQ(p.parts[0].last_lba, 65 * MiB / bs - 1);
	CHECK_EQ(p.parts[1].first_lba, 65 * MiB / bs);
	CHECK_EQ(p.parts[1].last_lba, (65 * MiB + GiB) / bs - 1);
	CHECK_EQ(p.parts[2].first_lba, 1089 * MiB / bs);
	CHECK_EQ(p.parts[2].last_lba, p.last_usable);               /* size=rest */
	CHECK_EQ(p.parts[2].policy, STRATA_POLICY_PRESERVE);
	CHECK_EQ(p.parts[0].policy, STRATA_POLICY_WRITE);
	CHECK(memcmp(p.parts[1].part_guid, m.parts[1].part_guid, 16) == 0);
	CHECK(memcmp(p.parts[1].type_guid, linux_type, 16) == 0);
	CHECK(memcmp(p.parts[1].name, "r\0o\0o\0t\0\0\0", 10) == 0);
}

static void test_plan_512(void)
{
	check_std_plan(512);
}

static void test_plan_4096(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d;

	check_std_plan(4096);
	check_std_plan(1024);
	check_std_plan(2048);
	/* The known numbers: 8 GiB at 4 KiB is 2097152 blocks, 4 blocks of array. */
	std_manifest(&m);
	CHECK_EQ(plan(&m, 8 * GiB, 4096, &p, &d), 0);
	CHECK_EQ(p.first_usable, 6);
	CHECK_EQ(p.last_usable, 2097152 - 6);
	CHECK_EQ(p.parts[0].first_lba, 256);
	CHECK_EQ(plan(&m, 8 * GiB, 512, &p, &d), 0);
	CHECK_EQ(p.first_usable, 34);
	CHECK_EQ(p.last_usable, 16777216 - 34);
	CHECK_EQ(p.backup_array_lba, 16777216 - 33);
}

/* size=rest down to a single block, and the smallest disk that holds a layout. */
static void test_plan_rest(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d;
	const uint32_t sizes[] = { 512, 4096 };

	for (int i = 0; i < 2; i++) {
		uint32_t bs = sizes[i];
		uint64_t tail = (ARRAY / bs + 1) * bs;   /* backup array and header */

		manifest_init(&m);
		add_part(&m, 1, "only", MiB, 0, STRATA_POLICY_WRITE);
		/* Disk whose last usable block is the partition's first. */
		CHECK_EQ(plan(&m, MiB + bs + tail, bs, &p, &d), 0);
		CHECK_EQ(p.parts[0].first_lba, MiB / bs);
		CHECK_EQ(p.parts[0].last_lba, MiB / bs);
		/* One block less: the rest partition would start past the usable range. */
		CHECK_EQ(plan(&m, MiB + tail, bs, &p, &d), STRATA_ENOSPC);
		CHECK_EQ(d.where, 1);
		CHECK(d.msg && strstr(d.msg, "starts past"));
	}
}

/* A fixed-size last partition: exact fit, then one block too many. */
static void test_plan_no_fit(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d;
	const uint32_t sizes[] = { 512, 4096 };

	for (int i = 0; i < 2; i++) {
		uint32_t bs = sizes[i];
		uint64_t tail = (ARRAY / bs + 1) * bs, disk = 2 * GiB;

		manifest_init(&m);
		add_part(&m, 1, "a", MiB, 64 * MiB, STRATA_POLICY_WRITE);
		add_part(&m, 2, "b", 65 * MiB, disk - tail - 65 * MiB, STRATA_POLICY_WRITE);
		CHECK_EQ(plan(&m, disk, bs, &p, &d), 0);
		CHECK_EQ(p.parts[1].last_lba, p.last_usable);
		m.parts[1].size += bs;
		CHECK_EQ(plan(&m, disk, bs, &p, &d), STRATA_ENOSPC);
		CHECK_EQ(d.where, 2);
		CHECK(d.msg && strstr(d.msg, "ends past"));
		/* Sizes near 2^64 must not wrap into "fits". */
		m.parts[1].size = UINT64_MAX - (bs - 1);
		CHECK_EQ(plan(&m, disk, bs, &p, &d), STRATA_ENOSPC);
		m.parts[1].size = 4096;
		m.parts[1].start = UINT64_MAX - 4095;
		CHECK_EQ(plan(&m, disk, bs, &p, &d), STRATA_ENOSPC);
		CHECK(d.msg && strstr(d.msg, "starts past"));
	}
	/* The disk cannot even hold the GPT. */
	manifest_init(&m);
	add_part(&m, 1, "a", MiB, 0, STRATA_POLICY_WRITE);
	CHECK_EQ(plan(&m, (2 * 32 + 3) * 512, 512, &p, &d), STRATA_ENOSPC);
	CHECK_EQ(d.where, 0);
	CHECK_EQ(plan(&m, 0, 512, &p, &d), STRATA_ENOSPC);
	CHECK_EQ(plan(&m, 4 * GiB, 512, &p, &d), 0);
}

static void test_plan_min_disk(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d;

	std_manifest(&m);
	m.min_disk = 16 * GiB;
	CHECK_EQ(plan(&m, 8 * GiB, 512, &p, &d), STRATA_ENOSPC);
	CHECK_EQ(d.where, 0);
	CHECK(d.msg && strstr(d.msg, "min-size"));
	CHECK_EQ(plan(&m, 16 * GiB - 4096, 4096, &p, &d), STRATA_ENOSPC);
	CHECK_EQ(plan(&m, 16 * GiB, 512, &p, &d), 0);
	CHECK_EQ(plan(&m, 32 * GiB, 4096, &p, &d), 0);
}

static void test_plan_misaligned(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d;

	std_manifest(&m);
	m.parts[1].start += 512;
	m.parts[1].size -= 512;
	CHECK_EQ(plan(&m, 8 * GiB, 4096, &p, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 2);
	CHECK(d.msg && strstr(d.msg, "start is not a multiple"));
	CHECK_EQ(plan(&m, 8 * GiB, 1024, &p, &d), STRATA_EINVAL);
	CHECK_EQ(plan(&m, 8 * GiB, 512, &p, &d), 0);       /* 512-aligned is fine at 512 */
	std_manifest(&m);
	m.parts[0].size -= 2048;
	CHECK_EQ(plan(&m, 8 * GiB, 4096, &p, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 1);
	CHECK(d.msg && strstr(d.msg, "size is not a multiple"));
	CHECK_EQ(plan(&m, 8 * GiB, 2048, &p, &d), 0);
	/* The disk itself must be whole blocks. */
	std_manifest(&m);
	CHECK_EQ(plan(&m, 8 * GiB + 512, 4096, &p, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 0);
}

/** One way to break a manifest, with what plan must say. */
struct pcase {
	const char *name;
	void (*breakit)(struct strata_manifest *m);
	uint32_t bs;
	int rc;
	uint64_t where;
	int site;      /* cases with the same site must give the same message, others not */
};

static void b_nparts(struct strata_manifest *m) { m->nparts = STRATA_MAX_PARTS + 1; }
static void b_disk_guid(struct strata_manifest *m) { memset(m->disk_guid, 0, 16); }
static void b_num0(struct strata_manifest *m) { m->parts[0].num = 0; }
static void b_num129(struct strata_manifest *m) { m->parts[2].num = 129; }
static void b_order(struct strata_manifest *m) { m->parts[1].num = 1; }
static void b_policy(struct strata_manifest *m) { m->parts[1].policy = (enum strata_policy)7; }
static void b_type(struct strata_manifest *m) { memset(m->parts[1].type_guid, 0, 16); }
static void b_guid0(struct strata_manifest *m) { memset(m->parts[1].part_guid, 0, 16); }
static void b_guid_dup(struct strata_manifest *m) { guid_of(m->parts[2].part_guid, 1); }
static void b_label_ctl(struct strata_manifest *m) { m->parts[1].label[1] = '\t'; }
static void b_label_high(struct strata_manifest *m) { m->parts[1].label[0] = (char)0xC3; }
static void b_label_long(struct strata_manifest *m) { memset(m->parts[1].label, 'x', 37); }
static void b_rest_mid(struct strata_manifest *m) { m->parts[1].size = 0; }
static void b_overlap(struct strata_manifest *m) { m->parts[1].start = 64 * MiB; }
static void b_before(struct strata_manifest *m) { m->parts[2].start = MiB; m->parts[2].num = 4; }
static void b_gpt_area(struct strata_manifest *m) { m->parts[0].start = 16384; }

static const struct pcase plan_cases[] = {
	{ "block size 0", NULL, 0, STRATA_ENOTSUP, 0, 1 },
	{ "block size 256", NULL, 256, STRATA_ENOTSUP, 0, 1 },
	{ "block size 1000", NULL, 1000, STRATA_ENOTSUP, 0, 1 },
	{ "block size 8192", NULL, 8192, STRATA_ENOTSUP, 0, 1 },
	{ "17 partitions", b_nparts, 512, STRATA_EINVAL, 0, 2 },
	{ "zero disk GUID", b_disk_guid, 512, STRATA_EINVAL, 0, 3 },
	{ "entry number 0", b_num0, 512, STRATA_EINVAL, 0, 4 },
	{ "entry number 129", b_num129, 512, STRATA_EINVAL, 129, 4 },
	{ "numbers not ascending", b_order, 512, STRATA_EINVAL, 1, 5 },
	{ "unknown policy", b_policy, 512, STRATA_EINVAL, 2, 6 },
	{ "zero type GUID", b_type, 512, STRATA_EINVAL, 2, 7 },
	{ "zero partition GUID", b_guid0, 512, STRATA_EINVAL, 2, 8 },
	{ "duplicate partition GUID", b_guid_dup, 512, STRATA_EINVAL, 3, 9 },
	{ "label with a tab", b_label_ctl, 512, STRATA_EINVAL, 2, 10 },
	{ "label not ASCII", b_label_high, 512, STRATA_EINVAL, 2, 10 },
	{ "label not terminated", b_label_long, 512, STRATA_EINVAL, 2, 10 },
	{ "size=rest not last", b_rest_mid, 512, STRATA_EINVAL, 2, 11 },
	{ "overlap", b_overlap, 512, STRATA_EINVAL, 2, 12 },
	{ "out of order on disk", b_before, 512, STRATA_EINVAL, 4, 12 },
	{ "inside the GPT", b_gpt_area, 512, STRATA_ERANGE, 1, 13 },
};

static void test_plan_rules(void)
{
	const char *msgs[sizeof(plan_cases) / sizeof(plan_cases[0])];

	for (size_t i = 0; i < sizeof(plan_cases) / sizeof(plan_cases[0]); i++) {
		const struct pcase *c = &plan_cases[i];
		struct strata_manifest m;
		struct strata_gpt_plan p;
		struct strata_diag d;
		int rc;

		std_manifest(&m);
		if (c->breakit)
			c->breakit(&m);
		rc = plan(&m, 8 * GiB, c->bs, &p, &d);
		CHECK_MSG(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
		CHECK_MSG(d.where == c->where, "%s: where %llu, want %llu", c->name,
			  (unsigned long long)d.where, (unsigned long long)c->where);
		CHECK_MSG(d.msg && d.msg[0], "%s: no message", c->name);
		msgs[i] = d.msg ? d.msg : "";
	}
	/* Every failure site has its own message. */
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		for (size_t j = i + 1; j < sizeof(msgs) / sizeof(msgs[0]); j++) {
			int same_site = plan_cases[i].site == plan_cases[j].site;

			CHECK_MSG(same_site == (strcmp(msgs[i], msgs[j]) == 0), "%s / %s: \"%s\"",
				  plan_cases[i].name, plan_cases[j].name, msgs[i]);
		}
	/* A label of exactly 36 characters and an empty one are fine. */
	{
		struct strata_manifest m;
		struct strata_gpt_plan p;
		struct strata_diag d;

		std_manifest(&m);
		memset(m.parts[0].label, 'y', 36);
		m.parts[0].label[36] = 0;
		m.parts[1].label[0] = 0;
		CHECK_EQ(plan(&m, 8 * GiB, 512, &p, &d), 0);
		CHECK_EQ(le16_get(p.parts[0].name + 70), 'y');
		for (int k = 0; k < 72; k++)
			CHECK_MSG(p.parts[1].name[k] == 0, "byte %d", k);
	}
}

/* Every byte of both headers and of the array, checked against the plan by offset. */
static void check_layout(uint32_t bs)
{
	struct strata_manifest m;
	struct disk k;
	uint64_t n = 8 * GiB / bs, a = ARRAY / bs;
	uint32_t acrc;

	std_manifest(&m);
	m.parts[2].num = 7;   /* entries 1, 2 and 7 used, the rest zero */
	disk_encode(&k, &m, 8 * GiB, bs);
	acrc = ref_crc(k.array, ARRAY);
	for (int c = 0; c < 2; c++) {
		uint8_t *h = c ? k.backup : k.primary;

		CHECK(memcmp(h, "EFI PART", 8) == 0);
		CHECK_EQ(le32_get(h + 8), 0x00010000);
		CHECK_EQ(le32_get(h + 12), 92);
		CHECK_EQ(le32_get(h + 20), 0);
		CHECK_EQ(le64_get(h + 24), c ? n - 1 : 1);
		CHECK_EQ(le64_get(h + 32), c ? 1 : n - 1);
		CHECK_EQ(le64_get(h + 40), 2 + a);
		CHECK_EQ(le64_get(h + 48), n - 2 - a);
		CHECK(memcmp(h + 56, m.disk_guid, 16) == 0);
		CHECK_EQ(le64_get(h + 72), c ? n - 1 - a : 2);
		CHECK_EQ(le32_get(h + 80), 128);
		CHECK_EQ(le32_get(h + 84), 128);
		CHECK_EQ(le32_get(h + 88), acrc);
		{
			uint8_t tmp[92];

			memcpy(tmp, h, 92);
			memset(tmp + 16, 0, 4);
			CHECK_EQ(le32_get(h + 16), ref_crc(tmp, 92));
		}
		for (uint32_t i = 92; i < bs; i++)
			CHECK_MSG(h[i] == 0, "copy %d byte %u", c, i);
	}
	for (unsigned int e = 0; e < 128; e++) {
		const uint8_t *p = k.array + e * 128;
		int idx = e == 0 ? 0 : e == 1 ? 1 : e == 6 ? 2 : -1;

		if (idx < 0) {
			for (int b = 0; b < 128; b++)
				CHECK_MSG(p[b] == 0, "entry %u byte %d", e, b);
			continue;
		}
		CHECK(memcmp(p, linux_type, 16) == 0);
		CHECK(memcmp(p + 16, m.parts[idx].part_guid, 16) == 0);
		CHECK_EQ(le64_get(p + 32), k.plan.parts[idx].first_lba);
		CHECK_EQ(le64_get(p + 40), k.plan.parts[idx].last_lba);
		CHECK_EQ(le64_get(p + 48), 0);
		for (unsigned int u = 0; u < 36; u++) {
			unsigned int want = u < strlen(m.parts[idx].label)
				? (unsigned char)m.parts[idx].label[u] : 0;

			CHECK_MSG(le16_get(p + 56 + 2 * u) == want, "entry %u unit %u", e, u);
		}
	}
	disk_free(&k);
}

static void test_encode_layout(void)
{
	check_layout(512);
	check_layout(4096);
}

static void test_encode_rejects(void)
{
	struct strata_manifest m;
	struct disk k;
	struct strata_gpt_plan bad;
	uint8_t *arr = xmalloc(ARRAY), *h1 = xmalloc(4096), *h2 = xmalloc(4096);

	std_manifest(&m);
	disk_encode(&k, &m, 8 * GiB, 512);
	CHECK_EQ(strata_gpt_encode(&k.plan, m.disk_guid, arr, h1, h2, 4096), STRATA_EINVAL);
	bad = k.plan;
	bad.parts[1].num = 0;
	CHECK_EQ(strata_gpt_encode(&bad, m.disk_guid, arr, h1, h2, 512), STRATA_EINVAL);
	bad = k.plan;
	bad.parts[2].num = 129;
	CHECK_EQ(strata_gpt_encode(&bad, m.disk_guid, arr, h1, h2, 512), STRATA_EINVAL);
	bad = k.plan;
	bad.nparts = STRATA_MAX_PARTS + 1;
	CHECK_EQ(strata_gpt_encode(&bad, m.disk_guid, arr, h1, h2, 512), STRATA_EINVAL);
	bad = k.plan;
	bad.last_usable++;
	CHECK_EQ(strata_gpt_encode(&bad, m.disk_guid, arr, h1, h2, 512), STRATA_EINVAL);
	bad = k.plan;
	bad.parts[2].last_lba = bad.last_usable + 1;
	CHECK_EQ(strata_gpt_encode(&bad, m.disk_guid, arr, h1, h2, 512), STRATA_EINVAL);
	bad = k.plan;
	bad.parts[1].num = 1;
	CHECK_EQ(strata_gpt_encode(&bad, m.disk_guid, arr, h1, h2, 512), STRATA_EINVAL);
	bad = k.plan;
	bad.block_size = 1000;
	CHECK_EQ(strata_gpt_encode(&bad, m.disk_guid, arr, h1, h2, 1000), STRATA_EINVAL);
	CHECK_EQ(strata_gpt_encode(&k.plan, m.disk_guid, arr, h1, h2, 512), 0);
	CHECK(memcmp(arr, k.array, ARRAY) == 0 && memcmp(h1, k.primary, 512) == 0);
	disk_free(&k);
	free(arr);
	free(h1);
	free(h2);
}

static void check_round_trip(uint32_t bs)
{
	struct strata_manifest m;
	struct disk k;
	struct strata_gpt_table *t = xmalloc(sizeof(*t));
	struct strata_diag d;
	char name[37];

	std_manifest(&m);
	add_part(&m, 9, "a-36-character-label-padded-to-max.", 2 * GiB, 0, STRATA_POLICY_RESTORE);
	m.parts[2].size = 512 * MiB;
	disk_encode(&k, &m, 8 * GiB, bs);
	for (int c = 0; c < 2; c++) {
		uint64_t lba = c ? k.plan.backup_lba : 1;

		CHECK_EQ(parse(&k, c ? k.backup : k.primary, lba, k.array, ARRAY, t, &d), 0);
		CHECK_EQ(t->hdr.my_lba, lba);
		CHECK_EQ(t->hdr.alternate_lba, c ? 1 : k.plan.backup_lba);
		CHECK_EQ(t->hdr.array_lba, c ? k.plan.backup_array_lba : 2);
		CHECK_EQ(t->hdr.array_blocks, ARRAY / bs);
		CHECK_EQ(t->hdr.entry_count, 128);
		CHECK_EQ(t->hdr.first_usable, k.plan.first_usable);
		CHECK_EQ(t->hdr.last_usable, k.plan.last_usable);
		CHECK(memcmp(t->hdr.disk_guid, m.disk_guid, 16) == 0);
		CHECK_EQ(t->nparts, 4);
		for (unsigned int i = 0; i < t->nparts && i < 4; i++) {
			const struct strata_gpt_part *g = &t->parts[i], *w = &k.plan.parts[i];

			CHECK_EQ(g->num, w->num);
			CHECK_EQ(g->policy, 0);
			CHECK_EQ(g->first_lba, w->first_lba);
			CHECK_EQ(g->last_lba, w->last_lba);
			CHECK(memcmp(g->type_guid, w->type_guid, 16) == 0);
			CHECK(memcmp(g->part_guid, w->part_guid, 16) == 0);
			CHECK(memcmp(g->name, w->name, 72) == 0);
			strata_gpt_name_ascii(name, g->name);
			CHECK_MSG(strcmp(name, m.parts[i].label) == 0, "name %s", name);
			CHECK_MSG(strata_gpt_part_exists(t, w), "part %u", w->num);
		}
	}
	disk_free(&k);
	free(t);
}

static void test_round_trip(void)
{
	check_round_trip(512);
	check_round_trip(4096);
}

/** A header field set to val (len bytes LE at off) with the CRC fixed, and the verdict. */
struct hcase {
	const char *name;
	unsigned int off, len;
	uint64_t val;
	int rc;
	uint64_t where;
};

#define N512 (8 * GiB / 512)   /* blocks of the disk the header cases use */

static const struct hcase header_cases[] = {
	{ "signature", 0, 1, 'e', STRATA_ENOENT, 0 },
	{ "signature end", 7, 1, 'r', STRATA_ENOENT, 0 },
	{ "revision 1.1", 8, 4, 0x00010001, STRATA_ENOTSUP, 8 },
	{ "revision 0", 8, 4, 0, STRATA_ENOTSUP, 8 },
	{ "revision 2.0", 8, 4, 0x00020000, STRATA_ENOTSUP, 8 },
	{ "header size 91", 12, 4, 91, STRATA_EINVAL, 12 },
	{ "header size 93", 12, 4, 93, STRATA_EINVAL, 12 },
	{ "header size 512", 12, 4, 512, STRATA_EINVAL, 12 },
	{ "header size 2^32-1", 12, 4, UINT32_MAX, STRATA_EINVAL, 12 },
	{ "reserved", 20, 4, 1, STRATA_EINVAL, 20 },
	{ "my_lba 0", 24, 8, 0, STRATA_EINVAL, 24 },
	{ "my_lba 2", 24, 8, 2, STRATA_EINVAL, 24 },
	{ "my_lba last", 24, 8, N512 - 1, STRATA_EINVAL, 24 },
	{ "alternate 1", 32, 8, 1, STRATA_ERANGE, 32 },
	{ "alternate last-1", 32, 8, N512 - 2, STRATA_ERANGE, 32 },
	{ "alternate past end", 32, 8, N512, STRATA_ERANGE, 32 },
	{ "alternate 2^64-1", 32, 8, UINT64_MAX, STRATA_ERANGE, 32 },
	{ "first usable 0", 40, 8, 0, STRATA_ERANGE, 40 },
	{ "first usable 1", 40, 8, 1, STRATA_ERANGE, 40 },
	{ "first usable after last", 40, 8, N512 - 33, STRATA_ERANGE, 48 },
	{ "last usable = last-1", 48, 8, N512 - 1, STRATA_ERANGE, 48 },
	{ "last usable 2^64-1", 48, 8, UINT64_MAX, STRATA_ERANGE, 48 },
	{ "last usable before first", 48, 8, 33, STRATA_ERANGE, 48 },
	{ "disk GUID zero (low half)", 56, 8, 0, -100, 0 },   /* see test: both halves */
	{ "array at 0", 72, 8, 0, STRATA_ERANGE, 72 },
	{ "array at 1", 72, 8, 1, STRATA_ERANGE, 72 },
	{ "array runs into usable", 72, 8, 3, STRATA_ERANGE, 72 },
	{ "array inside usable", 72, 8, 34, STRATA_ERANGE, 72 },
	{ "array at last usable", 72, 8, N512 - 34, STRATA_ERANGE, 72 },
	{ "array into backup header", 72, 8, N512 - 32, STRATA_ERANGE, 72 },
	{ "array at last block", 72, 8, N512 - 1, STRATA_ERANGE, 72 },
	{ "array past end", 72, 8, N512, STRATA_ERANGE, 72 },
	{ "array 2^64-1", 72, 8, UINT64_MAX, STRATA_ERANGE, 72 },
	{ "entry count 0", 80, 4, 0, STRATA_EINVAL, 80 },
	{ "entry count 129", 80, 4, 129, STRATA_ENOTSUP, 80 },
	{ "entry count 2^32-1", 80, 4, UINT32_MAX, STRATA_ENOTSUP, 80 },
	{ "entry size 0", 84, 4, 0, STRATA_EINVAL, 84 },
	{ "entry size 127", 84, 4, 127, STRATA_EINVAL, 84 },
	{ "entry size 256", 84, 4, 256, STRATA_EINVAL, 84 },
};

static void put_le(uint8_t *p, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Parse header hdr (copy, with one change) at lba: check rc and where. */
static void expect_header(const struct disk *k, const uint8_t *hdr, uint64_t lba,
			  const struct hcase *c, int fix_crc, int rc, uint64_t where)
{
	struct strata_gpt_table *t = xmalloc(sizeof(*t));
	struct strata_diag d;
	uint8_t *h = copy_of(hdr, k->plan.block_size);
	int got;

	put_le(h + c->off, c->len, c->val);
	if (c->rc == -100)
		memset(h + 56, 0, 16);
	if (fix_crc)
		fix_hdr_crc(h);
	got = parse(k, h, lba, k->array, ARRAY, t, &d);
	CHECK_MSG(got == rc, "%s%s: rc %d, want %d", c->name, fix_crc ? "" : " (crc kept)", got,
		  rc);
	CHECK_MSG(d.where == where, "%s%s: where %llu, want %llu", c->name,
		  fix_crc ? "" : " (crc kept)", (unsigned long long)d.where,
		  (unsigned long long)where);
	CHECK_MSG(rc == 0 || (d.msg && d.msg[0]), "%s: no message", c->name);
	free(h);
	free(t);
}

static void test_header_fields(void)
{
	struct strata_manifest m;
	struct disk k;

	std_manifest(&m);
	disk_encode(&k, &m, 8 * GiB, 512);
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		const struct hcase *c = &header_cases[i];
		int rc = c->rc == -100 ? STRATA_EINVAL : c->rc;
		uint64_t where = c->rc == -100 ? 56 : c->where;

		expect_header(&k, k.primary, 1, c, 1, rc, where);
		/* Without the CRC fixed, only the checks before the CRC can speak. */
		if (c->off >= 16)
			expect_header(&k, k.primary, 1, c, 0, STRATA_ECORRUPT, 16);
	}
	disk_free(&k);
}

/* The backup copy: its own my_lba/alternate rules and array placement. */
static void test_header_backup_rules(void)
{
	struct strata_manifest m;
	struct disk k;
	const uint64_t last = N512 - 1;
	const struct hcase cases[] = {
		{ "backup my_lba 1", 24, 8, 1, STRATA_EINVAL, 24 },
		{ "backup alternate last", 32, 8, last, STRATA_ERANGE, 32 },
		{ "backup alternate 2", 32, 8, 2, STRATA_ERANGE, 32 },
		{ "backup array into its header", 72, 8, last - 31, STRATA_ERANGE, 72 },
		{ "backup array at 2 (allowed)", 72, 8, 2, 0, UINT64_MAX },
	};

	std_manifest(&m);
	disk_encode(&k, &m, 8 * GiB, 512);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_header(&k, k.backup, last, &cases[i], 1, cases[i].rc, cases[i].where);
	disk_free(&k);
}

/* Wrong arguments: block size, tiny disk, a header read from the wrong place. */
static void test_header_args(void)
{
	struct strata_manifest m;
	struct disk k;
	struct strata_gpt_hdr h;
	struct strata_diag d;
	uint8_t *b;

	std_manifest(&m);
	disk_encode(&k, &m, 8 * GiB, 512);
	b = copy_of(k.primary, 512);
	CHECK_EQ(strata_gpt_header_parse(b, 512, N512, 1, &h, &d), 0);
	CHECK_EQ(h.array_lba, 2);
	CHECK_EQ(h.array_bytes, ARRAY);
	CHECK_EQ(strata_gpt_header_parse(b, 1000, N512, 1, &h, &d), STRATA_ENOTSUP);
	CHECK_EQ(strata_gpt_header_parse(b, 512, 4, 1, &h, &d), STRATA_ERANGE);
	CHECK_EQ(strata_gpt_header_parse(b, 512, N512, 2, &h, &d), STRATA_EINVAL);
	CHECK(d.where == 0 && strstr(d.msg, "LBA 1 or"));
	CHECK_EQ(strata_gpt_header_parse(b, 512, N512, N512 - 1, &h, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 24);   /* a primary found at the end: my_lba says 1 */
	/* The primary of a disk that grew: alternate no longer at the end. */
	CHECK_EQ(strata_gpt_header_parse(b, 512, N512 + 2048, 1, &h, &d), STRATA_ERANGE);
	CHECK_EQ(d.where, 32);
	CHECK(strstr(d.msg, "resized"));
	/* Bytes after the 92 the CRC covers are not looked at. */
	memset(b + 92, 0xEE, 512 - 92);
	CHECK_EQ(strata_gpt_header_parse(b, 512, N512, 1, &h, &d), 0);
	/* An all-zero block is "no GPT", the one failure that is not a bad GPT. */
	memset(b, 0, 512);
	CHECK_EQ(strata_gpt_header_parse(b, 512, N512, 1, &h, &d), STRATA_ENOENT);
	free(b);
	disk_free(&k);
}

/* Every single-bit change of the 92 header bytes is rejected. */
static void test_header_bit_flips(void)
{
	struct strata_manifest m;
	struct disk k;
	struct strata_gpt_hdr h;
	struct strata_diag d;

	std_manifest(&m);
	disk_encode(&k, &m, 8 * GiB, 4096);
	for (unsigned int bit = 0; bit < 92 * 8; bit++) {
		uint8_t *b = copy_of(k.primary, 4096);
		int rc;

		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = strata_gpt_header_parse(b, 4096, k.plan.disk_blocks, 1, &h, &d);
		CHECK_MSG(rc < 0 && d.msg && d.where < 92, "bit %u: rc %d", bit, rc);
		if (bit / 8 >= 16 && bit / 8 < 20)
			CHECK_MSG(rc == STRATA_ECORRUPT, "crc bit %u: rc %d", bit, rc);
		free(b);
	}
	disk_free(&k);
}

/* Any changed byte of the array fails its CRC, from either copy. */
static void test_array_crc(void)
{
	struct strata_manifest m;
	struct disk k;
	struct strata_gpt_hdr h;
	struct strata_gpt_table *t = xmalloc(sizeof(*t));
	struct strata_diag d;
	uint8_t *a;

	std_manifest(&m);
	disk_encode(&k, &m, 8 * GiB, 512);
	CHECK_EQ(strata_gpt_header_parse(k.backup, 512, N512, N512 - 1, &h, &d), 0);
	a = copy_of(k.array, ARRAY);
	for (unsigned int i = 0; i < ARRAY; i++) {
		int rc;

		a[i] ^= 0x40;
		rc = strata_gpt_entries_parse(&h, a, ARRAY, t, &d);
		CHECK_MSG(rc == STRATA_ECORRUPT && d.where == 0, "byte %u: rc %d", i, rc);
		a[i] ^= 0x40;
	}
	CHECK_EQ(strata_gpt_entries_parse(&h, a, ARRAY, t, &d), 0);
	/* A header whose array CRC field is wrong (and its own CRC right). */
	{
		uint8_t *b = copy_of(k.primary, 512);

		le32_put(b + 88, le32_get(b + 88) ^ 1);
		fix_hdr_crc(b);
		CHECK_EQ(parse(&k, b, 1, k.array, ARRAY, t, &d), STRATA_ECORRUPT);
		CHECK_EQ(d.where, 0);
		CHECK(strstr(d.msg, "array CRC"));
		free(b);
	}
	/* A header that did not come from the parser. */
	h.entry_count = 0;
	CHECK_EQ(strata_gpt_entries_parse(&h, a, ARRAY, t, &d), STRATA_EINVAL);
	h.entry_count = 200;
	CHECK_EQ(strata_gpt_entries_parse(&h, a, ARRAY, t, &d), STRATA_EINVAL);
	free(a);
	free(t);
	disk_free(&k);
}

/** A change to entry e of the array (CRCs fixed up) and the verdict. */
struct ecase {
	const char *name;
	unsigned int entry, off, len;
	uint64_t val;
	int rc;
	unsigned int field;
};

static const struct ecase entry_cases[] = {
	{ "zero partition GUID", 1, 16, 8, 0, STRATA_EINVAL, 16 },  /* + bytes 24..31 below */
	{ "ends before it starts", 0, 40, 8, 2047, STRATA_EINVAL, 32 },
	{ "starts before first usable", 0, 32, 8, 33, STRATA_ERANGE, 32 },
	{ "starts at 0", 0, 32, 8, 0, STRATA_ERANGE, 32 },
	{ "ends after last usable", 2, 40, 8, N512 - 33, STRATA_ERANGE, 40 },
	{ "ends at 2^64-1", 2, 40, 8, UINT64_MAX, STRATA_ERANGE, 40 },
	{ "GUID of entry 1", 2, 16, 8, 0, STRATA_EINVAL, 16 },      /* copied below */
	{ "overlaps entry 1", 1, 32, 8, 65 * 2048 - 1, STRATA_EINVAL, 32 },
	{ "overlaps entry 2 entirely", 2, 32, 8, 64 * 2048, STRATA_EINVAL, 32 },
};

/* Apply an entry case, fix both CRCs, parse the primary. */
static void check_entry_case(const struct disk *k, const struct ecase *c)
{
	struct strata_gpt_table *t = xmalloc(sizeof(*t));
	struct strata_diag d;
	uint8_t *a = copy_of(k->array, ARRAY), *h = copy_of(k->primary, 512);
	uint8_t *e = a + c->entry * 128;
	int rc;

	put_le(e + c->off, c->len, c->val);
	if (!strcmp(c->name, "zero partition GUID"))
		memset(e + 16, 0, 16);
	if (!strcmp(c->name, "GUID of entry 1"))
		memcpy(e + 16, a + 16, 16);
	le32_put(h + 88, ref_crc(a, ARRAY));
	fix_hdr_crc(h);
	rc = parse(k, h, 1, a, ARRAY, t, &d);
	CHECK_MSG(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
	CHECK_MSG(d.where == c->entry * 128u + c->field, "%s: where %llu", c->name,
		  (unsigned long long)d.where);
	CHECK_MSG(d.msg && d.msg[0], "%s: no message", c->name);
	free(a);
	free(h);
	free(t);
}

static void test_entry_rules(void)
{
	struct strata_manifest m;
	struct disk k;

	std_manifest(&m);
	disk_encode(&k, &m, 8 * GiB, 512);
	for (size_t i = 0; i < sizeof(entry_cases) / sizeof(entry_cases[0]); i++)
		check_entry_case(&k, &entry_cases[i]);
	disk_free(&k);
}

/* A table with entry_count entries (array at LBA 2, first usable right after it) holding
 * partitions 1 and 3 of the standard layout, as another tool might write it. */
static void odd_table(struct disk *k, uint32_t count, uint64_t first_usable)
{
	uint32_t bytes = count * 128;

	le32_put(k->primary + 80, count);
	le64_put(k->primary + 40, first_usable);
	le32_put(k->primary + 88, ref_crc(k->array, bytes));
	fix_hdr_crc(k->primary);
}

static void test_entry_counts(void)
{
	struct strata_manifest m;
	struct strata_gpt_table *t = xmalloc(sizeof(*t));
	struct strata_diag d;
	const struct { uint32_t count; unsigned int nparts; } cases[] = {
		{ 1, 1 }, { 2, 2 }, { 3, 2 }, { 4, 2 }, { 5, 3 }, { 127, 3 }, { 128, 3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct disk k;
		uint32_t count = cases[i].count, bytes = count * 128;
		uint64_t fu = 2 + (bytes + 511) / 512;

		manifest_init(&m);
		add_part(&m, 1, "a", MiB, MiB, STRATA_POLICY_WRITE);
		add_part(&m, 2, "b", 2 * MiB, MiB, STRATA_POLICY_WRITE);
		add_part(&m, 5, "c", 3 * MiB, 0, STRATA_POLICY_WRITE);
		disk_encode(&k, &m, 64 * MiB, 512);
		odd_table(&k, count, fu);
		/* Exactly the array's bytes, then its whole blocks, then one byte short. */
		CHECK_MSG(parse(&k, k.primary, 1, k.array, bytes, t, &d) == 0, "count %u", count);
		CHECK_MSG(t->nparts == cases[i].nparts, "count %u: %u parts", count, t->nparts);
		CHECK_MSG(t->hdr.array_blocks == (bytes + 511) / 512, "count %u", count);
		CHECK_MSG(t->hdr.first_usable == fu, "count %u", count);
		CHECK(parse(&k, k.primary, 1, k.array, (bytes + 511) / 512 * 512, t, &d) == 0);
		CHECK_MSG(parse(&k, k.primary, 1, k.array, bytes - 1, t, &d) == STRATA_ETRUNC &&
			  d.where == bytes - 1, "count %u", count);
		CHECK(parse(&k, k.primary, 1, k.array, 0, t, &d) == STRATA_ETRUNC && d.where == 0);
		/* The first usable block may not cut into the array. */
		odd_table(&k, count, fu - 1);
		CHECK_MSG(parse(&k, k.primary, 1, k.array, bytes, t, &d) == STRATA_ERANGE &&
			  d.where == 72, "count %u: array vs first usable", count);
		disk_free(&k);
	}
	/* At 4 KiB: 33 entries take two blocks. */
	{
		struct disk k;

		manifest_init(&m);
		add_part(&m, 1, "a", MiB, 0, STRATA_POLICY_WRITE);
		disk_encode(&k, &m, 64 * MiB, 4096);
		le32_put(k.primary + 80, 33);
		le64_put(k.primary + 40, 4);
		le32_put(k.primary + 88, ref_crc(k.array, 33 * 128));
		fix_hdr_crc(k.primary);
		CHECK_EQ(parse(&k, k.primary, 1, k.array, 8192, t, &d), 0);
		CHECK_EQ(t->hdr.array_blocks, 2);
		CHECK_EQ(t->hdr.array_bytes, 33 * 128);
		disk_free(&k);
	}
	free(t);
}

/* The table strata.efi would read from a disk that holds manifest m. */
static void have_from(struct strata_gpt_table *t, const struct strata_manifest *m,
		      uint64_t bytes)
{
	struct disk k;
	struct strata_diag d;

	disk_encode(&k, m, bytes, 512);
	if (parse(&k, k.primary, 1, k.array, ARRAY, t, &d) != 0)
		abort();
	disk_free(&k);
}

static int check_pres(const struct strata_gpt_table *have, const struct strata_manifest *m,
		      uint64_t bytes, struct strata_diag *d)
{
	struct strata_gpt_plan p;

	if (plan(m, bytes, 512, &p, d) != 0)
		abort();
	d->msg = NULL;
	d->where = UINT64_MAX;
	return strata_gpt_check_preserve(have, &p, d);
}

static void test_preserve(void)
{
	struct strata_gpt_table *have = xmalloc(sizeof(*have));
	struct strata_manifest m;
	struct strata_diag d;

	std_manifest(&m);
	have_from(have, &m, 8 * GiB);
	/* Same place: fine; write partitions may change freely around it. */
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), 0);
	m.parts[1].size = 512 * MiB;
	m.parts[0].label[0] = 'X';
	memset(m.parts[2].type_guid, 0x77, 16);
	m.parts[2].num = 9;                      /* entry number may change too */
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), 0);

	/* Moved (later, nothing written over its old place). */
	std_manifest(&m);
	m.parts[2].start = 2 * GiB;
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 3);
	CHECK(d.msg && strstr(d.msg, "move"));
	/* Shrunk: a size where there was "rest". */
	std_manifest(&m);
	m.parts[2].size = 1 * GiB;
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 3);
	CHECK(d.msg && strstr(d.msg, "shrink"));
	/* The same manifest on a bigger disk: "rest" would grow it. */
	std_manifest(&m);
	CHECK_EQ(check_pres(have, &m, 16 * GiB, &d), STRATA_EINVAL);
	CHECK(d.msg && strstr(d.msg, "grow"));
	/* Overlap: root grows into data's place and data is pushed along. */
	std_manifest(&m);
	m.parts[1].size = 2 * GiB;
	m.parts[2].start = 2113 * MiB;
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 2);
	CHECK(d.msg && strstr(d.msg, "overlaps"));
	/* ... and a restore partition put where preserved data is, the data "moved" away. */
	std_manifest(&m);
	m.parts[2].size = 1 * GiB;                             /* data: 1089M..2113M */
	have_from(have, &m, 8 * GiB);
	manifest_init(&m);
	add_part(&m, 1, "ESP", 1 * MiB, 64 * MiB, STRATA_POLICY_WRITE);
	add_part(&m, 2, "root", 65 * MiB, 512 * MiB, STRATA_POLICY_WRITE);
	guid_of(add_part(&m, 3, "rescue", 1100 * MiB, 100 * MiB, STRATA_POLICY_RESTORE)->part_guid,
		30);
	guid_of(add_part(&m, 4, "data", 3 * GiB, 1 * GiB, STRATA_POLICY_PRESERVE)->part_guid, 3);
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 3);
	CHECK(d.msg && strstr(d.msg, "overlaps"));
	/* Without the restore partition, the same plan is refused for the move alone. */
	m.parts[2] = m.parts[3];
	m.nparts = 3;
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 4);
	CHECK(d.msg && strstr(d.msg, "move"));

	/* A preserve partition the disk does not have is new: fine anywhere. */
	std_manifest(&m);
	have_from(have, &m, 8 * GiB);
	guid_of(m.parts[2].part_guid, 42);
	m.parts[2].start = 3 * GiB;
	m.parts[1].size = 2 * GiB;
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), 0);
	/* A disk with no GPT at all. */
	have->nparts = 0;
	std_manifest(&m);
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), 0);
	/* Nonsense counts are refused, not read past. */
	have->nparts = STRATA_GPT_ENTRIES + 1;
	CHECK_EQ(check_pres(have, &m, 8 * GiB, &d), STRATA_EINVAL);
	free(have);
}

static void test_part_exists(void)
{
	struct strata_gpt_table *have = xmalloc(sizeof(*have));
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d;

	std_manifest(&m);
	m.parts[1].policy = STRATA_POLICY_RESTORE;
	have_from(have, &m, 8 * GiB);
	CHECK_EQ(plan(&m, 8 * GiB, 512, &p, &d), 0);
	CHECK_EQ(strata_gpt_part_exists(have, &p.parts[1]), 1);
	memset(p.parts[1].type_guid, 0x55, 16);                    /* type does not matter */
	CHECK_EQ(strata_gpt_part_exists(have, &p.parts[1]), 1);
	p.parts[1].last_lba--;
	CHECK_EQ(strata_gpt_part_exists(have, &p.parts[1]), 0);    /* different extent */
	p.parts[1].last_lba++;
	p.parts[1].first_lba++;
	CHECK_EQ(strata_gpt_part_exists(have, &p.parts[1]), 0);
	p.parts[1].first_lba--;
	guid_of(p.parts[1].part_guid, 77);
	CHECK_EQ(strata_gpt_part_exists(have, &p.parts[1]), 0);    /* missing */
	have->nparts = 0;
	CHECK_EQ(strata_gpt_part_exists(have, &p.parts[0]), 0);
	free(have);
}

static void test_protective_mbr(void)
{
	uint8_t *b = xmalloc(512);

	memset(b, 0xAA, 512);
	strata_gpt_protective_mbr(b, 131072);                      /* 64 MiB at 512 */
	for (int i = 0; i < 446; i++)
		CHECK_MSG(b[i] == 0, "boot code byte %d", i);
	CHECK_EQ(b[446], 0);                                       /* not bootable */
	CHECK(b[447] == 0x00 && b[448] == 0x02 && b[449] == 0x00); /* CHS 0/0/2 */
	CHECK_EQ(b[450], 0xEE);
	/* LBA 131071 on 255/63: cylinder 8, head 40, sector 32. */
	CHECK(b[451] == 40 && b[452] == 32 && b[453] == 8);
	CHECK_EQ(le32_get(b + 454), 1);
	CHECK_EQ(le32_get(b + 458), 131071);
	for (int i = 462; i < 510; i++)
		CHECK_MSG(b[i] == 0, "record byte %d", i);
	CHECK(b[510] == 0x55 && b[511] == 0xAA);
	strata_gpt_protective_mbr(b, 8 * GiB / 512);               /* beyond CHS */
	CHECK(b[451] == 0xFF && b[452] == 0xFF && b[453] == 0xFF);
	CHECK_EQ(le32_get(b + 458), 8 * GiB / 512 - 1);
	strata_gpt_protective_mbr(b, 1ULL << 33);                  /* 4 TiB at 512: capped */
	CHECK_EQ(le32_get(b + 458), 0xFFFFFFFFu);
	strata_gpt_protective_mbr(b, 0xFFFFFFFFULL + 1);
	CHECK_EQ(le32_get(b + 458), 0xFFFFFFFFu);
	strata_gpt_protective_mbr(b, 0xFFFFFFFFULL);
	CHECK_EQ(le32_get(b + 458), 0xFFFFFFFEu);
	free(b);
}

static void test_name_ascii(void)
{
	uint8_t name[72];
	char out[37];

	memset(name, 0, sizeof(name));
	strata_gpt_name_ascii(out, name);
	CHECK_EQ(strlen(out), 0);
	le16_put(name, 'E');
	le16_put(name + 2, 0x00E9);          /* e acute */
	le16_put(name + 4, 0xD83D);          /* a surrogate */
	le16_put(name + 6, 'z');
	strata_gpt_name_ascii(out, name);
	CHECK(strcmp(out, "E??z") == 0);
	for (int i = 0; i < 36; i++)
		le16_put(name + 2 * i, (uint16_t)('a' + i % 26));
	strata_gpt_name_ascii(out, name);
	CHECK_EQ(strlen(out), 36);
	CHECK_EQ(out[35], 'a' + 35 % 26);
}

int main(void)
{
	RUN(test_crc32);
	RUN(test_plan_512);
	RUN(test_plan_4096);
	RUN(test_plan_rest);
	RUN(test_plan_no_fit);
	RUN(test_plan_min_disk);
	RUN(test_plan_misaligned);
	RUN(test_plan_rules);
	RUN(test_encode_layout);
	RUN(test_encode_rejects);
	RUN(test_round_trip);
	RUN(test_header_fields);
	RUN(test_header_backup_rules);
	RUN(test_header_args);
	RUN(test_header_bit_flips);
	RUN(test_array_crc);
	RUN(test_entry_rules);
	RUN(test_entry_counts);
	RUN(test_preserve);
	RUN(test_part_exists);
	RUN(test_protective_mbr);
	RUN(test_name_ascii);
	return harness_summary();
}
