/*
 * Starting and stopping the pool's application processors through the firmware's
 * EFI_MP_SERVICES_PROTOCOL (mp_workers.h); the batches themselves are mp_pool.c's.
 */
#include <efi.h>
#include <efilib.h>
#include "alloc.h"
#include "clock.h"
#include "log.h"
#include "mp_services.h"
#include "mp_workers.h"

#define ANSWER_MS 1000      /* an AP that has not started by then is left out */

static EFI_GUID mp_guid = STRATA_MP_SERVICES_GUID;

/* One core: why, logged. */
static void one_core(struct mp_pool *p, const char *why)
{
	p->one_core = why;
	log_msg("cores: 1 core (%s): hashing and inflating on the boot processor", why);
}

/* Look for the protocol and the APs: the protocol, or NULL with p made one core. */
static STRATA_MP_SERVICES *find_aps(struct mp_pool *p, UINTN *total, UINTN *bsp)
{
	STRATA_MP_SERVICES *mp = NULL;
	UINTN enabled = 0;

	if (EFI_ERROR(BS->LocateProtocol(&mp_guid, NULL, (void **)&mp)) || !mp) {
		one_core(p, "the firmware has no EFI_MP_SERVICES_PROTOCOL");
		return NULL;
	}
	if (EFI_ERROR(mp->GetNumberOfProcessors(mp, total, &enabled)) ||
	    EFI_ERROR(mp->WhoAmI(mp, bsp))) {
		one_core(p, "EFI_MP_SERVICES_PROTOCOL does not answer");
		return NULL;
	}
	if (enabled < 2) {
		one_core(p, "the firmware reports one enabled processor");
		return NULL;
	}
	p->enabled = (uint32_t)enabled;
	return mp;
}

/* Start AP number cpu as worker n_aps + 1.  0, or 1 when the firmware refused it. */
static int start_ap(struct mp_pool *p, STRATA_MP_SERVICES *mp, UINTN cpu)
{
	struct mp_ap *ap = &p->ap[p->n_aps];
	EFI_EVENT ev;
	EFI_STATUS s;

	*ap = (struct mp_ap){ .pool = p, .worker = p->n_aps + 1, .cpu = cpu };
	ap->stack = strata_alloc(MP_STACK);
	if (!ap->stack || EFI_ERROR(BS->CreateEvent(0, 0, NULL, NULL, &ev))) {
		strata_free(ap->stack);
		return 1;
	}
	s = mp->StartupThisAP(mp, mp_ap_entry, cpu, ev, 0, ap, NULL);
	if (EFI_ERROR(s)) {
		log_msg("cores: processor %llu refused a job (EFI status %llx); left out",
			(unsigned long long)cpu, (unsigned long long)s);
		BS->CloseEvent(ev);
		strata_free(ap->stack);
		return 1;
	}
	ap->done = ev;
	p->n_aps++;
	return 0;
}

/* Wait up to ANSWER_MS for the started APs; those silent are dropped (they return at
 * once if they start later).  The number that answered. */
static uint32_t wait_alive(struct mp_pool *p)
{
	uint64_t t0 = clock_ms();
	uint32_t n = 0;

	for (uint32_t i = 0; i < p->n_aps; i++) {
		while (!__atomic_load_n(&p->ap[i].alive, __ATOMIC_ACQUIRE) &&
		       clock_ms() - t0 < ANSWER_MS)
			mp_relax();
		if (__atomic_load_n(&p->ap[i].alive, __ATOMIC_ACQUIRE)) {
			n++;
			continue;
		}
		__atomic_store_n(&p->ap[i].dropped, 1, __ATOMIC_RELEASE);
		log_msg("cores: processor %llu did not start within %u ms; left out",
			(unsigned long long)p->ap[i].cpu, ANSWER_MS);
	}
	return n;
}

void mp_start(struct mp_pool *p)
{
	STRATA_MP_SERVICES *mp;
	UINTN total = 0, bsp = 0;

	*p = (struct mp_pool){ 0 };
	mp_pool_init(p, 1);
	mp = find_aps(p, &total, &bsp);
	if (!mp)
		return;
	for (UINTN cpu = 0; cpu < total && p->n_aps < MP_MAX_APS; cpu++)
		if (cpu != bsp)
			start_ap(p, mp, cpu);
	p->mp = mp;
	p->alive = wait_alive(p);
	mp_pool_init(p, 1 + p->n_aps);   /* scratch for every started AP, even a late one */
	if (!p->alive) {
		one_core(p, "no application processor started");
		return;
	}
	log_msg("cores: %u cores (the boot processor and %u application processor%s of %u "
		"enabled): hashing and inflating on all of them", 1 + p->alive, p->alive,
		p->alive == 1 ? "" : "s", p->enabled);
}

void mp_stop(struct mp_pool *p)
{
	uint64_t t0 = clock_ms();

	__atomic_store_n(&p->quit, 1, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < p->n_aps; i++) {
		struct mp_ap *ap = &p->ap[i];
		EFI_STATUS s;

		while ((s = BS->CheckEvent(ap->done)) == EFI_NOT_READY && ap->alive &&
		       clock_ms() - t0 < ANSWER_MS)
			clock_sleep_ms(1);
		if (s == EFI_NOT_READY && ap->alive) {
			/* Still in our code: its stack must stay. */
			log_msg("cores: processor %llu did not return; its stack is left to it",
				(unsigned long long)ap->cpu);
			continue;
		}
		BS->CloseEvent(ap->done);
		strata_free(ap->stack);
	}
	p->n_aps = 0;
}

void mp_log_counts(struct mp_pool *p, const char *label)
{
	uint32_t ap_items = 0;

	for (uint32_t i = 0; i < p->n_aps; i++) {
		ap_items += p->ap[i].items;
		p->ap[i].items = 0;
	}
	log_msg("layer %s: cores %u: %u chunks hashed or inflated on the boot processor, %u "
		"on the others; %llu ms waiting for them", label, p->alive + 1, p->bsp_items,
		ap_items, (unsigned long long)p->wait_us / 1000);
	p->bsp_items = 0;
	p->wait_us = 0;
}
