/* The clock (see clock.h): the time-stamp counter, calibrated against Stall. */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include "clock.h"
#include "log.h"

/** How long each calibration stall lasts, and how many there are.  A stall can only run
 *  long (the firmware returns once at least that long has passed; a host that deschedules
 *  a virtual CPU mid-stall makes it much longer), never short, so the fewest ticks of
 *  several short stalls is the rate.  One 20 ms stall on a busy 2-core host under TCG read
 *  up to 2.5x the ticks, and every clock_ms after ran that much slow; five 5 ms stalls
 *  still all ran long in one VM of 36 with three VMs on the two cores (its 14 s pass
 *  logged as 10.9 s).  Twelve of 2 ms: each short enough to fall between two of the host's
 *  time slices, and Stall's granularity (OVMF: the ACPI PM timer, 3.58 MHz) and the call's
 *  cost stay below 0.5 %. */
#define CLOCK_CALIBRATE_US 2000
#define CLOCK_CALIBRATE_ROUNDS 12
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

/* Counter ticks during one calibration stall. */
static uint64_t ticks_in_stall(void)
{
	uint64_t t0 = rdtsc();

	BS->Stall(CLOCK_CALIBRATE_US);
	return rdtsc() - t0;
}

void clock_init(void)
{
	uint64_t fewest = ~0ull;

	tsc_base = rdtsc();
	for (int k = 0; k < CLOCK_CALIBRATE_ROUNDS; k++) {
		uint64_t t = ticks_in_stall();

		if (t < fewest)
			fewest = t;
	}
	ticks_per_ms = fewest / (CLOCK_CALIBRATE_US / 1000);
	if (!ticks_per_ms) {
		log_msg("clock: the time-stamp counter did not advance; timeouts are guesses");
		ticks_per_ms = CLOCK_FALLBACK_TICKS_PER_MS;
	}
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
