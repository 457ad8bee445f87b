/*
 * Unit tests for the whole deployment against a disk (images/core/disk_fit.c).
 *
 * Why: strata.efi and `strata-image apply --manifest` decide from strata_disk_fit whether
 * to write anything at all.  A fit that says yes when a captured layer is larger than its
 * partition would fail halfway with the table already rewritten; one that says no when it
 * fits leaves a PC undeployable.  The tests pin: an exact fit and one block short (512-
 * and 4096-byte blocks), a captured layer larger than the rest of a smaller disk, a layer
 * over a fixed partition's size (a manifest error on any disk), a larger disk whose
 * size=rest partition grows to the last usable block, a layout whose fixed partitions
 * alone do not fit, the manifest's min-size, which layers a deployment writes, and the
 * message text to the byte (the lead's VM test and the admin read it).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "disk_fit.h"
#include "harness.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define BACKUP(bs) (STRATA_GPT_ARRAY_BYTES + (uint64_t)(bs))

static const uint8_t linux_type[16] = { 0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47,
					0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4 };

static void add_part(struct strata_manifest *m, uint32_t num, const char *label,
		     uint64_t start, uint64_t size, enum strata_policy policy)
{
	struct strata_part *p = &m->parts[m->nparts++];

	memset(p, 0, sizeof(*p));
	p->num = num;
	snprintf(p->label, sizeof(p->label), "%s", label);
	memcpy(p->type_guid, linux_type, 16);
	memset(p->part_guid, (int)num * 17, 16);
	p->start = start;
	p->size = size;
	p->policy = policy;
	p->has_layer = policy != STRATA_POLICY_PRESERVE;
}

/* ESP 1M+64M, root 65M+size, home from `home` to the rest (a restored capture). */
static void pc_manifest(struct strata_manifest *m, uint64_t root, uint64_t home)
{
	memset(m, 0, sizeof(*m));
	m->version = 1;
	memset(m->disk_guid, 0x5A, 16);
	snprintf(m->machine, sizeof(m->machine), "pc07");
	add_part(m, 1, "ESP", 1 * MiB, 64 * MiB, STRATA_POLICY_WRITE);
	add_part(m, 2, "root", 65 * MiB, root, STRATA_POLICY_WRITE);
	add_part(m, 4, "home", home, 0, STRATA_POLICY_RESTORE);
}

static int fit(const struct strata_manifest *m, const uint64_t *layers, uint64_t disk,
	       uint32_t bs, struct strata_fit *f, struct strata_gpt_plan *p,
	       struct strata_diag *d)
{
	d->msg = NULL;
	d->where = UINT64_MAX;
	return strata_disk_fit(m, layers, disk, bs, f, p, d);
}

/* The disk a capture of cap bytes at home needs exactly: the home partition's end, then
 * the backup GPT. */
static void test_exact_and_one_block_short(void)
{
	static const uint32_t sizes[] = { 512, 4096 };

	for (unsigned int k = 0; k < 2; k++) {
		uint32_t bs = sizes[k];
		struct strata_manifest m;
		struct strata_fit f;
		struct strata_gpt_plan p;
		struct strata_diag d;
		uint64_t home = 2113 * MiB, cap = 3 * GiB;
		uint64_t layers[STRATA_MAX_PARTS] = { 60 * MiB, 900 * MiB, cap };
		uint64_t disk = home + cap + BACKUP(bs);

		pc_manifest(&m, 2 * GiB, home);
		CHECK_EQ(fit(&m, layers, disk, bs, &f, &p, &d), 0);
		CHECK_EQ(f.needs, disk);
		CHECK_EQ(f.nfaults, 0);
		CHECK_EQ(p.parts[2].last_lba, p.last_usable);
		CHECK_EQ((p.parts[2].last_lba - p.parts[2].first_lba + 1) * bs, cap);
		CHECK_EQ(f.parts[2].gets, cap);

		CHECK_EQ(fit(&m, layers, disk - bs, bs, &f, &p, &d), STRATA_ENOSPC);
		CHECK_EQ(d.where, 4);
		CHECK_EQ(f.needs - f.disk_bytes, bs);
		CHECK_EQ(f.nfaults, 1);
		CHECK_EQ(f.parts[2].fault, STRATA_FIT_SHORT);
		CHECK_EQ(f.parts[2].needs - f.parts[2].gets, bs);
		CHECK_EQ(f.parts[0].fault, STRATA_FIT_OK);
		/* A capture that is not whole blocks needs its last block whole. */
		layers[2] = cap - bs + 1;
		CHECK_EQ(fit(&m, layers, disk, bs, &f, &p, &d), 0);
		CHECK_EQ(fit(&m, layers, disk - bs, bs, &f, &p, &d), STRATA_ENOSPC);
	}
}

/* The case: a 180 GiB capture of home, a 240 GB disk. */
static void test_capture_over_rest(void)
{
	static const char want[] =
		"pc07: disk is 240057409536 bytes (240 GB); the layout needs 256188105216 bytes "
		"(256 GB), 16130695680 bytes (16.1 GB) more\n"
		"pc07: partition 4 (home) holds a 193 GB capture (193273528320 bytes) from byte "
		"62914560000 (62.9 GB); it gets 177142832640 bytes (177 GB) on this disk, "
		"16130695680 bytes (16.1 GB) short";
	struct strata_manifest m;
	struct strata_fit f;
	struct strata_gpt_plan p;
	struct strata_diag d;
	uint64_t layers[STRATA_MAX_PARTS] = { 60 * MiB, 10 * GiB, 193273528320ULL };
	char msg[1024];

	pc_manifest(&m, 50 * GiB, 62914560000ULL);
	/* The layout alone fits (strata_gpt_plan says yes); the capture does not. */
	CHECK_EQ(strata_gpt_plan(&m, 240057409536ULL, 512, &p, &d), 0);
	CHECK_EQ(fit(&m, layers, 240057409536ULL, 512, &f, &p, &d), STRATA_ENOSPC);
	CHECK_EQ(d.where, 4);
	CHECK_EQ(strata_fit_message(&f, &m, "pc07", "\n", msg, sizeof(msg)), strlen(want));
	CHECK_MSG(!strcmp(msg, want), "got: %s", msg);
	/* One line for a report: the same text, "; " between the facts. */
	strata_fit_message(&f, &m, "pc07", "; ", msg, sizeof(msg));
	CHECK(strstr(msg, "16.1 GB) more; pc07: partition 4 (home) holds") != NULL);
	CHECK(strchr(msg, '\n') == NULL);
}

/* A fixed partition smaller than its layer: the manifest is wrong on any disk. */
static void test_layer_over_fixed_size(void)
{
	static const char want[] =
		"pc07: partition 2 (root) holds a 3.00 GB layer (2999975936 bytes), 852492288 "
		"bytes (852 MB) more than its size=2147483648: the manifest is wrong (Strata "
		"never shrinks a filesystem): give it a size of at least 2999975936";
	struct strata_manifest m;
	struct strata_fit f;
	struct strata_gpt_plan p;
	struct strata_diag d;
	uint64_t layers[STRATA_MAX_PARTS] = { 60 * MiB, 2999975936ULL, 0 };
	char msg[512];

	pc_manifest(&m, 2 * GiB, 2113 * MiB);
	CHECK_EQ(fit(&m, layers, 1024 * GiB, 512, &f, &p, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 2);
	CHECK_EQ(f.parts[1].fault, STRATA_FIT_OVER_SIZE);
	strata_fit_message(&f, &m, "pc07", "\n", msg, sizeof(msg));
	CHECK_MSG(!strcmp(msg, want), "got: %s", msg);
	/* Exactly its size is fine. */
	layers[1] = 2 * GiB;
	CHECK_EQ(fit(&m, layers, 1024 * GiB, 512, &f, &p, &d), 0);
	/* On a disk too small as well, the manifest's fault is the one said. */
	layers[1] = 2999975936ULL;
	layers[2] = 8 * GiB;
	CHECK_EQ(fit(&m, layers, 4 * GiB, 512, &f, &p, &d), STRATA_EINVAL);
	strata_fit_message(&f, &m, "pc07", "\n", msg, sizeof(msg));
	CHECK_MSG(!strcmp(msg, want), "got: %s", msg);
}

/* A larger disk: the rest grows to the last usable block, the capture fits in it. */
static void test_larger_disk_grows_rest(void)
{
	struct strata_manifest m;
	struct strata_fit f;
	struct strata_gpt_plan p;
	struct strata_diag d;
	uint64_t home = 2113 * MiB, cap = 3 * GiB, disk = 64 * GiB;
	uint64_t layers[STRATA_MAX_PARTS] = { 60 * MiB, 900 * MiB, cap };

	pc_manifest(&m, 2 * GiB, home);
	CHECK_EQ(fit(&m, layers, disk, 512, &f, &p, &d), 0);
	CHECK_EQ(p.parts[2].first_lba, home / 512);
	CHECK_EQ(p.parts[2].last_lba, disk / 512 - 34);
	CHECK_EQ(p.parts[2].last_lba, p.last_usable);
	CHECK_EQ(f.parts[2].gets, disk - BACKUP(512) - home);
	CHECK_EQ(f.needs, home + cap + BACKUP(512));
	CHECK_EQ(strata_fit_message(&f, &m, "pc07", "\n", (char[8]){ 0 }, 8), 0);
}

/* Fixed partitions alone past the disk's end, nothing to restore: the layout's bytes. */
static void test_layout_alone_too_small(void)
{
	static const char want[] =
		"52:54:00:12:34:56: disk is 1073741824 bytes (1.07 GB); the layout needs "
		"2215658496 bytes (2.22 GB), 1141916672 bytes (1.14 GB) more\n"
		"52:54:00:12:34:56: partition 2 (root) is 2147483648 bytes (2.15 GB) from byte "
		"68157440 (68.2 MB); it gets 1005567488 bytes (1.01 GB) on this disk, 1141916160 "
		"bytes (1.14 GB) short\n"
		"52:54:00:12:34:56: partition 4 (home) is 512 bytes (512 bytes) from byte "
		"2215641088 (2.22 GB); it gets 0 bytes (0 bytes) on this disk, 512 bytes (512 "
		"bytes) short";
	struct strata_manifest m;
	struct strata_fit f;
	struct strata_gpt_plan p;
	struct strata_diag d;
	uint64_t layers[STRATA_MAX_PARTS] = { 0 };
	char msg[1024];

	pc_manifest(&m, 2 * GiB, 2113 * MiB);
	CHECK_EQ(fit(&m, layers, 1 * GiB, 512, &f, &p, &d), STRATA_ENOSPC);
	CHECK_EQ(d.where, 2);
	CHECK_EQ(f.nfaults, 2);
	strata_fit_message(&f, &m, "52:54:00:12:34:56", "\n", msg, sizeof(msg));
	CHECK_MSG(!strcmp(msg, want), "got: %s", msg);
}

/* The manifest's min-size, larger than what its partitions need. */
static void test_min_size(void)
{
	static const char want[] =
		"pc07: disk is 8589934592 bytes (8.59 GB); the manifest's min-size is "
		"10737418240 bytes (10.7 GB), 2147483648 bytes (2.15 GB) more";
	struct strata_manifest m;
	struct strata_fit f;
	struct strata_gpt_plan p;
	struct strata_diag d;
	uint64_t layers[STRATA_MAX_PARTS] = { 0 };
	char msg[512];

	pc_manifest(&m, 2 * GiB, 2113 * MiB);
	m.min_disk = 10 * GiB;
	CHECK_EQ(fit(&m, layers, 8 * GiB, 512, &f, &p, &d), STRATA_ENOSPC);
	CHECK_EQ(d.where, 0);
	CHECK(f.by_min_size);
	strata_fit_message(&f, &m, "pc07", "\n", msg, sizeof(msg));
	CHECK_MSG(!strcmp(msg, want), "got: %s", msg);
	CHECK_EQ(fit(&m, layers, 10 * GiB, 512, &f, &p, &d), 0);
}

/* A manifest error other than sizes is strata_gpt_plan's, said as before. */
static void test_plan_errors_first(void)
{
	struct strata_manifest m;
	struct strata_fit f;
	struct strata_gpt_plan p;
	struct strata_diag d;
	uint64_t layers[STRATA_MAX_PARTS] = { 0 };

	pc_manifest(&m, 2 * GiB, 2113 * MiB);
	memset(m.parts[1].part_guid, 0, 16);
	CHECK_EQ(fit(&m, layers, 1 * GiB, 512, &f, &p, &d), STRATA_EINVAL);
	CHECK(!strcmp(d.msg, "partition GUID is zero"));
	pc_manifest(&m, 2 * GiB, 2113 * MiB);
	CHECK_EQ(fit(&m, layers, 64 * GiB, 1024 * 3, &f, &p, &d), STRATA_ENOTSUP);
}

/* Which layers a deployment writes: the ones whose sizes are weighed. */
static void test_writes(void)
{
	static struct strata_gpt_table have;
	struct strata_manifest m;
	struct strata_gpt_plan p;
	struct strata_diag d;

	pc_manifest(&m, 2 * GiB, 2113 * MiB);
	add_part(&m, 5, "keep", 0, 0, STRATA_POLICY_PRESERVE);
	m.parts[3].start = 8 * GiB;
	m.parts[2].size = 1 * GiB;
	CHECK_EQ(strata_gpt_plan(&m, 16 * GiB, 512, &p, &d), 0);
	memset(&have, 0, sizeof(have));
	CHECK_EQ(strata_fit_writes(&m, 0, NULL, NULL), 1);
	CHECK_EQ(strata_fit_writes(&m, 2, NULL, &p), 1);
	CHECK_EQ(strata_fit_writes(&m, 2, &have, NULL), 1);
	CHECK_EQ(strata_fit_writes(&m, 2, &have, &p), 1);
	CHECK_EQ(strata_fit_writes(&m, 3, &have, &p), 0);
	have.parts[have.nparts++] = p.parts[2];
	CHECK_EQ(strata_fit_writes(&m, 2, &have, &p), 0);
	CHECK_EQ(strata_fit_writes(&m, 1, &have, &p), 1);
	m.parts[1].has_layer = 0;
	CHECK_EQ(strata_fit_writes(&m, 1, &have, &p), 0);
}

/* Human units at their edges, and a message cut to a small buffer. */
static void test_units_and_cut(void)
{
	struct strata_manifest m;
	struct strata_fit f = { .disk_bytes = 999, .needs = 1000, .nparts = 0 };
	char msg[256], small[16];

	memset(&m, 0, sizeof(m));
	strata_fit_message(&f, &m, "x", "\n", msg, sizeof(msg));
	CHECK_MSG(!strcmp(msg, "x: disk is 999 bytes (999 bytes); the layout needs 1000 bytes "
			  "(1.00 KB), 1 bytes (1 bytes) more"), "got: %s", msg);
	f.disk_bytes = 9995;
	f.needs = 999500000000000000ULL;
	strata_fit_message(&f, &m, "x", "\n", msg, sizeof(msg));
	CHECK_MSG(!strcmp(msg, "x: disk is 9995 bytes (10.00 KB); the layout needs "
			  "999500000000000000 bytes (1000 PB), 999499999999990005 bytes (999 PB) "
			  "more"), "got: %s", msg);
	f.disk_bytes = 0;
	f.needs = UINT64_MAX;
	strata_fit_message(&f, &m, "x", "\n", msg, sizeof(msg));
	CHECK(strstr(msg, "18446744073709551615 bytes (18.4 EB)") != NULL);
	CHECK_EQ(strata_fit_message(&f, &m, "x", "\n", small, sizeof(small)), strlen(msg));
	CHECK(!strcmp(small, "x: disk is 0 by"));
}

int main(void)
{
	RUN(test_exact_and_one_block_short);
	RUN(test_capture_over_rest);
	RUN(test_layer_over_fixed_size);
	RUN(test_larger_disk_grows_rest);
	RUN(test_layout_alone_too_small);
	RUN(test_min_size);
	RUN(test_plan_errors_first);
	RUN(test_writes);
	RUN(test_units_and_cut);
	return harness_summary();
}
