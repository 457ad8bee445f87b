/*
 * A capture task's hello (see session.h): the digest the server signs and the upload key
 * both ends derive.  Apart from session.c so strata.efi, whose machine session needs no
 * hello, does not carry it (mk/efi.mk's EFI_CORE_SKIP).
 */
#include "crypto.h"
#include "mem.h"
#include "session.h"

void strata_session_hello_digest(const uint8_t sid[STRATA_SESSION_SID_LEN],
				 const uint8_t client_eph[STRATA_KEY_PUB_LEN],
				 const uint8_t server_eph[STRATA_KEY_PUB_LEN], uint8_t out[32])
{
	struct strata_sha256 h;

	strata_sha256_init(&h);
	strata_sha256_update(&h, STRATA_SESSION_HELLO_TAG, sizeof(STRATA_SESSION_HELLO_TAG) - 1);
	strata_sha256_update(&h, sid, STRATA_SESSION_SID_LEN);
	strata_sha256_update(&h, client_eph, STRATA_KEY_PUB_LEN);
	strata_sha256_update(&h, server_eph, STRATA_KEY_PUB_LEN);
	strata_sha256_final(&h, out);
}

int strata_session_hello_derive(const struct strata_session_keys *task,
				const uint8_t shared_x[32],
				const uint8_t client_eph[STRATA_KEY_PUB_LEN],
				const uint8_t server_eph[STRATA_KEY_PUB_LEN], uint8_t up[32])
{
	uint8_t info[sizeof(STRATA_SESSION_HELLO_TAG) - 1 + STRATA_SESSION_SID_LEN +
		     2 * STRATA_KEY_PUB_LEN];
	size_t o = sizeof(STRATA_SESSION_HELLO_TAG) - 1;

	strata_memcpy(info, STRATA_SESSION_HELLO_TAG, o);
	strata_memcpy(info + o, task->sid, STRATA_SESSION_SID_LEN);
	o += STRATA_SESSION_SID_LEN;
	strata_memcpy(info + o, client_eph, STRATA_KEY_PUB_LEN);
	strata_memcpy(info + o + STRATA_KEY_PUB_LEN, server_eph, STRATA_KEY_PUB_LEN);
	return strata_hkdf_sha256(task->enc, sizeof(task->enc), shared_x, 32, info, sizeof(info),
				  up, 32);
}
