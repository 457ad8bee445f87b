/* strata-server's admin credentials (see api_tokens.h). */
#include <stdlib.h>
#include <string.h>
#include "api_tokens.h"
#include "crypto.h"
#include "host.h"
#include "mem.h"
#include "who.h"

/** Most tokens in one file: a lab's admins and robots, with room to spare. */
#define API_TOKENS_MAX 1024

/* One word of a line: [s, s+len). */
struct word {
	const char *s;
	size_t len;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split one line (without its newline) into at most 3 words, up to a '#'.  Returns how
 * many it found (3 means too many). */
static int split(const char *p, const char *end, struct word w[3])
{
	int n = 0;

	while (n < 3) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p == '#')
			break;
		w[n].s = p;
		while (p < end && !is_blank(*p) && *p != '#')
			p++;
		w[n].len = (size_t)(p - w[n].s);
		n++;
	}
	return n;
}

/* True when every byte of w is a letter, a digit, or in extra. */
static int word_in(const struct word *w, const char *extra)
{
	for (size_t i = 0; i < w->len; i++) {
		char c = w->s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c && strchr(extra, c))))
			return 0;
	}
	return 1;
}

/* Check one "NAME TOKEN" line's words.  0 or STRATA_EINVAL with diag. */
static int check_words(const struct word w[2], int n, uint64_t no, struct strata_diag *diag)
{
	if (n != 2)
		return strata_fail(diag, STRATA_EINVAL, "expected 'NAME TOKEN'", no);
	if (w[0].len > API_TOKEN_NAME_MAX || !word_in(&w[0], "._-"))
		return strata_fail(diag, STRATA_EINVAL, "NAME must be 1-32 of A-Z a-z 0-9 . _ -", no);
	if (who_name_reserved(w[0].s, w[0].len))
		return strata_fail(diag, STRATA_EINVAL, "NAME is one the audit log gives the "
				   "server's own orders (inventory, machine, cli, interval, schedule)", no);
	if (w[1].len < API_TOKEN_MIN || w[1].len > API_TOKEN_MAX)
		return strata_fail(diag, STRATA_EINVAL, "TOKEN must be 16-128 characters long", no);
	if (!word_in(&w[1], "._~+/=-"))
		return strata_fail(diag, STRATA_EINVAL,
				   "TOKEN must be of A-Z a-z 0-9 . _ ~ + / = -", no);
	return 0;
}

/* Add a checked line to t (which has room), refusing repeats. */
static int add(struct api_tokens *t, const struct word w[2], uint64_t no,
	       struct strata_diag *diag)
{
	struct api_token *nt = &t->t[t->n];

	memcpy(nt->name, w[0].s, w[0].len);
	nt->name[w[0].len] = '\0';
	strata_sha256(w[1].s, w[1].len, nt->digest);
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->t[i].name, nt->name))
			return strata_fail(diag, STRATA_EINVAL, "NAME already used", no);
		if (!memcmp(t->t[i].digest, nt->digest, 32))
			return strata_fail(diag, STRATA_EINVAL, "TOKEN already used", no);
	}
	t->n++;
	return 0;
}

/* One line [p, end): blank and comment lines are skipped. */
static int parse_line(void *ctx, const char *p, const char *end, uint64_t no,
		      struct strata_diag *diag)
{
	struct api_tokens *t = ctx;
	struct word w[3];
	int n = split(p, end, w), rc;

	if (n == 0)
		return 0;
	rc = check_words(w, n, no, diag);
	if (rc)
		return rc;
	if (t->n == API_TOKENS_MAX)
		return strata_fail(diag, STRATA_EINVAL, "more than 1024 tokens", no);
	return add(t, w, no, diag);
}

int api_tokens_parse(const char *text, size_t len, struct api_tokens **out,
		     struct strata_diag *diag)
{
	struct api_tokens *t = calloc(1, sizeof(*t));
	int rc;

	if (!t || !(t->t = calloc(API_TOKENS_MAX, sizeof(*t->t))))
		goto err_mem;
	rc = text_lines(text, len, parse_line, t, diag);
	if (rc)
		goto err_parse;
	*out = t;
	return 0;
err_parse:
	api_tokens_free(t);
	return rc;
err_mem:
	free(t);
	return strata_fail(diag, STRATA_ENOMEM, "out of memory", 0);
}

int api_tokens_load(const char *path, struct api_tokens **out)
{
	struct strata_diag diag = { 0 };
	uint8_t *buf;
	size_t len;
	int rc;

	if (read_file(path, 1 << 20, &buf, &len))
		return STRATA_EREPORTED;
	rc = api_tokens_parse((const char *)buf, len, out, &diag);
	explicit_bzero(buf, len);  /* the tokens themselves stay nowhere in memory */
	free(buf);
	if (rc == STRATA_ENOMEM)
		return errorf("%s: out of memory", path);
	if (rc)
		return errorf("%s:%llu: %s", path, (unsigned long long)diag.where, diag.msg);
	return 0;
}

void api_tokens_free(struct api_tokens *t)
{
	if (!t)
		return;
	free(t->t);
	free(t);
}

const char *api_tokens_check(const struct api_tokens *t, const char *presented)
{
	uint8_t d[32];
	const char *name = NULL;

	if (!t || !presented)
		return NULL;
	strata_sha256(presented, strlen(presented), d);
	for (size_t i = 0; i < t->n; i++)
		if (strata_memeq_ct(d, t->t[i].digest, sizeof(d)))
			name = t->t[i].name;
	return name;
}
