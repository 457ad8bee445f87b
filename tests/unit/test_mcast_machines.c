/*
 * Unit tests for server/mcast_machines.c: the count of a session's machines still needing
 * chunks, kept through joins, statuses and departures of clients (a machine has one per
 * partition), and mcast_alone read from it, checked against a scan of every client after
 * each step of a random walk of 8 machines with 3 parts each.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mcast_live.h"

#define MACS 8
#define PARTS 3

/* The answer by a scan of every client (what alone() did before the count). */
static int alone_scan(const struct mcast_session *ss, const struct mcast_client *c)
{
	for (size_t i = 0; i < ss->nc; i++)
		if (ss->c[i].need_chunks && memcmp(ss->c[i].mac, c->mac, 6))
			return 0;
	return 1;
}

/* Distinct MACs with a needing client, by a scan. */
static size_t machines_scan(const struct mcast_session *ss)
{
	size_t n = 0;

	for (size_t i = 0; i < ss->nc; i++) {
		size_t k = 0;

		if (!ss->c[i].need_chunks)
			continue;
		while (k < i && (!ss->c[k].need_chunks || memcmp(ss->c[k].mac, ss->c[i].mac, 6)))
			k++;
		n += k == i;
	}
	return n;
}

/* Client of machine m and part p, added with nothing needed when absent. */
static struct mcast_client *client(struct mcast_session *ss, unsigned int m, unsigned int p)
{
	for (size_t i = 0; i < ss->nc; i++)
		if (ss->c[i].mac[5] == m && ss->c[i].part_ix == p)
			return &ss->c[i];
	memset(&ss->c[ss->nc], 0, sizeof(ss->c[0]));
	ss->c[ss->nc].mac[5] = (uint8_t)m;
	ss->c[ss->nc].part_ix = p;
	return &ss->c[ss->nc++];
}

static void check_all(const struct mcast_session *ss)
{
	CHECK_EQ(ss->machines_needing, machines_scan(ss));
	for (size_t i = 0; i < ss->nc; i++)
		CHECK_EQ(mcast_alone(ss, &ss->c[i]), alone_scan(ss, &ss->c[i]));
}

/* Two partitions of one machine: it is one machine needing, alone until a second
 * machine needs; the first partition done leaves the machine still needing. */
static void test_one_machine_two_parts(void)
{
	struct mcast_session ss = { 0 };
	struct mcast_client *a, *b, *c;

	ss.c = calloc(8, sizeof(*ss.c));
	a = client(&ss, 1, 0);
	mcast_client_need(&ss, a, 5);
	b = client(&ss, 1, 1);
	mcast_client_need(&ss, b, 7);
	CHECK(ss.machines_needing == 1 && mcast_alone(&ss, a) && mcast_alone(&ss, b));
	c = client(&ss, 2, 0);
	CHECK(mcast_alone(&ss, a) && ss.machines_needing == 1);   /* joined, needing 0 */
	CHECK(!mcast_alone(&ss, c));
	mcast_client_need(&ss, c, 3);
	CHECK(ss.machines_needing == 2 && !mcast_alone(&ss, a) && !mcast_alone(&ss, c));
	mcast_client_need(&ss, a, 0);
	CHECK(ss.machines_needing == 2);
	mcast_client_drop(&ss, 2);                                 /* c leaves */
	CHECK(ss.machines_needing == 1 && mcast_alone(&ss, &ss.c[0]) &&
	      mcast_alone(&ss, &ss.c[1]));
	mcast_client_drop(&ss, 1);
	CHECK(ss.machines_needing == 0 && mcast_alone(&ss, &ss.c[0]));
	free(ss.c);
}

/* A random walk of statuses (need to 0 or more), joins and departures. */
static void test_walk(void)
{
	struct mcast_session ss = { 0 };

	srand(7);
	ss.c = calloc(MACS * PARTS, sizeof(*ss.c));
	for (int step = 0; step < 20000; step++) {
		unsigned int m = (unsigned int)rand() % MACS, p = (unsigned int)rand() % PARTS;
		struct mcast_client *c = client(&ss, m, p);

		if (rand() % 5 == 0)
			mcast_client_drop(&ss, (size_t)(c - ss.c));
		else
			mcast_client_need(&ss, c, rand() % 3 ? (uint64_t)(rand() % 4) : 0);
		check_all(&ss);
	}
	while (ss.nc)
		mcast_client_drop(&ss, 0);
	CHECK_EQ(ss.machines_needing, 0);
	free(ss.c);
}

int main(void)
{
	RUN(test_one_machine_two_parts);
	RUN(test_walk);
	return harness_summary();
}
