/*
 * Every core for the deploy engine (images/core/deploy.h, struct strata_workers): the
 * firmware's application processors (APs), started once per deployment through
 * EFI_MP_SERVICES_PROTOCOL, hash and inflate the batches the boot processor (BSP) hands
 * them, while the BSP keeps the network and the disk and takes items too.
 *
 * Why a mailbox: each AP is started once (StartupThisAP, non-blocking) and spins on the
 * pool's shared counter until mp_stop, so a batch costs no firmware call.  An AP calls no
 * boot service: it only runs the engine's jobs on buffers the BSP allocated, on a stack of
 * its own (MP_STACK; firmware gives APs as little as 4 KiB).  Without the protocol, with
 * one processor, or when no AP answers, the pool is one core: the BSP runs every item.
 */
#ifndef STRATA_EFI_MP_WORKERS_H
#define STRATA_EFI_MP_WORKERS_H

#include <efi.h>
#include <stdint.h>
#include "deploy.h"

#define MP_MAX_APS 15              /**< APs used at most: 16 cores in all */
#define MP_STACK (64u << 10)       /**< each AP's own stack */

struct mp_pool;

/** One AP's mailbox: what it needs and what it reports. */
struct mp_ap {
	struct mp_pool *pool;
	uint32_t worker;              /**< its strata_job_fn worker number, 1.. */
	uint64_t cpu;                 /**< the firmware's processor number */
	uint8_t *stack;               /**< MP_STACK bytes, the pool's */
	void *done;                   /**< EFI_EVENT signalled when its procedure returned */
	volatile uint32_t alive;      /**< set by the AP when it starts */
	volatile uint32_t dropped;    /**< set by the BSP when it gave up waiting for it */
	volatile uint32_t items;      /**< items it ran since mp_counts_reset */
};

/** The pool: the engine's workers, the batch being run, the counters for the log. */
struct mp_pool {
	struct strata_workers w;      /**< give &w to the engine */
	void *mp;                     /**< the protocol, NULL when one core */
	uint32_t n_aps;               /**< APs started (w.cores - 1 of them at most) */
	uint32_t alive;               /**< APs that answered */
	uint32_t enabled;             /**< processors the firmware reports enabled */
	struct mp_ap ap[MP_MAX_APS];
	strata_job_fn *fn;
	void *arg;
	uint32_t n;
	uint32_t gen;                 /**< the batch number, in next's high half */
	volatile uint64_t next;       /**< gen << 32 | the next item to take */
	volatile uint32_t done;       /**< items of this batch finished */
	volatile uint32_t quit;       /**< the APs return */
	uint32_t bsp_items;           /**< items the BSP ran since mp_counts_reset */
	uint64_t wait_us;             /**< BSP time spent waiting for APs in finish */
	uint64_t finish_us;           /**< BSP time in finish, its own items and waiting,
				       since mp_start: the CPU phases' wall time */
	const char *one_core;         /**< why one core (static text), or NULL */
};

/**
 * Start the APs and fill p->w.  Never fails: at worst p is one core, and the log says why.
 * Logs "cores: N" either way.  Call on the BSP; the pool owns the stacks until mp_stop.
 */
void mp_start(struct mp_pool *p);

/** Tell the APs to return and wait for them (a second at most); free what they used. */
void mp_stop(struct mp_pool *p);

/** Log how the pool's cores shared the items since the last reset (for layer label), and
 *  reset the counts. */
void mp_log_counts(struct mp_pool *p, const char *label);

/* Between mp_workers.c (the firmware) and mp_pool.c (the batches). */
/** Fill p->w for cores workers (1 + the APs started). */
void mp_pool_init(struct mp_pool *p, uint32_t cores);
/** A short wait inside a spin loop (mp_pool.c says why not PAUSE). */
void mp_relax(void);
/** What StartupThisAP runs with an AP's struct mp_ap. */
VOID EFIAPI mp_ap_entry(VOID *arg);

#endif /* STRATA_EFI_MP_WORKERS_H */
