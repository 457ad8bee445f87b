/*
 * The deployment agent: the state one run of strata.efi carries from step to step
 * (agent.c lists the steps; layer.c deploys one partition).
 */
#ifndef STRATA_EFI_AGENT_H
#define STRATA_EFI_AGENT_H

#include <stdint.h>
#include <efi.h>
#include "args.h"
#include "disk.h"
#include "fetch.h"
#include "gpt.h"
#include "key_answer.h"
#include "manifest.h"
#include "mp_workers.h"
#include "orders.h"
#include "progress.h"
#include "session.h"

struct layer_pre;

struct agent {
	struct args args;
	struct fetcher *f;
	char mac[ARGS_MAC_MAX];
	char uuid[40];               /**< SMBIOS system UUID, or "" when the firmware has none */
	const char *secure_boot;     /**< sb_state_name() of this boot, sent in every report */
	struct strata_session_keys sess; /**< this boot's session (agent_session.c); secret */
	int has_session;             /**< the server handed one out (a pinned or known key) */
	uint64_t sess_n;             /**< the number of the session's last signed request */
	int renewed;                 /**< registered again after a refusal (once per run) */
	struct strata_manifest m;
	/** The public store's folder URL (strata_store_root_url): the manifest's site store,
	 *  else, and after agent_store_fallback, the server's "<server>/store". */
	char store[ARGS_URL_MAX + 8];
	int site_failed;             /**< the site's store failed: the server's is used */
	struct disk disk;
	struct strata_gpt_plan plan;
	struct progress bar;
	uint64_t last_report_ms;
	uint64_t bytes_fetched;      /**< over every partition, for the final line */
	uint64_t chunks_fetched, chunks_kept;
	uint64_t bytes_mc;           /**< store bytes written from multicast (mcast_agent.c) */
	uint64_t fetching;           /**< the running layer's bytes_fetched so far (layer.c) */
	EFI_HANDLE image;            /**< strata.efi's image: its NIC for multicast */
	/** Why multicast is off for the rest of this boot (static text, logged once), or
	 *  NULL while it may be tried. */
	const char *mc_off;
	uint64_t start_ms;           /**< when the deployment began (clock_ms), for the summary */
	struct mp_pool cores;        /**< every core, while layers deploy (mp_workers.h) */
	struct orders orders;        /**< what the server's orders line asks (orders.h) */
	/** Nothing was pending, and the layout check (check=yes, agent_check.h) found the disk
	 *  blank or lacking a partition: this run restores it, and a failure hands the PC to
	 *  its disk rather than rebooting into the same check. */
	int restoring;
	/** Each written partition's index file, fetched and checked against its layer id
	 *  while planning (layer_measure) and taken by its deployment (layer_deploy), which
	 *  frees it; layers_forget frees the ones a failed run left.  buf is owned. */
	struct agent_index {
		uint8_t *buf;
		size_t len;
	} ix[STRATA_MAX_PARTS];
	/** The multicast session's later partitions, scanned by the first one's phase so
	 *  that it receives them all at once (layer.c); their deployment then only fetches.
	 *  Owned; layer_deploy and layers_forget free them. */
	struct layer_pre *pre[STRATA_MAX_PARTS];
	int mc_ran;                  /**< the multicast phase ran (once per boot) */
	/** What failed, for the screen and the report: long enough for a disk too small with
	 *  a partition at fault (disk_fit.h). */
	char why[400];
};

/**
 * Deploy the machine's manifest, or capture its disk when the orders say so
 * (a->orders.capture, efi/capture_agent.c), or with nothing pending and check=yes, restore
 * a disk that lacks the machine's layout (agent_check.h; a->restoring).  Returns 0 when the
 * disk holds it all (or was captured), 1 when the PC goes to its disk as it is (nothing
 * pending, and no restore), or an rc with a->why set.
 * Reports to the server.
 */
int agent_run(struct agent *a, EFI_HANDLE image);

/**
 * The site's store failed a public layer (why: what failed, for the log and the report):
 * switch a->store to the server's store for the rest of the run, log it and report it.
 * 1 when it switched, so the caller deploys the layer again (only its missing chunks are
 * fetched: the disk holds verified data only); 0 when the server's store was already the
 * one in use.
 */
int agent_store_fallback(struct agent *a, const char *why);

/** Record why the run failed, for the screen and the report (the first reason recorded
 *  wins: it is the closest to the cause).  Returns rc. */
int agent_fail(struct agent *a, int rc, const char *why);

/**
 * Load the machine key, register it (key_register.h) and unload it: the verdict into *v,
 * the machine's name into name (cap bytes), and the session, if the server handed one out,
 * into a->sess.  0 or an rc with a->why set.
 */
int agent_register(struct agent *a, enum key_verdict *v, char *name, size_t cap);

/**
 * GET url (NUL-terminated, in a buffer of cap bytes that the signature is appended to)
 * signed by the session, into a new buffer *buf (the caller frees it) of *len bytes, at
 * most max: fetch_buffer's contract.  A refusal other than 404 renews the session once
 * (agent_session.c).  For every per-machine request: orders, manifest, private layers.
 */
int agent_signed_buffer(struct agent *a, char *url, size_t cap, size_t max, uint8_t **buf,
			size_t *len);

/** The same, streamed to cb(ctx, ...) under fetch_get's contract. */
int agent_signed_get(struct agent *a, char *url, size_t cap, fetch_data_fn *cb, void *ctx);

/**
 * POST body to url (NUL-terminated, in a buffer of cap bytes): with aad (the request's path,
 * e.g. "/capture/commit") the body travels sealed under the session's enc key and this
 * request's counter, marked e=1 (images/core/seal.h); then b= (the SHA-256 of what
 * travels, so the tag covers the body, docs/capture.md) and the session's signature.  The
 * answer goes into a new buffer *buf of *len bytes, at most max (the caller frees it).
 * Why its own retries: each write's counter counts once at the server, so a POST that
 * failed in transit (or met 409) is sealed and signed anew, up to 3 attempts; a refusal
 * renews the session once, as agent_signed_buffer does.  For capture (efi/capture_*.c).
 */
int agent_signed_post(struct agent *a, char *url, size_t cap, const struct fetch_body *body,
		      const char *aad, size_t max, uint8_t **buf, size_t *len);

/** Wipe the session's keys: the run is over, nothing more is signed. */
void agent_done(struct agent *a);

/** Tell the server how far we are: phase is "progress", "ok" or "failed". */
void agent_report(struct agent *a, const char *phase, uint64_t done, uint64_t total,
		  const char *msg);

/** Deploy the layer of manifest partition i onto its place on the disk.  A failure from
 * the store (index or chunk, by number) is the run's reason, for the report. */
int layer_deploy(struct agent *a, unsigned int i);

/**
 * Fetch and open partition i's index (from the site store, else the server's) before
 * anything is written, so the plan knows the layer's size: *bytes, its image size.  The
 * index is kept in a->ix[i] for layer_deploy.  0 or an rc (logged).
 */
int layer_measure(struct agent *a, unsigned int i, uint64_t *bytes);

/** Free the indexes layer_measure kept that no deployment took. */
void layers_forget(struct agent *a);

#endif /* STRATA_EFI_AGENT_H */
