/*
 * Unit tests for server/capture_parse.c: a capture order's parameters, a machine-layer
 * order, a gold order with its confirmation, and every refusal with the reason it gives;
 * a have/need body: good ones, and every malformed shape with the line it names; a chunk
 * upload's z= and len=.
 */
#include <string.h>
#include "capture_parse.h"
#include "harness.h"
#include "rc.h"

/* Parse as and prepared; the rc, with the order in *o and the refusal's reason in *why. */
static int parse(const char *as, const char *prepared, struct capture_order *o,
		 const char **why)
{
	*why = "";
	return capture_order_parse(as, prepared, o, why);
}

static void test_good(void)
{
	struct capture_order o;
	const char *why;

	CHECK_EQ(parse(NULL, NULL, &o, &why), 0);
	CHECK_EQ(o.kind, CAPTURE_MACHINE);
	CHECK(o.profile[0] == '\0' && o.prepared == 0);
	CHECK_EQ(parse("win11-gold", "yes", &o, &why), 0);
	CHECK_EQ(o.kind, CAPTURE_GOLD);
	CHECK(strcmp(o.profile, "win11-gold") == 0 && o.prepared == 1);
}

static void test_bad(void)
{
	char long_name[INV_NAME_MAX + 2];
	struct capture_order o;
	const char *why;

	CHECK_EQ(parse("gold", NULL, &o, &why), STRATA_EINVAL);
	CHECK(strstr(why, "prepared=yes") != NULL);
	CHECK_EQ(parse("gold", "no", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("gold", "YES", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("gold", "", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse(NULL, "yes", &o, &why), STRATA_EINVAL);
	CHECK(strstr(why, "as=PROFILE") != NULL);
	CHECK_EQ(parse("", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("-gold", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("go ld", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("go.ld", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("go\"ld", "yes", &o, &why), STRATA_EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_EQ(parse(long_name, "yes", &o, &why), STRATA_EINVAL);
	long_name[INV_NAME_MAX] = '\0';
	CHECK_EQ(parse(long_name, "yes", &o, &why), 0);
}

#define D1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D2 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

/* Parse a have/need body given as a C string; the rc, digests in d, count, bad line. */
static int need(const char *body, uint8_t (*d)[32], size_t cap, size_t *n, size_t *line)
{
	return capture_need_parse(body, strlen(body), d, cap, n, line);
}

static void test_need_good(void)
{
	uint8_t d[3][32];
	size_t n, line;

	CHECK_EQ(need(D1 "\n", d, 3, &n, &line), 0);
	CHECK_EQ(n, 1);
	CHECK(d[0][0] == 0x01 && d[0][31] == 0xef);
	CHECK_EQ(need(D1 "\n" D2 "\n" D1 "\n", d, 3, &n, &line), 0);
	CHECK_EQ(n, 3);
	CHECK(d[1][0] == 0xff && d[2][1] == 0x23);
}

static void test_need_bad(void)
{
	uint8_t d[2][32];
	size_t n, line;

	CHECK_EQ(need("", d, 2, &n, &line), STRATA_EINVAL);
	CHECK_EQ(line, 0);
	CHECK_EQ(need(D1, d, 2, &n, &line), STRATA_EINVAL);             /* no newline */
	CHECK_EQ(need(D1 "\n" D1 "\n" D1 "\n", d, 2, &n, &line), STRATA_EINVAL);   /* > cap */
	CHECK_EQ(line, 0);
	CHECK_EQ(need(D1 "\n" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
		      d, 2, &n, &line), STRATA_EINVAL);                      /* upper case */
	CHECK_EQ(line, 2);
	CHECK_EQ(need(D1 "\r" D1 "\n", d, 2, &n, &line), STRATA_EINVAL);
	CHECK_EQ(line, 1);
	CHECK_EQ(need("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", d, 2,
		      &n, &line), STRATA_EINVAL);
	CHECK_EQ(need(D1 "\n\n", d, 2, &n, &line), STRATA_EINVAL);      /* a stray line */
	CHECK_EQ(n, 0);
}

static void test_chunk_query(void)
{
	const char *why;
	size_t len;
	int z;

	CHECK_EQ(capture_chunk_query(NULL, NULL, 10, &z, &len, &why), 0);
	CHECK(z == 0 && len == 10);
	CHECK_EQ(capture_chunk_query("0", "10", 10, &z, &len, &why), 0);
	CHECK_EQ(capture_chunk_query("1", "65536", 300, &z, &len, &why), 0);
	CHECK(z == 1 && len == 65536);
	CHECK_EQ(capture_chunk_query("1", "4194304", 5, &z, &len, &why), 0);
	CHECK_EQ(capture_chunk_query("1", "4194305", 5, &z, &len, &why), STRATA_ERANGE);
	CHECK_EQ(capture_chunk_query(NULL, NULL, 4194305, &z, &len, &why), STRATA_ERANGE);
	CHECK_EQ(capture_chunk_query(NULL, NULL, 0, &z, &len, &why), STRATA_ERANGE);
	CHECK_EQ(capture_chunk_query("1", NULL, 5, &z, &len, &why), STRATA_EINVAL);
	CHECK(strstr(why, "len=") != NULL);
	CHECK_EQ(capture_chunk_query("2", NULL, 5, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query(NULL, "4", 5, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query("1", "-5", 5, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query("1", "1e3", 5, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query("1", "99999999999999999999999", 5, &z, &len, &why),
		 STRATA_EINVAL);
}

/* A hello's body: exactly "eph=" and 130 lowercase hex digits and '\n'. */
static void test_hello(void)
{
	char body[CAPTURE_HELLO_BODY + 2];
	uint8_t eph[65];

	memcpy(body, "eph=", 4);
	for (int i = 0; i < 130; i++)
		body[4 + i] = "0123456789abcdef"[(i * 7) % 16];
	body[134] = '\n';
	CHECK_EQ(capture_hello_parse(body, CAPTURE_HELLO_BODY, eph), 0);
	CHECK_EQ(eph[0], 0x07);
	CHECK_EQ(capture_hello_parse(body, CAPTURE_HELLO_BODY - 1, eph), STRATA_EINVAL);
	body[135] = '\n';
	CHECK_EQ(capture_hello_parse(body, CAPTURE_HELLO_BODY + 1, eph), STRATA_EINVAL);
	body[10] = 'A';
	CHECK_EQ(capture_hello_parse(body, CAPTURE_HELLO_BODY, eph), STRATA_EINVAL);
	body[10] = 'a';
	body[134] = ' ';
	CHECK_EQ(capture_hello_parse(body, CAPTURE_HELLO_BODY, eph), STRATA_EINVAL);
	body[134] = '\n';
	body[0] = 'E';
	CHECK_EQ(capture_hello_parse(body, CAPTURE_HELLO_BODY, eph), STRATA_EINVAL);
	CHECK_EQ(capture_hello_parse("", 0, eph), STRATA_EINVAL);
}

int main(void)
{
	RUN(test_good);
	RUN(test_bad);
	RUN(test_need_good);
	RUN(test_need_bad);
	RUN(test_chunk_query);
	RUN(test_hello);
	return harness_summary();
}
