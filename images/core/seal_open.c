/*
 * The server's side of a sealed upload (see seal.h): opening a body a client sealed.  Apart
 * from seal.c so strata.efi, which only seals uploads, does not carry it (mk/efi.mk's
 * EFI_CORE_SKIP).
 */
#include "rc.h"
#include "seal.h"

int strata_upload_open(const uint8_t key[STRATA_SEAL_KEY_LEN], uint64_t n, const char *aad,
		       size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
		       size_t *out_len)
{
	struct strata_seal s;
	size_t o = 0, last = 0;
	int rc = strata_seal_start_dir(&s, 1, STRATA_SEAL_UPLOAD, key, n, aad, aad_len);

	if (rc == 0) {
		o = strata_seal_update(&s, in, len, out);
		rc = strata_open_final(&s, out + o, &last);
	}
	strata_seal_free(&s);
	*out_len = rc ? 0 : o + last;
	return rc ? STRATA_EBADSIG : 0;
}
