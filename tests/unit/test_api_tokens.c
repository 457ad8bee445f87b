/*
 * Unit tests for strata-server's token file (server/api_tokens.c): the NAME TOKEN grammar,
 * every refusal with its line, repeats, and the check of a presented token.
 */
#include <string.h>
#include "api_tokens.h"
#include "harness.h"

#define TOK_A "0123456789abcdef0123"
#define TOK_B "Zz9._~+/=-Zz9._~+/=-"

/* Parse text; the rc, with the line and message of a refusal in *diag. */
static int parse(const char *text, struct strata_diag *diag, struct api_tokens **out)
{
	*out = NULL;
	*diag = (struct strata_diag){ 0 };
	return api_tokens_parse(text, strlen(text), out, diag);
}

/* The name a token is checked in as, "" for none. */
static const char *named(const struct api_tokens *t, const char *tok)
{
	const char *n = api_tokens_check(t, tok);

	return n ? n : "";
}

static void test_good(void)
{
	struct strata_diag d;
	struct api_tokens *t;

	CHECK_EQ(parse("# admins\n\nalice " TOK_A "\n  ci-bot.2\t" TOK_B "  # robot\r\n",
		       &d, &t), 0);
	if (!t)
		return;
	CHECK_EQ(t->n, 2);
	CHECK(strcmp(named(t, TOK_A), "alice") == 0);
	CHECK(strcmp(named(t, TOK_B), "ci-bot.2") == 0);
	CHECK(api_tokens_check(t, TOK_A "x") == NULL);
	CHECK(api_tokens_check(t, "0123456789abcdef012") == NULL);
	CHECK(api_tokens_check(t, "") == NULL);
	CHECK(api_tokens_check(t, NULL) == NULL);
	CHECK(api_tokens_check(NULL, TOK_A) == NULL);
	api_tokens_free(t);
}

/* An empty file is valid and lets nobody in; so is a file without its last newline. */
static void test_edges(void)
{
	struct strata_diag d;
	struct api_tokens *t;

	CHECK_EQ(parse("", &d, &t), 0);
	CHECK(t && t->n == 0 && api_tokens_check(t, TOK_A) == NULL);
	api_tokens_free(t);
	CHECK_EQ(parse("a " TOK_A, &d, &t), 0);
	CHECK(t && t->n == 1);
	api_tokens_free(t);
	CHECK_EQ(parse("n2345678901234567890123456789012 " TOK_A "\n", &d, &t), 0);
	api_tokens_free(t);
}

static void test_bad(void)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *why;
	} bad[] = {
		{ "alice\n", 1, "expected 'NAME TOKEN'" },
		{ "# x\nalice " TOK_A " extra\n", 2, "expected 'NAME TOKEN'" },
		{ "al/ce " TOK_A "\n", 1, "NAME must be" },
		{ "n23456789012345678901234567890123 " TOK_A "\n", 1, "NAME must be" },
		{ "alice 0123456789abcde\n", 1, "TOKEN must be 16-128" },
		{ "inventory " TOK_A "\n", 1, "NAME is one the audit log gives" },
		{ "schedule " TOK_A "\n", 1, "NAME is one the audit log gives" },
		{ "alice 0123456789abcdef012\"\n", 1, "TOKEN must be of" },
		{ "alice " TOK_A "\nalice " TOK_B "\n", 2, "NAME already used" },
		{ "alice " TOK_A "\nbob " TOK_A "\n", 2, "TOKEN already used" },
		{ "alice " TOK_A "\n\nbob\0 " TOK_B "\n", 3, "NUL byte" },
	};
	struct strata_diag d;
	struct api_tokens *t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].text);

		if (strstr(bad[i].why, "NUL"))
			len += 1 + strlen(bad[i].text + len + 1);
		d = (struct strata_diag){ 0 };
		t = NULL;
		CHECK_MSG(api_tokens_parse(bad[i].text, len, &t, &d) == STRATA_EINVAL, "case %zu", i);
		CHECK_MSG(t == NULL, "case %zu", i);
		CHECK_MSG(d.where == bad[i].line, "case %zu: line %llu", i,
			  (unsigned long long)d.where);
		CHECK_MSG(d.msg && strstr(d.msg, bad[i].why), "case %zu: %s", i, d.msg);
	}
}

/* A token of the longest length passes; one byte longer is refused. */
static void test_lengths(void)
{
	char text[300] = "a ";
	struct strata_diag d;
	struct api_tokens *t;

	memset(text + 2, 'x', API_TOKEN_MAX);
	CHECK_EQ(parse(text, &d, &t), 0);
	api_tokens_free(t);
	text[2 + API_TOKEN_MAX] = 'x';
	CHECK_EQ(parse(text, &d, &t), STRATA_EINVAL);
}

int main(void)
{
	RUN(test_good);
	RUN(test_edges);
	RUN(test_bad);
	RUN(test_lengths);
	return harness_summary();
}
