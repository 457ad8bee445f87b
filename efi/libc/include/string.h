/*
 * string.h for strata.efi's freestanding code (zlib, mbedTLS, the core, efi/).
 *
 * Why a shim: strata.efi links no C library.  memcpy and memset come from gnu-efi's libefi
 * (lib/init.c), so they are only declared here; the rest is efi/libc/string.c.  Only what
 * the linked code calls is provided: a new need shows up as an undefined symbol at link time
 * (ld --no-undefined), never as a silent stub.
 */
#ifndef STRATA_EFI_LIBC_STRING_H
#define STRATA_EFI_LIBC_STRING_H

#include <stddef.h>

/* Provided by libefi. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

/* Provided by efi/libc/string.c. */
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
char *strstr(const char *haystack, const char *needle);
/** Compare at most n characters, like strcmp. */
int strncmp(const char *a, const char *b, size_t n);
/** Length of the prefix of s made only of characters in accept. */
size_t strspn(const char *s, const char *accept);
/** Length of the prefix of s made only of characters not in reject. */
size_t strcspn(const char *s, const char *reject);

#endif /* STRATA_EFI_LIBC_STRING_H */
