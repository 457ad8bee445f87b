/*
 * assert.h for strata.efi.  mbedTLS's library/common.h includes it for static_assert; no
 * code strata.efi links calls assert() at run time.  assert() behaves as under NDEBUG: the
 * firmware has no abort() to call, and Strata reports failures as rc values instead.
 */
#ifndef STRATA_EFI_LIBC_ASSERT_H
#define STRATA_EFI_LIBC_ASSERT_H

#define assert(expr) ((void)0)
#define static_assert _Static_assert

#endif /* STRATA_EFI_LIBC_ASSERT_H */
