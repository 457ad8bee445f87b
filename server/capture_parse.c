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

/* Whether the 64 bytes at p are lowercase hex digits. */
static int lower_hex64(const char *p)
{
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

int capture_need_parse(const char *body, size_t len, uint8_t (*out)[32], size_t cap,
		       size_t *n, size_t *line)
{
	size_t lines = len / CAPTURE_NEED_LINE;

	*n = 0;
	*line = 0;
	if (len == 0 || len % CAPTURE_NEED_LINE || lines > cap)
		return STRATA_EINVAL;
	for (size_t i = 0; i < lines; i++) {
		const char *p = body + i * CAPTURE_NEED_LINE;

		if (!lower_hex64(p) || p[64] != '\n' || strata_hex_decode(out[i], p, 32))
			return *line = i + 1, STRATA_EINVAL;
	}
	*n = lines;
	return 0;
}
