/*
 * Unit test of Wake-on-LAN's pure parts (server/wol_packet.c): the magic packet and the
 * --wol-broadcast list.
 *
 * Why: a packet one byte off wakes nothing, silently (a NIC never answers), so its layout
 * is checked byte by byte; the list decides where packets go, so a network (A.B.C.D/N)
 * or junk must be refused at start, not sent to.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "rc.h"
#include "wol.h"

static void test_packet(void)
{
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t p[WOL_PACKET_LEN];

	memset(p, 0x11, sizeof(p));
	wol_packet(p, mac);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(p[i], 0xff);
	for (int i = 0; i < 16; i++)
		CHECK(!memcmp(p + 6 + 6 * i, mac, 6));
	CHECK_EQ(WOL_PACKET_LEN, 6 + 16 * 6);
}

static void test_targets(void)
{
	uint32_t t[WOL_TARGETS_MAX];
	size_t n = 0;

	CHECK_EQ(wol_targets_parse("10.0.0.255", t, WOL_TARGETS_MAX, &n), 0);
	CHECK(n == 1 && t[0] == 0x0a0000ff);
	CHECK_EQ(wol_targets_parse("10.1.255.255,192.168.7.255", t, WOL_TARGETS_MAX, &n), 0);
	CHECK(n == 2 && t[0] == 0x0a01ffff && t[1] == 0xc0a807ff);
}

static void test_targets_refused(void)
{
	uint32_t t[2];
	size_t n;

	CHECK_EQ(wol_targets_parse("", t, 2, &n), STRATA_EINVAL);
	CHECK_EQ(wol_targets_parse("10.0.0.0/24", t, 2, &n), STRATA_EINVAL);
	CHECK_EQ(wol_targets_parse("10.0.0.256", t, 2, &n), STRATA_EINVAL);
	CHECK_EQ(wol_targets_parse("10.0.0.255,", t, 2, &n), STRATA_EINVAL);
	CHECK_EQ(wol_targets_parse("a.b.c.d", t, 2, &n), STRATA_EINVAL);
	CHECK_EQ(wol_targets_parse("1.1.1.1,2.2.2.2,3.3.3.3", t, 2, &n), STRATA_ERANGE);
}

int main(void)
{
	RUN(test_packet);
	RUN(test_targets);
	RUN(test_targets_refused);
	return harness_summary();
}
