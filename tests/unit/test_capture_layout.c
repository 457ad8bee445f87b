/*
 * Unit tests for a gold capture's layout and its checks (images/core/capture_layout.c),
 * which strata-image capture-disk and strata.efi's agent make before any upload: the label
 * rule (strata_label_ok, also a gold commit's part=), a GPT name as a label
 * (strata_gpt_label), the layout of a table (in disk order, numbered from 1, preserve, the
 * disk's GUID and min-size) and each refusal with the entry it names (a name that is no
 * label, two partitions of one name, before 1 MiB, off the 4 KiB grain, past 1 EiB, no
 * partition, 17), at 512- and 4096-byte blocks; the text written and parsed back.
 */
#include <stdio.h>
#include <string.h>
#include "capture_layout.h"
#include "gpt_entry.h"
#include "harness.h"

/* The table under test, the layout made of it, its order and the entry a refusal names. */
static struct strata_gpt_table t;
static struct strata_manifest m;
static const struct strata_gpt_part *order[STRATA_MAX_PARTS];
static uint64_t where;
static const char *why;

/* Entry num of the table under test: blocks first..last, named name. */
static void add(uint32_t num, uint64_t first, uint64_t last, const char *name)
{
	gpt_entry_add(&t, num, first, last, name);
}

/* t empty, of bs-byte blocks. */
static void table_init(uint32_t bs)
{
	memset(&t, 0, sizeof(t));
	t.hdr.block_size = bs;
	memset(t.hdr.disk_guid, 0x11, 16);
}

/* t: 512-byte blocks, entry 1 ESP (1 MiB at 1 MiB) and entry 2 root (2 MiB after it). */
static void esp_root(void)
{
	table_init(512);
	add(1, 2048, 4095, "ESP");
	add(2, 4096, 8191, "root");
}

/* strata_capture_layout of t into m and order: its rc, the entry it names in where and
 * its message in why. */
static int layout(void)
{
	struct strata_diag diag = { 0 };
	int rc = strata_capture_layout(&t, &m, order, &diag);

	where = rc ? diag.where : 999;
	why = rc ? diag.msg : "";
	CHECK(why != NULL);
	return rc;
}

static void test_label_ok(void)
{
	CHECK(strata_label_ok("ESP", 3) && strata_label_ok("root.v2_a-b", 11));
	CHECK(strata_label_ok("123456789012345678901234567890123456", 36));
	CHECK(!strata_label_ok("1234567890123456789012345678901234567", 37));
	CHECK(!strata_label_ok("", 0) && !strata_label_ok("a b", 3) && !strata_label_ok("a/b", 3));
	CHECK(!strata_label_ok("a\0b", 3) && !strata_label_ok("caf\xc3\xa9", 5));
	CHECK(strata_label_ok("a b", 1));
}

static void test_gpt_label(void)
{
	uint8_t name[72] = { 0 };
	char out[STRATA_LABEL_MAX + 1];

	memcpy(name, "r\0o\0o\0t\0", 8);
	CHECK(strata_gpt_label(out, name) == 0 && strcmp(out, "root") == 0);
	for (int i = 0; i < 36; i++)
		name[2 * i] = 'a' + i % 26;
	CHECK(strata_gpt_label(out, name) == 0 && strlen(out) == 36);
	memset(name, 0, sizeof(name));
	CHECK_EQ(strata_gpt_label(out, name), STRATA_EINVAL);
	memcpy(name, "r\0 \0o\0", 6);
	CHECK_EQ(strata_gpt_label(out, name), STRATA_EINVAL);
	memcpy(name, "r\0A\1o\0", 6);             /* U+0141 is not ASCII */
	CHECK(strata_gpt_label(out, name) == STRATA_EINVAL && strcmp(out, "r?o") == 0);
	memcpy(name, "r\0?\0o\0", 6);             /* '?' itself is no label character */
	CHECK_EQ(strata_gpt_label(out, name), STRATA_EINVAL);
}

static void test_layout_good(void)
{
	esp_root();
	add(3, 8192, 10239, "CIDATA");
	CHECK_EQ(layout(), 0);
	CHECK_EQ(m.nparts, 3);
	CHECK(strcmp(m.parts[0].label, "ESP") == 0 && strcmp(m.parts[2].label, "CIDATA") == 0);
	CHECK(m.parts[0].num == 1 && m.parts[1].num == 2 && m.parts[2].num == 3);
	CHECK(m.parts[0].start == 1048576 && m.parts[0].size == 1048576);
	CHECK(m.parts[1].start == 2097152 && m.parts[1].size == 2097152);
	CHECK(m.min_disk == 10240ull * 512);
	CHECK(order[0] == &t.parts[0] && order[2] == &t.parts[2]);
	for (unsigned int i = 0; i < m.nparts; i++) {
		CHECK(m.parts[i].policy == STRATA_POLICY_PRESERVE && !m.parts[i].has_layer);
		CHECK(memcmp(m.parts[i].part_guid, t.parts[i].part_guid, 16) == 0);
		CHECK(memcmp(m.parts[i].type_guid, t.parts[i].type_guid, 16) == 0);
	}
	CHECK(memcmp(m.disk_guid, t.hdr.disk_guid, 16) == 0 && m.version == 0 && !m.machine[0]);
}

/* Entries out of disk order (and a gap in their numbers): the layout is in disk order,
 * numbered from 1; order[] names each one's entry. */
static void test_layout_disk_order(void)
{
	table_init(512);
	add(1, 8192, 10239, "data");
	add(2, 2048, 4095, "ESP");
	add(5, 4096, 8191, "root");
	CHECK_EQ(layout(), 0);
	CHECK(order[0]->num == 2 && order[1]->num == 5 && order[2]->num == 1);
	CHECK(strcmp(m.parts[0].label, "ESP") == 0 && strcmp(m.parts[1].label, "root") == 0 &&
	      strcmp(m.parts[2].label, "data") == 0);
	CHECK(m.parts[0].num == 1 && m.parts[1].num == 2 && m.parts[2].num == 3);
	CHECK(m.parts[0].start < m.parts[1].start && m.parts[1].start < m.parts[2].start);
	CHECK(m.min_disk == 10240ull * 512);
}

/* The grain and the first MiB, at both block sizes, at and either side of the boundary. */
static void test_layout_geometry(void)
{
	static const struct { uint32_t bs; uint64_t first, last; int ok; } cases[] = {
		{ 512, 2048, 2055, 1 },        /* 1 MiB, 4 KiB: the smallest that fits */
		{ 512, 2040, 2047, 0 },        /* 4 KiB before 1 MiB */
		{ 512, 2049, 2056, 0 },        /* a start off the grain */
		{ 512, 2048, 2056, 0 },        /* a size of 4.5 KiB */
		{ 512, 2048, 2054, 0 },        /* a size of 3.5 KiB */
		{ 4096, 256, 256, 1 },         /* one 4 KiB block at 1 MiB */
		{ 4096, 255, 300, 0 },         /* before 1 MiB */
		{ 4096, 256, (1ull << 48) - 1, 1 }, /* ends at 1 EiB */
		{ 4096, 256, 1ull << 48, 0 },  /* ends 4 KiB past it */
		{ 512, 2048, (1ull << 51) - 1, 1 },
		{ 512, 2048, 1ull << 51, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		table_init(cases[i].bs);
		add(3, cases[i].first, cases[i].last, "p");
		CHECK_MSG((layout() == 0) == cases[i].ok, "case %zu", i);
		if (!cases[i].ok)
			CHECK_MSG(where == 3 && strstr(why, "then capture again") !=
				  strstr(why, "EiB"), "case %zu names entry %llu: %s", i,
				  (unsigned long long)where, why);
	}
}

static void test_layout_names(void)
{
	table_init(512);
	add(1, 2048, 4095, "ESP");
	add(2, 4096, 8191, "r o");
	CHECK_EQ(layout(), STRATA_EINVAL);
	CHECK_EQ(where, 2);
	CHECK(strstr(why, "GPT name is not a label") && strstr(why, "sgdisk -c N:NAME"));
	table_init(512);
	add(1, 2048, 4095, "ESP");
	add(2, 4096, 8191, "");
	CHECK(layout() == STRATA_EINVAL && where == 2);
	/* Two of one name: the later on the disk is named, whatever its entry number. */
	table_init(512);
	add(1, 8192, 10239, "root");
	add(2, 2048, 4095, "ESP");
	add(3, 4096, 8191, "root");
	CHECK(layout() == STRATA_EINVAL && where == 1);
	CHECK(strstr(why, "another partition's too") && strstr(why, "rename one"));
	/* Labels differing in case are two labels. */
	t.parts[0].name[0] = 'R';
	CHECK_EQ(layout(), 0);
}

static void test_layout_count(void)
{
	char name[8];

	table_init(512);
	CHECK(layout() == STRATA_ERANGE && where == 0);
	for (unsigned int i = 0; i < STRATA_MAX_PARTS; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		add(i + 1, 2048 + 8 * i, 2055 + 8 * i, name);
	}
	CHECK_EQ(layout(), 0);
	CHECK_EQ(m.nparts, STRATA_MAX_PARTS);
	add(17, 4096, 4103, "p16");
	CHECK(layout() == STRATA_ERANGE && where == 0);
}

static void test_layout_write(void)
{
	struct strata_diag diag = { 0 };
	struct strata_manifest back;
	char text[STRATA_MANIFEST_MAX + 1];
	size_t len;

	esp_root();
	CHECK_EQ(layout(), 0);
	m.parts[1].policy = STRATA_POLICY_WRITE;
	m.parts[1].has_layer = 1;
	memset(m.parts[1].layer, 0xab, 32);
	CHECK_EQ(strata_capture_layout_write(&m, text, sizeof(text), &len, &diag), 0);
	CHECK(len == strlen(text) && strstr(text, " min-size=4194304\n") != NULL);
	CHECK(strstr(text, "part 1 label=ESP type=linux ") && strstr(text, "policy=preserve\n"));
	CHECK(strstr(text, "part 2 label=root type=linux guid=") &&
	      strstr(text, "start=2097152 size=2097152 policy=write layer=sha256:abab"));
	CHECK_EQ(strata_layout_parse(&back, text, len, &diag), 0);
	CHECK_EQ(strata_capture_layout_write(&m, text, 64, &len, &diag), STRATA_ERANGE);
	/* A caller that made a partition write without its layer: refused at its line. */
	m.parts[0].policy = STRATA_POLICY_WRITE;
	CHECK_EQ(strata_capture_layout_write(&m, text, sizeof(text), &len, &diag), STRATA_EINVAL);
	CHECK_EQ(diag.where, 4);
}

int main(void)
{
	RUN(test_label_ok);
	RUN(test_gpt_label);
	RUN(test_layout_good);
	RUN(test_layout_disk_order);
	RUN(test_layout_geometry);
	RUN(test_layout_names);
	RUN(test_layout_count);
	RUN(test_layout_write);
	return harness_summary();
}
