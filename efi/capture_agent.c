/*
 * The capture, strata.efi's side (docs/capture.md), as a list of steps (capture_run):
 *   task     -> GET /capture/task, signed by this boot's machine session: the server names
 *               the machine's open task, so nothing is read for a task that does not exist
 *   disk     -> the first fixed disk, and its GPT
 *   layout   -> gold: the disk's layout and the checks a profile needs
 *               (strata_capture_layout, as strata-image capture-disk makes them): a GPT
 *               name that is not a label, or one of two, a partition off the 4 KiB grain
 *               or before 1 MiB, no partition or more than 16 stop the capture before
 *               anything is read or uploaded, naming the partition and the fix
 *   choose   -> machine capture: the partitions the orders name (parts=, the profile's
 *               capture=yes ones); gold: every partition but the private ones (CIDATA and
 *               the orders' private=, the profile's capture=yes and preserve ones)
 *   check    -> every chosen filesystem's consistency first (strata_capture_map_open): an
 *               unsafe one (hibernated NTFS, a dirty journal) stops the capture before
 *               anything is uploaded, naming the partition and the fix, unless the orders
 *               say force=yes: then it is captured whole and committed with force=yes
 *   parts    -> each chosen partition through the core engine (strata_capture_partition):
 *               have/need batches, uploads of the missing chunks (deflated when it pays),
 *               then its index committed (capture_ops.c)
 *   done     -> POST /capture/done: the task ends at the server; a gold capture sends
 *               the layout, its captured partitions policy=write with their layers
 * The disk is only read.  A machine capture's uploads travel sealed under the session's
 * enc key; a gold capture's (public data) in clear.
 */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "alloc.h"
#include "capture.h"
#include "capture_agent.h"
#include "capture_layout.h"
#include "capture_ops.h"
#include "clock.h"
#include "codec.h"
#include "format.h"
#include "gpt_disk.h"
#include "log.h"
#include "rc.h"
#include "text.h"

/* The disk's table, ~17 KiB: allocated by capture_run (a static one would be stored in
 * strata.efi's file: gnu-efi's layout keeps .bss inside .data). */
static struct strata_gpt_table *table;

/** A gold capture's layout (capture_layout.h): allocated by capture_disk, NULL for a
 *  machine capture.  The parts step gives each partition it captures its layer; done
 *  sends it. */
struct gold {
	struct strata_manifest m;
	const struct strata_gpt_part *order[STRATA_MAX_PARTS]; /**< m.parts[i]'s entry in table */
};
static struct gold *gold;

/** A partition as the engine's reader sees it: byte offsets within it. */
struct part_reader {
	struct disk *disk;
	uint64_t start;     /**< the partition's first byte on the disk */
	uint8_t *bounce;    /**< one block, for reads the disk's block size does not align */
};

/* strata_fs_reader.read: off/len within the partition; unaligned pieces (a filesystem's
 * scan reads records where they lie) go through the bounce block. */
static int part_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct part_reader *p = ctx;
	uint32_t bs = p->disk->block_size;
	uint64_t at = p->start + off;
	uint8_t *out = buf;

	if (at % bs == 0 && len % bs == 0)
		return disk_read(p->disk, at, buf, len);
	while (len) {
		uint64_t blk = at - at % bs;
		size_t skip = (size_t)(at - blk), n = bs - skip < len ? bs - skip : len;
		int rc = disk_read(p->disk, blk, p->bounce, bs);

		if (rc)
			return rc;
		memcpy(out, p->bounce + skip, n);
		out += n, at += n, len -= n;
	}
	return 0;
}

/* Whether label is one of the comma-separated list. */
static int in_list(const char *list, const char *label)
{
	size_t n = strlen(label);

	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',')
		if (strcspn(p, ",") == n && !strncmp(p, label, n))
			return 1;
	return 0;
}

/* Whether the capture ordered takes the partition labelled label. */
static int wanted(const struct agent *a, const char *label)
{
	if (!a->orders.gold)
		return in_list(a->orders.labels, label);
	return strcmp(label, "CIDATA") && !in_list(a->orders.labels, label);
}

/* GET /capture/task: the server's line for our open task, logged. */
static int capture_task(struct agent *a)
{
	char url[ARGS_URL_MAX + 64 + STRATA_SESSION_SUFFIX_MAX], line[256];
	uint8_t *buf;
	size_t len;
	int rc;

	snprintf(url, sizeof(url), "%s/capture/task", a->args.server);
	rc = agent_signed_buffer(a, url, sizeof(url), sizeof(line), &buf, &len);
	if (rc)
		return agent_fail(a, rc, "the server did not confirm the capture task");
	log_msg("capture: server: %s", log_slice(line, sizeof(line), (char *)buf,
						 strcspn((char *)buf, "\n")));
	strata_free(buf);
	return 0;
}

/* A reader over GPT partition p (the caller frees pr->bounce). */
static int reader_open(struct agent *a, const struct strata_gpt_part *p, struct part_reader *pr,
		       struct strata_fs_reader *r)
{
	pr->disk = &a->disk;
	pr->start = p->first_lba * a->disk.block_size;
	pr->bounce = strata_alloc(a->disk.block_size);
	*r = (struct strata_fs_reader){ part_read, pr,
					(p->last_lba - p->first_lba + 1) * a->disk.block_size };
	return pr->bounce ? 0 : agent_fail(a, STRATA_ENOMEM, "no memory to read the disk");
}

/* The engine's flags for this capture: by the filesystem map, and forced when the orders
 * say force=yes (an unsafe volume is then read whole and its index says forced). */
static unsigned int capture_flags(const struct agent *a)
{
	return STRATA_CAPTURE_FSMAP | (a->orders.force ? STRATA_CAPTURE_FORCE : 0);
}

/* The check step: partition p's filesystem must be consistent (no upload before), unless
 * the orders say force=yes. */
static int check_part(struct agent *a, const struct strata_gpt_part *p, const char *label)
{
	struct strata_diag diag = { 0 };
	struct strata_capture_map cm = { 0 };
	struct part_reader pr;
	struct strata_fs_reader r;
	char why[160];
	int rc = reader_open(a, p, &pr, &r);

	if (rc)
		return rc;
	rc = strata_capture_map_open(&cm, &r, capture_flags(a), &diag);
	if (rc == STRATA_EUNSAFE) {
		snprintf(why, sizeof(why), "partition %u %s (%s): %s", p->num, label,
			 strata_fs_name(cm.m.type), cm.m.state);
		rc = agent_fail(a, log_fail(rc, "capture: %s; nothing was uploaded (or order the "
					    "capture with force=yes to take it whole, forced)", why),
				why);
	} else if (rc == 0 && cm.forced) {
		log_msg("capture: partition %u %s (%s): %s; the order says force=yes: captured "
			"whole, forced", p->num, label, strata_fs_name(cm.m.type), cm.m.state);
	} else if (rc) {
		rc = agent_fail(a, log_fail(rc, "capture: partition %u %s: its filesystem cannot "
					    "be scanned", p->num, label), "a filesystem scan failed");
	} else if (cm.m.state) {
		log_msg("capture: partition %u %s (%s): %s", p->num, label,
			strata_fs_name(cm.m.type), cm.m.state);
	}
	strata_capture_map_done(&cm);
	strata_free(pr.bounce);
	return rc;
}

/* The engine's verdict on a partition, named: the partition, the chunk, the cause. */
static int part_failed(struct agent *a, const struct strata_gpt_part *p, const char *label,
		       int rc, const struct strata_diag *diag)
{
	char why[160];

	snprintf(why, sizeof(why), "partition %u %s: chunk %llu: %s", p->num, label,
		 (unsigned long long)diag->where, diag->msg ? diag->msg : strata_strerror(rc));
	return agent_fail(a, log_fail(rc, "capture: %s", why), why);
}

/* One partition through the engine, then its commit; the summary line logged and the
 * layer id the server committed (its answer's, capture_io_commit) into layer. */
static int capture_part(struct agent *a, const struct strata_gpt_part *p, const char *label,
			uint8_t layer[32])
{
	struct capture_io io = { .a = a, .label = label, .sealed = !a->orders.gold };
	struct strata_capture_ops ops = { capture_io_need, capture_io_upload, capture_io_progress,
					  &io };
	struct strata_capture_stats st = { 0 };
	struct strata_diag diag = { 0 };
	struct part_reader pr;
	struct strata_fs_reader r;
	struct strata_capture_job job;
	char line[256], hex[65];
	uint8_t *index = NULL;
	size_t len = 0;
	int rc = reader_open(a, p, &pr, &r);

	if (rc)
		return rc;
	job = (struct strata_capture_job){ &r, STRATA_CHUNK_SHIFT_DEFAULT, STRATA_DEFLATE_LEVEL,
					   capture_flags(a), 0 };
	progress_start(&io.bar, label, r.size);
	rc = strata_capture_partition(&job, &ops, &st, &index, &len, &diag);
	progress_end(&io.bar, st.read);
	strata_free(pr.bounce);
	if (rc)
		return part_failed(a, p, label, rc, &diag);
	strata_hex_encode(hex, st.layer, 32);
	hex[16] = '\0';          /* the shim's printf has no precision for %s */
	log_msg("capture: part %s (%s): layer sha256:%s.., %llu chunks (%llu data, %llu zero, "
		"%llu free), read %llu bytes, uploaded %llu bytes in %llu chunks, %llu present",
		label, strata_fs_name(st.fs), hex, (unsigned long long)st.chunks,
		(unsigned long long)st.chunks_data, (unsigned long long)st.chunks_zero,
		(unsigned long long)st.chunks_free, (unsigned long long)st.read,
		(unsigned long long)st.uploaded, (unsigned long long)st.chunks_uploaded,
		(unsigned long long)st.chunks_present);
	io.forced = st.forced;
	rc = capture_io_commit(&io, index, len, line, sizeof(line), layer);
	strata_free(index);
	if (rc)
		return agent_fail(a, rc, "the server did not commit a captured partition");
	log_msg("capture: part %s committed: %s", label, line);
	a->bytes_fetched += st.uploaded;
	return 0;
}

/* How many partitions the check and parts steps walk: the gold layout's, in disk order,
 * or the table's entries. */
static unsigned int walk_count(void)
{
	return gold ? gold->m.nparts : table->nparts;
}

/* The walk's partition i, its label (the layout's, or its GPT name shown as ASCII) into
 * label. */
static const struct strata_gpt_part *walk_part(unsigned int i, char label[STRATA_LABEL_MAX + 1])
{
	if (gold) {
		memcpy(label, gold->m.parts[i].label, STRATA_LABEL_MAX + 1);
		return gold->order[i];
	}
	strata_gpt_name_ascii(label, table->parts[i].name);
	return &table->parts[i];
}

/* The walk's partition i was captured as layer: in a gold layout, policy=write with it. */
static void walk_took(unsigned int i, const uint8_t layer[32])
{
	if (!gold)
		return;
	gold->m.parts[i].policy = STRATA_POLICY_WRITE;
	gold->m.parts[i].has_layer = 1;
	memcpy(gold->m.parts[i].layer, layer, 32);
}

/* The check step for every chosen partition, then the parts step.  *taken counts them. */
static int capture_parts(struct agent *a, unsigned int *taken)
{
	char label[STRATA_LABEL_MAX + 1];
	const struct strata_gpt_part *p;
	uint8_t layer[32];
	int rc = 0;

	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		*taken = 0;
		for (unsigned int i = 0; i < walk_count() && rc == 0; i++) {
			p = walk_part(i, label);
			if (!wanted(a, label)) {
				if (pass)
					log_msg("capture: partition %u %s: left out (%s)", p->num,
						label, gold ? "private" : "not capture=yes");
				continue;
			}
			++*taken;
			rc = pass ? capture_part(a, p, label, layer) : check_part(a, p, label);
			if (rc == 0 && pass)
				walk_took(i, layer);
		}
	}
	return rc;
}

/* The layout step (gold): the disk's layout, and every check a profile needs of it, before
 * anything is read or uploaded; a refusal names the partition and the fix. */
static int layout_check(struct agent *a)
{
	struct strata_diag diag = { 0 };
	char why[160];
	int rc = strata_capture_layout(table, &gold->m, gold->order, &diag);

	if (rc == 0)
		return 0;
	if (diag.where)
		snprintf(why, sizeof(why), "partition %llu: %s", (unsigned long long)diag.where,
			 diag.msg);
	else
		snprintf(why, sizeof(why), "%s", diag.msg);
	return agent_fail(a, log_fail(rc, "capture: %s; nothing was uploaded", why), why);
}

/* The gold layout as text (strata_capture_layout_write: checked as the server will) into
 * a new buffer *out of *len bytes (the caller frees it). */
static int layout_text(char **out, size_t *len)
{
	struct strata_diag diag = { 0 };
	char *t = strata_alloc(STRATA_MANIFEST_MAX + 1);
	int rc = t ? strata_capture_layout_write(&gold->m, t, STRATA_MANIFEST_MAX + 1, len, &diag)
		   : STRATA_ENOMEM;

	if (rc && t)
		rc = log_fail(rc, "capture: the layout, line %llu: %s",
			      (unsigned long long)diag.where, diag.msg);
	if (rc)
		strata_free(t);
	else
		*out = t;
	return rc;
}

/* The done step: the task ends; a gold capture sends its layout. */
static int capture_done(struct agent *a)
{
	char *layout = NULL;
	size_t len = 0;
	int rc = gold ? layout_text(&layout, &len) : 0;

	if (rc)
		return agent_fail(a, rc, "the disk's layout is not one the server takes");
	rc = capture_io_done(a, layout ? layout : "", len);
	strata_free(layout);
	return rc ? agent_fail(a, rc, "the server did not end the capture task") : 0;
}

/* The table, the layout (gold), the check and parts steps, then done; what they allocate
 * is freed. */
static int capture_disk(struct agent *a, unsigned int *taken)
{
	int rc;

	table = strata_alloc(sizeof(*table));
	gold = a->orders.gold ? strata_alloc(sizeof(*gold)) : NULL;
	if (!table || (a->orders.gold && !gold)) {
		rc = agent_fail(a, STRATA_ENOMEM, "no memory for the disk's table");
		goto err_free;
	}
	rc = gpt_disk_read(&a->disk, table);
	if (rc) {
		rc = agent_fail(a, rc, "the disk has no readable GPT: nothing to capture");
		goto err_free;
	}
	rc = gold ? layout_check(a) : 0;
	if (rc == 0)
		rc = capture_parts(a, taken);
	if (rc == 0 && !*taken)
		rc = agent_fail(a, log_fail(STRATA_ENOENT, "capture: no partition of the disk is "
					    "one the capture takes (%s)", a->orders.labels[0]
					    ? a->orders.labels : "none named"),
				"no partition to capture");
	if (rc == 0)
		rc = capture_done(a);
err_free:
	strata_free(gold);
	gold = NULL;
	strata_free(table);
	table = NULL;
	return rc;
}

int capture_run(struct agent *a, EFI_HANDLE image)
{
	unsigned int taken = 0;
	int rc;

	log_msg("capture: %s capture%s%s ordered%s%s", a->orders.gold ? "gold" : "machine",
		a->orders.gold ? " as profile " : "", a->orders.profile,
		a->orders.force ? ", force=yes (unsafe filesystems taken whole)" : "",
		a->orders.then_local ? ", then the local disk (then=local)" : "");
	rc = capture_task(a);
	if (rc == 0)
		rc = disk_find(&a->disk, 1u << 20, image);
	if (rc)
		return agent_fail(a, rc, "no disk to capture");
	rc = capture_disk(a, &taken);
	if (rc == 0)
		log_msg("capture: complete over %s: %u partitions", fetch_backend_name(a->f), taken);
	return rc;
}
