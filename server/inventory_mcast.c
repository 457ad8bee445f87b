/* A profile's multicast keys (see inventory_mcast.h). */
#include <arpa/inet.h>
#include <string.h>
#include "inventory_mcast.h"
#include "manifest.h"
#include "mcast.h"
#include "rc.h"
#include "text.h"

/* A bounded decimal number v into *out. */
static int number(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	return strata_u64_parse(out, v, strlen(v), max) || *out < min ? STRATA_EINVAL : 0;
}

/* group=A.B.C.D in 239.0.0.0/8. */
static int group_key(struct inv_mcast *mc, const char *v, const char **why)
{
	struct in_addr a;

	if (inet_pton(AF_INET, v, &a) != 1 || ((const uint8_t *)&a)[0] != 239)
		return *why = "group= must be an IPv4 group in 239.0.0.0/8 (administratively "
			      "scoped, RFC 2365), as 239.255.83.1", STRATA_EINVAL;
	memcpy(mc->group, &a, 4);
	mc->set |= INV_MCAST_SET_GROUP;
	return 0;
}

/* port=, payload= or parity=. */
static int other_key(struct inv_mcast *mc, const char *key, const char *v, const char **why)
{
	uint64_t n;

	mc->set |= INV_MCAST_SET_OTHER;
	if (!strcmp(key, "port"))
		return number(v, 1024, 65535, &n) ? (*why = "port= must be 1024..65535",
						     STRATA_EINVAL) : (mc->port = (uint16_t)n, 0);
	if (!strcmp(key, "payload"))
		return number(v, STRATA_MC_PAYLOAD_MIN, STRATA_MC_PAYLOAD_MAX, &n)
			? (*why = "payload= must be 512..1432 (bytes of a fragment: 1432 fills "
				  "a 1500-byte frame)", STRATA_EINVAL)
			: (mc->payload = (uint16_t)n, 0);
	if (number(v, 0, 0, &n))
		return *why = "parity= must be 0: this server sends no parity fragments",
		       STRATA_EINVAL;
	mc->parity = 0;
	return 0;
}

int inv_mcast_key(struct inv_mcast *mc, const char *key, const char *v, const char **why)
{
	if (!strcmp(key, "multicast")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return *why = "multicast= must be yes or no", STRATA_EINVAL;
		mc->on = !strcmp(v, "yes");
		mc->set |= INV_MCAST_SET_ON;
		return 0;
	}
	if (!strcmp(key, "group"))
		return group_key(mc, v, why);
	if (!strcmp(key, "rate")) {
		mc->set |= INV_MCAST_SET_RATE;
		return strata_mc_rate_parse(&mc->rate, v, strlen(v))
			? (*why = "rate= must be bits/s with an optional K, M or G (powers of "
				  "1000), 1M..100G, as 800M", STRATA_EINVAL) : 0;
	}
	if (!strcmp(key, "port") || !strcmp(key, "payload") || !strcmp(key, "parity"))
		return other_key(mc, key, v, why);
	return 1;
}

int inv_mcast_finish(struct inv_mcast *mc, const char **why)
{
	if (!mc->on && (mc->set & ~(unsigned int)INV_MCAST_SET_ON))
		return *why = "group=, rate=, port=, payload= and parity= need multicast=yes",
		       STRATA_EINVAL;
	if (!mc->on)
		return 0;
	if (!(mc->set & INV_MCAST_SET_GROUP) || !(mc->set & INV_MCAST_SET_RATE))
		return *why = "multicast=yes needs group= (239.x.y.z) and rate= (as 800M)",
		       STRATA_EINVAL;
	if (!mc->port)
		mc->port = INV_MCAST_PORT;
	if (!mc->payload)
		mc->payload = STRATA_MC_PAYLOAD_MAX;
	return 0;
}
