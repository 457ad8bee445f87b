/*
 * Unit tests for strata.efi's orders line (efi/orders.c), on the host.
 *
 * Why: the orders line decides whether a PC overwrites its disk, uploads it, or boots it,
 * so each word the server sends (docs/capture.md, "Orders and the PXE script") must be read
 * exactly: then=local (an interval capture hands the PC to its disk afterwards), force=yes
 * (an unsafe filesystem is captured whole), the labels, and an unknown capture kind
 * refused with the line operators read.  Lines are heap copies of exactly their bytes and
 * the NUL, so a read past them is an ASan error.
 */
#include <stdlib.h>
#include <string.h>
#include "efi_host/efi_host.h"
#include "harness.h"
#include "orders.h"
#include "rc.h"

/* Parse a heap copy of line into *o, with a fresh log. */
static int parse(struct orders *o, const char *line)
{
	char *p = strdup(line);
	int rc;

	if (!p)
		abort();
	log_capture_reset();
	rc = orders_parse(o, p);
	free(p);
	return rc;
}

static void test_deploy_and_none(void)
{
	struct orders o;

	CHECK_EQ(parse(&o, "action=deploy then=reboot\n"), 0);
	CHECK(!o.capture && !o.then_local && !o.force);
	CHECK_EQ(parse(&o, "action=none\n"), 1);
	CHECK_EQ(parse(&o, ""), 1);
	CHECK_EQ(parse(&o, "action=restore then=local\n"), 1);
	CHECK(!o.capture && !o.then_local);
}

static void test_machine_then_local(void)
{
	struct orders o;

	CHECK_EQ(parse(&o, "action=capture kind=machine then=local parts=home,data\n"), 0);
	CHECK(o.capture && !o.gold && o.then_local && !o.force);
	CHECK(!strcmp(o.labels, "home,data"));
	CHECK_EQ(parse(&o, "action=capture kind=machine then=reboot parts=home\n"), 0);
	CHECK(o.capture && !o.then_local);
	/* then= absent or anything but local: reboot, as before interval captures existed */
	CHECK_EQ(parse(&o, "action=capture kind=machine parts=home"), 0);
	CHECK(!o.then_local);
	CHECK_EQ(parse(&o, "action=capture kind=machine then=localx parts=home\n"), 0);
	CHECK(!o.then_local);
	/* a word after the newline is not the line's */
	CHECK_EQ(parse(&o, "action=capture kind=machine parts=home\nthen=local\n"), 0);
	CHECK(!o.then_local);
}

static void test_gold_force(void)
{
	struct orders o;

	CHECK_EQ(parse(&o, "action=capture kind=gold profile=win11 then=reboot private=data "
			   "force=yes\n"), 0);
	CHECK(o.capture && o.gold && o.force && !o.then_local);
	CHECK(!strcmp(o.profile, "win11") && !strcmp(o.labels, "data"));
	CHECK_EQ(parse(&o, "action=capture kind=gold profile=g then=reboot force=no\n"), 0);
	CHECK(!o.force);
	CHECK_EQ(parse(&o, "action=capture kind=gold profile=g then=reboot\n"), 0);
	CHECK(!o.force && !o.labels[0]);
	/* a key ending in force is another key */
	CHECK_EQ(parse(&o, "action=capture kind=gold profile=g xforce=yes\n"), 0);
	CHECK(!o.force);
}

static void test_unknown_kind(void)
{
	struct orders o;

	CHECK_EQ(parse(&o, "action=capture kind=restore then=reboot\n"), STRATA_ENOTSUP);
	CHECK(!o.capture);
	CHECK(log_capture_has_prefix("error: orders: capture of kind \"restore\" is not known"));
	CHECK_EQ(parse(&o, "action=capture then=local\n"), STRATA_ENOTSUP);
	CHECK(!o.capture && !o.then_local);
}

static void test_long_values_cut(void)
{
	struct orders o;
	char line[600];

	memset(line, 0, sizeof(line));
	strcpy(line, "action=capture kind=gold profile=");
	memset(line + strlen(line), 'p', 200);
	strcat(line, " force=yes\n");
	CHECK_EQ(parse(&o, line), 0);
	CHECK_EQ(strlen(o.profile), sizeof(o.profile) - 1);
	CHECK(o.force);
}

int main(void)
{
	RUN(test_deploy_and_none);
	RUN(test_machine_then_local);
	RUN(test_gold_force);
	RUN(test_unknown_kind);
	RUN(test_long_values_cut);
	return harness_summary();
}
