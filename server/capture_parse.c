/* A capture order's parameters (see capture_parse.h). */
#include <string.h>
#include "capture_parse.h"
#include "rc.h"

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
