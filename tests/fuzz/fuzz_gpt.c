/*
 * libFuzzer target for the GPT parsers strata.efi runs on whatever a disk holds (a 16 MiB
 * disk of 512-byte blocks, as the seed): the first
 * 512 bytes are a header block, the rest an entry array.  Invariants on success: every
 * used entry lies inside the usable range, and no two overlap.  And a gold capture's
 * checks (capture_layout.h): a table whose layout they take, every partition given a
 * layer, writes a layout the server's parser takes (strata_layout_parse).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture_layout.h"
#include "gpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct strata_gpt_table table;
static struct strata_manifest layout;
static char text[STRATA_MANIFEST_MAX + 1];

/* The invariant of strata_capture_layout: what it takes, the server takes. */
static void check_layout(void)
{
	const struct strata_gpt_part *order[STRATA_MAX_PARTS];
	struct strata_diag diag;
	size_t len;

	if (strata_capture_layout(&table, &layout, order, &diag))
		return;
	for (unsigned int i = 0; i < layout.nparts; i++) {
		layout.parts[i].policy = i % 2 ? STRATA_POLICY_WRITE : STRATA_POLICY_PRESERVE;
		layout.parts[i].has_layer = i % 2;
		memset(layout.parts[i].layer, (int)i, 32);
	}
	if (strata_capture_layout_write(&layout, text, sizeof(text), &len, &diag))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strata_diag diag;
	uint8_t *hdr, *ent;
	size_t n;

	if (size < 512)
		return 0;
	hdr = malloc(512);
	n = size - 512;
	ent = malloc(n ? n : 1);
	memcpy(hdr, data, 512);
	memcpy(ent, data + 512, n);
	if (strata_gpt_parse(hdr, 1, ent, n, 512, 32768, &table, &diag) == 0) {
		for (unsigned int i = 0; i < table.nparts; i++) {
			const struct strata_gpt_part *p = &table.parts[i];

			if (p->first_lba > p->last_lba || p->first_lba < table.hdr.first_usable ||
			    p->last_lba > table.hdr.last_usable)
				abort();
		}
		check_layout();
	}
	free(hdr);
	free(ent);
	return 0;
}
