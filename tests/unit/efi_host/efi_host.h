/*
 * Host stand-ins for strata.efi's platform glue, for the unit tests of efi/'s portable
 * files (tests/unit/test_efi_*.c).
 *
 * Why: efi/log.c and efi/fetch.c reach the firmware only through log_write (log.h) and
 * the clock (clock.h).  Linked in place of efi/log_console.c and efi/clock.c, these keep
 * every log line for the tests to read and let time pass without waiting, so a test can
 * check what the agent would have said and how long it would have paused.
 */
#ifndef STRATA_TEST_EFI_HOST_H
#define STRATA_TEST_EFI_HOST_H

#include <stdint.h>

/** Forget the lines logged so far. */
void log_capture_reset(void);

/** How many lines were logged since the last reset. */
unsigned int log_capture_count(void);

/** Whether exactly this line (without newline) was logged since the last reset. */
int log_capture_has(const char *line);

/** Whether a line logged since the last reset starts with prefix. */
int log_capture_has_prefix(const char *prefix);

/** The last line logged since the last reset, or "" when none was kept. */
const char *log_capture_last(void);

/** Set the fake clock to 0 and forget the sleeps. */
void clock_fake_reset(void);

/** How many times clock_sleep_ms was called since the last reset. */
unsigned int clock_fake_sleeps(void);

/** The length of sleep i (0-based) since the last reset, or 0 when there was none. */
uint32_t clock_fake_sleep(unsigned int i);

#endif /* STRATA_TEST_EFI_HOST_H */
