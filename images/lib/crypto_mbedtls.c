/*
 * core/crypto.h's signature check on mbedTLS 2.28.  Built against the system's mbedTLS on
 * Linux and against efi/'s verify-only configuration in strata.efi.  SHA-256 is in
 * sha256_mbedtls.c (strata.efi) or sha256_openssl.c (Linux), chosen at link time.
 */
#include <mbedtls/pk.h>
#include <mbedtls/ecdsa.h>
#include "crypto.h"
#include "mem.h"
#include "rc.h"

/* mbedTLS wants PEM NUL-terminated with the NUL counted; DER as is. */
static int parse_pub(mbedtls_pk_context *pk, const uint8_t *pub, size_t len)
{
	uint8_t pem[2048];

	if (len && pub[len - 1] != '\0' && len < sizeof(pem) && pub[0] == '-') {
		strata_memcpy(pem, pub, len);
		pem[len] = '\0';
		return mbedtls_pk_parse_public_key(pk, pem, len + 1);
	}
	return mbedtls_pk_parse_public_key(pk, pub, len);
}

int strata_ecdsa_verify(const uint8_t *pub, size_t pub_len,
			const uint8_t digest[STRATA_SHA256_LEN],
			const uint8_t *sig, size_t sig_len)
{
	mbedtls_pk_context pk;
	int rc = STRATA_EINVAL;

	mbedtls_pk_init(&pk);
	if (parse_pub(&pk, pub, pub_len) != 0)
		goto out;
	if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA))
		goto out;
	rc = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, STRATA_SHA256_LEN, sig, sig_len)
		? STRATA_EBADSIG : 0;
out:
	mbedtls_pk_free(&pk);
	return rc;
}
