/*
 * libFuzzer target for a captured layout (strata_layout_parse, images/core/manifest_layout.c)
 * and the profile the server makes of it (inv_profile_from_layout, server/inventory.c).
 *
 * Why: a gold capture's POST /capture/done carries the layout from the reference PC's
 * agent, and what is accepted becomes a profile every machine of it is deployed from.  The
 * parser must never crash or read outside the text; an accepted layout must obey the
 * layout rules (unsigned, no store=private, no label twice), and its profile must keep the
 * layout's partitions in order with the manifest's own words for them.  A broken invariant
 * aborts.
 *
 * Run:  cp -r tests/fuzz/corpus/layout /tmp/layout-corpus
 *       build/fuzz/fuzz_layout -max_total_time=60 -artifact_prefix=/tmp/ \
 *               -dict=tests/fuzz/manifest.dict /tmp/layout-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "inventory.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { if (!(cond)) abort(); } while (0)

/* The layout's rules on an accepted m. */
static void check_layout(const struct strata_manifest *m)
{
	REQUIRE(m->sig_len == 0 && m->nparts >= 1 && m->nparts <= STRATA_MAX_PARTS);
	for (unsigned int i = 0; i < m->nparts; i++) {
		REQUIRE(!m->parts[i].private_layer);
		for (unsigned int j = i + 1; j < m->nparts; j++)
			REQUIRE(strcmp(m->parts[i].label, m->parts[j].label) != 0);
	}
}

/* The profile of m keeps each partition's words (but for a CIDATA with no layer). */
static void check_profile(const struct strata_manifest *m, const struct inv_profile *pr)
{
	uint8_t type[16];

	REQUIRE(pr->nparts == m->nparts && pr->captured);
	REQUIRE(m->min_disk ? pr->min_disk >= m->min_disk : pr->min_disk == 0);
	for (unsigned int i = 0; i < m->nparts; i++) {
		const struct inv_part *p = &pr->parts[i];

		int cidata = !m->parts[i].has_layer && !strcmp(m->parts[i].label, "CIDATA");

		REQUIRE(!strcmp(p->label, m->parts[i].label) && p->size == m->parts[i].size);
		REQUIRE(p->wipe == m->parts[i].wipe);
		/* a CIDATA with no layer becomes the machine's own, written each deployment */
		REQUIRE(cidata ? p->policy == STRATA_POLICY_WRITE && p->layer_kind == INV_LAYER_MACHINE
			: p->policy == m->parts[i].policy &&
			  (p->layer_kind == INV_LAYER_ID) == m->parts[i].has_layer);
		REQUIRE(!p->capture);
		REQUIRE(strata_part_type_parse(type, p->type, strlen(p->type)) == 0);
		REQUIRE(!memcmp(type, m->parts[i].type_guid, 16));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strata_diag diag = { 0 };
	struct strata_manifest m;
	struct inv_profile pr;
	const char *why;

	if (strata_layout_parse(&m, (const char *)data, size, &diag)) {
		REQUIRE(diag.msg != NULL);
		return 0;
	}
	check_layout(&m);
	if (inv_profile_from_layout(&m, "fuzzed", "fuzz.layout", &pr, &why) == 0)
		check_profile(&m, &pr);
	inv_profile_done(&pr);
	return 0;
}
