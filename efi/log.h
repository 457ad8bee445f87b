/*
 * strata.efi's log: one line of text to the firmware console and to QEMU's debug port.
 *
 * Why two sinks: the console (ConOut) is what a person at the machine sees, and it reaches a
 * serial line only through the firmware's terminal emulation, with escape codes mixed in.
 * Port 0xe9 (QEMU -debugcon, Bochs) carries the same lines as clean ASCII, which is what the
 * e2e tests read.  The port is used only where it answers like a debug console, so real
 * hardware never sees stray writes.
 */
#ifndef STRATA_EFI_LOG_H
#define STRATA_EFI_LOG_H

/** Detect the debug port.  Call once, after InitializeLib; logging before it uses ConOut only. */
void log_init(void);

/** Log one line, printf-style (efi/libc/stdio.h conversions); the newline is added here.
 *  Lines longer than 255 bytes are cut. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Log "error: <text> [<rc name>]" and return rc, so a failure site reads as one statement:
 * `return log_fail(rc, "manifest: %s", diag.msg);`.
 */
int log_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* STRATA_EFI_LOG_H */
