/* The registration digest of a machine key (see key_reg.h). */
#include "crypto.h"
#include "key_reg.h"

void strata_key_reg_digest(const uint8_t nonce[STRATA_KEY_NONCE_LEN], const uint8_t mac[6],
			   const uint8_t pub[STRATA_KEY_PUB_LEN], uint8_t out[32])
{
	struct strata_sha256 h;

	strata_sha256_init(&h);
	strata_sha256_update(&h, STRATA_KEY_REG_TAG, sizeof(STRATA_KEY_REG_TAG) - 1);
	strata_sha256_update(&h, nonce, STRATA_KEY_NONCE_LEN);
	strata_sha256_update(&h, mac, 6);
	strata_sha256_update(&h, pub, STRATA_KEY_PUB_LEN);
	strata_sha256_final(&h, out);
}
