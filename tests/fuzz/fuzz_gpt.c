/*
 * libFuzzer target for the GPT parsers strata.efi runs on whatever a disk holds (a 16 MiB
 * disk of 512-byte blocks, as the seed): the first
 * 512 bytes are a header block, the rest an entry array.  Invariants on success: every
 * used entry lies inside the usable range, and no two overlap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct strata_gpt_table table;

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
	}
	free(hdr);
	free(ent);
	return 0;
}
