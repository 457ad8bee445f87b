/* The pure parts of registration: names from a pattern, the MAC list (see register.h). */
#include <stdio.h>
#include <string.h>
#include "rc.h"
#include "register.h"
#include "text.h"

/* The pattern's one run of '#': its offset and width.  0, or STRATA_EINVAL with *why. */
static int hash_run(const char *pattern, size_t *at, size_t *width, const char **why)
{
	const char *h = strchr(pattern, '#');
	size_t w;

	*why = "pattern= needs one run of # for the number, like lab300-##";
	if (!h)
		return STRATA_EINVAL;
	w = strspn(h, "#");
	if (strchr(h + w, '#'))
		return STRATA_EINVAL;
	if (w > 9)
		return *why = "pattern=: at most 9 # in its run", STRATA_EINVAL;
	*at = (size_t)(h - pattern);
	*width = w;
	return 0;
}

/* 10^w: the first number that does not fit w digits. */
static uint64_t limit_of(size_t w)
{
	uint64_t lim = 1;

	while (w--)
		lim *= 10;
	return lim;
}

int register_names(const char *pattern, uint64_t start, size_t n, register_taken_fn *taken,
		   void *ctx, char (*out)[INV_NAME_MAX + 1], const char **why)
{
	size_t at, width, k = 0, skipped = 0;
	uint64_t num = start, lim;
	char name[INV_NAME_MAX + 16];
	int rc = hash_run(pattern, &at, &width, why);

	if (rc)
		return rc;
	if (strlen(pattern) > REGISTER_PATTERN_MAX)
		return *why = "pattern=: names are at most 63 characters", STRATA_EINVAL;
	for (lim = limit_of(width); k < n; num++) {
		if (num >= lim)
			return *why = "pattern=: its # run has no room for that many numbers "
				"from start= (names in use are skipped): add a #", STRATA_ERANGE;
		snprintf(name, sizeof(name), "%.*s%0*llu%s", (int)at, pattern, (int)width,
			 (unsigned long long)num, pattern + at + width);
		if (!inv_name_ok(name))
			return *why = "pattern=: the names must be hostnames ([A-Za-z0-9-], "
				"not starting with -)", STRATA_EINVAL;
		if (taken && taken(ctx, name)) {
			if (++skipped > REGISTER_SKIP_MAX)
				return *why = "pattern=: too many of its names are in use: give "
					"start= further on", STRATA_ERANGE;
			continue;
		}
		memcpy(out[k++], name, strlen(name) + 1);   /* inv_name_ok: at most 63 */
	}
	return 0;
}

/* Whether mac is one of out[0..k). */
static int listed(const uint8_t (*out)[6], size_t k, const uint8_t mac[6])
{
	for (size_t i = 0; i < k; i++)
		if (!memcmp(out[i], mac, 6))
			return 1;
	return 0;
}

int register_macs_parse(const char *s, uint8_t (*out)[6], size_t cap, size_t *n,
			const char **why)
{
	size_t len;

	*n = 0;
	*why = "macs=: a comma-separated list of MACs like 52:54:00:12:34:56";
	for (;; s += len + 1) {
		len = strcspn(s, ",");
		if (*n == cap)
			return *why = "macs=: too many MACs for one registration", STRATA_ERANGE;
		if (!len || strata_mac_parse(out[*n], s, len))
			return STRATA_EINVAL;
		if (listed((const uint8_t (*)[6])out, *n, out[*n]))
			return *why = "macs=: a MAC is listed twice", STRATA_EINVAL;
		(*n)++;
		if (!s[len])
			return 0;
	}
}
