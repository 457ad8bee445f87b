/*
 * libFuzzer target for the manifest parser and signature check (images/core/manifest.c).
 *
 * Why: manifests come over the network to a machine about to overwrite its disk; the
 * parser must never crash or read outside the text, and whatever it accepts must obey the
 * grammar in manifest.h.  Each input is parsed; an accepted manifest is checked against
 * the layout rules, and a signed one is verified against the fixed public key below (the
 * corpus seed "valid-signed" was signed with its private key, which was discarded), which
 * drives mbedTLS's DER signature parsing with fuzzed bytes.  Every accepted manifest is
 * also written back with the core's writer (manifest_write.c) and parsed again: the same
 * manifest must come out.  A multicast statement's values must lie in their ranges and
 * name only partitions with public layers.  A broken invariant aborts.
 *
 * Run:  cp -r tests/fuzz/corpus/manifest /tmp/man-corpus
 *       build/fuzz/fuzz_manifest -max_total_time=60 -artifact_prefix=/tmp/ \
 *               -dict=tests/fuzz/manifest.dict /tmp/man-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { if (!(cond)) abort(); } while (0)

static const char pub_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKH2xM9+WaxG+/bTyTdgM+XOO4qHt\n"
	"16v6KfT1sywTOO5TO/VRY5oyTkd7RckWzETO4skajEkR9/1AfTGf2Qum3Q==\n"
	"-----END PUBLIC KEY-----\n";

/* A NUL-terminated name of 1..max characters of [A-Za-z0-9._-]. */
static void check_name(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	REQUIRE(n >= 1 && n <= max);
	for (size_t i = 0; i < n; i++)
		REQUIRE(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			       s[i]) != NULL);
}

static void check_part(const struct strata_manifest *m, unsigned int i)
{
	const struct strata_part *p = &m->parts[i], *prev = i ? &m->parts[i - 1] : NULL;

	REQUIRE(p->num >= 1 && p->num <= 128);
	check_name(p->label, STRATA_LABEL_MAX);
	REQUIRE(p->start >= (1u << 20) && p->start % 4096 == 0);
	REQUIRE(p->size % 4096 == 0);
	REQUIRE(p->size != 0 || i + 1 == m->nparts);          /* size=rest only last */
	REQUIRE(p->policy >= STRATA_POLICY_WRITE && p->policy <= STRATA_POLICY_RESTORE);
	REQUIRE(!!p->has_layer == (p->policy != STRATA_POLICY_PRESERVE));
	if (prev) {
		REQUIRE(p->num > prev->num);
		REQUIRE(prev->size != 0 && p->start >= prev->start + prev->size);
	}
}

/* The multicast statement's values lie in their ranges and it carries public layers. */
static void check_multicast(const struct strata_manifest *m)
{
	const struct strata_multicast *mc = &m->mc;

	REQUIRE(mc->group[0] == 239 && mc->port >= 1024);
	REQUIRE(mc->rate >= STRATA_MC_RATE_MIN && mc->rate <= STRATA_MC_RATE_MAX);
	REQUIRE(mc->payload >= 512 && mc->payload <= 1432 && mc->parity <= 8);
	REQUIRE(mc->nparts >= 1 && mc->nparts <= STRATA_MAX_PARTS);
	for (unsigned int i = 0; i < mc->nparts; i++) {
		unsigned int j = 0;

		REQUIRE(i == 0 || mc->parts[i] > mc->parts[i - 1]);
		while (j < m->nparts && m->parts[j].num != mc->parts[i])
			j++;
		REQUIRE(j < m->nparts && m->parts[j].has_layer && !m->parts[j].private_layer);
	}
}

static void check_accepted(const struct strata_manifest *m, const uint8_t *data, size_t size)
{
	static const char sig_kw[] = "signature ecdsa-p256 ";
	struct strata_diag diag = { NULL, 0 };
	int rc;

	REQUIRE(m->nparts >= 1 && m->nparts <= STRATA_MAX_PARTS);
	REQUIRE(m->machine[0] == '\0' || (check_name(m->machine, STRATA_MACHINE_MAX), 1));
	REQUIRE(m->store[0] == '\0' || strata_store_url_ok(m->store, strlen(m->store)));
	for (unsigned int i = 0; i < m->nparts; i++)
		check_part(m, i);
	if (m->mc.on)
		check_multicast(m);
	REQUIRE(size >= 18 && memcmp(data, "strata-manifest 1\n", 18) == 0);
	REQUIRE(data[size - 1] == '\n');
	if (m->sig_len == 0) {
		REQUIRE(m->signed_len == size);
		rc = strata_manifest_verify(m, (const char *)data, (const uint8_t *)pub_pem,
					    sizeof(pub_pem) - 1, &diag);
		REQUIRE(rc == STRATA_EBADSIG);
		return;
	}
	REQUIRE(m->sig_len <= STRATA_SIG_MAX && m->signed_len < size);
	REQUIRE(size - m->signed_len > sizeof(sig_kw) - 1);
	REQUIRE(memcmp(data + m->signed_len, sig_kw, sizeof(sig_kw) - 1) == 0);
	rc = strata_manifest_verify(m, (const char *)data, (const uint8_t *)pub_pem,
				    sizeof(pub_pem) - 1, &diag);
	REQUIRE(rc == 0 || rc == STRATA_EBADSIG);          /* the key itself always parses */
	REQUIRE(rc == 0 || diag.msg != NULL);
}

/* The writer is the parser's inverse: parse(write(m)) is m, signature aside. */
static void check_round_trip(const struct strata_manifest *m)
{
	static char text[4 * STRATA_MANIFEST_MAX];
	struct strata_diag diag = { NULL, 0 };
	struct strata_manifest want = *m, got;
	size_t len;

	REQUIRE(strata_manifest_write(m, text, sizeof(text), &len) == 0);
	REQUIRE(len == strlen(text));
	if (len > STRATA_MANIFEST_MAX)
		return;                 /* sizes written in bytes can outgrow the limit */
	REQUIRE(strata_manifest_parse(&got, text, len, &diag) == 0);
	want.signed_len = len;
	memset(want.sig, 0, sizeof(want.sig));
	want.sig_len = 0;
	REQUIRE(memcmp(&want, &got, sizeof(got)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strata_manifest m;
	struct strata_diag diag = { NULL, 0 };
	size_t lines = 0;
	int rc = strata_manifest_parse(&m, (const char *)data, size, &diag);

	if (rc == 0) {
		check_accepted(&m, data, size);
		check_round_trip(&m);
		return 0;
	}
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	REQUIRE(rc >= STRATA_ENOTSUP && rc <= STRATA_EINVAL);
	REQUIRE(diag.msg != NULL && diag.msg[0] != '\0');
	REQUIRE(diag.where <= lines + 1);
	return 0;
}
