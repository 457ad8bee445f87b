/*
 * Unit tests for the admins file and the password check (server/admins.c): every accepted
 * method round-trips (hashes made here with libcrypt's crypt_gensalt_ra), each refusal
 * names its line, an unknown name and a wrong password fail alike, and a changed line
 * changes its gen (what ends its sessions).
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admins.h"
#include "harness.h"

/* A hash of pw with method prefix (libcrypt's cheapest cost), into out. */
static void make_hash(char *out, size_t cap, const char *prefix, const char *pw)
{
	char *salt = crypt_gensalt_ra(prefix, 0, NULL, 0);
	struct crypt_data *cd = calloc(1, sizeof(*cd));

	snprintf(out, cap, "%s", salt && cd ? crypt_r(pw, salt, cd) : "*");
	free(salt);
	free(cd);
}

/* Parse text; 0 or the rc, with the diag. */
static int parse(const char *text, struct admins **out, struct strata_diag *d)
{
	return admins_parse(text, strlen(text), out, d);
}

static void test_methods(void)
{
	static const char *const prefixes[] = { "$y$", "$gy$", "$7$", "$2b$", "$6$" };
	struct strata_diag d;
	struct admins *a;
	char h[256], text[320];
	uint64_t gen = 0;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		make_hash(h, sizeof(h), prefixes[i], "s3cret");
		snprintf(text, sizeof(text), "# admins\n\nalice:%s\n", h);
		CHECK_MSG(parse(text, &a, &d) == 0, "%s refused: %s", prefixes[i], d.msg);
		if (!a)
			continue;
		CHECK_EQ(a->n, 1);
		CHECK_MSG(admins_verify(a, "alice", "s3cret", 6, &gen) == 0, "%s", prefixes[i]);
		CHECK(gen == a->a[0].gen);
		CHECK_EQ(admins_verify(a, "alice", "s3cret!", 7, &gen), STRATA_EAUTH);
		CHECK_EQ(admins_verify(a, "mallory", "s3cret", 6, &gen), STRATA_EAUTH);
		admins_free(a);
		a = NULL;
	}
}

/* One refused file: its line and the start of its message. */
static void refused(const char *text, uint64_t line, const char *msg)
{
	struct strata_diag d = { 0 };
	struct admins *a = NULL;

	CHECK_MSG(parse(text, &a, &d) == STRATA_EINVAL, "accepted: %s", text);
	CHECK_MSG(d.where == line, "line %llu for %s", (unsigned long long)d.where, text);
	CHECK_MSG(d.msg && !strncmp(d.msg, msg, strlen(msg)), "'%s' for %s", d.msg, text);
	admins_free(a);
}

static void test_refusals(void)
{
	char h[256], t[600];

	make_hash(h, sizeof(h), "$6$", "pw");
	refused("eve:$apr1$abc$defghijklmnopqrstuvwx\n", 1, "HASH is not of a method taken");
	refused("eve:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", 1, "HASH is not of a method taken");
	refused("eve:abRlmWuqSXUko\n", 1, "HASH is not of a method taken");        /* DES */
	refused("eve:$1$abcdefgh$abcdefghijklmnopqrstuv\n", 1, "HASH is not of a method taken");
	refused("eve:$5$abcdefgh$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ\n", 1,
		"HASH is not of a method taken");
	refused("eve:\n", 1, "HASH must be one crypt(3) hash");
	snprintf(t, sizeof(t), "# c\nalice:%s \n", h);
	refused(t, 2, "HASH must be one crypt(3) hash");             /* a trailing space */
	snprintf(t, sizeof(t), "alice:%s\r\n", h);
	refused(t, 1, "HASH must be one crypt(3) hash");             /* CR */
	snprintf(t, sizeof(t), "alice:%s\nalice:%s\n", h, h);
	refused(t, 2, "NAME already used");
	snprintf(t, sizeof(t), "machine:%s\n", h);
	refused(t, 1, "NAME is one the audit log gives");
	snprintf(t, sizeof(t), "a b:%s\n", h);
	refused(t, 1, "NAME must be 1-32");
	snprintf(t, sizeof(t), ":%s\n", h);
	refused(t, 1, "NAME must be 1-32");
	refused("alice\n", 1, "expected 'NAME:HASH'");
	refused("alice:x\0y\n", 1, "HASH");
}

static void test_gen_and_limits(void)
{
	struct strata_diag d;
	struct admins *a = NULL, *b = NULL;
	char h1[256], h2[256], t[600], big[ADMIN_PASSWORD_MAX + 2];
	uint64_t gen;

	make_hash(h1, sizeof(h1), "$6$", "pw");
	make_hash(h2, sizeof(h2), "$6$", "pw");      /* another salt: another line */
	snprintf(t, sizeof(t), "alice:%s\n", h1);
	CHECK(parse(t, &a, &d) == 0);
	snprintf(t, sizeof(t), "alice:%s\n", h2);
	CHECK(parse(t, &b, &d) == 0);
	if (!a || !b)
		return;
	CHECK(a->a[0].gen != b->a[0].gen);
	CHECK_EQ(admins_verify(a, "alice", "", 0, &gen), STRATA_EAUTH);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(admins_verify(a, "alice", big, strlen(big), &gen), STRATA_EAUTH);
	CHECK_EQ(admins_verify(a, "alice", "pw\0x", 4, &gen), STRATA_EAUTH);
	CHECK(admins_find(a, "alice") == &a->a[0] && !admins_find(a, "bob"));
	admins_free(a);
	admins_free(b);
}

int main(void)
{
	RUN(test_methods);
	RUN(test_refusals);
	RUN(test_gen_and_limits);
	return harness_summary();
}
