/*
 * The network self-test: fetch one URL through fetch.h, hash it, compare, report.
 *
 * Why: the network layer can only be proven where it runs, in firmware, on both back-ends.
 * The e2e test (tests/e2e/efi-fetch.sh) starts strata.efi with `selftest-fetch=URL
 * expect-sha256=HEX` through iPXE, and strata-fetchtest.efi (built with those options
 * compiled in, since HTTP Boot passes none) through UEFI HTTP Boot, then reads the
 * verdict on the debug port.  Without expect-sha256 the digest is fetched from URL.sha256
 * (sha256sum's format), which also proves a second request on the same fetcher.
 */
#ifndef STRATA_EFI_FETCH_SELFTEST_H
#define STRATA_EFI_FETCH_SELFTEST_H

#include <efi.h>
#include "args.h"

/**
 * Run the test a->selftest_fetch asks for.  Logs "fetch: <bytes> bytes in <ms> ms ..." and
 * then "strata.efi: fetch ok <bytes> <sha256>" on success; every failure is logged where
 * it happens.  Returns 0 or that failure's rc (STRATA_ECORRUPT for a digest mismatch).
 */
int fetch_selftest_run(const struct args *a, EFI_HANDLE image);

#endif /* STRATA_EFI_FETCH_SELFTEST_H */
