/* Sealed bodies (format in seal.h). */
#include "seal.h"
#include "le.h"
#include "mem.h"
#include "rc.h"

void strata_seal_iv(uint8_t iv[STRATA_GCM_IV_LEN], enum strata_seal_dir dir, uint64_t n)
{
	iv[0] = (uint8_t)((uint32_t)dir >> 24);
	iv[1] = (uint8_t)((uint32_t)dir >> 16);
	iv[2] = (uint8_t)((uint32_t)dir >> 8);
	iv[3] = (uint8_t)dir;
	le64_put(iv + 4, n);
}

int strata_seal_start_dir(struct strata_seal *s, int open, enum strata_seal_dir dir,
			  const uint8_t key[STRATA_SEAL_KEY_LEN], uint64_t n, const char *aad,
			  size_t aad_len)
{
	uint8_t iv[STRATA_GCM_IV_LEN];

	s->hold_len = 0;
	s->open = open;
	strata_seal_iv(iv, dir, n);
	return strata_gcm_start(&s->gcm, open, key, iv, aad, aad_len);
}

int strata_seal_start(struct strata_seal *s, int open, const uint8_t key[STRATA_SEAL_KEY_LEN],
		      uint64_t n, const char *aad, size_t aad_len)
{
	return strata_seal_start_dir(s, open, STRATA_SEAL_ANSWER, key, n, aad, aad_len);
}

/* Opening: everything but the last 16 bytes seen goes to the cipher; those are kept,
 * since the body may end after them and then they are the tag. */
static size_t open_update(struct strata_seal *s, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t total = s->hold_len + len, emit, from_hold, done;

	if (total <= STRATA_GCM_TAG_LEN) {
		strata_memcpy(s->hold + s->hold_len, in, len);
		s->hold_len = total;
		return 0;
	}
	emit = total - STRATA_GCM_TAG_LEN;
	from_hold = emit < s->hold_len ? emit : s->hold_len;
	done = strata_gcm_update(&s->gcm, s->hold, from_hold, out);
	done += strata_gcm_update(&s->gcm, in, emit - from_hold, out + done);
	/* The new hold: what is left of the old one, then the rest of in. */
	strata_memmove(s->hold, s->hold + from_hold, s->hold_len - from_hold);
	s->hold_len -= from_hold;
	strata_memcpy(s->hold + s->hold_len, in + (emit - from_hold), len - (emit - from_hold));
	s->hold_len = STRATA_GCM_TAG_LEN;
	return done;
}

size_t strata_seal_update(struct strata_seal *s, const uint8_t *in, size_t len, uint8_t *out)
{
	return s->open ? open_update(s, in, len, out) : strata_gcm_update(&s->gcm, in, len, out);
}

size_t strata_seal_final(struct strata_seal *s, uint8_t out[2 * STRATA_GCM_TAG_LEN])
{
	uint8_t tag[STRATA_GCM_TAG_LEN];
	size_t n = strata_gcm_final(&s->gcm, out, tag);

	strata_memcpy(out + n, tag, STRATA_GCM_TAG_LEN);
	return n + STRATA_GCM_TAG_LEN;
}

int strata_open_final(struct strata_seal *s, uint8_t out[STRATA_GCM_TAG_LEN], size_t *n)
{
	uint8_t tag[STRATA_GCM_TAG_LEN];

	*n = strata_gcm_final(&s->gcm, out, tag);
	if (s->hold_len != STRATA_GCM_TAG_LEN)
		return STRATA_EBADSIG;
	return strata_memeq_ct(tag, s->hold, STRATA_GCM_TAG_LEN) ? 0 : STRATA_EBADSIG;
}

void strata_seal_free(struct strata_seal *s)
{
	strata_gcm_free(&s->gcm);
}

int strata_upload_seal(const uint8_t key[STRATA_SEAL_KEY_LEN], uint64_t n, const char *aad,
		       size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
		       size_t *out_len)
{
	struct strata_seal s;
	int rc = strata_seal_start_dir(&s, 0, STRATA_SEAL_UPLOAD, key, n, aad, aad_len);
	size_t o = 0;

	if (rc == 0) {
		o = strata_seal_update(&s, in, len, out);
		o += strata_seal_final(&s, out + o);
	}
	strata_seal_free(&s);
	*out_len = o;
	return rc;
}
