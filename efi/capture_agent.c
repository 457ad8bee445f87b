/*
 * The capture, strata.efi's side (docs/capture.md), as a list of steps (capture_run):
 *   task     -> GET /capture/task, signed by this boot's machine session: the server names
 *               the machine's open task, so nothing is read for a task that does not exist
 *   disk     -> the first fixed disk, and its GPT
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
 *   done     -> POST /capture/done: the task ends at the server
 * The disk is only read.  A machine capture's uploads travel sealed under the session's
 * enc key; a gold capture's (public data) in clear.
 */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "alloc.h"
#include "capture.h"
#include "capture_agent.h"
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

/* The partition's GPT name as ASCII (its label), into out. */
static void part_label(const struct strata_gpt_part *p, char out[STRATA_LABEL_MAX + 1])
{
	size_t i;

	for (i = 0; i < STRATA_LABEL_MAX && i < 36 && (p->name[2 * i] || p->name[2 * i + 1]); i++)
		out[i] = p->name[2 * i + 1] || p->name[2 * i] < 0x20 || p->name[2 * i] > 0x7e
			? '?' : (char)p->name[2 * i];
	out[i] = '\0';
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

/* The check step for every chosen partition, then the parts step: layers[i] the layer of
 * table->parts[i], took[i] set when it was captured.  *taken counts them. */
static int capture_parts(struct agent *a, uint8_t (*layers)[32], uint8_t *took,
			 unsigned int *taken)
{
	char label[STRATA_LABEL_MAX + 1];
	int rc = 0;

	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		*taken = 0;
		for (unsigned int i = 0; i < table->nparts && rc == 0; i++) {
			part_label(&table->parts[i], label);
			if (!wanted(a, label)) {
				if (pass)
					log_msg("capture: partition %u %s: left out (%s)",
						table->parts[i].num, label, a->orders.gold
						? "private" : "not capture=yes");
				continue;
			}
			++*taken;
			took[i] = pass == 1;
			rc = pass ? capture_part(a, &table->parts[i], label, layers[i])
				  : check_part(a, &table->parts[i], label);
		}
	}
	return rc;
}

/** Room for the gold layout: the header and one line per partition. */
#define LAYOUT_MAX (256 + STRATA_GPT_ENTRIES * 256)

/*
 * The gold layout (docs/capture.md, "Done"): the disk's partitions in table order as an
 * unsigned manifest text, a captured one with policy=write and its layer, the others
 * (private: CIDATA, capture=yes, preserve) policy=preserve and no layer.  Into a new
 * buffer *out of *len bytes (the caller frees it).
 */
static int gold_layout(const struct agent *a, const uint8_t (*layers)[32], const uint8_t *took,
		       char **out, size_t *len)
{
	char *t = strata_alloc(LAYOUT_MAX), guid[37], type[37], hex[65];
	char label[STRATA_LABEL_MAX + 1];
	uint32_t bs = a->disk.block_size;
	size_t n;

	if (!t)
		return STRATA_ENOMEM;
	strata_guid_format(guid, table->hdr.disk_guid);
	n = (size_t)snprintf(t, LAYOUT_MAX, "strata-manifest 1\nversion 0\ndisk guid=%s\n", guid);
	for (unsigned int i = 0; i < table->nparts && n < LAYOUT_MAX; i++) {
		const struct strata_gpt_part *p = &table->parts[i];

		part_label(p, label);
		strata_guid_format(guid, p->part_guid);
		strata_guid_format(type, p->type_guid);
		n += (size_t)snprintf(t + n, LAYOUT_MAX - n, "part %u label=%s type=%s guid=%s "
				      "start=%llu size=%llu policy=%s", p->num, label, type, guid,
				      (unsigned long long)(p->first_lba * bs),
				      (unsigned long long)((p->last_lba - p->first_lba + 1) * bs),
				      took[i] ? "write" : "preserve");
		if (took[i] && n < LAYOUT_MAX) {
			strata_hex_encode(hex, layers[i], 32);
			n += (size_t)snprintf(t + n, LAYOUT_MAX - n, " layer=sha256:%s", hex);
		}
		if (n < LAYOUT_MAX)
			t[n++] = '\n';
	}
	if (n >= LAYOUT_MAX) {
		strata_free(t);
		return log_fail(STRATA_ERANGE, "capture: the layout is longer than %u bytes",
				LAYOUT_MAX);
	}
	*out = t;
	*len = n;
	return 0;
}

/* The done step: the task ends; a gold capture sends its layout. */
static int capture_done(struct agent *a, const uint8_t (*layers)[32], const uint8_t *took)
{
	char *layout = NULL;
	size_t len = 0;
	int rc = a->orders.gold ? gold_layout(a, layers, took, &layout, &len) : 0;

	if (rc == 0)
		rc = capture_io_done(a, layout ? layout : "", len);
	strata_free(layout);
	return rc ? agent_fail(a, rc, "the server did not end the capture task") : 0;
}

/* The table, the layers and the parts steps, then done; what they allocate is freed. */
static int capture_disk(struct agent *a, unsigned int *taken)
{
	uint8_t (*layers)[32] = strata_alloc(STRATA_GPT_ENTRIES * 32);
	uint8_t *took = strata_alloc(STRATA_GPT_ENTRIES);
	int rc;

	table = strata_alloc(sizeof(*table));
	if (!table || !layers || !took) {
		rc = agent_fail(a, STRATA_ENOMEM, "no memory for the disk's table");
		goto err_free;
	}
	memset(took, 0, STRATA_GPT_ENTRIES);
	rc = gpt_disk_read(&a->disk, table);
	if (rc) {
		rc = agent_fail(a, rc, "the disk has no readable GPT: nothing to capture");
		goto err_free;
	}
	rc = capture_parts(a, layers, took, taken);
	if (rc == 0 && !*taken)
		rc = agent_fail(a, log_fail(STRATA_ENOENT, "capture: no partition of the disk is "
					    "one the capture takes (%s)", a->orders.labels[0]
					    ? a->orders.labels : "none named"),
				"no partition to capture");
	if (rc == 0)
		rc = capture_done(a, (const uint8_t (*)[32])layers, took);
err_free:
	strata_free(table);
	table = NULL;
	strata_free(layers);
	strata_free(took);
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
