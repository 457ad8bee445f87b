/*
 * The start-up self-test: proves, inside the firmware, that the libraries strata.efi links
 * (mbedTLS SHA-256/ECDSA/PEM, zlib inflate and deflate, the Strata core and its capture
 * engine) work in this build, on vectors the host's strata-image produced
 * (selftest_data.h).
 *
 * Why at start-up: a freestanding build can compile and link and still be wrong (a libc
 * shim bug, a config that drops a curve, a miscompiled bignum).  Running the real verify
 * and decode paths first means such a build refuses to deploy instead of writing a disk.
 */
#ifndef STRATA_EFI_SELFTEST_H
#define STRATA_EFI_SELFTEST_H

/** Run every step in order, logging "selftest: <step> ok" for each; stop at the first
 *  failure, which is logged where it happened.  Returns 0 or that step's rc. */
int selftest_run(void);

#endif /* STRATA_EFI_SELFTEST_H */
