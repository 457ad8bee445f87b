/*
 * Unit tests for a capture order's parameters (server/capture_parse.c): a machine-layer
 * order, a gold order with its confirmation, and every refusal with the reason it gives.
 */
#include <string.h>
#include "capture_parse.h"
#include "harness.h"
#include "rc.h"

/* Parse as and prepared; the rc, with the order in *o and the refusal's reason in *why. */
static int parse(const char *as, const char *prepared, struct capture_order *o,
		 const char **why)
{
	*why = "";
	return capture_order_parse(as, prepared, o, why);
}

static void test_good(void)
{
	struct capture_order o;
	const char *why;

	CHECK_EQ(parse(NULL, NULL, &o, &why), 0);
	CHECK_EQ(o.kind, CAPTURE_MACHINE);
	CHECK(o.profile[0] == '\0' && o.prepared == 0);
	CHECK_EQ(parse("win11-gold", "yes", &o, &why), 0);
	CHECK_EQ(o.kind, CAPTURE_GOLD);
	CHECK(strcmp(o.profile, "win11-gold") == 0 && o.prepared == 1);
}

static void test_bad(void)
{
	char long_name[INV_NAME_MAX + 2];
	struct capture_order o;
	const char *why;

	CHECK_EQ(parse("gold", NULL, &o, &why), STRATA_EINVAL);
	CHECK(strstr(why, "prepared=yes") != NULL);
	CHECK_EQ(parse("gold", "no", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("gold", "YES", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("gold", "", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse(NULL, "yes", &o, &why), STRATA_EINVAL);
	CHECK(strstr(why, "as=PROFILE") != NULL);
	CHECK_EQ(parse("", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("-gold", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("go ld", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("go.ld", "yes", &o, &why), STRATA_EINVAL);
	CHECK_EQ(parse("go\"ld", "yes", &o, &why), STRATA_EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK_EQ(parse(long_name, "yes", &o, &why), STRATA_EINVAL);
	long_name[INV_NAME_MAX] = '\0';
	CHECK_EQ(parse(long_name, "yes", &o, &why), 0);
}

int main(void)
{
	RUN(test_good);
	RUN(test_bad);
	return harness_summary();
}
