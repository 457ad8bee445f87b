/*
 * Memory primitives for the core.  The core must build freestanding (no string.h), so it
 * uses the compiler's builtins; when a builtin is not inlined the compiler emits a call to
 * memcpy/memset/memcmp, which libc (Linux) or libefi plus efi/'s libc shim (UEFI) provide.
 */
#ifndef STRATA_MEM_H
#define STRATA_MEM_H

#define strata_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define strata_memset(d, c, n) __builtin_memset((d), (c), (n))
#define strata_memcmp(a, b, n) __builtin_memcmp((a), (b), (n))
#define strata_memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define strata_strlen(s) __builtin_strlen(s)

/**
 * Whether a[0..n) equals b[0..n), in time that does not depend on where they differ: for
 * secrets a client guesses at (tokens), where memcmp's early exit would tell it how many
 * leading bytes it got right.  1 when equal, 0 otherwise.
 */
static inline int strata_memeq_ct(const void *a, const void *b, unsigned long n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (unsigned long i = 0; i < n; i++)
		diff |= (unsigned char)(x[i] ^ y[i]);
	return diff == 0;
}

#endif /* STRATA_MEM_H */
