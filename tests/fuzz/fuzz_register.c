/*
 * libFuzzer target for registration's parsers (server/register.h), fed by an admin's
 * POST /api/register: the input is "PATTERN\nSTART\nMACS".  Invariants: accepted names are
 * valid inventory names, distinct, of the pattern's length, none taken (the taken list
 * here is every name whose number is a multiple of 3); accepted MACs are distinct; a
 * refusal says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "register.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names ending in a digit that is a multiple of 3 count as taken. */
static int taken(void *ctx, const char *name)
{
	size_t n = strlen(name);

	(void)ctx;
	return n && name[n - 1] >= '0' && name[n - 1] <= '9' && (name[n - 1] - '0') % 3 == 0;
}

static void check_names(const char *pattern, char (*out)[INV_NAME_MAX + 1], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!inv_name_ok(out[i]) || taken(NULL, out[i]) ||
		    strlen(out[i]) != strlen(pattern))
			abort();
		for (size_t k = 0; k < i; k++)
			if (!strcmp(out[i], out[k]))
				abort();
	}
}

static void fuzz_names(const char *pattern, const char *start)
{
	char out[8][INV_NAME_MAX + 1];
	uint64_t st = 0;
	const char *why = NULL;
	size_t n = strlen(start) % 9;

	if (strata_u64_parse(&st, start, strlen(start), REGISTER_START_MAX))
		st = 1;
	if (register_names(pattern, st, n, taken, NULL, out, &why))
		return why ? (void)0 : abort();
	check_names(pattern, out, n);
}

static void fuzz_macs(const char *macs)
{
	uint8_t m[16][6];
	const char *why = NULL;
	size_t n;

	if (register_macs_parse(macs, m, 16, &n, &why))
		return why ? (void)0 : abort();
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (!memcmp(m[i], m[k], 6))
				abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *start, *macs;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	start = strchr(s, '\n');
	macs = start ? strchr(start + 1, '\n') : NULL;
	if (start && macs && !memchr(s, 0, size)) {
		*start++ = '\0';
		*macs++ = '\0';
		fuzz_names(s, start);
		fuzz_macs(macs);
	}
	free(s);
	return 0;
}
