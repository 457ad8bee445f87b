/* A capture order's parameters (see capture_parse.h). */
#include <string.h>
#include "capture_parse.h"
#include "rc.h"
#include "text.h"

int capture_order_parse(const char *as, const char *prepared, struct capture_order *out,
			const char **why)
{
	memset(out, 0, sizeof(*out));
	if (!as) {
		if (prepared)
			return *why = "prepared= belongs to a gold capture: add as=PROFILE",
			       STRATA_EINVAL;
		return 0;
	}
	if (!inv_name_ok(as))
		return *why = "as=PROFILE: a profile name of [A-Za-z0-9-], 1..63, not starting "
			      "with '-'", STRATA_EINVAL;
	if (!prepared || strcmp(prepared, "yes"))
		return *why = "generalize the PC first (docs/capture.md: cloud-init clean, "
			      "sysprep /generalize), then order again with prepared=yes",
		       STRATA_EINVAL;
	out->kind = CAPTURE_GOLD;
	strcpy(out->profile, as);
	out->prepared = 1;
	return 0;
}

int capture_order_force(const char *force, struct capture_order *o, const char **why)
{
	o->force = 0;
	if (!force)
		return 0;
	if (strcmp(force, "yes"))
		return *why = "force= is yes or absent", STRATA_EINVAL;
	o->force = 1;
	return 0;
}

int capture_order_of_machine(const struct inv_machine *m, struct capture_order *o,
			     const char **why)
{
	int rc = capture_order_parse(m->capture_as[0] ? m->capture_as : NULL,
				     m->capture_prepared ? "yes" : NULL, o, why);

	return rc ? rc : capture_order_force(m->capture_force ? "yes" : NULL, o, why);
}

/* Whether the n bytes at p are lowercase hex digits. */
static int lower_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

int capture_chunk_query(const char *z, const char *len, size_t body_len, int *zlib,
			size_t *out_len, const char **why)
{
	uint64_t n = body_len;

	*zlib = z && !strcmp(z, "1");
	if (z && !*zlib && strcmp(z, "0"))
		return *why = "z must be 1 (a zlib stream) or 0 (raw bytes)", STRATA_EINVAL;
	if (*zlib && !len)
		return *why = "a zlib upload needs len=BYTES, the chunk's size", STRATA_EINVAL;
	if (len && strata_u64_parse(&n, len, strlen(len), UINT64_MAX))
		return *why = "len must be a decimal number of bytes", STRATA_EINVAL;
	if (!*zlib && n != body_len)
		return *why = "len differs from the raw body's size", STRATA_EINVAL;
	if (n == 0 || n > CAPTURE_CHUNK_MAX)
		return *why = "a chunk holds 1 byte to 4 MiB", STRATA_ERANGE;
	/* A store file as long as its chunk reads as raw bytes (and a longer one fails every
	 * commit's size check): a zlib file is kept only when smaller, as the engine does. */
	if (*zlib && body_len >= n)
		return *why = "send it raw: a zlib upload must be smaller than its chunk",
		       STRATA_EINVAL;
	*out_len = (size_t)n;
	return 0;
}

int capture_hello_parse(const char *body, size_t len, uint8_t eph[STRATA_KEY_PUB_LEN])
{
	const size_t hex = 2 * STRATA_KEY_PUB_LEN;

	if (len != CAPTURE_HELLO_BODY || memcmp(body, "eph=", 4) || body[4 + hex] != '\n' ||
	    !lower_hex(body + 4, hex))
		return STRATA_EINVAL;
	return strata_hex_decode(eph, body + 4, STRATA_KEY_PUB_LEN);
}
