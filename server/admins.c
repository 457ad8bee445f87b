/* strata-server's admins file and password check (see admins.h). */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admins.h"
#include "crypto.h"
#include "host.h"
#include "mem.h"
#include "who.h"

/** Most admins in one file. */
#define ADMINS_MAX 256

/** What every refused hash's message ends with: how to make a good one. */
#define HASH_HOWTO "; make one with 'mkpasswd -m yescrypt' or 'openssl passwd -6'"

/* Whether hash starts with a prefix of a method admins.h accepts. */
static int prefix_ok(const char *hash)
{
	static const char *const prefixes[] = { "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(hash, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

/* Whether name[0..len) is 1..32 of [A-Za-z0-9._-]. */
static int name_ok(const char *name, size_t len)
{
	if (len == 0 || len > API_TOKEN_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || strchr("._-", name[i])))
			return 0;
	return 1;
}

/* Whether hash[0..len) is printable, without blanks or ':'. */
static int hash_chars_ok(const char *hash, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (hash[i] <= ' ' || hash[i] > '~' || hash[i] == ':')
			return 0;
	return 1;
}

/* Check one "NAME:HASH" line [p, end) into *a.  0 or STRATA_EINVAL with diag. */
static int parse_admin(struct admin *a, const char *p, const char *end, uint64_t no,
		       struct strata_diag *diag)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t nlen = colon ? (size_t)(colon - p) : 0, hlen = colon ? (size_t)(end - colon - 1) : 0;
	uint8_t d[STRATA_SHA256_LEN];

	if (!colon)
		return strata_fail(diag, STRATA_EINVAL, "expected 'NAME:HASH'", no);
	if (!name_ok(p, nlen))
		return strata_fail(diag, STRATA_EINVAL, "NAME must be 1-32 of A-Z a-z 0-9 . _ -", no);
	if (who_name_reserved(p, nlen))
		return strata_fail(diag, STRATA_EINVAL, "NAME is one the audit log gives the "
				   "server's own orders (inventory, machine, cli, interval, schedule)", no);
	if (hlen == 0 || hlen > ADMIN_HASH_MAX || !hash_chars_ok(colon + 1, hlen))
		return strata_fail(diag, STRATA_EINVAL, "HASH must be one crypt(3) hash without "
				   "blanks (a CR or a trailing space counts)" HASH_HOWTO, no);
	memcpy(a->name, p, nlen);
	a->name[nlen] = '\0';
	memcpy(a->hash, colon + 1, hlen);
	a->hash[hlen] = '\0';
	if (!prefix_ok(a->hash) || crypt_checksalt(a->hash) != CRYPT_SALT_OK)
		return strata_fail(diag, STRATA_EINVAL, "HASH is not of a method taken ($y$ $gy$ "
				   "$7$ $2b$ $2y$ $6$; not DES, $1$, $5$ or Apache's $apr1$)"
				   HASH_HOWTO, no);
	strata_sha256(a->hash, hlen, d);
	memcpy(&a->gen, d, sizeof(a->gen));
	return 0;
}

/* One line [p, end): a comment or blank line is skipped; a repeated NAME is refused. */
static int parse_line(void *ctx, const char *p, const char *end, uint64_t no,
		      struct strata_diag *diag)
{
	struct admins *t = ctx;
	int rc;

	if (p == end || *p == '#')
		return 0;
	if (t->n == ADMINS_MAX)
		return strata_fail(diag, STRATA_EINVAL, "more than 256 admins", no);
	rc = parse_admin(&t->a[t->n], p, end, no, diag);
	if (rc)
		return rc;
	if (admins_find(t, t->a[t->n].name))
		return strata_fail(diag, STRATA_EINVAL, "NAME already used", no);
	t->n++;
	return 0;
}

int admins_parse(const char *text, size_t len, struct admins **out, struct strata_diag *diag)
{
	struct admins *t = calloc(1, sizeof(*t));
	int rc;

	if (!t || !(t->a = calloc(ADMINS_MAX, sizeof(*t->a))))
		goto err_mem;
	rc = text_lines(text, len, parse_line, t, diag);
	if (rc)
		goto err_parse;
	*out = t;
	return 0;
err_parse:
	admins_free(t);
	return rc;
err_mem:
	free(t);
	return strata_fail(diag, STRATA_ENOMEM, "out of memory", 0);
}

/* The part of a crypt(3) hash that sets its cost: the method ("$y$") and, where the method
 * has one, its cost field ("$y$j9T$", "$2b$12$", "$6$rounds=N$"), into key (64 bytes). */
static void cost_key(const char *hash, char key[64])
{
	const char *m = strchr(hash + 1, '$'), *f = m ? strchr(m + 1, '$') : NULL;
	size_t n = f ? (size_t)(f - hash + 1) : m ? (size_t)(m - hash + 1) : strlen(hash);

	if (f && (strncmp(hash, "$6$", 3) || !strncmp(m + 1, "rounds=", 7)) == 0)
		n = (size_t)(m - hash + 1);               /* $6$ without rounds: its salt */
	if (!strncmp(hash, "$7$", 3) && strlen(hash) >= 14)
		n = 14;                                   /* $7$: N, r and p, then the salt */
	snprintf(key, 64, "%.*s", (int)(n < 63 ? n : 63), hash);
}

/* A warning when admins' hashes differ in method or cost: an unknown name is hashed against
 * the first admin's, so only one cost for all keeps a login's time from telling which
 * names exist. */
static void warn_mixed_costs(const char *path, const struct admins *t)
{
	char first[64], k[64];

	if (t->n == 0)
		return;
	cost_key(t->a[0].hash, first);
	for (size_t i = 1; i < t->n; i++) {
		cost_key(t->a[i].hash, k);
		if (strcmp(k, first)) {
			fprintf(stderr, "%s: warning: %s's hash (%s...) and %s's (%s...) differ in "
				"method or cost, so a login's time may tell whether a name exists: "
				"give every admin the same (mkpasswd -m yescrypt, or openssl passwd "
				"-6 for all)\n", path, t->a[0].name, first, t->a[i].name, k);
			return;
		}
	}
}

int admins_load(const char *path, struct admins **out)
{
	struct strata_diag diag = { 0 };
	uint8_t *buf;
	size_t len;
	int rc;

	if (read_file(path, 1 << 20, &buf, &len))
		return STRATA_EREPORTED;
	rc = admins_parse((const char *)buf, len, out, &diag);
	free(buf);
	if (rc == STRATA_ENOMEM)
		return errorf("%s: out of memory", path);
	if (rc)
		return errorf("%s:%llu: %s", path, (unsigned long long)diag.where, diag.msg);
	warn_mixed_costs(path, *out);
	return 0;
}

void admins_free(struct admins *a)
{
	if (!a)
		return;
	free(a->a);
	free(a);
}

const struct admin *admins_find(const struct admins *a, const char *name)
{
	for (size_t i = 0; a && i < a->n; i++)
		if (!strcmp(a->a[i].name, name))
			return &a->a[i];
	return NULL;
}

/* Whether pw hashes to hash: crypt_rn into a heap crypt_data (32 KB, too big for an HTTP
 * thread's stack), compared in constant time.  1, 0, or STRATA_ENOMEM. */
static int hash_matches(const char *hash, const char *pw)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *got;
	size_t n = strlen(hash);
	int ok;

	if (!cd)
		return STRATA_ENOMEM;
	got = crypt_rn(pw, hash, cd, (int)sizeof(*cd));
	ok = got && got[0] != '*' && strlen(got) == n && strata_memeq_ct(got, hash, n);
	strata_wipe(cd, sizeof(*cd));
	free(cd);
	return ok;
}

int admins_verify(const struct admins *a, const char *name, const char *pw, size_t pw_len,
		  uint64_t *gen)
{
	const struct admin *ad = admins_find(a, name);
	int ok;

	if (!a || a->n == 0 || pw_len == 0 || pw_len > ADMIN_PASSWORD_MAX ||
	    strlen(pw) != pw_len)
		return STRATA_EAUTH;
	ok = hash_matches(ad ? ad->hash : a->a[0].hash, pw);   /* the same time either way */
	if (ok < 0)
		return ok;
	if (!ok || !ad)
		return STRATA_EAUTH;
	*gen = ad->gen;
	return 0;
}
