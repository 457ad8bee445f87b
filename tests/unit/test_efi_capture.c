/*
 * Unit tests for strata.efi's capture steps (efi/capture_agent.c), on the host: the disk,
 * its table and the server's side (the task, have/need, uploads, commits, done) are stood
 * in for here, the core engine and the layout's checks are the real ones.
 *
 * Why: a gold capture must refuse a reference disk the server's profile rules would refuse
 * (a GPT name that is no label, one name twice, a partition off the 4 KiB grain) before it
 * reads a partition or uploads a byte, and report why naming the partition (a->why, what
 * the failure report carries); a disk it takes must end in a layout, in disk order, that
 * the server's parser takes, each captured partition with the layer its commit named.  A
 * machine capture is not held to the layout's rules: it matches labels only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "alloc.h"
#include "capture_agent.h"
#include "capture_ops.h"
#include "efi_host/efi_host.h"
#include "gpt_disk.h"
#include "gpt_entry.h"
#include "harness.h"

#define DISK_BYTES (8u << 20)

/** What the stand-ins saw, and the table the disk "holds". */
static struct {
	uint8_t *disk;
	struct strata_gpt_table table;
	unsigned int reads, needs, uploads, commits, dones;
	char committed[4][STRATA_LABEL_MAX + 1];
	char done[4096];
} w;

static struct agent a;

int agent_fail(struct agent *ag, int rc, const char *why)
{
	if (!ag->why[0])
		snprintf(ag->why, sizeof(ag->why), "%s", why);
	return rc;
}

int agent_signed_buffer(struct agent *ag, char *url, size_t cap, size_t max, uint8_t **buf,
			size_t *len)
{
	static const char line[] = "task=open kind=gold\n";

	*buf = strata_alloc(sizeof(line));
	memcpy(*buf, line, sizeof(line));
	*len = sizeof(line) - 1;
	return 0;
}

int disk_find(struct disk *d, uint64_t min_bytes, EFI_HANDLE image)
{
	d->block_size = 512;
	d->bytes = DISK_BYTES;
	return 0;
}

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len)
{
	w.reads++;
	if (off > DISK_BYTES || len > DISK_BYTES - off)
		return STRATA_EIO;
	memcpy(buf, w.disk + off, len);
	return 0;
}

int gpt_disk_read(struct disk *d, struct strata_gpt_table *have)
{
	*have = w.table;
	return 0;
}

int capture_io_need(void *ctx, const uint8_t (*d)[32], size_t n, uint8_t *missing)
{
	w.needs++;
	memset(missing, 1, n);
	return 0;
}

int capture_io_upload(void *ctx, const struct strata_chunk *c, const uint8_t *file)
{
	w.uploads++;
	return 0;
}

void capture_io_progress(void *ctx, const struct strata_capture_stats *st)
{
}

/* The layer "the server committed": commit number n's bytes all n. */
int capture_io_commit(struct capture_io *io, const uint8_t *index, size_t len, char *line,
		      size_t cap, uint8_t layer[32])
{
	snprintf(w.committed[w.commits % 4], STRATA_LABEL_MAX + 1, "%s", io->label);
	memset(layer, (int)++w.commits, 32);
	snprintf(line, cap, "committed");
	return 0;
}

int capture_io_done(struct agent *ag, const char *body, size_t len)
{
	w.dones++;
	snprintf(w.done, sizeof(w.done), "%.*s", (int)len, body);
	return 0;
}

const char *fetch_backend_name(const struct fetcher *f)
{
	return "test";
}

void progress_start(struct progress *p, const char *what, uint64_t total)
{
}

void progress_end(struct progress *p, uint64_t done)
{
}

/* Entry num of the table under test: blocks first..last, named name. */
static void add(uint32_t num, uint64_t first, uint64_t last, const char *name)
{
	gpt_entry_add(&w.table, num, first, last, name);
}

/* A fresh run: the orders (gold or machine, with labels), an empty table, nothing seen. */
static void fresh(int gold, const char *labels)
{
	memset(&a, 0, sizeof(a));
	a.orders.capture = 1;
	a.orders.gold = gold;
	snprintf(a.orders.labels, sizeof(a.orders.labels), "%s", labels);
	snprintf(a.args.server, sizeof(a.args.server), "http://server");
	memset(&w.table, 0, sizeof(w.table));
	w.table.hdr.block_size = 512;
	memset(w.table.hdr.disk_guid, 0x11, 16);
	w.reads = w.needs = w.uploads = w.commits = w.dones = 0;
	w.done[0] = '\0';
	log_capture_reset();
}

/* Entries out of disk order: the capture goes in disk order, CIDATA and private= data
 * are left out, and the layout (disk order, numbered from 1) parses as the server's does
 * with each captured partition's layer the one its commit named. */
static void test_gold_good(void)
{
	struct strata_manifest m;
	struct strata_diag diag = { 0 };

	fresh(1, "data");
	add(1, 8192, 12287, "root");
	add(2, 2048, 4095, "ESP");
	add(3, 4096, 6143, "CIDATA");
	add(4, 12288, 14335, "data");
	CHECK_EQ(capture_run(&a, NULL), 0);
	CHECK_EQ(w.commits, 2);
	CHECK(!strcmp(w.committed[0], "ESP") && !strcmp(w.committed[1], "root"));
	CHECK(w.reads > 0 && w.needs > 0 && w.uploads > 0 && w.dones == 1);
	CHECK_EQ(strata_layout_parse(&m, w.done, strlen(w.done), &diag), 0);
	CHECK_EQ(m.nparts, 4);
	CHECK(!strcmp(m.parts[0].label, "ESP") && m.parts[0].num == 1 && m.parts[0].has_layer &&
	      m.parts[0].layer[0] == 1 && m.parts[0].start == 1048576);
	CHECK(!strcmp(m.parts[1].label, "CIDATA") && !m.parts[1].has_layer &&
	      m.parts[1].policy == STRATA_POLICY_PRESERVE);
	CHECK(!strcmp(m.parts[2].label, "root") && m.parts[2].num == 3 && m.parts[2].has_layer &&
	      m.parts[2].layer[0] == 2 && m.parts[2].policy == STRATA_POLICY_WRITE);
	CHECK(!strcmp(m.parts[3].label, "data") && !m.parts[3].has_layer);
	CHECK(m.min_disk == 14336ull * 512);
	CHECK(log_capture_has("capture: partition 4 data: left out (private)"));
	CHECK_EQ(a.why[0], '\0');
}

/* A refusal: nothing read, asked or uploaded, no task ended; why names the partition. */
static void check_refused(const char *why, const char *log_prefix)
{
	CHECK_EQ(w.reads + w.needs + w.uploads + w.commits + w.dones, 0);
	CHECK_MSG(!strncmp(a.why, why, strlen(why)), "why: %s", a.why);
	CHECK_MSG(log_capture_has_prefix(log_prefix), "log: %s", log_capture_last());
}

static void test_gold_refused(void)
{
	fresh(1, "");
	add(1, 2048, 4095, "ESP");
	add(2, 4096, 8191, "r o");
	CHECK_EQ(capture_run(&a, NULL), STRATA_EINVAL);
	check_refused("partition 2: its GPT name is not a label (1 to 36 of A-Z a-z 0-9 . _ -): "
		      "rename it with sgdisk -c N:NAME", "error: capture: partition 2: its GPT name");
	CHECK(strstr(log_capture_last(), "nothing was uploaded") != NULL);
	/* A private partition is named in the layout too: its name is checked. */
	fresh(1, "Basic");
	add(1, 2048, 4095, "ESP");
	add(2, 4096, 8191, "Basic data partition");
	CHECK_EQ(capture_run(&a, NULL), STRATA_EINVAL);
	check_refused("partition 2: its GPT name is not a label", "error: capture: partition 2:");
	fresh(1, "");
	add(1, 2048, 4095, "root");
	add(3, 4096, 8191, "root");
	CHECK_EQ(capture_run(&a, NULL), STRATA_EINVAL);
	check_refused("partition 3: its GPT name is another partition's too", "error: capture: partition 3:");
	fresh(1, "");
	add(1, 2048, 4095, "ESP");
	add(2, 4097, 8191, "root");
	CHECK_EQ(capture_run(&a, NULL), STRATA_ERANGE);
	check_refused("partition 2: a profile's partitions start at 1 MiB or later on 4 KiB",
		      "error: capture: partition 2:");
	fresh(1, "");
	CHECK_EQ(capture_run(&a, NULL), STRATA_ERANGE);
	check_refused("the disk has no partition, or more than 16", "error: capture: the disk has");
}

/* A machine capture matches labels only: a name the layout could not hold is left out. */
static void test_machine_unchecked(void)
{
	fresh(0, "root");
	add(1, 2048, 4095, "r o");
	add(2, 4096, 8191, "root");
	CHECK_EQ(capture_run(&a, NULL), 0);
	CHECK(w.commits == 1 && !strcmp(w.committed[0], "root"));
	CHECK(w.dones == 1 && w.done[0] == '\0');
	CHECK(log_capture_has("capture: partition 1 r o: left out (not capture=yes)"));
}

int main(void)
{
	w.disk = malloc(DISK_BYTES);
	if (!w.disk)
		return 1;
	for (size_t i = 0; i < DISK_BYTES; i++)
		w.disk[i] = (uint8_t)(i * 7 + i / 4096);
	RUN(test_gold_good);
	RUN(test_gold_refused);
	RUN(test_machine_unchecked);
	free(w.disk);
	return harness_summary();
}
