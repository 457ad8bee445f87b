/*
 * strata.efi's clock: milliseconds since start-up, and a sleep.
 *
 * Why not a timer event: the network code waits in polling loops that may run at
 * TPL_CALLBACK (Debian's iPXE leaves the app there during a download, see fetch_ipxe.c),
 * where timer notifications are blocked and WaitForEvent is refused.  The CPU's time-stamp
 * counter ticks regardless of TPL; it is calibrated once against the firmware's Stall (the
 * fewest ticks of twelve 2 ms stalls: a stall only ever runs long).
 * x86_64 only, like the build; an invariant TSC (every x86_64 CPU of the last decade, and
 * QEMU under TCG, which derives it from the host clock) keeps it steady.
 */
#ifndef STRATA_EFI_CLOCK_H
#define STRATA_EFI_CLOCK_H

#include <stdint.h>

/** Calibrate the counter (takes about 24 ms).  Call once, after InitializeLib. */
void clock_init(void);

/** Milliseconds since clock_init, monotonic; 0 before clock_init. */
uint64_t clock_ms(void);

/** Microseconds since clock_init, monotonic: for splitting where a deployment's time goes. */
uint64_t clock_us(void);

/** Wait ms milliseconds (firmware Stall: busy, safe at any TPL up to TPL_HIGH_LEVEL). */
void clock_sleep_ms(uint32_t ms);

#endif /* STRATA_EFI_CLOCK_H */
