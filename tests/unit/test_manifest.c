/*
 * Unit tests for machine manifests (images/core/manifest.c, grammar in manifest.h).
 *
 * Why: a manifest decides what is written over a machine's disk, so the parser must take
 * exactly the documented grammar and say which line is wrong, and a signature must cover
 * every byte before the signature line.  The tests parse a full valid manifest and check
 * every field; then break each statement, key and rule in turn and check the rc and the
 * 1-based line in diag.where; truncate at every byte; and sign with a fresh ECDSA P-256
 * key (mbedTLS) to check strata_manifest_verify accepts the signed text and rejects any
 * changed byte, a wrong key and an unsigned manifest.  Rollback protection is checked with
 * strata_manifest_check_version.  Texts are parsed from exactly-sized heap copies.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include "harness.h"
#include "manifest.h"
#include "text.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LAYER_A "sha256:" HEX_A
#define LAYER_B "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DISK_GUID "8A1C37E2-5B0D-4C4B-9D3E-0A1B2C3D4E5F"
#define GUID1 "11111111-2222-3333-4444-555555555555"
#define GUID2 "22222222-3333-4444-5555-666666666666"
#define GUID3 "33333333-4444-5555-6666-777777777777"
#define SWAP_GUID "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
#define DISK "disk guid=" DISK_GUID

/* Part lines built from their keys, so a case can drop or change exactly one. */
#define L1 " label=ESP"
#define T1 " type=esp"
#define G1 " guid=" GUID1
#define S1 " start=1M"
#define Z1 " size=64M"
#define W1 " policy=write"
#define Y1 " layer=" LAYER_A
#define P1X(l, t, g, s, z, w, y) "part 1" l t g s z w y
#define P1 P1X(L1, T1, G1, S1, Z1, W1, Y1)
#define P2X(n, s, z, w, y) "part " n " label=root type=linux guid=" GUID2 s z w y
#define P2 P2X("2", " start=65M", " size=1G", " policy=restore", " layer=" LAYER_B)
#define P3X(n, s, z, w, y) "part " n " label=data type=" SWAP_GUID " guid=" GUID3 s z w y
#define P3 P3X("3", " start=1089M", " size=rest", " policy=preserve", "")
#define SIG "\nsignature ecdsa-p256 AAAA"

/** The valid manifest, one line per entry (line numbers are 1-based in diagnostics). */
static const char *const base[] = {
	"strata-manifest 1",          /* 1 */
	"version 7",                  /* 2 */
	"machine pc01",               /* 3 */
	DISK " min-size=2G",          /* 4 */
	"# partitions",               /* 5 */
	P1,                           /* 6 */
	P2,                           /* 7 */
	P3,                           /* 8 */
};
#define NBASE 8

/* Join the first nlines base lines with LFs, line `line` replaced by repl (which may hold
 * more lines).  Returns the length; out is NUL-terminated for convenience. */
static size_t build(char *out, size_t cap, unsigned int nlines, unsigned int line,
		    const char *repl)
{
	size_t n = 0;

	for (unsigned int i = 1; i <= nlines; i++) {
		const char *s = i == line ? repl : base[i - 1];
		int k = snprintf(out + n, cap - n, "%s\n", s);

		if (k < 0 || (size_t)k >= cap - n)
			abort();
		n += (size_t)k;
	}
	return n;
}

/* Parse len bytes of text from an exactly-sized heap copy. */
static int parse_text(struct strata_manifest *m, const char *text, size_t len,
		      struct strata_diag *d)
{
	char *p = malloc(len ? len : 1);
	int rc;

	if (!p)
		abort();
	memcpy(p, text, len);
	d->msg = NULL;
	d->where = UINT64_MAX;
	rc = strata_manifest_parse(m, p, len, d);
	free(p);
	return rc;
}

static int count_lines(const char *s, size_t n)
{
	int k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

static void test_valid(void)
{
	static const uint8_t esp[16] = { 0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
					 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B };
	char text[2048];
	size_t len = build(text, sizeof(text), NBASE, 0, NULL);
	struct strata_manifest m;
	struct strata_diag d;
	uint8_t g[16], layer_b[32];
	const struct strata_part *p = m.parts;

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK_EQ(m.version, 7);
	CHECK(strcmp(m.machine, "pc01") == 0);
	CHECK(strata_guid_parse(g, DISK_GUID, 36) == 0 && memcmp(m.disk_guid, g, 16) == 0);
	CHECK_EQ(m.min_disk, 2ULL << 30);
	CHECK_EQ(m.nparts, 3);
	CHECK_EQ(m.signed_len, len);
	CHECK_EQ(m.sig_len, 0);

	CHECK(p[0].num == 1 && strcmp(p[0].label, "ESP") == 0 && memcmp(p[0].type_guid, esp, 16) == 0);
	CHECK(strata_guid_parse(g, GUID1, 36) == 0 && memcmp(p[0].part_guid, g, 16) == 0);
	CHECK(p[0].start == 1ULL << 20 && p[0].size == 64ULL << 20);
	CHECK(p[0].policy == STRATA_POLICY_WRITE && p[0].has_layer);
	for (int i = 0; i < 32; i++)
		CHECK_MSG(p[0].layer[i] == 0xAA, "layer byte %d", i);

	CHECK(p[1].num == 2 && strcmp(p[1].label, "root") == 0);
	CHECK(strata_guid_parse(g, "0FC63DAF-8483-4772-8E79-3D69D8477DE4", 36) == 0 &&
	      memcmp(p[1].type_guid, g, 16) == 0);
	CHECK(p[1].start == 65ULL << 20 && p[1].size == 1ULL << 30);
	CHECK(p[1].policy == STRATA_POLICY_RESTORE && p[1].has_layer);
	CHECK(strata_hex_decode(layer_b, LAYER_B + 7, 32) == 0 && memcmp(p[1].layer, layer_b, 32) == 0);

	CHECK(p[2].num == 3 && strcmp(p[2].label, "data") == 0);
	CHECK(strata_guid_parse(g, SWAP_GUID, 36) == 0 && memcmp(p[2].type_guid, g, 16) == 0);
	CHECK(strata_guid_parse(g, GUID3, 36) == 0 && memcmp(p[2].part_guid, g, 16) == 0);
	CHECK(p[2].start == 1089ULL << 20 && p[2].size == 0);
	CHECK(p[2].policy == STRATA_POLICY_PRESERVE && !p[2].has_layer);
}

/** One broken manifest: base with line `line` replaced, and the failure it must give. */
struct mcase {
	const char *name;
	unsigned int line;
	const char *repl;
	int rc;
	uint64_t where;
};

static const struct mcase cases[] = {
	/* statements */
	{ "header version 2", 1, "strata-manifest 2", STRATA_EINVAL, 1 },
	{ "header with trailing space", 1, "strata-manifest 1 ", STRATA_EINVAL, 1 },
	{ "header missing", 1, "version 7", STRATA_EINVAL, 1 },
	{ "unknown statement", 3, "machin pc01", STRATA_EINVAL, 3 },
	{ "statement case", 2, "Version 7", STRATA_EINVAL, 2 },
	{ "spaces-only line", 5, "   ", STRATA_EINVAL, 5 },
	{ "version twice", 3, "version 8", STRATA_EINVAL, 3 },
	{ "partition GUID used twice", 7,
	  "part 2 label=root type=linux guid=" GUID1 " start=65M size=1G policy=write layer=" LAYER_B,
	  STRATA_EINVAL, 7 },
	{ "zero partition GUID", 6, P1X(L1, T1, " guid=00000000-0000-0000-0000-000000000000", S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "machine twice", 5, "machine pc02", STRATA_EINVAL, 5 },
	{ "disk twice", 5, DISK, STRATA_EINVAL, 5 },
	{ "version without value", 2, "version", STRATA_EINVAL, 2 },
	{ "version with two values", 2, "version 7 8", STRATA_EINVAL, 2 },
	{ "version leading zero", 2, "version 07", STRATA_EINVAL, 2 },
	{ "version negative", 2, "version -7", STRATA_EINVAL, 2 },
	{ "version overflow", 2, "version 18446744073709551616", STRATA_EINVAL, 2 },
	{ "machine without value", 3, "machine", STRATA_EINVAL, 3 },
	{ "machine two words", 3, "machine pc 01", STRATA_EINVAL, 3 },
	{ "machine bad char", 3, "machine pc/01", STRATA_EINVAL, 3 },
	{ "machine 64 chars", 3, "machine "
	  "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234", STRATA_EINVAL, 3 },
	/* missing statements: reported at the last line */
	{ "no version", 2, "# no version", STRATA_EINVAL, 8 },
	{ "no disk", 4, "# no disk", STRATA_EINVAL, 8 },
	/* disk */
	{ "disk without guid", 4, "disk min-size=2G", STRATA_EINVAL, 4 },
	{ "disk unknown key", 4, DISK " size=2G", STRATA_EINVAL, 4 },
	{ "disk bad guid", 4, "disk guid=8A1C37E2-5B0D-4C4B-9D3E-0A1B2C3D4E5", STRATA_EINVAL, 4 },
	{ "disk bad min-size", 4, DISK " min-size=2X", STRATA_EINVAL, 4 },
	{ "disk key without =", 4, DISK " min-size", STRATA_EINVAL, 4 },
	{ "disk min-size below layout", 4, DISK " min-size=1M", STRATA_EINVAL, 8 },
	/* part keys */
	{ "unknown part key", 6, P1 " colour=red", STRATA_EINVAL, 6 },
	{ "key without value", 6, P1 " label=", STRATA_EINVAL, 6 },
	{ "word without =", 6, P1 " write", STRATA_EINVAL, 6 },
	{ "label twice", 6, P1 " label=X", STRATA_EINVAL, 6 },
	{ "type twice", 6, P1 " type=linux", STRATA_EINVAL, 6 },
	{ "guid twice", 6, P1 G1, STRATA_EINVAL, 6 },
	{ "start twice", 6, P1 S1, STRATA_EINVAL, 6 },
	{ "size twice", 6, P1 Z1, STRATA_EINVAL, 6 },
	{ "policy twice", 6, P1 W1, STRATA_EINVAL, 6 },
	{ "layer twice", 6, P1 " layer=" LAYER_B, STRATA_EINVAL, 6 },
	{ "store twice", 6, P1 " store=private store=private", STRATA_EINVAL, 6 },
	{ "store public", 6, P1 " store=public", STRATA_EINVAL, 6 },
	{ "store case", 6, P1 " store=Private", STRATA_EINVAL, 6 },
	{ "store empty", 6, P1 " store=", STRATA_EINVAL, 6 },
	{ "store without layer", 8, P3X("3", " start=1089M", " size=rest", " policy=preserve",
	  " store=private"), STRATA_EINVAL, 8 },
	{ "no label", 6, P1X("", T1, G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "no type", 6, P1X(L1, "", G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "no guid", 6, P1X(L1, T1, "", S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "no start", 6, P1X(L1, T1, G1, "", Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "no size", 6, P1X(L1, T1, G1, S1, "", W1, Y1), STRATA_EINVAL, 6 },
	{ "no policy", 6, P1X(L1, T1, G1, S1, Z1, "", Y1), STRATA_EINVAL, 6 },
	{ "no keys", 6, "part 1", STRATA_EINVAL, 6 },
	{ "bad policy", 6, P1X(L1, T1, G1, S1, Z1, " policy=keep", Y1), STRATA_EINVAL, 6 },
	/* layers and policies */
	{ "write without layer", 6, P1X(L1, T1, G1, S1, Z1, W1, ""), STRATA_EINVAL, 6 },
	{ "restore without layer", 7, P2X("2", " start=65M", " size=1G", " policy=restore", ""),
	  STRATA_EINVAL, 7 },
	{ "preserve with layer", 8, P3 " layer=" LAYER_A, STRATA_EINVAL, 8 },
	{ "layer 63 hex", 6, P1X(L1, T1, G1, S1, Z1, W1, " layer=sha256:"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), STRATA_EINVAL, 6 },
	{ "layer 65 hex", 6, P1X(L1, T1, G1, S1, Z1, W1, " layer=sha256:"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), STRATA_EINVAL, 6 },
	{ "layer not hex", 6, P1X(L1, T1, G1, S1, Z1, W1, " layer=sha256:"
	  "gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), STRATA_EINVAL, 6 },
	{ "layer sha512", 6, P1X(L1, T1, G1, S1, Z1, W1, " layer=sha512:"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), STRATA_EINVAL, 6 },
	{ "layer bare hex", 6, P1X(L1, T1, G1, S1, Z1, W1, " layer="
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), STRATA_EINVAL, 6 },
	/* layout */
	{ "overlap", 7, P2X("2", " start=64M", " size=1G", " policy=restore", " layer=" LAYER_B),
	  STRATA_EINVAL, 7 },
	{ "starts before previous", 7, P2X("2", " start=1M", " size=4K", " policy=restore",
	  " layer=" LAYER_B), STRATA_EINVAL, 7 },
	{ "number repeats", 7, P2X("1", " start=65M", " size=1G", " policy=restore",
	  " layer=" LAYER_B), STRATA_EINVAL, 7 },
	{ "number descends", 8, P3X("2", " start=1089M", " size=rest", " policy=preserve", ""),
	  STRATA_EINVAL, 8 },
	/* wipe */
	{ "wipe no", 6, P1 " wipe=no", STRATA_EINVAL, 6 },
	{ "wipe YES", 6, P1 " wipe=YES", STRATA_EINVAL, 6 },
	{ "wipe 1", 6, P1 " wipe=1", STRATA_EINVAL, 6 },
	{ "wipe without value", 6, P1 " wipe=", STRATA_EINVAL, 6 },
	{ "wipe bare", 6, P1 " wipe", STRATA_EINVAL, 6 },
	{ "wipe twice", 6, P1 " wipe=yes wipe=yes", STRATA_EINVAL, 6 },
	{ "wipe on preserve", 8, P3 " wipe=yes", STRATA_EINVAL, 8 },
	{ "rest not last", 7, P2X("2", " start=65M", " size=rest", " policy=restore",
	  " layer=" LAYER_B), STRATA_EINVAL, 8 },
	{ "start below 1M", 6, P1X(L1, T1, G1, " start=1020K", Z1, W1, Y1), STRATA_ERANGE, 6 },
	{ "start 4K", 6, P1X(L1, T1, G1, " start=4K", Z1, W1, Y1), STRATA_ERANGE, 6 },
	{ "start 0", 6, P1X(L1, T1, G1, " start=0", Z1, W1, Y1), STRATA_ERANGE, 6 },
	{ "start rest", 6, P1X(L1, T1, G1, " start=rest", Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "start not 4K multiple", 6, P1X(L1, T1, G1, " start=1026K", Z1, W1, Y1), STRATA_ERANGE, 6 },
	{ "size not 4K multiple", 6, P1X(L1, T1, G1, S1, " size=1025K", W1, Y1), STRATA_ERANGE, 6 },
	{ "size 4097", 6, P1X(L1, T1, G1, S1, " size=4097", W1, Y1), STRATA_ERANGE, 6 },
	{ "size 0", 6, P1X(L1, T1, G1, S1, " size=0", W1, Y1), STRATA_ERANGE, 6 },
	{ "size above 2^60", 6, P1X(L1, T1, G1, S1, " size=1048577T", W1, Y1), STRATA_ERANGE, 6 },
	{ "size MB", 6, P1X(L1, T1, G1, S1, " size=64MB", W1, Y1), STRATA_EINVAL, 6 },
	{ "size leading zero", 6, P1X(L1, T1, G1, S1, " size=064M", W1, Y1), STRATA_EINVAL, 6 },
	{ "size negative", 6, P1X(L1, T1, G1, S1, " size=-64M", W1, Y1), STRATA_EINVAL, 6 },
	{ "part number 0", 6, "part 0" L1 T1 G1 S1 Z1 W1 Y1, STRATA_EINVAL, 6 },
	{ "part number 129", 6, "part 129" L1 T1 G1 S1 Z1 W1 Y1, STRATA_EINVAL, 6 },
	{ "part number 01", 6, "part 01" L1 T1 G1 S1 Z1 W1 Y1, STRATA_EINVAL, 6 },
	{ "part without number", 6, "part" L1 T1 G1 S1 Z1 W1 Y1, STRATA_EINVAL, 6 },
	/* GUIDs, types, labels */
	{ "bad part guid", 6, P1X(L1, T1, " guid=11111111-2222-3333-4444-55555555555", S1, Z1, W1, Y1),
	  STRATA_EINVAL, 6 },
	{ "part guid braces", 6, P1X(L1, T1, " guid={1111111-2222-3333-4444-55555555555}", S1, Z1,
	  W1, Y1), STRATA_EINVAL, 6 },
	{ "unknown type", 6, P1X(L1, " type=ntfs", G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "type alias case", 6, P1X(L1, " type=ESP", G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "label 37 chars", 6, P1X(" label=abcdefghijabcdefghijabcdefghij1234567", T1, G1, S1, Z1,
	  W1, Y1), STRATA_EINVAL, 6 },
	{ "label slash", 6, P1X(" label=a/b", T1, G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "label colon", 6, P1X(" label=a:b", T1, G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "label equals", 6, P1X(" label=a=b", T1, G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	{ "label with space", 6, P1X(" label=my disk", T1, G1, S1, Z1, W1, Y1), STRATA_EINVAL, 6 },
	/* bytes */
	{ "CR", 4, DISK " min-size=2G\r", STRATA_EINVAL, 4 },
	{ "CR alone", 5, "\r", STRATA_EINVAL, 5 },
	{ "tab in comment", 5, "# a\tb", STRATA_EINVAL, 5 },
	{ "tab as separator", 6, "part\t1" L1 T1 G1 S1 Z1 W1 Y1, STRATA_EINVAL, 6 },
	{ "non-ASCII", 5, "# caf\xc3\xa9", STRATA_EINVAL, 5 },
	{ "DEL", 3, "machine pc\x7f", STRATA_EINVAL, 3 },
	{ "byte 0x80", 2, "version 7\x80", STRATA_EINVAL, 2 },
	{ "escape", 5, "# \x1b[0m", STRATA_EINVAL, 5 },
	/* signature */
	{ "comment after signature", 8, P3 SIG "\n# after", STRATA_ETRAIL, 10 },
	{ "blank line after signature", 8, P3 SIG "\n", STRATA_ETRAIL, 10 },
	{ "part after signature", 7, P2 SIG "\n" P3, STRATA_ETRAIL, 9 },
	{ "two signatures", 8, P3 SIG SIG, STRATA_ETRAIL, 10 },
	{ "two spaces in the signature line", 8, P3 "\nsignature  ecdsa-p256 AAAA", STRATA_EINVAL, 9 },
	{ "signature algorithm", 8, P3 "\nsignature ecdsa-p384 AAAA", STRATA_ENOTSUP, 9 },
	{ "signature without algorithm", 8, P3 "\nsignature", STRATA_ENOTSUP, 9 },
	{ "signature without value", 8, P3 "\nsignature ecdsa-p256", STRATA_EINVAL, 9 },
	{ "signature two values", 8, P3 "\nsignature ecdsa-p256 AAAA AAAA", STRATA_EINVAL, 9 },
	{ "signature bad base64", 8, P3 "\nsignature ecdsa-p256 AAA", STRATA_EINVAL, 9 },
	{ "signature bad char", 8, P3 "\nsignature ecdsa-p256 AA*A", STRATA_EINVAL, 9 },
	{ "signature too long", 8, P3 "\nsignature ecdsa-p256 "
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", STRATA_EINVAL, 9 },
};

static void check_case(const struct mcase *c)
{
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, c->line, c->repl);
	struct strata_manifest m;
	struct strata_diag d;
	int rc = parse_text(&m, text, len, &d);

	CHECK_MSG(rc == c->rc, "%s: rc %d, want %d (%s)", c->name, rc, c->rc, d.msg ? d.msg : "");
	CHECK_MSG(d.where == c->where, "%s: line %llu, want %llu (%s)", c->name,
		  (unsigned long long)d.where, (unsigned long long)c->where, d.msg ? d.msg : "");
	CHECK_MSG(d.msg && d.msg[0], "%s: no message", c->name);
}

static void test_bad_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/** Variations that must still parse. */
static const struct { unsigned int line; const char *repl; } good_cases[] = {
	{ 5, "" },                                                        /* blank line */
	{ 5, "#" },
	{ 4, "disk min-size=2G guid=" DISK_GUID },                        /* key order */
	{ 4, DISK },                                                      /* no min-size */
	{ 4, "disk guid=8a1c37e2-5b0d-4c4b-9d3e-0a1b2c3d4e5f" },          /* lower case */
	{ 3, "machine abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123" }, /* 63 */
	{ 3, "machine A.b_c-9" },
	{ 6, P1X(" label=abcdefghijabcdefghijabcdefghij123456", T1, G1, S1, Z1, W1, Y1) }, /* 36 */
	{ 6, "part 1" Y1 W1 Z1 S1 G1 T1 L1 },                             /* any key order */
	{ 6, P1X(L1, " type=basic", G1, S1, " size=64M", W1, Y1) },
	{ 6, P1X(L1, " type=swap", G1, S1, " size=4K", W1, Y1) },
	{ 8, P3X("128", " start=1089M", " size=rest", " policy=preserve", "") },
	{ 8, P3X("3", " start=1089M", " size=512M", " policy=restore", " layer=" LAYER_A) },
	{ 8, P3X("3", " start=2000M", " size=rest", " policy=preserve", "") }, /* a gap */
	{ 8, P3 SIG },
	{ 6, P1 " wipe=yes" },
	{ 6, "part 1 wipe=yes" Y1 W1 Z1 S1 G1 T1 L1 },
	{ 7, P2 " wipe=yes" },                                            /* restore */
	{ 6, P1 " store=private" },
	{ 6, "part 1 store=private" L1 T1 G1 S1 Z1 W1 Y1 },                /* before layer= */
	{ 2, "version 0" },
	{ 2, "version 18446744073709551615" },
};

static void test_good_cases(void)
{
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		char text[4096];
		size_t len = build(text, sizeof(text), NBASE, good_cases[i].line, good_cases[i].repl);
		struct strata_manifest m;
		struct strata_diag d;
		int rc = parse_text(&m, text, len, &d);

		CHECK_MSG(rc == 0, "good case %zu: rc %d at line %llu: %s", i, rc,
			  (unsigned long long)d.where, d.msg ? d.msg : "");
	}
}

/* A single NUL or control byte anywhere in a line is rejected with that line. */
static void test_nul_and_controls(void)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0x0b, 0x0c, 0x1f, 0x7f, 0xff };
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, 0, NULL);
	struct strata_manifest m;
	struct strata_diag d;

	for (size_t b = 0; b < sizeof(bytes); b++) {
		for (size_t i = 0; i < len; i++) {
			char save = text[i];

			if (save == '\n')
				continue;
			text[i] = (char)bytes[b];
			CHECK_MSG(parse_text(&m, text, len, &d) == STRATA_EINVAL, "byte %02x at %zu",
				  bytes[b], i);
			CHECK_MSG((int)d.where == count_lines(text, i) + 1, "byte %02x at %zu: line %llu",
				  bytes[b], i, (unsigned long long)d.where);
			text[i] = save;
		}
	}
}

static void test_missing_newline(void)
{
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, 0, NULL);
	struct strata_manifest m;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, text, len - 1, &d), STRATA_ETRUNC);
	CHECK_EQ(d.where, NBASE);
	CHECK(d.msg != NULL);
}

static void test_no_partitions(void)
{
	char text[4096];
	size_t len = build(text, sizeof(text), 5, 0, NULL);
	struct strata_manifest m;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, text, len, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 5);
}

static void test_empty(void)
{
	struct strata_manifest m;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, "", 0, &d), STRATA_ETRUNC);
	CHECK(d.msg != NULL && d.where <= 1);
	CHECK_EQ(parse_text(&m, "\n", 1, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 1);
}

/* 17 partitions: the 17th line is refused. */
static void test_too_many_parts(void)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text), "strata-manifest 1\nversion 1\n%s\n", DISK);
	struct strata_manifest m;
	struct strata_diag d;

	for (int i = 1; i <= 17; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "part %d label=p%d type=linux "
				      "guid=0FC63DAF-8483-4772-8E79-%012d"
				      " start=%dM size=1M policy=preserve\n", i, i, i, i);
	CHECK_EQ(parse_text(&m, text, n, &d), STRATA_ERANGE);
	CHECK_EQ(d.where, 3 + 17);
	/* 16 parse. */
	n = (size_t)(strstr(text, "part 17 ") - text);
	CHECK_EQ(parse_text(&m, text, n, &d), 0);
	CHECK_EQ(m.nparts, 16);
}

/* Exactly 16 KiB parses; one byte more is refused before parsing. */
static void test_size_limit(void)
{
	char *text = malloc(STRATA_MANIFEST_MAX + 2);
	size_t len;
	struct strata_manifest m;
	struct strata_diag d;

	if (!text)
		abort();
	len = build(text, STRATA_MANIFEST_MAX + 2, NBASE, 0, NULL);
	while (len < STRATA_MANIFEST_MAX) {                 /* pad with comment lines */
		size_t room = STRATA_MANIFEST_MAX - len, k = room > 80 ? 80 : room;

		if (room - k == 1)
			k--;                                        /* leave no 1-byte remainder */
		memset(text + len, 'x', k);
		text[len] = '#';
		text[len + k - 1] = '\n';
		len += k;
	}
	CHECK_EQ(len, STRATA_MANIFEST_MAX);
	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	text[len - 1] = 'x';                                /* 16385 bytes, still well formed */
	text[len] = '\n';
	CHECK_EQ(parse_text(&m, text, len + 1, &d), STRATA_ERANGE);
	CHECK(d.msg != NULL);
	CHECK_EQ(d.where, 1);
	free(text);
}

/* Cut a (dummy-)signed manifest at every length: an unterminated line is ETRUNC at its
 * line; a whole-line prefix parses only once it holds version, disk and a partition. */
static void test_truncation(void)
{
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, NBASE, P3 SIG);
	struct strata_manifest m;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK(m.sig_len == 3 && m.signed_len == (size_t)(strstr(text, "signature") - text));
	for (size_t n = 1; n < len; n++) {
		int lines = count_lines(text, n), rc = parse_text(&m, text, n, &d);

		if (text[n - 1] != '\n') {
			CHECK_MSG(rc == STRATA_ETRUNC && (int)d.where == lines + 1,
				  "length %zu: rc %d line %llu", n, rc, (unsigned long long)d.where);
		} else if (lines >= 6) {                    /* first partition on line 6 */
			CHECK_MSG(rc == 0 && m.sig_len == 0 && m.signed_len == n,
				  "length %zu: rc %d", n, rc);
		} else {
			CHECK_MSG(rc == STRATA_EINVAL && (int)d.where == lines,
				  "length %zu: rc %d line %llu", n, rc, (unsigned long long)d.where);
		}
	}
}

static void test_type_aliases(void)
{
	static const struct { const char *alias, *guid; } aliases[] = {
		{ "esp", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" },
		{ "linux", "0FC63DAF-8483-4772-8E79-3D69D8477DE4" },
		{ "basic", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" },
		{ "swap", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" },
	};

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		char text[4096], line[512];
		struct strata_manifest m;
		struct strata_diag d;
		uint8_t g[16];
		size_t len;

		snprintf(line, sizeof(line), "part 1 label=ESP type=%s" G1 S1 Z1 W1 Y1,
			 aliases[i].alias);
		len = build(text, sizeof(text), NBASE, 6, line);
		CHECK_MSG(parse_text(&m, text, len, &d) == 0, "%s", aliases[i].alias);
		CHECK(strata_guid_parse(g, aliases[i].guid, 36) == 0);
		CHECK_MSG(memcmp(m.parts[0].type_guid, g, 16) == 0, "%s", aliases[i].alias);
	}
}

static void test_layer_id(void)
{
	uint8_t d[32], back[32];
	char s[72];

	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)(i * 9 + 250);
	strata_layer_id_format(s, d);
	CHECK(strlen(s) == 71 && strncmp(s, "sha256:", 7) == 0);
	CHECK_EQ(strata_layer_id_parse(back, s, 71), 0);
	CHECK(memcmp(d, back, 32) == 0);
	CHECK_EQ(strata_layer_id_parse(back, s, 70), STRATA_EINVAL);
	CHECK_EQ(strata_layer_id_parse(back, LAYER_A "a", 72), STRATA_EINVAL);
	CHECK_EQ(strata_layer_id_parse(back, "SHA256:" HEX_A, 71), STRATA_EINVAL);
	CHECK_EQ(strata_layer_id_parse(back, "sha256", 6), STRATA_EINVAL);
}

static void test_check_version(void)
{
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, 0, NULL);
	struct strata_manifest m;
	struct strata_diag d = { NULL, 0 };

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK_EQ(strata_manifest_check_version(&m, 0, &d), 0);
	CHECK_EQ(strata_manifest_check_version(&m, 6, &d), 0);
	CHECK_EQ(strata_manifest_check_version(&m, 7, &d), 0);
	CHECK_EQ(strata_manifest_check_version(&m, 8, &d), STRATA_ESTALE);
	CHECK(d.msg != NULL);
	CHECK_EQ(strata_manifest_check_version(&m, UINT64_MAX, &d), STRATA_ESTALE);
	CHECK_EQ(strata_manifest_check_version(&m, 8, NULL), STRATA_ESTALE);
	m.version = UINT64_MAX;
	CHECK_EQ(strata_manifest_check_version(&m, UINT64_MAX, &d), 0);
}

/* Known bug: the disk line does not reject a repeated key (part lines do), so a second
 * guid= or min-size= silently replaces the first. */
static void test_disk_duplicate_keys(void)
{
	static const char *const lines[] = {
		DISK " guid=21111111-2222-3333-4444-555555555555",
		DISK " min-size=8G min-size=4G",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char text[4096];
		size_t len = build(text, sizeof(text), NBASE, 4, lines[i]);
		struct strata_manifest m;
		struct strata_diag d;

		CHECK_MSG(parse_text(&m, text, len, &d) == STRATA_EINVAL && d.where == 4,
			  "\"%s\" accepted", lines[i]);
	}
}

/* Known bug: min-size is compared with the last partition's start, not the layout's end,
 * so a disk size too small for the partitions is accepted. */
static void test_min_size_covers_layout(void)
{
	char text[4096];
	size_t len = build(text, sizeof(text), 7, 4, DISK " min-size=100M");   /* parts end 1089M */
	struct strata_manifest m;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, text, len, &d), STRATA_EINVAL);
	len = build(text, sizeof(text), 7, 4, DISK " min-size=1089M");         /* exactly fits */
	CHECK_EQ(parse_text(&m, text, len, &d), 0);
}

/* ---- signatures ------------------------------------------------------------------- */

/** Test keys: made once in main, freed at exit. */
static struct {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key, other, p384;
	unsigned char pem[1024], other_pem[1024], p384_pem[1024], der[256];
	size_t der_len;
	int ready;
} k;

static int gen_key(mbedtls_pk_context *pk, mbedtls_ecp_group_id curve, unsigned char *pem,
		   size_t cap)
{
	mbedtls_pk_init(pk);
	if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
	    mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(*pk), mbedtls_ctr_drbg_random, &k.drbg))
		return -1;
	return mbedtls_pk_write_pubkey_pem(pk, pem, cap);
}

static int keys_init(void)
{
	static const char pers[] = "strata test_manifest";
	int rc;

	mbedtls_entropy_init(&k.entropy);
	mbedtls_ctr_drbg_init(&k.drbg);
	if (mbedtls_ctr_drbg_seed(&k.drbg, mbedtls_entropy_func, &k.entropy,
				  (const unsigned char *)pers, sizeof(pers) - 1))
		return -1;
	if (gen_key(&k.key, MBEDTLS_ECP_DP_SECP256R1, k.pem, sizeof(k.pem)) ||
	    gen_key(&k.other, MBEDTLS_ECP_DP_SECP256R1, k.other_pem, sizeof(k.other_pem)) ||
	    gen_key(&k.p384, MBEDTLS_ECP_DP_SECP384R1, k.p384_pem, sizeof(k.p384_pem)))
		return -1;
	rc = mbedtls_pk_write_pubkey_der(&k.key, k.der, sizeof(k.der));
	if (rc <= 0)
		return -1;
	k.der_len = (size_t)rc;                       /* written at the end of the buffer */
	memmove(k.der, k.der + sizeof(k.der) - k.der_len, k.der_len);
	k.ready = 1;
	return 0;
}

static void keys_free(void)
{
	mbedtls_pk_free(&k.key);
	mbedtls_pk_free(&k.other);
	mbedtls_pk_free(&k.p384);
	mbedtls_ctr_drbg_free(&k.drbg);
	mbedtls_entropy_free(&k.entropy);
}

/* Append "signature ecdsa-p256 <b64>\n" for text[0..len) signed by pk; returns new len. */
static size_t sign_text(char *text, size_t len, size_t cap, mbedtls_pk_context *pk)
{
	unsigned char hash[32], sig[MBEDTLS_ECDSA_MAX_LEN];
	char b64[4 * ((MBEDTLS_ECDSA_MAX_LEN + 2) / 3) + 1];
	size_t sig_len = 0;
	int n;

	if (mbedtls_sha256_ret((const unsigned char *)text, len, hash, 0) ||
	    mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &sig_len,
			    mbedtls_ctr_drbg_random, &k.drbg))
		abort();
	strata_base64_encode(b64, sig, sig_len);
	n = snprintf(text + len, cap - len, "signature ecdsa-p256 %s\n", b64);
	if (n < 0 || (size_t)n >= cap - len)
		abort();
	return len + (size_t)n;
}

static int verify(const struct strata_manifest *m, const char *text, const unsigned char *pub,
		  size_t pub_len, struct strata_diag *d)
{
	d->msg = NULL;
	d->where = UINT64_MAX;
	return strata_manifest_verify(m, text, pub, pub_len, d);
}

/* A signed copy of the base manifest; *unsigned_len is where the signature line starts. */
static size_t signed_base(char *text, size_t cap, size_t *unsigned_len)
{
	*unsigned_len = build(text, cap, NBASE, 0, NULL);
	return sign_text(text, *unsigned_len, cap, &k.key);
}

static void test_keys(void)
{
	CHECK_EQ(keys_init(), 0);
}

static void test_verify_good(void)
{
	char text[4096];
	size_t ulen, len = signed_base(text, sizeof(text), &ulen);
	struct strata_manifest m;
	struct strata_diag d;
	size_t pem_len = strlen((const char *)k.pem);

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK(m.sig_len >= 8 && m.sig_len <= 72);
	CHECK_EQ(m.signed_len, ulen);
	CHECK_EQ(verify(&m, text, k.pem, pem_len, &d), 0);          /* PEM without NUL */
	CHECK_EQ(verify(&m, text, k.pem, pem_len + 1, &d), 0);      /* PEM with its NUL */
	CHECK_EQ(verify(&m, text, k.der, k.der_len, &d), 0);        /* DER */
}

/* Any changed byte of the signed region breaks the signature, whether or not the changed
 * text still parses. */
static void test_verify_flipped_bytes(void)
{
	char text[4096];
	size_t ulen, len = signed_base(text, sizeof(text), &ulen);
	size_t pem_len = strlen((const char *)k.pem);
	struct strata_manifest m, m2;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	for (size_t i = 0; i < m.signed_len; i++) {
		text[i] ^= 0x01;
		CHECK_MSG(verify(&m, text, k.pem, pem_len, &d) == STRATA_EBADSIG && d.msg,
			  "byte %zu", i);
		if (parse_text(&m2, text, len, &d) == 0)
			CHECK_MSG(verify(&m2, text, k.pem, pem_len, &d) == STRATA_EBADSIG,
				  "byte %zu reparsed", i);
		text[i] ^= 0x01;
	}
	CHECK_EQ(verify(&m, text, k.pem, pem_len, &d), 0);
}

static void test_verify_flipped_signature(void)
{
	char text[4096];
	size_t ulen, len = signed_base(text, sizeof(text), &ulen);
	size_t pem_len = strlen((const char *)k.pem);
	struct strata_manifest m, bad;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	for (size_t i = 0; i < m.sig_len; i++) {
		bad = m;
		bad.sig[i] ^= 0x10;
		CHECK_MSG(verify(&bad, text, k.pem, pem_len, &d) == STRATA_EBADSIG, "sig byte %zu", i);
	}
	bad = m;
	bad.sig_len--;
	CHECK_EQ(verify(&bad, text, k.pem, pem_len, &d), STRATA_EBADSIG);
}

/* The same signature on a manifest that says something else (a bumped version). */
static void test_verify_moved_signature(void)
{
	char text[4096], other[4096];
	size_t ulen, len = signed_base(text, sizeof(text), &ulen), olen;
	struct strata_manifest m;
	struct strata_diag d;

	olen = build(other, sizeof(other), NBASE, 2, "version 9");
	memcpy(other + olen, text + ulen, len - ulen);
	olen += len - ulen;
	CHECK_EQ(parse_text(&m, other, olen, &d), 0);
	CHECK_EQ(verify(&m, other, k.pem, strlen((const char *)k.pem), &d), STRATA_EBADSIG);
}

static void test_verify_wrong_key(void)
{
	char text[4096];
	size_t ulen, len = signed_base(text, sizeof(text), &ulen);
	struct strata_manifest m;
	struct strata_diag d;
	static const char junk[] = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n";

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK_EQ(verify(&m, text, k.other_pem, strlen((const char *)k.other_pem), &d),
		 STRATA_EBADSIG);
	CHECK(d.msg != NULL);
	CHECK_EQ(verify(&m, text, k.p384_pem, strlen((const char *)k.p384_pem), &d),
		 STRATA_EBADSIG);
	CHECK_EQ(verify(&m, text, (const uint8_t *)junk, sizeof(junk) - 1, &d), STRATA_EINVAL);
	CHECK(d.msg != NULL);
	CHECK_EQ(verify(&m, text, k.der, k.der_len - 1, &d), STRATA_EINVAL);
	CHECK_EQ(verify(&m, text, (const uint8_t *)"", 0, &d), STRATA_EINVAL);
}

static void test_verify_unsigned(void)
{
	char text[4096];
	size_t ulen, len = signed_base(text, sizeof(text), &ulen);
	struct strata_manifest m;
	struct strata_diag d;
	size_t pem_len = strlen((const char *)k.pem);

	CHECK_EQ(parse_text(&m, text, ulen, &d), 0);         /* signature line cut off */
	CHECK_EQ(m.sig_len, 0);
	CHECK_EQ(verify(&m, text, k.pem, pem_len, &d), STRATA_EBADSIG);
	CHECK(d.msg != NULL);
	(void)len;
}

/* Parse the base manifest (its comment line is not written back) into *m. */
static void parsed_base(struct strata_manifest *m)
{
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, 0, NULL);
	struct strata_diag d;

	if (parse_text(m, text, len, &d))
		abort();
}

/* The writer is the parser's inverse: write, parse back, same manifest; and writing that
 * gives the same bytes again. */
static void test_write_round_trip(void)
{
	static const char head[] = "strata-manifest 1\nversion 7\nmachine pc01\n" DISK
		" min-size=2147483648\npart 1 label=ESP type=esp guid=" GUID1
		" start=1048576 size=67108864 policy=write layer=" LAYER_A "\npart 2 ";
	struct strata_manifest m, m2;
	struct strata_diag d;
	char text[4096], again[4096];
	size_t len, len2;

	parsed_base(&m);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK_EQ(strlen(text), len);
	CHECK(strncmp(text, head, strlen(head)) == 0);
	CHECK(strstr(text, " type=" SWAP_GUID " ") == NULL);   /* an alias when there is one */
	CHECK(strstr(text, "type=swap") && strstr(text, "size=rest policy=preserve\n"));
	CHECK_EQ(parse_text(&m2, text, len, &d), 0);
	m.signed_len = m2.signed_len;
	CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	CHECK_EQ(strata_manifest_write(&m2, again, sizeof(again), &len2), 0);
	CHECK(len2 == len && memcmp(text, again, len) == 0);
	m.machine[0] = '\0';
	m.min_disk = 0;
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strncmp(text, "strata-manifest 1\nversion 7\n" DISK "\npart 1 ",
		      strlen("strata-manifest 1\nversion 7\n" DISK "\npart 1 ")) == 0);
}

/* wipe=yes is read where given, defaults to off in older manifests, and is written back
 * as the last key of its line. */
static void test_wipe(void)
{
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, 7, P2 " wipe=yes");
	struct strata_manifest m, m2;
	struct strata_diag d;

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK(!m.parts[0].wipe && m.parts[1].wipe && !m.parts[2].wipe);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strstr(text, "policy=restore layer=" LAYER_B " wipe=yes\n") != NULL);
	CHECK_EQ(count_lines(text, len), 7);
	CHECK(strstr(text, " wipe") == strstr(text, " wipe=yes\npart 3"));   /* only part 2 */
	CHECK_EQ(parse_text(&m2, text, len, &d), 0);
	m.signed_len = m2.signed_len;
	CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
}

/* store=private: parsed into private_layer, written back after the layer, and absent
 * (public) in a manifest that does not say it, as every older manifest. */
static void test_private_layer(void)
{
	struct strata_manifest m, m2;
	struct strata_diag d;
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, 6, P1 " store=private");

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK(m.parts[0].private_layer && !m.parts[1].private_layer);
	CHECK(!m.parts[2].private_layer);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strstr(text, " layer=" LAYER_A " store=private\n") != NULL);
	CHECK(strstr(strstr(text, "store=private") + 1, "store=private") == NULL);
	CHECK_EQ(parse_text(&m2, text, len, &d), 0);
	m.signed_len = m2.signed_len;
	CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	parsed_base(&m);
	for (unsigned int i = 0; i < m.nparts; i++)
		CHECK_MSG(!m.parts[i].private_layer, "part %u of the base manifest", i + 1);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strstr(text, "store=") == NULL);
}

/* A captured partition's latest generation (docs/restore.md): policy=restore with a
 * private layer, the line the server writes, reads back the same; a restore part without
 * its layer stays refused. */
static void test_restore_private(void)
{
	struct strata_manifest m, m2;
	struct strata_diag d;
	char text[4096];
	size_t len = build(text, sizeof(text), NBASE, 7, P2 " store=private");

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK(m.parts[1].policy == STRATA_POLICY_RESTORE && m.parts[1].has_layer);
	CHECK(m.parts[1].private_layer && !m.parts[0].private_layer);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strstr(text, " policy=restore layer=" LAYER_B " store=private\n") != NULL);
	CHECK_EQ(parse_text(&m2, text, len, &d), 0);
	m.signed_len = m2.signed_len;
	CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	len = build(text, sizeof(text), NBASE, 7,
		    P2X("2", " start=65M", " size=1G", " policy=restore", " store=private"));
	CHECK_EQ(parse_text(&m, text, len, &d), STRATA_EINVAL);
	CHECK_EQ(d.where, 7);
}

/* `store URL`: a site's store, parsed, written back after the machine line, and refused
 * when given twice or not a URL of the rule (manifest.h); absent in the base manifest. */
static void test_site_store(void)
{
	static const char *const bad[] = {
		"store", "store ftp://c/s", "store http://", "store http://c/s/",
		"store http://c/s?x", "store http://c/s extra", "store HTTP://c/s",
		"machine pc01\nstore http://c/s\nstore http://c/s",
	};
	struct strata_manifest m, m2;
	struct strata_diag d;
	char text[4096], url[STRATA_STORE_URL_MAX + 16] = "store http://";
	size_t len = build(text, sizeof(text), NBASE, 3,
			   "machine pc01\nstore https://cache-b:8080/strata_store-1/~x%20");

	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK(!strcmp(m.store, "https://cache-b:8080/strata_store-1/~x%20"));
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strstr(text, "machine pc01\nstore https://cache-b:8080/") != NULL);
	CHECK_EQ(parse_text(&m2, text, len, &d), 0);
	m.signed_len = m2.signed_len;
	CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = build(text, sizeof(text), NBASE, 3, bad[i]);
		CHECK_MSG(parse_text(&m, text, len, &d) == STRATA_EINVAL, "%s", bad[i]);
	}
	memset(url + 13, 'a', STRATA_STORE_URL_MAX - 6);   /* one character too long */
	len = build(text, sizeof(text), NBASE, 3, url);
	CHECK_EQ(parse_text(&m, text, len, &d), STRATA_EINVAL);
	url[13 + STRATA_STORE_URL_MAX - 7] = '\0';          /* exactly the limit */
	len = build(text, sizeof(text), NBASE, 3, url);
	CHECK_EQ(parse_text(&m, text, len, &d), 0);
	CHECK_EQ(strlen(m.store), STRATA_STORE_URL_MAX);
	parsed_base(&m);
	CHECK(m.store[0] == '\0');
}

#define MC_GOOD "multicast group=239.255.83.1 port=5083 session=0123456789abcdef rate=800M " \
	"payload=1432 parity=0 parts=1,2"

/* The manifest with a multicast statement mc as line 9 (after the parts), or before the
 * partitions (line 5) when early; its parse's rc, diag in *d. */
static int with_mc(const char *mc, int early, struct strata_manifest *m, struct strata_diag *d)
{
	char text[4096], line[1024];
	size_t len;

	snprintf(line, sizeof(line), early ? "%s" : P3 "\n%s", mc);
	len = build(text, sizeof(text), NBASE, early ? 5 : 8, line);
	return parse_text(m, text, len, d);
}

/* The multicast statement (docs/multicast.md): every key, written back after the parts,
 * each value at and past its limits refused at its line, parts= held to public layers. */
static void test_multicast(void)
{
	static const char *const bad[] = {
		"group=224.0.0.1", "group=239.1.1", "group=239.1.1.1.1", "group=239.01.1.1",
		"group=239.256.1.1", "group=239..1.1", "port=1023", "port=65536", "port=0",
		"session=0123456789abcde", "session=0123456789abcdef0", "session=0123456789abcdeg",
		"rate=999K", "rate=101G", "rate=800m", "rate=M", "rate=0", "rate=1.5G",
		"payload=511", "payload=1433", "parity=9", "parts=", "parts=2,1", "parts=1,1",
		"parts=0", "parts=1,", "parts=129", "parts=3", "parts=4", "ttl=1",
	};
	struct strata_manifest m, m2;
	struct strata_diag d;
	char text[4096], mc[512];
	size_t len;

	CHECK_EQ(with_mc(MC_GOOD, 0, &m, &d), 0);
	CHECK(m.mc.on && m.mc.group[0] == 239 && m.mc.group[1] == 255 && m.mc.group[2] == 83 &&
	      m.mc.group[3] == 1 && m.mc.port == 5083 && m.mc.session[0] == 0x01 &&
	      m.mc.session[7] == 0xef && m.mc.rate == 800000000ULL && m.mc.payload == 1432 &&
	      m.mc.parity == 0 && m.mc.nparts == 2 && m.mc.parts[0] == 1 && m.mc.parts[1] == 2);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(len > strlen(MC_GOOD) + 1 && !strcmp(text + len - strlen(MC_GOOD) - 1, MC_GOOD "\n"));
	CHECK_EQ(parse_text(&m2, text, len, &d), 0);
	m.signed_len = m2.signed_len;
	CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	CHECK_EQ(with_mc(MC_GOOD, 1, &m, &d), 0);        /* before the parts it names */
	parsed_base(&m);
	CHECK(!m.mc.on);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* the bad key=value replaces its key in the good line, or is added */
		const char *key = bad[i], *eq = strchr(key, '='), *at;
		size_t klen = (size_t)(eq - key) + 1;

		at = strstr(MC_GOOD, (snprintf(mc, sizeof(mc), " %.*s", (int)klen, key), mc));
		if (at) {
			const char *end = strchr(at + 1, ' ');

			snprintf(mc, sizeof(mc), "%.*s %s%s", (int)(at - MC_GOOD), MC_GOOD, key,
				 end ? end : "");
		} else {
			snprintf(mc, sizeof(mc), "%s %s", MC_GOOD, key);
		}
		CHECK_MSG(with_mc(mc, 0, &m, &d) == STRATA_EINVAL && d.where == 9, "%s: %s", bad[i],
			  d.msg ? d.msg : "accepted");
	}
	CHECK(with_mc(MC_GOOD "\n" MC_GOOD, 0, &m, &d) == STRATA_EINVAL && d.where == 10);
	CHECK(with_mc(MC_GOOD " port=5083", 0, &m, &d) == STRATA_EINVAL && d.where == 9);
	CHECK(with_mc("multicast group=239.255.83.1 port=5083 session=0123456789abcdef rate=800M "
		      "payload=1432 parts=1,2", 0, &m, &d) == STRATA_EINVAL && d.where == 9);
	CHECK(strstr(d.msg, "needs"));
	/* edges that pass, and the rate written with the largest unit that divides it */
	CHECK_EQ(with_mc("multicast group=239.0.0.0 port=65535 session=FFFFFFFFFFFFFFFF "
			 "rate=50000K payload=512 parity=8 parts=2", 0, &m, &d), 0);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strstr(text, "session=ffffffffffffffff rate=50M payload=512 parity=8 parts=2\n"));
	m.mc.rate = 1234567;
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	CHECK(strstr(text, " rate=1234567 "));
	CHECK_EQ(with_mc("multicast group=239.1.2.3 port=1024 session=0000000000000000 "
			 "rate=100G payload=1000 parity=1 parts=1", 0, &m, &d), 0);
	CHECK(m.mc.rate == 100000000000ULL);
	/* a private layer is not carried */
	{
		char line[1024];

		snprintf(line, sizeof(line), "%s store=private", P2);
		len = build(text, sizeof(text), NBASE, 7, line);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", MC_GOOD);
		CHECK(parse_text(&m, text, len, &d) == STRATA_EINVAL && d.where == 9);
		CHECK(strstr(d.msg, "public layer"));
		/* a captured layout announces none */
		len = build(text, sizeof(text), NBASE, 8, P3 "\n" MC_GOOD);
		CHECK_EQ(strata_layout_parse(&m, text, len, &d), STRATA_EINVAL);
		CHECK_EQ(d.where, 9);
	}
}

/* Every too-small buffer is refused, and nothing is written past cap. */
static void test_write_range(void)
{
	struct strata_manifest m;
	char text[4096];
	size_t len, got;

	parsed_base(&m);
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	for (size_t cap = 0; cap <= len; cap++) {
		char *p = malloc(cap ? cap : 1);

		CHECK_MSG(strata_manifest_write(&m, p, cap, &got) == STRATA_ERANGE, "cap %zu", cap);
		free(p);
	}
}

/* Renumbering written text gives what writing at that version gives. */
static void test_renumber(void)
{
	struct strata_manifest m;
	char text[4096], want[4096];
	size_t len, wlen;

	parsed_base(&m);
	m.version = 0;
	CHECK_EQ(strata_manifest_write(&m, text, sizeof(text), &len), 0);
	m.version = 18446744073709551615u;
	CHECK_EQ(strata_manifest_write(&m, want, sizeof(want), &wlen), 0);
	CHECK_EQ(strata_manifest_renumber(text, &len, sizeof(text), m.version), 0);
	CHECK(len == wlen && strcmp(text, want) == 0);
	CHECK_EQ(strata_manifest_renumber(text, &len, wlen + 1, 0), 0);   /* shrinks */
	CHECK(strncmp(text, "strata-manifest 1\nversion 0\nmachine ", 36) == 0);
	CHECK_EQ(strata_manifest_renumber(text, &len, len + 1, 10), STRATA_ERANGE);
	len = 26;
	CHECK_EQ(strata_manifest_renumber(text, &len, sizeof(text), 1), STRATA_EINVAL);
	strcpy(text, "strata-manifest 2\nversion 1\n");
	len = strlen(text);
	CHECK_EQ(strata_manifest_renumber(text, &len, sizeof(text), 1), STRATA_EINVAL);
}

/* The core's signature line is the line every signer wrote before it existed. */
static void test_sig_line(void)
{
	char line[STRATA_SIG_LINE_MAX], b64[200], want[300];
	uint8_t sig[STRATA_SIG_MAX];

	for (size_t n = 1; n <= STRATA_SIG_MAX; n++) {
		for (size_t i = 0; i < n; i++)
			sig[i] = (uint8_t)(n * 7 + i);
		strata_base64_encode(b64, sig, n);
		snprintf(want, sizeof(want), "signature ecdsa-p256 %s\n", b64);
		CHECK_MSG(strata_manifest_sig_line(line, sig, n) == strlen(want) &&
			  strcmp(line, want) == 0, "%zu bytes", n);
	}
	CHECK_EQ(strata_manifest_sig_line(line, sig, 0), 0);
	CHECK_EQ(strata_manifest_sig_line(line, sig, STRATA_SIG_MAX + 1), 0);
}

/* Part types: aliases and GUIDs, as the inventory and the parser take them. */
static void test_part_type(void)
{
	uint8_t a[16], b[16];

	CHECK_EQ(strata_part_type_parse(a, "swap", 4), 0);
	CHECK_EQ(strata_guid_parse(b, SWAP_GUID, 36), 0);
	CHECK(memcmp(a, b, 16) == 0);
	CHECK_EQ(strata_part_type_parse(a, "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", 36), 0);
	CHECK(memcmp(a, b, 16) == 0);
	CHECK_EQ(strata_part_type_parse(a, "swa", 3), STRATA_EINVAL);
	CHECK_EQ(strata_part_type_parse(a, "ESP", 3), STRATA_EINVAL);
}

int main(void)
{
	RUN(test_valid);
	RUN(test_bad_cases);
	RUN(test_good_cases);
	RUN(test_nul_and_controls);
	RUN(test_missing_newline);
	RUN(test_no_partitions);
	RUN(test_empty);
	RUN(test_too_many_parts);
	RUN(test_size_limit);
	RUN(test_truncation);
	RUN(test_type_aliases);
	RUN(test_layer_id);
	RUN(test_check_version);
	RUN(test_multicast);
	RUN(test_private_layer);
	RUN(test_restore_private);
	RUN(test_site_store);
	RUN(test_disk_duplicate_keys);
	RUN(test_min_size_covers_layout);
	RUN(test_write_round_trip);
	RUN(test_wipe);
	RUN(test_write_range);
	RUN(test_renumber);
	RUN(test_sig_line);
	RUN(test_part_type);
	RUN(test_keys);
	if (k.ready) {
		RUN(test_verify_good);
		RUN(test_verify_flipped_bytes);
		RUN(test_verify_flipped_signature);
		RUN(test_verify_moved_signature);
		RUN(test_verify_wrong_key);
		RUN(test_verify_unsigned);
	}
	keys_free();
	return harness_summary();
}
