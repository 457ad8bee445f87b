/*
 * Unit tests of the AWS credentials/config reader (images/host/s3_ini.c): sections, keys,
 * spacing, comments and CRLF as the AWS tools write them, and values that do not fit.
 */
#include <string.h>
#include "harness.h"
#include "s3.h"

static const char creds[] =
	"# a comment\n"
	"[default]\n"
	"aws_access_key_id=AKIDEFAULT\n"
	"aws_secret_access_key = secret/with+chars\n"
	"\n"
	"  [lab]  \r\n"
	"\taws_access_key_id   =   AKILAB  \r\n"
	"; another comment\n"
	"aws_access_key_idx = wrong\n"
	"aws_secret_access_key=lab-secret";

static int get(const char *section, const char *key, char *out, size_t cap)
{
	return s3_ini_get(creds, strlen(creds), section, key, out, cap);
}

static void test_values(void)
{
	char v[64];

	CHECK(get("default", "aws_access_key_id", v, sizeof(v)) && !strcmp(v, "AKIDEFAULT"));
	CHECK(get("default", "aws_secret_access_key", v, sizeof(v)) &&
	      !strcmp(v, "secret/with+chars"));
	CHECK(get("lab", "aws_access_key_id", v, sizeof(v)) && !strcmp(v, "AKILAB"));
	CHECK(get("lab", "aws_secret_access_key", v, sizeof(v)) && !strcmp(v, "lab-secret"));
}

static void test_missing(void)
{
	char v[64];

	CHECK(!get("other", "aws_access_key_id", v, sizeof(v)));
	CHECK(!get("default", "aws_session_token", v, sizeof(v)));
	CHECK(!get("lab", "aws_access_key", v, sizeof(v)));      /* a prefix of a key */
	CHECK(!get("la", "aws_access_key_id", v, sizeof(v)));
	CHECK(!get("default", "aws_access_key_id", v, 10));      /* AKIDEFAULT + NUL: 11 */
	CHECK(get("default", "aws_access_key_id", v, 11));
	CHECK(!s3_ini_get("", 0, "default", "k", v, sizeof(v)));
	CHECK(!s3_ini_get("[default]\nk\n", 12, "default", "k", v, sizeof(v)));
}

int main(void)
{
	RUN(test_values);
	RUN(test_missing);
	return harness_summary();
}
