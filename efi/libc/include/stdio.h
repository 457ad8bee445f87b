/*
 * stdio.h for strata.efi: string formatting only.  There are no FILE streams in firmware;
 * efi/log.c formats with vsnprintf and writes the text itself.  mbedTLS's oid.c includes
 * this header unconditionally and formats OIDs with snprintf.
 */
#ifndef STRATA_EFI_LIBC_STDIO_H
#define STRATA_EFI_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

/**
 * C99 snprintf/vsnprintf for the conversions Strata and mbedTLS use: %d %i %u %x %X %c
 * %s %p %%, with the flags '-' and '0', a field width, and the length modifiers h, l, ll
 * and z.  Always NUL-terminates when n > 0; returns the length the full output would have.
 * An unknown conversion is copied out literally, so a mistake is visible, not undefined.
 */
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* STRATA_EFI_LIBC_STDIO_H */
