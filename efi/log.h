/*
 * strata.efi's log: one line of text to the firmware console and to QEMU's debug port.
 *
 * Why two sinks: the console (ConOut) is what a person at the machine sees, and it reaches a
 * serial line only through the firmware's terminal emulation, with escape codes mixed in.
 * Port 0xe9 (QEMU -debugcon, Bochs) carries the same lines as clean ASCII, which is what the
 * e2e tests read.  The port is used only where it answers like a debug console, so real
 * hardware never sees stray writes.
 *
 * log.c formats the lines and needs no firmware; the outputs are platform glue behind
 * log_write, chosen at link time: efi/log_console.c in strata.efi, a capture in the host
 * unit tests (tests/unit/efi_host/).
 */
#ifndef STRATA_EFI_LOG_H
#define STRATA_EFI_LOG_H

#include <stddef.h>

/** Longest line, in bytes, without its newline. */
#define LOG_LINE_MAX 255

/** Detect the debug port.  Call once, after InitializeLib; logging before it uses ConOut only. */
void log_init(void);

/** Log one line, printf-style (efi/libc/stdio.h conversions); the newline is added here.
 *  Lines longer than LOG_LINE_MAX bytes are cut. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Log "error: <text> [<rc name>]" and return rc, so a failure site reads as one statement:
 * `return log_fail(rc, "manifest: %s", diag.msg);`.
 */
int log_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * s[0..n) as a C string in buf (cap bytes, at least 1), cut to fit; returns buf.  For
 * logging text that is not NUL-terminated, because the libc shim's printf has no "%.*s".
 */
const char *log_slice(char *buf, size_t cap, const char *s, size_t n);

/**
 * The platform's outputs: write one formatted line of n bytes (at most LOG_LINE_MAX, no
 * newline; the output adds its own).  Only log.c calls it; everyone else logs with log_msg.
 */
void log_write(const char *line, size_t n);

#endif /* STRATA_EFI_LOG_H */
