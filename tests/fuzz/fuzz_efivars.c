/*
 * libFuzzer target for images/core/efivars.c on whatever an NVRAM file holds (the seed is
 * Debian's OVMF_VARS_4M.ms.fd cut to its variable store): find db as strata-image sb keygen
 * does and walk its signature lists.  Invariants on success: the variable's data lies
 * inside the input; every list lies inside the data, back to back, and holds a whole
 * number (at least one) of entries longer than an owner GUID.
 */
#include <stdint.h>
#include <stdlib.h>
#include "efivars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strata_diag diag;
	struct strata_esl e;
	const uint8_t *db;
	size_t len, pos = 0, prev = 0;

	if (strata_varstore_find(data, size, "db", strata_guid_image_security_db, &db, &len,
				 &diag))
		return 0;
	if (db < data || db + len > data + size)
		abort();
	while (strata_esl_next(db, len, &pos, &e, &diag) == 0) {
		if (e.list != db + prev || pos > len || e.count == 0 ||
		    e.sig_size <= STRATA_ESL_OWNER ||
		    strata_esl_entry(&e, e.count - 1) + e.sig_size > db + pos)
			abort();
		prev = pos;
	}
	return 0;
}
