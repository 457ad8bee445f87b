/*
 * Unit tests for server/mcast_plan.c and the inventory's multicast keys
 * (server/inventory_mcast.c): profile lines with multicast=yes and each key, good and
 * refused, with file:line; the session a profile announces (its public parts only, the id
 * as strata_mc_session_id makes it, a new id for a new layer); the carousel's next chunk
 * with 0, 1 and 30 clients, across parts, wrapping, with a PARTIAL tail; each verdict
 * (leaving early for a loss that makes multicast pointless); fragments a chunk; eta_ms.
 */
#include <string.h>
#include "harness.h"
#include "inventory.h"
#include "mcast.h"
#include "mcast_plan.h"
#include "rc.h"

#define L1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define L2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static const char parts[] =
	"part label=ESP type=esp size=64M layer=" L1 "\n"
	"part label=CIDATA type=basic size=8M layer=machine\n"
	"part label=root type=linux size=2G layer=" L2 "\n"
	"part label=home type=linux size=1G layer=" L1 " capture=yes\n"
	"part label=data type=linux size=rest policy=preserve\n";

/* Parse "profile lab KEYS\n" + parts; the inventory or NULL. */
static struct inventory *inv_with(const char *keys)
{
	char text[2048];
	struct inventory *inv = NULL;

	snprintf(text, sizeof(text), "profile lab %s\n%s", keys, parts);
	if (inventory_parse("t.conf", text, strlen(text), &inv))
		return NULL;
	return inv;
}

static void test_keys(void)
{
	struct inventory *inv = inv_with("multicast=yes group=239.255.83.1 rate=800M");
	const struct inv_mcast *mc;

	CHECK(inv != NULL);
	if (!inv)
		return;
	mc = &inv->profiles[0].mc;
	CHECK(mc->on && mc->group[0] == 239 && mc->group[3] == 1);
	CHECK_EQ(mc->port, INV_MCAST_PORT);
	CHECK_EQ(mc->rate, 800000000ull);
	CHECK_EQ(mc->payload, STRATA_MC_PAYLOAD_MAX);
	CHECK_EQ(mc->parity, 0);
	inventory_free(inv);
	inv = inv_with("multicast=yes group=239.1.2.3 rate=24M port=6000 payload=512 parity=0 "
		       "keep=3");
	CHECK(inv && inv->profiles[0].mc.port == 6000 && inv->profiles[0].mc.payload == 512 &&
	      inv->profiles[0].keep.keep == 3);
	inventory_free(inv);
	inv = inv_with("multicast=no");
	CHECK(inv && !inv->profiles[0].mc.on);
	inventory_free(inv);
	const char *bad[] = { "multicast=maybe", "multicast=yes rate=800M",
			      "multicast=yes group=239.1.1.1", "group=239.1.1.1 rate=1G",
			      "multicast=no rate=1G", "multicast=yes group=224.0.0.1 rate=1G",
			      "multicast=yes group=239.1.1 rate=1G",
			      "multicast=yes group=239.1.1.1 rate=999K",
			      "multicast=yes group=239.1.1.1 rate=101G",
			      "multicast=yes group=239.1.1.1 rate=8m",
			      "multicast=yes group=239.1.1.1 rate=1G port=80",
			      "multicast=yes group=239.1.1.1 rate=1G port=65536",
			      "multicast=yes group=239.1.1.1 rate=1G payload=511",
			      "multicast=yes group=239.1.1.1 rate=1G payload=1433",
			      "multicast=yes group=239.1.1.1 rate=1G parity=2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		inv = inv_with(bad[i]);
		CHECK_MSG(inv == NULL, "'%s' taken", bad[i]);
		inventory_free(inv);
	}
}

static void test_keys_whole(void)
{
	struct inventory *inv = NULL;
	const char *no_public = "profile lab multicast=yes group=239.1.1.1 rate=1G\n"
		"part label=CIDATA type=basic size=8M layer=machine\n"
		"part label=home type=linux size=1G layer=" L1 " capture=yes\n";
	const char *twice = "profile a multicast=yes group=239.1.1.1 rate=1G\n"
		"part label=r type=linux size=1G layer=" L1 "\n"
		"profile b multicast=yes group=239.1.1.1 rate=1G\n"
		"part label=r type=linux size=1G layer=" L2 "\n";
	const char *other_port = "profile a multicast=yes group=239.1.1.1 rate=1G\n"
		"part label=r type=linux size=1G layer=" L1 "\n"
		"profile b multicast=yes group=239.1.1.1 rate=1G port=5084\n"
		"part label=r type=linux size=1G layer=" L2 "\n";

	CHECK_EQ(inventory_parse("t.conf", no_public, strlen(no_public), &inv), STRATA_EREPORTED);
	CHECK_EQ(inventory_parse("t.conf", twice, strlen(twice), &inv), STRATA_EREPORTED);
	CHECK_EQ(inventory_parse("t.conf", other_port, strlen(other_port), &inv), 0);
	inventory_free(inv);
}

static void test_session(void)
{
	struct inventory *inv = inv_with("multicast=yes group=239.255.83.1 rate=800M");
	struct strata_multicast a, b;
	uint8_t layers[STRATA_MAX_PARTS][32], want[8];
	const uint8_t nums[2] = { 1, 3 };

	CHECK(inv != NULL);
	if (!inv)
		return;
	CHECK_EQ(mcast_plan_session(&inv->profiles[0], &a, layers), 0);
	CHECK(a.on && a.nparts == 2 && a.parts[0] == 1 && a.parts[1] == 3);
	CHECK(layers[0][0] == 0x11 && layers[1][0] == 0x22);
	CHECK(a.rate == 800000000ull && a.port == INV_MCAST_PORT && a.payload == 1432);
	CHECK_EQ(strata_mc_session_id(want, "lab", 3, a.group, a.port, nums,
				      (const uint8_t (*)[32])layers, 2), 0);
	CHECK(!memcmp(a.session, want, 8));
	CHECK_EQ(mcast_plan_session(&inv->profiles[0], &b, layers), 0);
	CHECK(!memcmp(&a, &b, sizeof(a)));
	inv->profiles[0].parts[2].layer[5] ^= 1;      /* a new root layer: a new session */
	CHECK_EQ(mcast_plan_session(&inv->profiles[0], &b, layers), 0);
	CHECK(memcmp(a.session, b.session, 8) != 0);
	for (unsigned int k = 0; k < inv->profiles[0].nparts; k++)
		inv->profiles[0].parts[k].capture = inv->profiles[0].parts[k].layer_kind ==
						    INV_LAYER_ID;
	CHECK_EQ(mcast_plan_session(&inv->profiles[0], &b, layers), STRATA_EINVAL);
	inventory_free(inv);
}

static void test_need_next(void)
{
	const struct strata_mc_range_mem r[] = { { 5, 3 }, { 10, 1 }, { 20, 5 } };
	struct mcast_need n = { 0, r, 3, 0 };
	uint64_t x = 99;

	CHECK(mcast_need_next(&n, 0, 100, &x) && x == 5);
	CHECK(mcast_need_next(&n, 6, 100, &x) && x == 6);
	CHECK(mcast_need_next(&n, 8, 100, &x) && x == 10);
	CHECK(mcast_need_next(&n, 11, 100, &x) && x == 20);
	CHECK(mcast_need_next(&n, 24, 100, &x) && x == 24);
	CHECK(!mcast_need_next(&n, 25, 100, &x));
	n.partial = 1;                                   /* the tail [25, 100) counts */
	CHECK(mcast_need_next(&n, 25, 100, &x) && x == 25);
	CHECK(mcast_need_next(&n, 60, 100, &x) && x == 60);
	CHECK(!mcast_need_next(&n, 100, 100, &x));
	n.n = 0;
	n.partial = 0;
	CHECK(!mcast_need_next(&n, 0, 100, &x));
}

static void test_next(void)
{
	const struct strata_mc_range_mem a[] = { { 2, 2 }, { 50, 1 } }, b[] = { { 3, 4 } },
					 c[] = { { 0, 1 } };
	struct mcast_need n[3] = { { 0, a, 2, 0 }, { 0, b, 1, 0 }, { 1, c, 1, 0 } };
	const uint64_t chunks[2] = { 100, 10 };
	unsigned int p = 0;
	uint64_t ch = 0;

	CHECK_EQ(mcast_next(n, 0, chunks, 2, &p, &ch), 0);      /* nobody: idle */
	CHECK(p == 0 && ch == 0);
	CHECK_EQ(mcast_next(n, 2, chunks, 2, &p, &ch), 1);
	CHECK(p == 0 && ch == 2);
	ch = 4;
	CHECK_EQ(mcast_next(n, 2, chunks, 2, &p, &ch), 1);      /* b's, a's ended */
	CHECK(ch == 4);
	ch = 7;
	CHECK_EQ(mcast_next(n, 2, chunks, 2, &p, &ch), 1);
	CHECK(p == 0 && ch == 50);
	ch = 51;
	CHECK_EQ(mcast_next(n, 2, chunks, 2, &p, &ch), 2);      /* one part only: wraps */
	CHECK(p == 0 && ch == 2);
	ch = 51;
	CHECK_EQ(mcast_next(n, 3, chunks, 2, &p, &ch), 1);      /* on to part index 1 */
	CHECK(p == 1 && ch == 0);
	ch = 1;
	CHECK_EQ(mcast_next(n, 3, chunks, 2, &p, &ch), 2);      /* past the last part: wraps */
	CHECK(p == 0 && ch == 2);
}

static void test_next_many(void)
{
	struct strata_mc_range_mem r[30];
	struct mcast_need n[30];
	const uint64_t chunks[1] = { 1000 };
	unsigned int p = 0;
	uint64_t ch = 0, sent = 0;
	int rc;

	for (int i = 0; i < 30; i++) {               /* 30 clients, each 10 chunks */
		r[i] = (struct strata_mc_range_mem){ (uint64_t)(i * 31) % 990, 10 };
		n[i] = (struct mcast_need){ 0, &r[i], 1, 0 };
	}
	while ((rc = mcast_next(n, 30, chunks, 1, &p, &ch)) == 1 && sent < 2000) {
		int held = 0;

		for (int i = 0; i < 30; i++)
			held |= ch >= r[i].first && ch < r[i].first + r[i].count;
		CHECK(held);
		sent++;
		ch++;
	}
	CHECK_EQ(rc, 2);                                  /* a pass ends */
	CHECK(sent > 0 && sent <= 300);                   /* each needed chunk once a pass */
}

static void test_verdict(void)
{
	struct mcast_verdict_in in = { .now_pos = 150, .join_pos = 100, .lap = 100,
				       .need_chunks = 10, .data_chunks = 100 };

	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);         /* half a pass */
	in.now_pos = 200;
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);       /* a pass, a small need */
	in.need_chunks = 65;
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);
	in.data_chunks = 5000;                                /* 2 % of it is 100 */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);
	in.data_chunks = 100;
	in.alone = 1;                                         /* a pass for it alone */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);
	in.now_pos = 150;                                     /* not before a full pass */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);
	in.alone = 0;
	in.now_pos = 400;                                     /* three passes */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);
	in.now_pos = 50;                                      /* never before the join */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);
}

/* A client whose loss makes multicast pointless leaves before a pass; a clean one, or
 * one with too little evidence, stays. */
static void test_verdict_loss(void)
{
	struct mcast_verdict_in in = { .now_pos = 110, .join_pos = 100, .lap = 100,
				       .need_chunks = 90, .data_chunks = 100, .frags = 46 };

	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);         /* nothing counted yet */
	in.seen = 1274, in.lost = 26;                         /* 2 %: 39 % of chunks whole */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);       /* a tenth of a pass in */
	in.now_pos = 50;                                      /* even before the join's pos */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);
	in.now_pos = 110;
	in.seen = 1287, in.lost = 13;                         /* 1 %: 63 % whole */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);
	in.frags = 80;                                        /* 1 % of larger chunks: 45 % */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);
	in.frags = 46;
	in.seen = 4000, in.lost = 0;                          /* the lab's clean VMs */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);
	in.seen = 880, in.lost = 119;                         /* 12 %, one short of evidence */
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_STAY);
	in.seen = 881;
	CHECK_EQ(mcast_verdict(&in), STRATA_MC_REPAIR);
	/* The threshold for 46 fragments: 1 - 0.5^(1/46) = 1.495 %. */
	CHECK(!mcast_too_lossy(9851, 149, 46) && mcast_too_lossy(9850, 150, 46));
	CHECK(!mcast_too_lossy(0, 0, 46) && !mcast_too_lossy(5000, 0, 46));
	CHECK(mcast_too_lossy(0, 1000, 1) && !mcast_too_lossy(999, 1, 1));
	CHECK_EQ(mcast_loss_limit(46), 150);                  /* 1.50 % (of 10,000) */
	CHECK_EQ(mcast_loss_limit(20), 341);
	CHECK_EQ(mcast_loss_limit(1), 5001);                  /* a one-fragment chunk: half */
	CHECK_EQ(mcast_loss_limit(8192), 1);
}

static void test_frags(void)
{
	CHECK_EQ(mcast_frags(65536, 1432), 46);
	CHECK_EQ(mcast_frags(1432, 1432), 1);
	CHECK_EQ(mcast_frags(1433, 1432), 2);
	CHECK_EQ(mcast_frags(0, 1432), 1);                    /* a layer of zero chunks */
	CHECK_EQ(mcast_frags(4u << 20, 512), 8192);
	CHECK_EQ(mcast_frags(100, 0), 1);
}

static void test_eta(void)
{
	CHECK_EQ(mcast_eta_ms(0, 65536, 8000000), 0);
	CHECK_EQ(mcast_eta_ms(100, 10000, 8000000), 1000);     /* 1 MB at 1 MB/s */
	CHECK_EQ(mcast_eta_ms(1ull << 36, 4u << 20, 1000000), UINT32_MAX);
	CHECK_EQ(mcast_eta_ms(5, 1000, 0), 0);
}

int main(void)
{
	RUN(test_keys);
	RUN(test_keys_whole);
	RUN(test_session);
	RUN(test_need_next);
	RUN(test_next);
	RUN(test_next_many);
	RUN(test_verdict);
	RUN(test_verdict_loss);
	RUN(test_frags);
	RUN(test_eta);
	return harness_summary();
}
