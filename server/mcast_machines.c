/* A multicast session's clients leaving, and its machines still needing chunks (see
 * mcast_live.h). */
#include <stdlib.h>
#include <string.h>
#include "mcast_live.h"

/* Whether a client of mac in ss other than c needs chunks. */
static int other_needs(const struct mcast_session *ss, const uint8_t mac[6],
		       const struct mcast_client *c)
{
	for (size_t i = 0; i < ss->nc; i++)
		if (&ss->c[i] != c && ss->c[i].need_chunks && !memcmp(ss->c[i].mac, mac, 6))
			return 1;
	return 0;
}

void mcast_client_need(struct mcast_session *ss, struct mcast_client *c, uint64_t need_chunks)
{
	int was = c->need_chunks != 0, now = need_chunks != 0;

	/* A machine turns busy or idle only when no other client of it needs chunks. */
	if (was != now && !other_needs(ss, c->mac, c)) {
		if (now)
			ss->machines_needing++;
		else
			ss->machines_needing--;
	}
	c->need_chunks = need_chunks;
}

int mcast_alone(const struct mcast_session *ss, const struct mcast_client *c)
{
	if (ss->machines_needing != 1)
		return ss->machines_needing == 0;
	return c->need_chunks || other_needs(ss, c->mac, c);
}

void mcast_client_drop(struct mcast_session *ss, size_t i)
{
	mcast_client_need(ss, &ss->c[i], 0);
	free(ss->c[i].r);
	ss->c[i] = ss->c[--ss->nc];
}
