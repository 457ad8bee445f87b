/*
 * The pool's batches (mp_workers.h): how the BSP publishes a batch and how every core
 * takes its items.  No firmware call here: the APs run this code.
 *
 * A batch is published by one store of next = gen << 32 (release) after fn, arg and n are
 * set, and the one before it retired by a store of its gen with no item left.  A core takes item k by a compare-and-swap of next from gen << 32 | k to k + 1, so a
 * core still looking at an older batch can never take an item of a newer one, and a batch
 * cannot end (done == n) while a core runs one of its items.
 */
#include "clock.h"
#include "log.h"
#include "mp_workers.h"

#define WAIT_NOTE_US 10000000u     /* a stall this long is logged (once per batch) */

/*
 * Wait a little in a spin loop.  Why not the PAUSE instruction: QEMU's TCG implements it
 * as a return to its outer loop, which takes QEMU's global lock every time, so a spinning
 * AP slowed the boot processor's disk writes and network several times over
 * (tests/bench/cores.sh, -smp 2: writes 1,338 ms with PAUSE, 237 without; network 2,059
 * and 728).
 * A loop of plain instructions costs a real CPU nearly the same and TCG nothing more.
 */
void mp_relax(void)
{
	for (volatile int i = 0; i < 64; i++)
		;
}

/* Take the next item of batch gen into *k: 1, or 0 when that batch has none left. */
static int claim(struct mp_pool *p, uint32_t gen, uint32_t *k)
{
	uint64_t v = __atomic_load_n(&p->next, __ATOMIC_ACQUIRE);

	do {
		if ((uint32_t)(v >> 32) != gen || (uint32_t)v >= p->n)
			return 0;
	} while (!__atomic_compare_exchange_n(&p->next, &v, v + 1, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	*k = (uint32_t)v;
	return 1;
}

/* Run batch gen's items until none is left; the count of them run. */
static uint32_t run_items(struct mp_pool *p, uint32_t gen, uint32_t worker)
{
	uint32_t k, ran = 0;

	while (claim(p, gen, &k)) {
		p->fn(p->arg, k, worker);
		ran++;
		__atomic_fetch_add(&p->done, 1, __ATOMIC_RELEASE);
	}
	return ran;
}

/* An AP, on its own stack: take items of each new batch until the pool quits. */
static void ap_loop(void *arg)
{
	struct mp_ap *ap = arg;
	struct mp_pool *p = ap->pool;
	uint32_t seen = 0, gen;

	__atomic_store_n(&ap->alive, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE)) {
		gen = (uint32_t)(__atomic_load_n(&p->next, __ATOMIC_ACQUIRE) >> 32);
		if (gen == seen) {
			mp_relax();
			continue;
		}
		ap->items += run_items(p, gen, ap->worker);
		seen = gen;
	}
}

/* mp_on_stack(arg, top, fn): call fn(arg) with the stack pointer at top (16-byte
 * aligned), then come back to the caller's stack.  System V ABI: rdi, rsi, rdx. */
void mp_on_stack(void *arg, void *top, void (*fn)(void *));
__asm__(".text\n"
	".globl mp_on_stack\n"
	".type mp_on_stack, @function\n"
	"mp_on_stack:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	mov %rsi, %rsp\n"
	"	call *%rdx\n"
	"	mov %rbp, %rsp\n"
	"	pop %rbp\n"
	"	ret\n"
	".size mp_on_stack, . - mp_on_stack\n");

/* What StartupThisAP runs: the AP's loop on the AP's own stack, unless the BSP gave up
 *  on it before it started. */
VOID EFIAPI mp_ap_entry(VOID *arg)
{
	struct mp_ap *ap = arg;

	if (__atomic_load_n(&ap->dropped, __ATOMIC_ACQUIRE))
		return;
	/* The pool hands out 8-byte aligned memory; the ABI wants 16 at a call. */
	mp_on_stack(ap, (void *)((uintptr_t)(ap->stack + MP_STACK) & ~(uintptr_t)15), ap_loop);
}

/* strata_workers.start: publish the batch; the APs see it at once. */
static void pool_start(void *ctx, strata_job_fn *fn, void *arg, uint32_t n)
{
	struct mp_pool *p = ctx;

	/* Retire the last batch first: a core that loaded its next before this and reads the
	 * new n below would otherwise take a phantom item of it (k = the old n) by a
	 * compare-and-swap that still matched.  Now that swap fails, and a reload sees no
	 * item left. */
	__atomic_store_n(&p->next, (uint64_t)p->gen << 32 | UINT32_MAX, __ATOMIC_RELEASE);
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	__atomic_store_n(&p->done, 0, __ATOMIC_RELAXED);
	p->gen++;
	__atomic_store_n(&p->next, (uint64_t)p->gen << 32, __ATOMIC_RELEASE);
}

/* strata_workers.finish: take items on the BSP too, then wait for the APs' last ones. */
static void pool_finish(void *ctx)
{
	struct mp_pool *p = ctx;
	uint64_t t0, noted = 0, in = clock_us();

	p->bsp_items += run_items(p, p->gen, 0);
	t0 = clock_us();
	while (__atomic_load_n(&p->done, __ATOMIC_ACQUIRE) != p->n) {
		mp_relax();
		if (!noted && clock_us() - t0 > WAIT_NOTE_US) {
			noted = 1;
			log_msg("cores: an application processor has worked on one chunk for "
				"10 s; still waiting (if this never ends, that core hung)");
		}
	}
	p->wait_us += clock_us() - t0;
	p->finish_us += clock_us() - in;
}

void mp_pool_init(struct mp_pool *p, uint32_t cores)
{
	p->w = (struct strata_workers){ cores, p, pool_start, pool_finish };
}
