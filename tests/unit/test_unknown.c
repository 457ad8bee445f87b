/*
 * Unit test of the unknown PCs' table (server/unknown.c).
 *
 * Why: anyone on the lab's segment can send DHCP requests with made-up MACs, so the table
 * must stay bounded, forget the least recently seen first and count what it forgot, while
 * a PC that keeps asking stays listed.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "unknown.h"

static void mac_of(uint8_t mac[6], unsigned int i)
{
	const uint8_t m[6] = { 0x52, 0x54, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

	memcpy(mac, m, 6);
}

static void test_seen(void)
{
	struct unknown *u = unknown_new(4);
	struct unknown_pc v[4];
	uint64_t forgotten = 9;
	uint8_t a[6], b[6];

	mac_of(a, 1);
	mac_of(b, 2);
	unknown_seen(u, a, 0x0a000005, UNKNOWN_PXE, 100);
	unknown_seen(u, b, 0, UNKNOWN_HTTP_BOOT, 101);
	unknown_seen(u, a, 0, UNKNOWN_IPXE, 102);
	CHECK_EQ(unknown_list(u, v, 4, &forgotten), 2);
	CHECK_EQ(forgotten, 0);
	CHECK(!memcmp(v[0].mac, a, 6) && v[0].first == 100 && v[0].last == 102);
	CHECK(v[0].seen == 2 && v[0].how == UNKNOWN_IPXE && v[0].ip == 0x0a000005);
	CHECK(!memcmp(v[1].mac, b, 6) && v[1].ip == 0 && v[1].seen == 1);
	unknown_drop(u, a);
	CHECK_EQ(unknown_list(u, v, 4, &forgotten), 1);
	CHECK(!memcmp(v[0].mac, b, 6));
	unknown_free(u);
}

/* A full table forgets the least recently seen; a PC seen again is kept. */
static void test_lru(void)
{
	struct unknown *u = unknown_new(UNKNOWN_MAX);
	static struct unknown_pc v[UNKNOWN_MAX];
	uint64_t forgotten;
	uint8_t mac[6];

	for (unsigned int i = 0; i < UNKNOWN_MAX; i++) {
		mac_of(mac, i);
		unknown_seen(u, mac, 0, UNKNOWN_PXE, 1000 + i);
	}
	mac_of(mac, 0);
	unknown_seen(u, mac, 0, UNKNOWN_PXE, 5000);   /* 0 is the most recent now */
	mac_of(mac, UNKNOWN_MAX);
	unknown_seen(u, mac, 0, UNKNOWN_PXE, 5001);   /* pushes out 1 */
	CHECK_EQ(unknown_list(u, v, UNKNOWN_MAX, &forgotten), UNKNOWN_MAX);
	CHECK_EQ(forgotten, 1);
	mac_of(mac, UNKNOWN_MAX);
	CHECK(!memcmp(v[0].mac, mac, 6));
	mac_of(mac, 0);
	CHECK(!memcmp(v[1].mac, mac, 6));
	mac_of(mac, 1);
	for (unsigned int i = 0; i < UNKNOWN_MAX; i++)
		CHECK(memcmp(v[i].mac, mac, 6) != 0);
	unknown_free(u);
}

int main(void)
{
	RUN(test_seen);
	RUN(test_lru);
	unknown_seen(NULL, (const uint8_t *)"abcdef", 0, UNKNOWN_PXE, 1);  /* no table: no-op */
	return harness_summary();
}
