/*
 * libFuzzer target for the registration answer strata.efi reads off the network
 * (images/core/key_answer.c).  Invariants: an accepted answer has a known verdict, a NUL-terminated
 * printable name, and a session exactly when the verdict is pinned or known, with a
 * signature of 8..72 bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "key_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct key_answer a;
	size_t n;

	if (key_answer_parse((const char *)data, size, &a))
		return 0;
	n = strnlen(a.name, sizeof(a.name));
	if (a.v > KEY_DIFFERS || n == 0 || n == sizeof(a.name))
		abort();
	for (size_t i = 0; i < n; i++)
		if (a.name[i] <= ' ' || a.name[i] > '~')
			abort();
	if (a.has_session != (a.v == KEY_PINNED || a.v == KEY_KNOWN))
		abort();
	if (a.has_session && (a.ssig_len < 8 || a.ssig_len > sizeof(a.ssig)))
		abort();
	return 0;
}
