/* Parsing the server's answer to a registration (see key_answer.h). */
#include "key_answer.h"
#include "mem.h"
#include "rc.h"
#include "text.h"

/** The verdict words, in enum key_verdict's order. */
static const char *const verdicts[] = {
	[KEY_PINNED] = "pinned", [KEY_KNOWN] = "known", [KEY_UNPINNED] = "unpinned",
	[KEY_DIFFERS] = "differs",
};

/** Bits of the words seen, to require some and refuse repeats. */
enum { SEEN_KEY = 1, SEEN_NAME = 2, SEEN_SID = 4, SEEN_EPH = 8, SEEN_SSIG = 16 };

/* Whether word w[0..n) is "k=" followed by its value; the value into *v, *vn. */
static int is(const char *w, size_t n, const char *k, const char **v, size_t *vn)
{
	size_t kl = strata_strlen(k);

	if (n <= kl || strata_memcmp(w, k, kl) || w[kl] != '=')
		return 0;
	*v = w + kl + 1;
	*vn = n - kl - 1;
	return 1;
}

/* key=: one of the verdict words. */
static int verdict(const char *v, size_t n, struct key_answer *out)
{
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		if (strata_strlen(verdicts[i]) == n && !strata_memcmp(verdicts[i], v, n)) {
			out->v = (enum key_verdict)i;
			return 0;
		}
	}
	return STRATA_EINVAL;
}

/* Hex v[0..n) of exactly cap bytes (min == cap) or of min..cap bytes into out. */
static int hex_into(uint8_t *out, size_t min, size_t cap, const char *v, size_t n, size_t *got)
{
	if (n % 2 || n / 2 < min || n / 2 > cap)
		return STRATA_EINVAL;
	if (got)
		*got = n / 2;
	return strata_hex_decode(out, v, n / 2);
}

/* name=: printable ASCII (it reaches the screen and the log), not empty, and it fits. */
static int name(const char *v, size_t n, struct key_answer *out)
{
	if (n == 0 || n >= sizeof(out->name))
		return STRATA_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return STRATA_EINVAL;
	strata_memcpy(out->name, v, n);
	return 0;
}

/* One word; *seen gets its bit. */
static int word(const char *w, size_t n, struct key_answer *out, unsigned int *seen)
{
	const char *v;
	size_t vn;
	unsigned int bit;
	int rc = 0;

	if (is(w, n, "key", &v, &vn))
		bit = SEEN_KEY, rc = verdict(v, vn, out);
	else if (is(w, n, "name", &v, &vn))
		bit = SEEN_NAME, rc = name(v, vn, out);
	else if (is(w, n, "session", &v, &vn))
		bit = SEEN_SID, rc = hex_into(out->sid, sizeof(out->sid), sizeof(out->sid), v, vn, NULL);
	else if (is(w, n, "eph", &v, &vn))
		bit = SEEN_EPH, rc = hex_into(out->eph, sizeof(out->eph), sizeof(out->eph), v, vn, NULL);
	else if (is(w, n, "ssig", &v, &vn))
		bit = SEEN_SSIG, rc = hex_into(out->ssig, 8, sizeof(out->ssig), v, vn, &out->ssig_len);
	else
		return 0;                 /* fingerprint=, or a word of a newer server */
	if (rc || (*seen & bit))
		return STRATA_EINVAL;
	*seen |= bit;
	return 0;
}

int key_answer_parse(const char *line, size_t len, struct key_answer *out)
{
	const unsigned int session = SEEN_SID | SEEN_EPH | SEEN_SSIG;
	unsigned int seen = 0;
	size_t i = 0;

	strata_memset(out, 0, sizeof(*out));
	if (len && line[len - 1] == '\n')
		len--;
	while (i < len) {
		size_t n = 0;

		while (i + n < len && line[i + n] != ' ')
			n++;
		if (n == 0 || word(line + i, n, out, &seen))
			return STRATA_EINVAL;
		i += n + (i + n < len);
		if (i == len && line[len - 1] == ' ')
			return STRATA_EINVAL;
	}
	if ((seen & (SEEN_KEY | SEEN_NAME)) != (SEEN_KEY | SEEN_NAME) ||
	    ((seen & session) && (seen & session) != session))
		return STRATA_EINVAL;
	out->has_session = (seen & session) == session;
	if ((out->v == KEY_PINNED || out->v == KEY_KNOWN) != out->has_session)
		return STRATA_EINVAL;
	return 0;
}
