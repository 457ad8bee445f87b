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

#endif /* STRATA_MEM_H */
