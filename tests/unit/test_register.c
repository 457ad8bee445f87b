/*
 * Unit test of registration's pure parts (server/register.c): names from a pattern and
 * the macs= list.
 *
 * Why: a pattern decides the names a room of PCs keeps for years; a name given twice, a
 * number that overflows its digits (lab-99 then lab-100 sorting wrong, or a silent wrap)
 * or a name already in use would need every PC relabelled.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "rc.h"
#include "register.h"

/* Names in use: a NULL-terminated list, compared as the inventory does (any case). */
static int taken(void *ctx, const char *name)
{
	for (const char *const *p = ctx; *p; p++)
		if (!strcasecmp(*p, name))
			return 1;
	return 0;
}

static void test_pattern(void)
{
	char out[4][INV_NAME_MAX + 1];
	const char *why = NULL;

	CHECK_EQ(register_names("lab300-##", 1, 3, NULL, NULL, out, &why), 0);
	CHECK(!strcmp(out[0], "lab300-01") && !strcmp(out[1], "lab300-02") &&
	      !strcmp(out[2], "lab300-03"));
	CHECK_EQ(register_names("pc###-b", 7, 2, NULL, NULL, out, &why), 0);
	CHECK(!strcmp(out[0], "pc007-b") && !strcmp(out[1], "pc008-b"));
	CHECK_EQ(register_names("#", 0, 1, NULL, NULL, out, &why), 0);
	CHECK(!strcmp(out[0], "0"));
}

/* Names in use are skipped, in any case; the count asked for is still given. */
static void test_skip(void)
{
	const char *used[] = { "LAB-02", "lab-03", "lab-05", NULL };
	char out[3][INV_NAME_MAX + 1];
	const char *why;

	CHECK_EQ(register_names("lab-##", 1, 3, taken, (void *)used, out, &why), 0);
	CHECK(!strcmp(out[0], "lab-01") && !strcmp(out[1], "lab-04") &&
	      !strcmp(out[2], "lab-06"));
}

/* The run's width bounds the numbers: no wrap, no wider number. */
static void test_overflow(void)
{
	const char *used[] = { "lab-9", NULL };
	char out[3][INV_NAME_MAX + 1];
	const char *why = NULL;

	CHECK_EQ(register_names("lab-#", 8, 2, NULL, NULL, out, &why), 0);
	CHECK_EQ(register_names("lab-#", 8, 3, NULL, NULL, out, &why), STRATA_ERANGE);
	CHECK(why && strstr(why, "add a #"));
	CHECK_EQ(register_names("lab-#", 8, 2, taken, (void *)used, out, &why), STRATA_ERANGE);
	CHECK_EQ(register_names("n#########", 999999999, 1, NULL, NULL, out, &why), 0);
	CHECK(!strcmp(out[0], "n999999999"));
	CHECK_EQ(register_names("n#########", 999999999, 2, NULL, NULL, out, &why),
		 STRATA_ERANGE);
}

static void test_bad_patterns(void)
{
	char out[1][INV_NAME_MAX + 1];
	const char *why = NULL;
	char long_name[80];

	CHECK_EQ(register_names("lab", 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
	CHECK_EQ(register_names("lab#-#", 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
	CHECK_EQ(register_names("lab##########", 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
	CHECK_EQ(register_names("-lab#", 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
	CHECK_EQ(register_names("lab_#", 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
	CHECK_EQ(register_names("lab #", 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
	memset(long_name, 'a', 63);
	strcpy(long_name + 63, "#");
	CHECK_EQ(register_names(long_name, 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
	CHECK_EQ(register_names("", 1, 1, NULL, NULL, out, &why), STRATA_EINVAL);
}

static void test_macs(void)
{
	uint8_t m[3][6];
	const char *why;
	size_t n;

	CHECK_EQ(register_macs_parse("52:54:00:00:00:01,52-54-00-00-00-0A", m, 3, &n, &why), 0);
	CHECK(n == 2 && m[0][5] == 1 && m[1][5] == 0x0a);
	CHECK_EQ(register_macs_parse("", m, 3, &n, &why), STRATA_EINVAL);
	CHECK_EQ(register_macs_parse("52:54:00:00:00:01,", m, 3, &n, &why), STRATA_EINVAL);
	CHECK_EQ(register_macs_parse("52:54:00:00:00:01,52:54:00:00:00:01", m, 3, &n, &why),
		 STRATA_EINVAL);
	CHECK(strstr(why, "twice") != NULL);
	CHECK_EQ(register_macs_parse("52:54:00:00:00:0g", m, 3, &n, &why), STRATA_EINVAL);
	CHECK_EQ(register_macs_parse("52:54:00:00:00:01,52:54:00:00:00:02,52:54:00:00:00:03,"
				     "52:54:00:00:00:04", m, 3, &n, &why), STRATA_ERANGE);
}

int main(void)
{
	RUN(test_pattern);
	RUN(test_skip);
	RUN(test_overflow);
	RUN(test_bad_patterns);
	RUN(test_macs);
	return harness_summary();
}
