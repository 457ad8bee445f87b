/*
 * libFuzzer target for the inventory parser (server/inventory.c) with its sites
 * (server/inventory_site.c).
 *
 * Why: the inventory is an administrator's file, but a district's is long and edited by
 * many hands, and the server re-reads it on every reload: the parser must never crash or
 * read outside the text, and what it accepts must obey inventory.h: every machine's profile
 * and site exist, every site has a subnet and a store URL the manifest takes, and no two
 * sites share an address.  A broken invariant aborts.
 *
 * Run:  cp -r tests/fuzz/corpus/inventory /tmp/inv-corpus
 *       build/fuzz/fuzz_inventory -max_total_time=60 -artifact_prefix=/tmp/ /tmp/inv-corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "inventory.h"
#include "inventory_site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { if (!(cond)) abort(); } while (0)

static void check_site(const struct inventory *inv, size_t i)
{
	const struct inv_site *st = &inv->sites[i];

	REQUIRE(st->nsubnets >= 1 && st->nsubnets <= INV_SITE_SUBNETS);
	REQUIRE(strata_store_url_ok(st->store, strlen(st->store)));
	REQUIRE(!st->boot[0] || strata_store_url_ok(st->boot, strlen(st->boot)));
	REQUIRE(inv_site_find(inv, st->name) == i + 1);
	for (unsigned int k = 0; k < st->nsubnets; k++) {
		REQUIRE((st->subnet[k].net & ~st->subnet[k].mask) == 0);
		REQUIRE(inv_site_of_addr(inv, st->subnet[k].net) == i + 1);
	}
}

static void check_accepted(const struct inventory *inv)
{
	for (size_t i = 0; i < inv->nsites; i++)
		check_site(inv, i);
	for (size_t i = 0; i < inv->nmachines; i++) {
		REQUIRE(inv->machines[i].profile >= 0 &&
			(size_t)inv->machines[i].profile < inv->nprofiles);
		REQUIRE(inv->machines[i].site <= inv->nsites);
	}
	REQUIRE(inv->default_profile < (int)inv->nprofiles);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = NULL;

	if (inventory_parse("fuzz.conf", (const char *)data, size, &inv) == 0) {
		check_accepted(inv);
		inventory_free(inv);
	}
	return 0;
}
