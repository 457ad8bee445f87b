/*
 * mbedTLS 2.28 configuration for strata.efi: verification, and one key pair of its own.
 *
 * Why so small: strata.efi checks what the server signed (ECDSA P-256 over SHA-256, public
 * key in PEM or DER) and names chunks by SHA-256.  Its one private key is the machine key
 * (machine_key.c): made once with a HMAC_DRBG seeded from the firmware's or the CPU's
 * randomness (rng.c), used to sign a registration; the same DRBG makes one ephemeral
 * P-256 key per boot whose ECDH with the server's gives the session key.  It never talks TLS and needs no
 * entropy module, no clock and no files.  Every module left out is code that cannot fail in
 * firmware and bytes strata.efi does not carry.
 *
 * Selected with -DMBEDTLS_CONFIG_FILE='"mbedtls_config.h"' (see mk/efi.mk); mbedTLS's own
 * check_config.h then rejects any inconsistent combination at compile time.
 */
#ifndef STRATA_EFI_MBEDTLS_CONFIG_H
#define STRATA_EFI_MBEDTLS_CONFIG_H

/* --- System: what UEFI gives us ------------------------------------------------------- */

/** x86_64 inline assembly in bn_mul.h: bignum multiply is the hot loop of a verify. */
#define MBEDTLS_HAVE_ASM
/** No OS entropy source in firmware: rng.c feeds the DRBG directly. */
#define MBEDTLS_NO_PLATFORM_ENTROPY

/* --- Platform: memory from our allocator, no libc ------------------------------------- */

#define MBEDTLS_PLATFORM_C
/** Route mbedtls_calloc/mbedtls_free through macros rather than function pointers. */
#define MBEDTLS_PLATFORM_MEMORY
/** Do not include libc's stdio/stdlib/time: efi/libc is all there is. */
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
/** Where calloc and free are declared: efi/libc/include/stdlib.h (efi/libc/stdlib.c). */
#define MBEDTLS_PLATFORM_STD_MEM_HDR <stdlib.h>
#define MBEDTLS_PLATFORM_CALLOC_MACRO calloc
#define MBEDTLS_PLATFORM_FREE_MACRO free
/** oid.c formats OIDs as text with snprintf (efi/libc/stdio.c); nothing calls it today,
 *  but the object is linked whole, so the symbol must exist. */
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO snprintf

/* --- Hashes ------------------------------------------------------------------------- */

/** SHA-256: chunk names, layer ids and the digest a manifest signature covers.  Not
 *  MBEDTLS_SHA256_SMALLER: every byte written to a disk is hashed, so speed beats 2 KiB. */
#define MBEDTLS_SHA256_C
/** The generic digest layer; pk_verify looks hash sizes up through it, and it is the
 *  HMAC of session requests (core/session.h). */
#define MBEDTLS_MD_C
/** HKDF-SHA-256: the session's keys from the ECDH secret (core/session.h).  ECDH itself
 *  is one ecp_mul (images/lib/crypto_mbedtls.c), so MBEDTLS_ECDH_C is not needed. */
#define MBEDTLS_HKDF_C

/* --- Public keys and signatures ----------------------------------------------------- */

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
/** The one curve the server signs with. */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
/** Fast modular reduction for NIST curves: several times faster verification. */
#define MBEDTLS_ECP_NIST_OPTIM
/** Verification needs no blinding RNG, and the machine key passes its own DRBG to every
 *  operation that blinds; so ECP needs no DRBG of its own. */
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECDSA_C
/** RFC 6979: the machine key's signatures take their nonce k from the key and the digest,
 *  not from the randomness source, so a weak source cannot leak the key. */
#define MBEDTLS_ECDSA_DETERMINISTIC
/** The machine key's DRBG (SHA-256 only: no cipher module is needed, unlike CTR_DRBG). */
#define MBEDTLS_HMAC_DRBG_C
/** Signatures arrive DER-encoded; ECDSA_C also requires the writer (check_config.h). */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
/** Algorithm identifiers inside SubjectPublicKeyInfo. */
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
/** Keys are distributed as PEM ("-----BEGIN PUBLIC KEY-----"), base64 inside. */
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C

/* --- Sealed private layers (images/core/seal.h) -------------------------------------- */

/** AES-256-GCM opens the sealed index and runs of the machine's private layers. */
#define MBEDTLS_AES_C
#define MBEDTLS_GCM_C
/** GCM reaches AES through the generic cipher layer in mbedTLS 2.28. */
#define MBEDTLS_CIPHER_C
/** AES tables computed at first use instead of 8 KiB of constants each way; the tables
 *  are built once, and only the forward direction is used by GCM.  See the size figure
 *  in docs/security.md. */
#define MBEDTLS_AES_FEWER_TABLES

/* Deliberately absent: MBEDTLS_FS_IO (no files), MBEDTLS_HAVE_TIME (no clock),
 * MBEDTLS_ENTROPY_C / CTR_DRBG (rng.c seeds HMAC_DRBG itself), MBEDTLS_SELF_TEST (efi/selftest.c
 * tests what Strata uses), MBEDTLS_ERROR_C (error strings), every other cipher and mode, and TLS. */

#include "mbedtls/check_config.h"

#endif /* STRATA_EFI_MBEDTLS_CONFIG_H */
