/*
 * Unit test of strata.efi's batches on every core (efi/mp_pool.c): host threads stand in
 * for the application processors, each entering through mp_ap_entry onto its own stack as
 * the firmware would start it.  Every item of every batch must run exactly once, a batch
 * must be finished when finish returns, and the APs must return when the pool quits.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mp_workers.h"

#define APS 3
#define BATCHES 2000

static struct mp_pool pool;
static uint32_t runs[STRATA_BATCH];     /* per item of the current batch */
static uint32_t by_worker[APS + 1];

static void job(void *arg, uint32_t item, uint32_t worker)
{
	uint32_t *gen = arg;

	CHECK(item < STRATA_BATCH && worker <= APS);
	CHECK(*gen == pool.gen);               /* never an item of another batch */
	__atomic_fetch_add(&runs[item], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&by_worker[worker], 1, __ATOMIC_RELAXED);
}

static void *ap_thread(void *arg)
{
	mp_ap_entry(arg);
	return NULL;
}

static void test_batches_on_threads(void)
{
	pthread_t t[APS];
	uint32_t gen, total = 0;

	mp_pool_init(&pool, APS + 1);
	for (uint32_t i = 0; i < APS; i++) {
		pool.ap[i] = (struct mp_ap){ .pool = &pool, .worker = i + 1, .cpu = i + 1 };
		pool.ap[i].stack = malloc(MP_STACK);
		CHECK(pthread_create(&t[i], NULL, ap_thread, &pool.ap[i]) == 0);
	}
	pool.n_aps = APS;
	for (uint32_t b = 0; b < BATCHES; b++) {
		uint32_t n = 1 + b % STRATA_BATCH;

		memset(runs, 0, sizeof(runs));
		gen = pool.gen + 1;
		pool.w.start(pool.w.ctx, job, &gen, n);
		pool.w.finish(pool.w.ctx);
		for (uint32_t k = 0; k < STRATA_BATCH; k++)
			CHECK_EQ(runs[k], k < n ? 1u : 0u);
		total += n;
	}
	__atomic_store_n(&pool.quit, 1, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < APS; i++) {
		CHECK(pthread_join(t[i], NULL) == 0);
		CHECK(pool.ap[i].alive);
		free(pool.ap[i].stack);
	}
	CHECK_EQ(by_worker[0] + by_worker[1] + by_worker[2] + by_worker[3], total);
	CHECK_EQ(pool.bsp_items + pool.ap[0].items + pool.ap[1].items + pool.ap[2].items, total);
}

/* An AP the BSP gave up on before it started returns at once, touching nothing. */
static void test_dropped_ap_returns(void)
{
	struct mp_ap ap = { .pool = &pool, .worker = 1, .dropped = 1 };

	mp_ap_entry(&ap);
	CHECK_EQ(ap.alive, 0);
}

int main(void)
{
	RUN(test_batches_on_threads);
	RUN(test_dropped_ap_returns);
	return harness_summary();
}
