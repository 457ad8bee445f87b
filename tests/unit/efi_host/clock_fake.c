/*
 * clock.h for the host unit tests (see efi_host.h): time moves only when the code under
 * test sleeps, and every sleep is recorded, so retry pauses are checked without waiting.
 */
#include <stdint.h>
#include "clock.h"
#include "efi_host.h"

/** Sleeps kept between two resets (a fetch makes at most four). */
#define FAKE_SLEEPS 16

static uint64_t now_ms;
static uint32_t sleeps[FAKE_SLEEPS];
static unsigned int nsleeps;

void clock_init(void)
{
}

uint64_t clock_ms(void)
{
	return now_ms;
}

uint64_t clock_us(void)
{
	return now_ms * 1000;
}

void clock_sleep_ms(uint32_t ms)
{
	if (nsleeps < FAKE_SLEEPS)
		sleeps[nsleeps] = ms;
	nsleeps++;
	now_ms += ms;
}

void clock_fake_reset(void)
{
	now_ms = 0;
	nsleeps = 0;
}

unsigned int clock_fake_sleeps(void)
{
	return nsleeps;
}

uint32_t clock_fake_sleep(unsigned int i)
{
	return i < nsleeps && i < FAKE_SLEEPS ? sleeps[i] : 0;
}
