/*
 * The server's half of a signed request (see session.h): finding the session's parameters
 * in a hostile path and query, and checking the tag.  Apart from session.c so strata.efi,
 * which only signs, does not carry it (mk/efi.mk's EFI_CORE_SKIP).
 */
#include "mem.h"
#include "rc.h"
#include "session.h"
#include "text.h"

/* Whether pq[0..len) holds a '?'. */
static int has_query(const char *pq, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (pq[i] == '?')
			return 1;
	return 0;
}

/* Whether s[0..n) are hex digits (lowercase, as the agent writes them). */
static int hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The counter between "&n=" and "&h=", ending at end (exclusive); its start into *at. */
static int parse_n(const char *pq, size_t end, struct strata_session_query *q, size_t *at)
{
	size_t b = end;

	while (b > 0 && pq[b - 1] >= '0' && pq[b - 1] <= '9' && end - b <= 20)
		b--;
	if (b < 3 || b == end || strata_memcmp(pq + b - 3, "&n=", 3) ||
	    strata_u64_parse(&q->n, pq + b, end - b, UINT64_MAX) || q->n == 0)
		return STRATA_EINVAL;
	*at = b - 3;
	return 0;
}

/* Whether pq[0..len) encodes '&', '=' or '+' (%26, %3D, %2B in either case): decoded for
 * the tag, those would read the same as a separator, which the server's query parser
 * tells apart. */
static int encodes_separator(const char *pq, size_t len)
{
	uint8_t v;

	for (size_t i = 0; i + 2 < len; i++)
		if (pq[i] == '%' && strata_hex_decode(&v, pq + i + 1, 1) == 0 &&
		    (v == '&' || v == '=' || v == '+'))
			return 1;
	return 0;
}

int strata_session_parse(const char *pq, size_t len, struct strata_session_query *q)
{
	const size_t hlen = 3 + 2 * STRATA_SESSION_MAC_LEN, slen = 3 + 2 * STRATA_SESSION_SID_LEN;
	size_t at;

	if (len < hlen || strata_memcmp(pq + len - hlen, "&h=", 3))
		return STRATA_ENOENT;
	if (!hex_run(pq + len - hlen + 3, hlen - 3) ||
	    strata_hex_decode(q->tag, pq + len - hlen + 3, STRATA_SESSION_MAC_LEN) ||
	    parse_n(pq, len - hlen, q, &at) || at < slen)
		return STRATA_EINVAL;
	at -= slen;
	if ((pq[at] != '?' && pq[at] != '&') || pq[at + 1] != 's' || pq[at + 2] != '=' ||
	    !hex_run(pq + at + 3, slen - 3) ||
	    strata_hex_decode(q->sid, pq + at + 3, STRATA_SESSION_SID_LEN))
		return STRATA_EINVAL;
	if ((pq[at] == '&') != has_query(pq, at) || at > STRATA_SESSION_PQ_MAX ||
	    encodes_separator(pq, at))
		return STRATA_EINVAL;
	q->prefix_len = at;
	return 0;
}

int strata_session_verify(const struct strata_session_keys *k, const char *method,
			  const char *pq, const struct strata_session_query *q)
{
	char want[STRATA_SESSION_TAG_HEX], got[STRATA_SESSION_TAG_HEX];
	int rc = strata_session_tag(k, method, pq, q->prefix_len, q->n, want);

	if (rc)
		return rc;
	strata_hex_encode(got, q->tag, STRATA_SESSION_MAC_LEN);
	return strata_memeq_ct(want, got, STRATA_SESSION_TAG_HEX) ? 0 : STRATA_EBADSIG;
}
