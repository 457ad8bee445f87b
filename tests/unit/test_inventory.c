/*
 * Unit tests of the inventory's sites (server/inventory_site.c) through the inventory
 * parser: the `site` line's grammar, a machine's site=, lookups by name and address, and
 * errors that name the file and line.  A machine line's capture order (action=capture
 * [as= prepared=] [force=]) and its refusals; replaces=OLDMAC and its refusals; a machine's
 * action= (deploy, enroll, none); room= and its refusals.
 */
#include <string.h>
#include "capture_parse.h"
#include "harness.h"
#include "inventory.h"
#include "inventory_site.h"

#define PROFILE "profile lab\npart label=root type=linux size=1G " \
	"layer=sha256:0000000000000000000000000000000000000000000000000000000000000000\n"

static struct inventory *parse(const char *text)
{
	struct inventory *inv = NULL;

	if (inventory_parse("inv.conf", text, strlen(text), &inv))
		return NULL;
	return inv;
}

static void test_site_ok(void)
{
	struct inventory *inv = parse(PROFILE
		"site b subnet=10.2.0.0/16,192.0.2.128/25 store=http://cache-b:8080/store "
		"boot=https://cache-b/boot\n"
		"site c subnet=10.3.0.0/16 store=http://s3.example/bucket/strata\n"
		"machine 52:54:00:00:00:01 name=pc01 profile=lab site=b\n"
		"machine 52:54:00:00:00:02 name=pc02 profile=lab\n");
	const struct inv_site *b;

	CHECK(inv != NULL);
	if (!inv)
		return;
	CHECK_EQ(inv->nsites, 2);
	b = inv_site_get(inv, inv->machines[0].site);
	CHECK(b && !strcmp(b->name, "b") && !strcmp(b->store, "http://cache-b:8080/store"));
	CHECK(b && !strcmp(b->boot, "https://cache-b/boot") && b->nsubnets == 2);
	CHECK_EQ(inv->machines[1].site, 0);
	CHECK(inv_site_get(inv, 0) == NULL && inv_site_get(inv, 3) == NULL);
	CHECK_EQ(inv_site_of_addr(inv, 0x0a020304), 1);      /* 10.2.3.4 */
	CHECK_EQ(inv_site_of_addr(inv, 0xc00002ff), 1);      /* 192.0.2.255 */
	CHECK_EQ(inv_site_of_addr(inv, 0xc000027f), 0);      /* 192.0.2.127 */
	CHECK_EQ(inv_site_of_addr(inv, 0x0a030001), 2);
	CHECK_EQ(inv_site_find(inv, "C"), 2);
	CHECK(inv_site_get(inv, 2)->boot[0] == '\0');
	inventory_free(inv);
}

/* action=deploy|enroll|none on machine and default lines; another word is refused. */
static void test_actions(void)
{
	struct inventory *inv = parse(PROFILE
		"default profile=lab action=enroll\n"
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=enroll\n"
		"machine 52:54:00:00:00:02 name=pc02 profile=lab action=deploy\n"
		"machine 52:54:00:00:00:03 name=pc03 profile=lab action=none\n");

	CHECK(inv != NULL);
	if (!inv)
		return;
	CHECK_EQ(inv->machines[0].action, INV_ACTION_ENROLL);
	CHECK_EQ(inv->machines[1].action, INV_ACTION_DEPLOY);
	CHECK_EQ(inv->machines[2].action, INV_ACTION_NONE);
	CHECK_EQ(inv->default_action, INV_ACTION_ENROLL);
	inventory_free(inv);
	CHECK(parse(PROFILE "machine 52:54:00:00:00:01 name=pc01 profile=lab action=enrol\n") == NULL);
}

/* Each bad line is refused (the parser prints FILE:LINE: why). */
static void test_site_bad(void)
{
	static const char *const bad[] = {
		"site b store=http://c/store\n",                          /* no subnet */
		"site b subnet=10.0.0.0/8\n",                             /* no store */
		"site b subnet=10.0.0.1/8 store=http://c/store\n",        /* host bits */
		"site b subnet=10.0.0.0/33 store=http://c/store\n",
		"site b subnet=10.0.0.0/08 store=http://c/store\n",
		"site b subnet=10.0.0.0 store=http://c/store\n",
		"site b subnet=10.0.0.0/8, store=http://c/store\n",
		"site b subnet=10.0.0/8 store=http://c/store\n",
		"site b subnet=10.0.0.0/8 store=ftp://c/store\n",
		"site b subnet=10.0.0.0/8 store=http://c/store/\n",
		"site b subnet=10.0.0.0/8 store=http://c/st?re\n",
		"site b subnet=10.0.0.0/8 store=http://\n",
		"site b subnet=10.0.0.0/8 store=http://c/s store=http://c/t\n",
		"site b subnet=10.0.0.0/8 store=http://c/s color=red\n",
		"site -b subnet=10.0.0.0/8 store=http://c/s\n",
		"site\n",
		"site b subnet=10.0.0.0/8 store=http://c/s\nsite B subnet=11.0.0.0/8 store=http://c/s\n",
		"site b subnet=10.0.0.0/8 store=http://c/s\nsite c subnet=10.9.0.0/16 store=http://c/s\n",
		"site b subnet=0.0.0.0/0 store=http://c/s\nsite c subnet=10.9.0.0/16 store=http://c/s\n",
		"site b subnet=1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8,"
		"7.0.0.0/8,8.0.0.0/8,9.0.0.0/8 store=http://c/s\n",
		PROFILE "machine 52:54:00:00:00:01 name=pc01 profile=lab site=nowhere\n",
		PROFILE "machine 52:54:00:00:00:01 name=pc01 profile=lab site=b\n"
		"site b subnet=10.0.0.0/8 store=http://c/s\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct inventory *inv = parse(bad[i]);

		CHECK_MSG(inv == NULL, "case %zu accepted: %s", i, bad[i]);
		inventory_free(inv);
	}
}

/* A site line ends a profile: a part line after it is an error, not the profile's. */
static void test_site_ends_profile(void)
{
	struct inventory *inv = parse(PROFILE "site b subnet=10.0.0.0/8 store=http://c/s\n"
				      "part label=x type=linux size=1G policy=preserve\n");

	CHECK(inv == NULL);
	inventory_free(inv);
}

/* action=capture lines read into the order the API would make of the same words. */
static void test_capture_order_ok(void)
{
	struct inventory *inv = parse(PROFILE
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=capture\n"
		"machine 52:54:00:00:00:02 name=pc02 profile=lab action=capture as=gold2 "
		"prepared=yes force=yes\n"
		"machine 52:54:00:00:00:03 name=pc03 profile=lab action=capture force=no\n");
	struct capture_order o;
	const char *why = NULL;

	CHECK(inv != NULL);
	if (!inv)
		return;
	CHECK_EQ(inv->machines[0].action, INV_ACTION_CAPTURE);
	CHECK_EQ(capture_order_of_machine(&inv->machines[0], &o, &why), 0);
	CHECK(o.kind == CAPTURE_MACHINE && !o.force && o.profile[0] == '\0');
	CHECK_EQ(capture_order_of_machine(&inv->machines[1], &o, &why), 0);
	CHECK(o.kind == CAPTURE_GOLD && o.prepared && o.force && !strcmp(o.profile, "gold2"));
	CHECK_EQ(capture_order_of_machine(&inv->machines[2], &o, &why), 0);
	CHECK(o.kind == CAPTURE_MACHINE && !o.force);
	inventory_free(inv);
}

/* Each of the n texts of bad, after PROFILE, is refused. */
static void check_refused(const char *const *bad, size_t n)
{
	char text[512];

	for (size_t i = 0; i < n; i++) {
		struct inventory *inv;

		strcpy(text, PROFILE);
		strcat(text, bad[i]);
		inv = parse(text);
		CHECK(inv == NULL);
		inventory_free(inv);
	}
}

/* Each bad capture line is refused: the order rules are the API's. */
static void test_capture_order_bad(void)
{
	static const char *const bad[] = {
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=capture as=g\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=capture prepared=yes\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab as=g prepared=yes\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=deploy force=yes\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=capture force=1\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=capture as=-g "
		"prepared=yes\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab action=backup\n",
		"default profile=lab action=capture\n",
	};

	check_refused(bad, sizeof(bad) / sizeof(bad[0]));
}

/* replaces=OLDMAC reads into the line; a line without it replaces nothing. */
static void test_replaces_ok(void)
{
	static const uint8_t old[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x09 };
	struct inventory *inv = parse(PROFILE
		"machine 52:54:00:00:00:01 name=pc01 profile=lab replaces=52:54:00:00:00:09\n"
		"machine 52:54:00:00:00:02 name=pc02 profile=lab\n");

	CHECK(inv != NULL);
	if (!inv)
		return;
	CHECK(inv->machines[0].has_replaces && !memcmp(inv->machines[0].replaces, old, 6));
	CHECK(!inv->machines[1].has_replaces);
	inventory_free(inv);
}

/* replaces= of a bad MAC, its own MAC, a MAC on another line (before or after it), or a
 * MAC another line replaces already: refused. */
static void test_replaces_bad(void)
{
	static const char *const bad[] = {
		"machine 52:54:00:00:00:01 name=pc01 profile=lab replaces=pc02\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab replaces=\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab replaces=52:54:00:00:00:01\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab replaces=52:54:00:00:00:02\n"
		"machine 52:54:00:00:00:02 name=pc02 profile=lab\n",
		"machine 52:54:00:00:00:02 name=pc02 profile=lab\n"
		"machine 52:54:00:00:00:01 name=pc01 profile=lab replaces=52:54:00:00:00:02\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab replaces=52:54:00:00:00:09\n"
		"machine 52:54:00:00:00:02 name=pc02 profile=lab replaces=52:54:00:00:00:09\n",
	};

	check_refused(bad, sizeof(bad) / sizeof(bad[0]));
}

/* room=: 1..32 of [A-Za-z0-9._-]; anything else is refused naming the line. */
static void test_rooms(void)
{
	static const char *const bad[] = {
		"machine 52:54:00:00:00:01 name=pc01 profile=lab room=\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab room=a/b\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab room=a<b\n",
		"machine 52:54:00:00:00:01 name=pc01 profile=lab "
		"room=abcdefghijklmnopqrstuvwxyz0123456\n",
	};
	struct inventory *inv = parse(PROFILE
		"machine 52:54:00:00:00:01 name=pc01 profile=lab room=B.204\n"
		"machine 52:54:00:00:00:02 name=pc02 profile=lab "
		"room=abcdefghijklmnopqrstuvwxyz_-.012\n"
		"machine 52:54:00:00:00:03 name=pc03 profile=lab\n");
	char text[512];

	CHECK(inv != NULL);
	if (inv) {
		CHECK(!strcmp(inv->machines[0].room, "B.204"));
		CHECK(!strcmp(inv->machines[1].room, "abcdefghijklmnopqrstuvwxyz_-.012"));
		CHECK(inv->machines[2].room[0] == '\0');
		inventory_free(inv);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", PROFILE, bad[i]);
		CHECK_MSG(parse(text) == NULL, "accepted %s", bad[i]);
	}
	CHECK(inv_room_ok("a") && inv_room_ok("Lab-3_b.2") && !inv_room_ok("") && !inv_room_ok("a b"));
	CHECK(!inv_room_ok("\xc3\xa9"));
}

int main(void)
{
	RUN(test_actions);
	RUN(test_site_ok);
	RUN(test_site_bad);
	RUN(test_site_ends_profile);
	RUN(test_capture_order_ok);
	RUN(test_capture_order_bad);
	RUN(test_replaces_ok);
	RUN(test_replaces_bad);
	RUN(test_rooms);
	return harness_summary();
}
