/* The multicast fragment datagram: arithmetic, parser, writer, session id (see mcast.h). */
#include "mcast.h"
#include "crypto.h"
#include "le.h"
#include "mem.h"

uint32_t strata_mc_data_frags(uint32_t stored, uint16_t frag_size)
{
	return (uint32_t)(((uint64_t)stored + frag_size - 1) / frag_size);
}

uint32_t strata_mc_blocks(uint32_t n)
{
	return (n + STRATA_MC_FEC_K - 1) / STRATA_MC_FEC_K;
}

uint32_t strata_mc_frag_count(uint32_t stored, uint16_t frag_size, uint8_t parity)
{
	uint32_t n = strata_mc_data_frags(stored, frag_size);

	return n + strata_mc_blocks(n) * parity;
}

uint32_t strata_mc_payload_len(uint32_t stored, uint16_t frag_size, uint8_t parity,
			       uint32_t frag)
{
	uint32_t n = strata_mc_data_frags(stored, frag_size);

	if (frag >= strata_mc_frag_count(stored, frag_size, parity))
		return 0;
	if (frag >= n)
		return frag_size;
	return frag + 1 < n ? frag_size : stored - frag * (uint32_t)frag_size;
}

/* The header's fields, each within the format's own bounds (not yet the fragment). */
static int check_fields(const struct strata_mc_frag *f, struct strata_diag *diag)
{
	if (f->type != STRATA_MC_DATA && f->type != STRATA_MC_PARITY)
		return strata_fail(diag, STRATA_ERANGE, "multicast datagram of a reserved or "
				   "unknown type", 5);
	if (f->part == 0 || f->part > STRATA_PART_NUM_MAX)
		return strata_fail(diag, STRATA_ERANGE, "multicast datagram names a part "
				   "outside 1..128", 6);
	if (f->parity > STRATA_MC_PARITY_MAX)
		return strata_fail(diag, STRATA_ERANGE, "multicast datagram has more than 8 "
				   "parity fragments per block", 7);
	if (f->chunk >= STRATA_MC_CHUNK_LIMIT)
		return strata_fail(diag, STRATA_ERANGE, "multicast datagram names a chunk past "
				   "any layer's", 24);
	if (f->stored_size == 0 || f->stored_size > STRATA_MC_STORED_MAX)
		return strata_fail(diag, STRATA_ERANGE, "multicast datagram's store file size "
				   "is outside 1 byte..4 MiB", 32);
	if (f->frag_size < STRATA_MC_PAYLOAD_MIN || f->frag_size > STRATA_MC_PAYLOAD_MAX)
		return strata_fail(diag, STRATA_ERANGE, "multicast datagram's fragment size is "
				   "outside 512..1432", 38);
	return 0;
}

/* The fragment number against the file's fragments and the datagram's type. */
static int check_frag(const struct strata_mc_frag *f, struct strata_diag *diag)
{
	uint32_t n = strata_mc_data_frags(f->stored_size, f->frag_size);

	if (f->frag >= strata_mc_frag_count(f->stored_size, f->frag_size, f->parity))
		return strata_fail(diag, STRATA_ERANGE, "multicast fragment number past the "
				   "store file's fragments", 36);
	if ((f->type == STRATA_MC_DATA) != (f->frag < n))
		return strata_fail(diag, STRATA_ERANGE, "multicast fragment number of the "
				   "other type (data below n, parity from n)", 36);
	return 0;
}

static void decode_hdr(const uint8_t *p, struct strata_mc_frag *out)
{
	out->type = p[5];
	out->part = p[6];
	out->parity = p[7];
	strata_memcpy(out->session, p + 8, STRATA_MC_SESSION_LEN);
	out->seq = le32_get(p + 16);
	out->cycle = le32_get(p + 20);
	out->chunk = le64_get(p + 24);
	out->stored_size = le32_get(p + 32);
	out->frag = le16_get(p + 36);
	out->frag_size = le16_get(p + 38);
}

int strata_mc_parse(const void *pkt, size_t len, struct strata_mc_frag *out,
		    struct strata_diag *diag)
{
	const uint8_t *p = pkt;
	size_t want;
	int rc;

	if (len < STRATA_MC_HDR)
		return strata_fail(diag, STRATA_ETRUNC, "multicast datagram shorter than its "
				   "40-byte header", len);
	if (strata_memcmp(p, STRATA_MC_MAGIC, 4))
		return strata_fail(diag, STRATA_EINVAL, "not a Strata multicast datagram (magic)", 0);
	if (p[4] != STRATA_MC_VERSION)
		return strata_fail(diag, STRATA_ENOTSUP, "multicast datagram of another version: "
				   "server and strata.efi must come from one release", 4);
	decode_hdr(p, out);
	rc = check_fields(out, diag);
	if (rc == 0)
		rc = check_frag(out, diag);
	if (rc)
		return rc;
	out->payload = p + STRATA_MC_HDR;
	out->payload_len = strata_mc_payload_len(out->stored_size, out->frag_size, out->parity,
						 out->frag);
	want = STRATA_MC_HDR + (size_t)out->payload_len;
	if (len != want)
		return strata_fail(diag, len < want ? STRATA_ETRUNC : STRATA_ETRAIL,
				   len < want ? "multicast datagram shorter than its fragment"
				   : "bytes after the multicast fragment", len < want ? len : want);
	return 0;
}

size_t strata_mc_encode(uint8_t *out, const struct strata_mc_frag *f)
{
	if (check_fields(f, NULL) || check_frag(f, NULL) ||
	    f->payload_len != strata_mc_payload_len(f->stored_size, f->frag_size, f->parity,
						     f->frag))
		return 0;
	strata_memcpy(out, STRATA_MC_MAGIC, 4);
	out[4] = STRATA_MC_VERSION;
	out[5] = f->type;
	out[6] = f->part;
	out[7] = f->parity;
	strata_memcpy(out + 8, f->session, STRATA_MC_SESSION_LEN);
	le32_put(out + 16, f->seq);
	le32_put(out + 20, f->cycle);
	le64_put(out + 24, f->chunk);
	le32_put(out + 32, f->stored_size);
	le16_put(out + 36, f->frag);
	le16_put(out + 38, f->frag_size);
	strata_memcpy(out + STRATA_MC_HDR, f->payload, f->payload_len);
	return STRATA_MC_HDR + (size_t)f->payload_len;
}

int strata_mc_session_id(uint8_t out[STRATA_MC_SESSION_LEN], const char *name,
			 size_t name_len, const uint8_t group[4], uint16_t port,
			 const uint8_t *parts, const uint8_t (*layers)[32], unsigned int n)
{
	static const char domain[] = "strata-mc-v1";
	struct strata_sha256 h;
	uint8_t b[2], digest[STRATA_SHA256_LEN];

	if (name_len == 0 || name_len > 255 || n > STRATA_MAX_PARTS)
		return STRATA_EINVAL;
	for (unsigned int i = 1; i < n; i++)
		if (parts[i] <= parts[i - 1])
			return STRATA_EINVAL;
	strata_sha256_init(&h);
	strata_sha256_update(&h, domain, sizeof(domain) - 1);
	b[0] = (uint8_t)name_len;
	strata_sha256_update(&h, b, 1);
	strata_sha256_update(&h, name, name_len);
	strata_sha256_update(&h, group, 4);
	le16_put(b, port);
	strata_sha256_update(&h, b, 2);
	for (unsigned int i = 0; i < n; i++) {
		strata_sha256_update(&h, &parts[i], 1);
		strata_sha256_update(&h, layers[i], 32);
	}
	strata_sha256_final(&h, digest);
	strata_memcpy(out, digest, STRATA_MC_SESSION_LEN);
	return 0;
}
