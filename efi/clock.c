/* The clock (see clock.h): the time-stamp counter, calibrated against Stall. */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include "clock.h"
#include "log.h"

/** How long calibration stalls.  Long enough that Stall's own granularity (OVMF: the
 *  ACPI PM timer, 3.58 MHz) and the call overhead stay below 1 %. */
#define CLOCK_CALIBRATE_US 20000
/** Ticks per ms assumed when calibration sees no ticks: a 1 GHz guess keeps timeouts
 *  firing, roughly, instead of never. */
#define CLOCK_FALLBACK_TICKS_PER_MS 1000000ull

/** Counter ticks per millisecond (set by clock_init). */
static uint64_t ticks_per_ms;
/** Counter value at clock_init, so clock_ms starts near 0. */
static uint64_t tsc_base;

/* The time-stamp counter (x86_64: every CPU has it). */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

void clock_init(void)
{
	uint64_t t0, t1;

	t0 = rdtsc();
	BS->Stall(CLOCK_CALIBRATE_US);
	t1 = rdtsc();
	ticks_per_ms = (t1 - t0) / (CLOCK_CALIBRATE_US / 1000);
	if (!ticks_per_ms) {
		log_msg("clock: the time-stamp counter did not advance; timeouts are guesses");
		ticks_per_ms = CLOCK_FALLBACK_TICKS_PER_MS;
	}
	tsc_base = t0;
}

uint64_t clock_ms(void)
{
	if (!ticks_per_ms)
		return 0;
	return (rdtsc() - tsc_base) / ticks_per_ms;
}

uint64_t clock_us(void)
{
	if (!ticks_per_ms)
		return 0;
	return (rdtsc() - tsc_base) * 1000 / ticks_per_ms;
}

void clock_sleep_ms(uint32_t ms)
{
	BS->Stall((UINTN)ms * 1000);
}
