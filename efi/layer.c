/*
 * One partition's layer: fetch and check its index, then run the core's deployment engine
 * (images/core/deploy.c) with the target disk as target and the server as source.  Runs of
 * chunks come from /store/runs/ in one response each; a server without that endpoint (a
 * plain static server, 404) is asked chunk by chunk instead.
 *
 * A private layer (the manifest's store=private: the machine's own CIDATA) comes from
 * /private/MAC/ instead, each request signed by the session and each body sealed to it
 * (images/core/seal.h): the index is opened whole once its tag matched, the runs are opened
 * as they arrive (efi/fetch_sealed.c), and every chunk is still checked against the index
 * by the engine before it is written.  There is no chunk-by-chunk fallback for it.
 *
 * A public layer comes from a->store: the machine's site store (the manifest's `store`, a
 * branch cache or an object store; docs/sites.md) or the server's /store/.  When the site
 * store fails it (its index or a run does not arrive: refused, a 5xx, cut off; a chunk
 * does not verify), and not the disk, the layer is deployed again from the server's store
 * (agent_store_fallback): the second pass keeps every chunk the first one wrote verified
 * and fetches the rest.
 */
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "alloc.h"
#include "clock.h"
#include "deploy.h"
#include "reuse.h"
#include "fetch_buf.h"
#include "fetch_sealed.h"
#include "log.h"
#include "mcast_agent.h"
#include "store_path.h"
#include "text.h"

#define REPORT_EVERY_MS 3000
#define INDEX_MAX (64u << 20)

/** Where a layer's time went, in microseconds, for its summary line: under emulation or
 *  on a slow NIC the answer differs, and an administrator tuning a lab needs to know. */
struct layer_times {
	uint64_t start, phase2;      /**< clock_us at the start and when fetching began */
	uint64_t read, write;        /**< in disk reads, disk writes */
	uint64_t write2;             /**< `write` when fetching began */
	/** The cores' finish_us (mp_workers.h: hashing or inflating, or waiting for the other
	 *  cores to) at the start and when fetching began. */
	uint64_t cpu0, cpu2;
};

/** What the engine's callbacks need. */
struct layer {
	struct agent *a;
	uint64_t base;               /**< partition start, bytes */
	char hex[65];                /**< layer id digest, in hex for messages */
	const uint8_t *id;           /**< layer id digest (the manifest's) */
	struct strata_index idx;
	int per_chunk;               /**< the server has no runs endpoint */
	int priv;                    /**< a private layer: signed requests, sealed bodies */
	uint8_t mac[6];              /**< the machine's, for private paths */
	char aad[STRATA_PRIVATE_PATH_MAX]; /**< the current private request's canonical path */
	struct fetch_opening opening; /**< the current sealed run being opened */
	strata_sink_fn *sink;
	void *sink_ctx;
	const char *label;
	int wipe;                    /**< the manifest's wipe=yes for this partition */
	int bar_phase;               /**< which phase the progress bar shows */
	char bar_label[48];
	uint64_t written, to_write;  /**< fetch progress, for the reports to the server */
	struct layer_times t;
	struct mcast_job mc;         /**< the multicast phase (mcast_agent.h) */
	struct strata_deploy *d;     /**< its engine while it runs, for the reports */
	int target_failed;           /**< the disk refused a read or write: no fallback helps */
	char failure[96];            /**< what failed from the store: a fallback's and the run's reason */
};

/*
 * A write the disk refused: name its block and partition on screen and in the failure
 * report.  The engine stops at a target error and starts no write after it; with Block
 * I/O 2, writes of the same batch started before the refusal was seen may still land
 * (verified chunks, like every write).
 */
static void write_failed(struct layer *l, uint64_t off, int rc)
{
	uint64_t lba = (l->base + off) / l->a->disk.block_size;
	char why[96];

	l->target_failed = 1;
	log_msg("layer %s: writing chunk %llu failed at disk LBA %llu (partition byte %llu); "
		"the deployment stops here", l->label, (unsigned long long)(off / l->idx.chunk_size),
		(unsigned long long)lba, (unsigned long long)off);
	snprintf(why, sizeof(why), "disk write failed at LBA %llu (partition %s)",
		 (unsigned long long)lba, l->label);
	agent_fail(l->a, rc, why);
}

/* After a disk call that began at t0 and returned rc: count the boot processor's time
 * blocked on the disk, and name a refused write by where it was (the disk's failed_at: a
 * started write may fail after the call that started it returned). */
static int write_done(struct layer *l, uint64_t t0, int rc)
{
	l->t.write += clock_us() - t0;
	if (rc)
		write_failed(l, l->a->disk.failed_at - l->base, rc);
	return rc;
}

/* A read that waited for a started write it overlaps may return that write's failure:
 * it is named as the write it is (write_failed), not as this read. */
static int t_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct layer *l = ctx;
	uint64_t t0 = clock_us();
	int rc = disk_read(&l->a->disk, l->base + off, buf, len);

	l->t.read += clock_us() - t0;
	l->target_failed |= rc != 0;
	if (rc && l->a->disk.failed_at != DISK_NOT_A_WRITE)
		write_failed(l, l->a->disk.failed_at - l->base, rc);
	return rc;
}

static int t_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct layer *l = ctx;
	uint64_t t0 = clock_us();

	return write_done(l, t0, disk_write(&l->a->disk, l->base + off, buf, len));
}

/* A write the disk may finish later (Block I/O 2): buf is the engine's batch buffer, lent
 * to the disk until t_settle returns. */
static int t_write_start(void *ctx, uint64_t off, const void *buf, size_t len,
			 uint64_t *failed_off)
{
	struct layer *l = ctx;
	uint64_t t0 = clock_us();
	int rc = write_done(l, t0, disk_write_start(&l->a->disk, l->base + off, buf, len));

	if (rc)
		*failed_off = l->a->disk.failed_at - l->base;
	return rc;
}

/* Every started write done: the engine's buffers are its own again.  A failed one's
 * partition offset goes to *failed_off, for the engine to name its chunk. */
static int t_settle(void *ctx, uint64_t *failed_off)
{
	struct layer *l = ctx;
	uint64_t t0 = clock_us();
	int rc = write_done(l, t0, disk_settle(&l->a->disk));

	if (rc)
		*failed_off = l->a->disk.failed_at - l->base;
	return rc;
}

static const struct strata_target_ops disk_target = { t_read, t_write, t_write_start,
						      t_settle };

/* Bytes from the network go straight to the engine's sink. */
static int on_bytes(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	struct layer *l = ctx;

	return l->sink(l->sink_ctx, data, len);
}

static int get_chunk(struct layer *l, uint64_t i)
{
	struct strata_store_ref ref = { .kind = STRATA_STORE_CHUNK };
	char url[ARGS_URL_MAX + 160], hex[65];
	struct strata_chunk c;
	int rc;

	strata_index_chunk(&l->idx, i, &c);
	if (c.flags & STRATA_ENTRY_NOFILE)
		return 0;
	strata_hex_encode(hex, c.digest, 32);
	memcpy(ref.digest, c.digest, 32);
	rc = strata_store_root_url(url, sizeof(url), l->a->store, &ref);
	if (rc == 0)
		rc = fetch_get(l->a->f, url, on_bytes, l);
	if (rc && rc != STRATA_ECORRUPT)
		log_msg("layer %s: chunk %llu (sha256:%s): cannot fetch it", l->label,
			(unsigned long long)i, hex);
	return rc;
}

/* Between runs (never inside a download): tell the server how far we are. */
static void maybe_report(struct layer *l)
{
	uint64_t t = clock_ms();

	if (t - l->a->last_report_ms < REPORT_EVERY_MS)
		return;
	l->a->last_report_ms = t;
	l->a->fetching = l->d ? l->d->st.bytes_fetched : 0;
	agent_report(l->a, "progress", l->written, l->to_write, l->label);
}

/* How the current private request's body is sealed: the session's key, the counter the
 * request was just signed with (agent_session.c numbers them), its path. */
static struct fetch_seal seal_of(const struct layer *l)
{
	return (struct fetch_seal){ l->a->sess.enc, l->a->sess_n, l->aad };
}

/* The URL of ref, private or public, into url (cap bytes); a private one's canonical path
 * into l->aad. */
static int layer_url(struct layer *l, const struct strata_store_ref *ref, char *url,
		     size_t cap)
{
	if (!l->priv)
		return strata_store_root_url(url, cap, l->a->store, ref);
	strata_private_path(l->aad, l->mac, ref);
	return strata_private_url(url, cap, l->a->args.server, l->mac, ref);
}

/* A private run's sealed bytes: a new request (offset 0, also after the session was
 * renewed) starts opening under the counter it was signed with. */
static int on_sealed(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	struct layer *l = ctx;
	struct fetch_seal how = seal_of(l);
	int rc;

	if (offset == 0 && (rc = fetch_opening_start(&l->opening, &how, on_bytes, l)))
		return rc;
	return fetch_opening_data(&l->opening, offset, data, len, size);
}

/* A private run: signed, its body opened as it arrives and its tag checked at the end. */
static int get_private_run(struct layer *l, char *url, size_t cap)
{
	int rc = agent_signed_get(l->a, url, cap, on_sealed, l);

	if (rc == 0)
		return fetch_opening_end(&l->opening, url);
	fetch_opening_free(&l->opening);
	return rc;
}

static int s_fetch_run(void *ctx, uint64_t first, uint64_t last, strata_sink_fn *sink,
		       void *sink_ctx)
{
	struct layer *l = ctx;
	struct strata_store_ref ref = { .kind = STRATA_STORE_RUN, .first = first, .last = last };
	char url[ARGS_URL_MAX + 256];
	int rc = STRATA_ENOENT;

	if (!l->t.phase2) {
		l->t.phase2 = clock_us();   /* fetching starts with the first request */
		l->t.write2 = l->t.write;
		l->t.cpu2 = l->a->cores.finish_us;
	}
	maybe_report(l);
	l->sink = sink;
	l->sink_ctx = sink_ctx;
	if (!l->per_chunk) {
		memcpy(ref.digest, l->id, 32);
		rc = layer_url(l, &ref, url, sizeof(url));
		if (rc == 0)
			rc = l->priv ? get_private_run(l, url, sizeof(url))
				: fetch_get(l->a->f, url, on_bytes, l);
		if (rc == STRATA_ENOENT && l->priv)
			return log_fail(rc, "layer %s: the server has no run %llu-%llu of this "
					"machine's private layer", l->label, (unsigned long long)first,
					(unsigned long long)last);
		if (rc == STRATA_ENOENT) {
			log_msg("layer: the server has no chunk runs; fetching chunk by chunk");
			l->per_chunk = 1;
		}
	}
	for (uint64_t i = first; l->per_chunk && i <= last; i++)
		if ((rc = get_chunk(l, i)))
			return rc;
	return rc;
}

static const struct strata_source_ops net_source = { s_fetch_run };

/* One bar per phase: "LABEL check" while reading the disk, "LABEL fetch" while writing.
 * The engine passes the phase's bytes done and total (deploy.h). */
static void on_progress(void *ctx, int phase, uint64_t done, uint64_t total)
{
	struct layer *l = ctx;

	if (phase != l->bar_phase) {
		if (l->bar_phase)
			progress_end(&l->a->bar, l->a->bar.total);
		l->bar_phase = phase;
		snprintf(l->bar_label, sizeof(l->bar_label), "%s %s", l->label,
			 phase == 1 ? "check" : "fetch");
		progress_start(&l->a->bar, l->bar_label, total);
	}
	if (phase == 2) {
		l->written = done;
		l->to_write = total;
	}
	progress_update(&l->a->bar, done);
}

/* A private layer's index: a signed request, its sealed body opened whole into *buf (the
 * caller's) once its tag matched. */
static int get_private_index(struct layer *l, char *url, size_t cap, uint8_t **buf,
			     size_t *len)
{
	struct fetch_seal how;
	uint8_t *sealed;
	size_t slen;
	int rc = agent_signed_buffer(l->a, url, cap, INDEX_MAX + STRATA_SEAL_OVERHEAD, &sealed,
				     &slen);

	if (rc)
		return rc;
	how = seal_of(l);
	rc = fetch_sealed_open(&how, url, sealed, slen, buf, len);
	strata_free(sealed);
	return rc;
}

/* The index: fetched and opened by the core (hashed against the layer id, parsed).
 * *buf (*len bytes) is the caller's; l->idx borrows it. */
static int load_index(struct layer *l, uint8_t **buf, size_t *len)
{
	struct strata_store_ref ref = { .kind = STRATA_STORE_INDEX };
	struct strata_diag diag = { 0 };
	char url[ARGS_URL_MAX + 256] = "";
	int rc;

	memcpy(ref.digest, l->id, 32);
	rc = layer_url(l, &ref, url, sizeof(url));
	if (rc == 0)
		rc = l->priv ? get_private_index(l, url, sizeof(url), buf, len)
			: fetch_buffer(l->a->f, url, INDEX_MAX, buf, len);
	if (rc) {
		snprintf(l->failure, sizeof(l->failure), "layer %s: its index did not arrive",
			 l->label);
		return log_fail(rc, "layer %s: cannot fetch its index %s", l->label, url);
	}
	rc = strata_layer_open(&l->idx, l->id, *buf, *len, &diag);
	if (rc)
		snprintf(l->failure, sizeof(l->failure), "layer %s: its index is not the layer's",
			 l->label);
	if (rc == STRATA_ECORRUPT)
		return log_fail(rc, "layer %s: index does not hash to sha256:%s", l->label, l->hex);
	if (rc)
		return log_fail(rc, "layer %s: index byte %llu: %s", l->label,
				(unsigned long long)diag.where, diag.msg);
	return 0;
}

/* Split the layer's time: checking the disk (reading, hashing) and fetching (network,
 * inflating and verifying, writing).  Hashing and inflating are the boot processor's time
 * in the cores' batches (its own items and waiting for the others); what fetching spends
 * on neither that nor writing is the network's. */
static void log_times(const struct layer *l, uint64_t end)
{
	uint64_t p2 = l->t.phase2 ? l->t.phase2 : end, cpu = l->a->cores.finish_us;
	uint64_t cpu2 = l->t.phase2 ? l->t.cpu2 : cpu, wr = l->t.phase2 ? l->t.write - l->t.write2 : 0;
	uint64_t check = p2 - l->t.start, fetch = end - p2, inflate = cpu - cpu2;
	uint64_t net = fetch > inflate + wr ? fetch - inflate - wr : 0;

	log_msg("layer %s: %llu ms: check %llu (disk read %llu, hashing %llu), fetch %llu "
		"(network %llu, inflate+verify %llu, disk write %llu)", l->label,
		(unsigned long long)(end - l->t.start) / 1000, (unsigned long long)check / 1000,
		(unsigned long long)l->t.read / 1000, (unsigned long long)(cpu2 - l->t.cpu0) / 1000,
		(unsigned long long)fetch / 1000, (unsigned long long)net / 1000,
		(unsigned long long)inflate / 1000, (unsigned long long)wr / 1000);
}

/* The layer's summary line: what the engine did with each chunk. */
static void log_stats(const struct layer *l, const struct strata_deploy_stats *st)
{
	log_msg("layer %s: %llu chunks: %llu kept, %llu zero (%llu written), %llu free "
		"(%llu wiped), %llu fetched (%llu bytes), %llu reused, %llu failed, "
		"%llu written blind", l->label,
		(unsigned long long)st->chunks_total, (unsigned long long)st->chunks_kept,
		(unsigned long long)st->chunks_zero, (unsigned long long)st->chunks_zeroed,
		(unsigned long long)st->chunks_free, (unsigned long long)st->chunks_wiped,
		(unsigned long long)st->chunks_fetched, (unsigned long long)st->bytes_fetched,
		(unsigned long long)st->chunks_reused, (unsigned long long)st->chunks_failed,
		(unsigned long long)st->chunks_blind);
}

/* The engine's first chunk failure, named by partition, chunk and the disk LBA where the
 * chunk starts, so a wipe that did not read back says which block to look at. */
static int chunk_fail(struct layer *l, const struct strata_diag *diag, int rc)
{
	struct strata_chunk c;

	strata_index_chunk(&l->idx, diag->where, &c);
	snprintf(l->failure, sizeof(l->failure), "layer %s: chunk %llu: %s", l->label,
		 (unsigned long long)diag->where, diag->msg);
	return log_fail(rc, "layer %s: chunk %llu (disk LBA %llu): %s", l->label,
			(unsigned long long)diag->where,
			(unsigned long long)((l->base + c.offset) / l->a->disk.block_size),
			diag->msg);
}

/* How the layer's bytes came, once a multicast phase ran: on screen and in the log. */
static void log_multicast(struct layer *l, const struct strata_deploy_stats *st)
{
	if (!l->mc.used)
		return;
	log_msg("layer %s: %llu chunks (%llu MB) by multicast, %llu MB by repair", l->label,
		(unsigned long long)l->mc.chunks_mc, (unsigned long long)(st->bytes_put >> 20),
		(unsigned long long)(st->bytes_fetched >> 20));
}

/* Say that a layer comes sealed from the private route (efi/libc's printf has no
 * precision, so the id's first 16 digits are cut here). */
static void log_private(const struct layer *l)
{
	char id[17];

	memcpy(id, l->hex, 16);
	id[16] = '\0';
	log_msg("layer %s: private (sha256:%s..), fetched sealed from this machine's "
		"/private/ route", l->label, id);
}

/* *l for partition i's layer from the current store (its extent is set by the caller). */
static int layer_setup(struct agent *a, unsigned int i, struct layer *l)
{
	const struct strata_part *mp = &a->m.parts[i];

	*l = (struct layer){ .a = a, .label = mp->label, .id = mp->layer, .wipe = mp->wipe,
			     .priv = mp->private_layer };
	l->mc = (struct mcast_job){ .a = a, .part = mp, .label = mp->label,
				    .priv = mp->private_layer };
	strata_hex_encode(l->hex, mp->layer, 32);
	if (l->priv && strata_mac_parse(l->mac, a->mac, strlen(a->mac)))
		return log_fail(STRATA_EINVAL, "layer %s: %s is not a MAC for its private store",
				l->label, a->mac);
	return 0;
}

/* Partition i's index into l->idx: the one layer_measure kept (taken; checked against
 * the layer id then, parsed again here), else fetched now.  *buf (*len bytes) becomes the
 * caller's either way (l->idx borrows it). */
static int index_of(struct layer *l, unsigned int i, uint8_t **buf, size_t *len)
{
	struct agent_index *k = &l->a->ix[i];

	if (k->buf) {
		*buf = k->buf;
		*len = k->len;
		k->buf = NULL;
		return strata_index_parse(&l->idx, *buf, *len, NULL);
	}
	if (l->priv)
		log_private(l);
	return load_index(l, buf, len);
}

/* The engine's end for layer l: its bar, its counts into the agent, its lines.  rc is
 * the engine's; the layer's. */
static int engine_end(struct layer *l, struct strata_deploy *d, int rc)
{
	log_times(l, clock_us());
	mp_log_counts(&l->a->cores, l->label);
	if (l->bar_phase)
		progress_end(&l->a->bar, l->bar_phase == 2 ? d->st.bytes_written : l->idx.image_size);
	l->a->bytes_fetched += d->st.bytes_fetched;
	l->a->fetching = 0;
	l->d = NULL;
	l->a->chunks_fetched += d->st.chunks_fetched;
	l->a->chunks_kept += d->st.chunks_kept + d->st.chunks_zero + d->st.chunks_free;
	log_stats(l, &d->st);
	log_multicast(l, &d->st);
	if (rc == STRATA_ECORRUPT && d->diag.msg)
		return chunk_fail(l, &d->diag, rc);
	return rc ? log_fail(rc, "layer %s: deployment stopped", l->label) : 0;
}

/* The engine d for layer l (its reuse table *reuse, the caller's), checked against the
 * partition's size part_bytes. */
static int engine_setup(struct layer *l, struct strata_deploy *d, struct strata_reuse *reuse,
			uint64_t part_bytes);

/* A later partition of the multicast session, scanned before the phase (layer_pre_scan):
 * the layer, its engine between scan and fetch, its need list and index (all owned). */
struct layer_pre {
	struct layer l;
	struct strata_reuse reuse;
	struct strata_deploy d;
	uint64_t *need, n_need;
	uint8_t *buf;                /**< the index bytes l.idx borrows */
	void *raw;                   /**< the allocation p lies in (pre_alloc) */
};

/* A zeroed layer_pre, or NULL.  The pool is 8-byte aligned (efi/alloc.c) and struct layer
 * holds crypto contexts of _Alignas(16) (crypto.h) that the compiler copies with aligned
 * moves, so p is placed at the first 16-byte boundary of a larger block. */
static struct layer_pre *pre_alloc(void)
{
	uint8_t *raw = strata_alloc(sizeof(struct layer_pre) + 15);
	struct layer_pre *p = (void *)(((uintptr_t)raw + 15) & ~(uintptr_t)15);

	if (!raw)
		return NULL;
	p->raw = raw;
	return p;
}

/* Free p and what it owns (its engine's buffers too). */
static void pre_free(struct layer_pre *p)
{
	if (!p)
		return;
	strata_deploy_done(&p->d);
	strata_reuse_done(&p->reuse);
	strata_free(p->need);
	strata_free(p->buf);
	strata_free(p->raw);
}

/* Partition i's layer scanned into a new a->pre[i] when it is a written public partition
 * of the session.  0, or the disk's rc; any other failure leaves the partition to its
 * own deployment (logged there). */
static int pre_scan(struct agent *a, unsigned int i)
{
	const struct strata_gpt_part *gp = &a->plan.parts[i];
	struct layer_pre *p;
	size_t len;
	int rc;

	if (a->m.parts[i].policy != STRATA_POLICY_WRITE || a->m.parts[i].private_layer ||
	    !(p = pre_alloc()))
		return 0;
	if (layer_setup(a, i, &p->l) || index_of(&p->l, i, &p->buf, &len) ||
	    engine_setup(&p->l, &p->d, &p->reuse, (gp->last_lba - gp->first_lba + 1) *
			 a->disk.block_size) ||
	    strata_deploy_init(&p->d) ||
	    !(p->need = strata_alloc((size_t)p->l.idx.chunk_count * sizeof(uint64_t) + 1))) {
		pre_free(p);
		return 0;
	}
	p->l.base = gp->first_lba * a->disk.block_size;
	p->d.progress = NULL;          /* the phase draws its own bar */
	p->l.t.start = clock_us();
	p->l.t.cpu0 = a->cores.finish_us;
	rc = strata_deploy_scan(&p->d, 0, p->l.idx.chunk_count, p->need, &p->n_need);
	if (rc) {
		pre_free(p);
		return rc;
	}
	a->pre[i] = p;
	return 0;
}

/* The manifest's index of layer l's partition. */
static unsigned int part_index(const struct layer *l)
{
	return (unsigned int)(l->mc.part - l->a->m.parts);
}

/* The engine's between hook: the multicast phase, once per boot, over this partition and
 * every later one of the session (scanned now, so the phase receives them all at once). */
static int between(void *ctx, struct strata_deploy *d, uint64_t *need, uint64_t *n_need)
{
	struct layer *l = ctx;
	struct agent *a = l->a;
	struct mcast_job *jobs[STRATA_MAX_PARTS];
	unsigned int n = 0;
	int rc = 0;

	l->mc.d = d;
	l->mc.need = need;
	l->mc.n_need = n_need;
	jobs[n++] = &l->mc;
	for (unsigned int i = part_index(l) + 1; !a->mc_ran && i < a->m.nparts && !rc; i++)
		if ((rc = pre_scan(a, i)) == 0 && a->pre[i]) {
			a->pre[i]->l.mc.d = &a->pre[i]->d;
			a->pre[i]->l.mc.need = a->pre[i]->need;
			a->pre[i]->l.mc.n_need = &a->pre[i]->n_need;
			jobs[n++] = &a->pre[i]->l.mc;
		}
	a->mc_ran = 1;
	if (l->bar_phase)
		progress_end(&a->bar, l->idx.image_size);
	l->bar_phase = 0;
	if (rc)
		return rc;
	d->progress = NULL;            /* the phase draws its own bar */
	rc = mcast_phase(jobs, n);
	d->progress = on_progress;
	return rc;
}

static int engine_setup(struct layer *l, struct strata_deploy *d, struct strata_reuse *reuse,
			uint64_t part_bytes)
{
	*d = (struct strata_deploy){ .idx = &l->idx, .target = &disk_target, .target_ctx = l,
				     .block_size = l->a->disk.block_size, .source = &net_source,
				     .source_ctx = l, .progress = on_progress, .hook_ctx = l,
				     .reuse = reuse, .wipe = l->wipe,
				     .workers = &l->a->cores.w };
	l->d = d;
	if (l->a->m.mc.on)
		d->between = between;
	if (l->idx.image_size > part_bytes)
		return log_fail(STRATA_ENOSPC, "layer %s: %llu bytes do not fit its %llu-byte "
				"partition", l->label, (unsigned long long)l->idx.image_size,
				(unsigned long long)part_bytes);
	if (strata_reuse_init(reuse, &l->idx))
		return log_fail(STRATA_ENOMEM, "layer %s: no memory for its reuse table", l->label);
	return 0;
}

/* The engine over the whole layer, with a reuse table so a repeated chunk is fetched
 * once.  The table is this function's (strata_reuse_init/done). */
static int run_engine(struct layer *l, uint64_t part_bytes)
{
	struct strata_reuse reuse = { 0 };
	struct strata_deploy d;
	int rc = engine_setup(l, &d, &reuse, part_bytes);

	if (rc)
		return rc;
	l->t.start = clock_us();
	l->t.cpu0 = l->a->cores.finish_us;
	rc = strata_deploy_run(&d);
	strata_reuse_done(&reuse);
	return engine_end(l, &d, rc);
}

/* A partition pre_scan scanned: the fetch of what the phase left (p is the caller's). */
static int run_pre(struct layer_pre *p)
{
	int rc;

	p->d.progress = on_progress;
	rc = strata_deploy_fetch(&p->d, p->need, p->n_need);

	if (rc == 0 && p->d.st.chunks_failed)
		rc = STRATA_ECORRUPT;
	return engine_end(&p->l, &p->d, rc);
}

/* One pass over partition i's layer from the current store; *l is the caller's. */
static int layer_pass(struct agent *a, unsigned int i, struct layer *l)
{
	const struct strata_gpt_part *gp = &a->plan.parts[i];
	uint64_t bs = a->disk.block_size;
	uint8_t *buf = NULL;
	size_t len;
	int rc = layer_setup(a, i, l);

	l->base = gp->first_lba * bs;
	if (rc == 0 && a->pre[i]) {      /* scanned before the multicast phase */
		rc = run_pre(a->pre[i]);
		*l = a->pre[i]->l;
		pre_free(a->pre[i]);
		a->pre[i] = NULL;
		return rc;
	}
	if (rc == 0)
		rc = index_of(l, i, &buf, &len);
	if (rc == 0)
		rc = run_engine(l, (gp->last_lba - gp->first_lba + 1) * bs);
	strata_free(buf);
	return rc;
}

int layer_measure(struct agent *a, unsigned int i, uint64_t *bytes)
{
	struct layer l;
	uint8_t *buf = NULL;
	size_t len;
	int rc = layer_setup(a, i, &l);

	if (rc == 0 && (rc = index_of(&l, i, &buf, &len))) {
		strata_free(buf);
		buf = NULL;
		if (!l.priv && agent_store_fallback(a, l.failure[0] ? l.failure :
						    "the transfer failed"))
			rc = index_of(&l, i, &buf, &len);
	}
	if (rc) {
		strata_free(buf);
		return rc;
	}
	a->ix[i] = (struct agent_index){ buf, len };
	*bytes = l.idx.image_size;
	return 0;
}

void layers_forget(struct agent *a)
{
	for (unsigned int i = 0; i < STRATA_MAX_PARTS; i++) {
		strata_free(a->ix[i].buf);
		a->ix[i].buf = NULL;
		pre_free(a->pre[i]);
		a->pre[i] = NULL;
	}
}

/* What failed from the store (the layer, its index or its chunk, by number) becomes the
 * run's reason, so the machine's report names it, not only the screen. */
static int pass_failed(struct layer *l, int rc)
{
	return l->failure[0] ? agent_fail(l->a, rc, l->failure) : rc;
}

int layer_deploy(struct agent *a, unsigned int i)
{
	struct layer l;
	int rc = layer_pass(a, i, &l);

	if (rc == 0 || l.target_failed)
		return rc;
	if (l.priv || !agent_store_fallback(a, l.failure[0] ? l.failure : "the transfer failed"))
		return pass_failed(&l, rc);
	rc = layer_pass(a, i, &l);
	return rc && !l.target_failed ? pass_failed(&l, rc) : rc;
}
