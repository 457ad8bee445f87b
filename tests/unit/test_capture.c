/*
 * Unit tests for server/capture_parse.c: a capture order's parameters, a machine-layer
 * order, a gold order with its confirmation, and every refusal with the reason it gives;
 * a have/need body: good ones, and every malformed shape with the line it names; a chunk
 * upload's z= and len=; a captured layout (strata_layout_parse:
 * accepted, and every layout rule's refusal with its line), the profile made of it
 * (inv_profile_from_layout; its min-size raised for a layout of odd sizes), and an
 * inventory parsed with it (a machine names it; a profile line of its name is refused).
 */
#include <stdio.h>
#include <string.h>
#include "capture_parse.h"
#include "harness.h"
#include "inventory.h"
#include "manifest.h"
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
	return strata_need_parse(body, strlen(body), d, cap, n, line);
}

/* force= on an order: yes or absent, recorded on both kinds. */
static void test_force(void)
{
	struct capture_order o;
	const char *why = "";

	CHECK_EQ(parse("g1", "yes", &o, &why), 0);
	CHECK_EQ(capture_order_force(NULL, &o, &why), 0);
	CHECK_EQ(o.force, 0);
	CHECK_EQ(capture_order_force("yes", &o, &why), 0);
	CHECK(o.force == 1 && o.kind == CAPTURE_GOLD && o.prepared == 1);
	CHECK_EQ(parse(NULL, NULL, &o, &why), 0);
	CHECK_EQ(capture_order_force("yes", &o, &why), 0);
	CHECK(o.force == 1 && o.kind == CAPTURE_MACHINE);
	CHECK_EQ(capture_order_force("no", &o, &why), STRATA_EINVAL);
	CHECK(o.force == 0 && !strcmp(why, "force= is yes or absent"));
	CHECK_EQ(capture_order_force("", &o, &why), STRATA_EINVAL);
	CHECK_EQ(capture_order_force("YES", &o, &why), STRATA_EINVAL);
}

/* The layer a commit's answer names: the word layer=, wherever it stands in the first
 * line; nothing else, nothing malformed. */
static void test_commit_answer(void)
{
	static const char hex[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char line[300];
	uint8_t id[32];

	snprintf(line, sizeof(line), "generation 2 layer=sha256:%s size=1 stored=1 uploaded=0 "
		 "rewritten=3\n", hex);
	CHECK_EQ(strata_commit_answer_layer(line, strlen(line), id), 0);
	CHECK(id[0] == 0x00 && id[1] == 0x11 && id[31] == 0xff);
	snprintf(line, sizeof(line), "layer=sha256:%s forced", hex);
	CHECK_EQ(strata_commit_answer_layer(line, strlen(line), id), 0);
	CHECK_EQ(strata_commit_answer_layer(line, 6 + 7 + 63, id), STRATA_EINVAL);  /* cut */
	snprintf(line, sizeof(line), "xlayer=sha256:%s", hex);
	CHECK_EQ(strata_commit_answer_layer(line, strlen(line), id), STRATA_EINVAL);
	snprintf(line, sizeof(line), "size=1\nlayer=sha256:%s", hex);   /* not the first line */
	CHECK_EQ(strata_commit_answer_layer(line, strlen(line), id), STRATA_EINVAL);
	CHECK_EQ(strata_commit_answer_layer("layer=sha256:xyz", 16, id), STRATA_EINVAL);
	CHECK_EQ(strata_commit_answer_layer("", 0, id), STRATA_EINVAL);
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
	/* a zlib body as long as its chunk, or longer, would poison the store's file */
	CHECK_EQ(capture_chunk_query("1", "10", 10, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query("1", "10", 11, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query("1", "-5", 5, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query("1", "1e3", 5, &z, &len, &why), STRATA_EINVAL);
	CHECK_EQ(capture_chunk_query("1", "99999999999999999999999", 5, &z, &len, &why),
		 STRATA_EINVAL);
}

#define L64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/** A reference disk's layout: two layers, a private CIDATA and data partition kept. */
static const char layout[] =
	"strata-manifest 1\nversion 0\n"
	"disk guid=11111111-2222-4333-8444-555555555500 min-size=1G\n"
	"part 1 label=ESP type=esp guid=11111111-2222-4333-8444-555555555501 start=1M size=64M "
	"policy=write layer=sha256:" L64 "\n"
	"part 2 label=root type=E3C9E316-0B5C-4DB8-817D-F92DF00215AE "
	"guid=11111111-2222-4333-8444-555555555502 start=65M size=512M policy=write "
	"layer=sha256:" L64 " wipe=yes\n"
	"part 3 label=CIDATA type=basic guid=11111111-2222-4333-8444-555555555503 start=577M "
	"size=8M policy=preserve\n"
	"part 4 label=data type=linux guid=11111111-2222-4333-8444-555555555504 start=585M "
	"size=rest policy=preserve\n";

/* layout with its first from replaced by to, parsed: the rc, diag's line in *where. */
static int layout_with(const char *from, const char *to, uint64_t *where)
{
	char text[2048], *at;
	struct strata_manifest m;
	struct strata_diag diag = { 0 };
	int rc;

	strcpy(text, layout);
	at = strstr(text, from);
	if (at) {
		memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
		memcpy(at, to, strlen(to));
	}
	rc = strata_layout_parse(&m, text, strlen(text), &diag);
	*where = diag.where;
	return rc;
}

static void test_layout(void)
{
	struct strata_manifest m;
	struct strata_diag diag = { 0 };
	uint64_t where;

	CHECK_EQ(strata_layout_parse(&m, layout, strlen(layout), &diag), 0);
	CHECK_EQ(m.nparts, 4u);
	CHECK_EQ(layout_with("wipe=yes\n", "wipe=yes store=private\n", &where), STRATA_EINVAL);
	CHECK_EQ(where, 5u);
	CHECK_EQ(layout_with("label=CIDATA", "label=ESP", &where), STRATA_EINVAL);
	CHECK_EQ(where, 6u);
	CHECK_EQ(layout_with("size=rest policy=preserve\n", "size=rest policy=preserve\n"
			     "signature ecdsa-p256 AAAA\n", &where), STRATA_EINVAL);
	CHECK_EQ(where, 8u);
	/* The manifest's own rules still hold: a layer on a preserved part, a bad GUID. */
	CHECK_EQ(layout_with("size=8M policy=preserve", "size=8M policy=preserve layer=sha256:"
			     L64, &where), STRATA_EINVAL);
	CHECK_EQ(layout_with("guid=11111111-2222-4333-8444-555555555500", "guid=x", &where),
		 STRATA_EINVAL);
	CHECK_EQ(where, 3u);
}

static void test_layout_profile(void)
{
	struct strata_manifest m;
	struct strata_diag diag = { 0 };
	struct inv_profile pr;
	const char *why = "";

	CHECK_EQ(strata_layout_parse(&m, layout, strlen(layout), &diag), 0);
	CHECK_EQ(inv_profile_from_layout(&m, "golden", "/s/profiles/golden.layout", &pr, &why), 0);
	CHECK(!strcmp(pr.name, "golden") && pr.nparts == 4 && pr.min_disk == (1ull << 30));
	CHECK(!strcmp(pr.captured, "/s/profiles/golden.layout"));
	CHECK(!strcmp(pr.parts[0].type, "esp") && pr.parts[0].size == (64ull << 20));
	CHECK(!strcmp(pr.parts[1].type, "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"));
	CHECK(pr.parts[1].layer_kind == INV_LAYER_ID && pr.parts[1].wipe);
	/* the reference disk's CIDATA (preserved in the layout) becomes each machine's own */
	CHECK(!strcmp(pr.parts[2].label, "CIDATA"));
	CHECK(pr.parts[2].layer_kind == INV_LAYER_MACHINE &&
	      pr.parts[2].policy == STRATA_POLICY_WRITE);
	CHECK(pr.parts[3].size == 0 && !pr.parts[3].capture);
	inv_profile_done(&pr);
	CHECK_EQ(inv_profile_from_layout(&m, "-bad", "x", &pr, &why), STRATA_EINVAL);
	inv_profile_done(&pr);
}

/* A layout whose partitions are not 1 MiB multiples: laid out at 1 MiB boundaries they
 * end past its min-size, which the profile raises so its manifests stay valid. */
static void test_layout_min_size(void)
{
	static const char odd[] =
		"strata-manifest 1\nversion 0\ndisk guid=11111111-2222-4333-8444-555555555500 "
		"min-size=8196K\n"
		"part 1 label=a type=linux guid=11111111-2222-4333-8444-555555555501 start=1M "
		"size=3076K policy=write layer=sha256:" L64 "\n"
		"part 2 label=b type=linux guid=11111111-2222-4333-8444-555555555502 start=4100K "
		"size=4M policy=preserve\n";
	struct strata_manifest m;
	struct strata_diag diag = { 0 };
	struct inv_profile pr;
	const char *why;

	CHECK_EQ(strata_layout_parse(&m, odd, strlen(odd), &diag), 0);
	CHECK_EQ(inv_profile_from_layout(&m, "odd", "odd.layout", &pr, &why), 0);
	CHECK_EQ(pr.min_disk, 9ull << 20);
	inv_profile_done(&pr);
}

static void test_inventory_with(void)
{
	static const char uses[] = "machine 52:54:00:00:00:01 name=pc01 profile=golden\n";
	static const char clash[] = "profile golden\npart label=a type=linux size=rest\n";
	struct strata_manifest m;
	struct strata_diag diag = { 0 };
	struct inv_profile pr;
	struct inventory *inv = NULL;
	const char *why;

	CHECK_EQ(strata_layout_parse(&m, layout, strlen(layout), &diag), 0);
	CHECK_EQ(inv_profile_from_layout(&m, "golden", "golden.layout", &pr, &why), 0);
	CHECK_EQ(inventory_parse_with("inv.conf", uses, strlen(uses), &pr, 1, &inv), 0);
	CHECK(inv && inv->nprofiles == 1 && inv->nmachines == 1 && inv->machines[0].profile == 0);
	CHECK(inv && inv->profiles[0].captured && !strcmp(inv->profiles[0].captured,
							   "golden.layout"));
	inventory_free(inv);
	CHECK(inventory_parse("inv.conf", uses, strlen(uses), &inv) != 0);
	fprintf(stderr, "(expected: an error naming the inventory line and the captured file)\n");
	CHECK(inventory_parse_with("inv.conf", clash, strlen(clash), &pr, 1, &inv) != 0);
	inv_profile_done(&pr);
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
	RUN(test_force);
	RUN(test_commit_answer);
	RUN(test_need_good);
	RUN(test_need_bad);
	RUN(test_chunk_query);
	RUN(test_layout);
	RUN(test_layout_profile);
	RUN(test_layout_min_size);
	RUN(test_inventory_with);
	RUN(test_hello);
	return harness_summary();
}
