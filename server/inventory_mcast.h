/*
 * A profile's multicast keys (docs/multicast.md): `profile NAME multicast=yes group=G
 * rate=R [port=P] [payload=F] [parity=0]`.  The machines of such a profile get a signed
 * manifest whose `multicast` statement announces a session carrying the profile's public
 * layers (mcast_plan.h), and strata-server's carousel sends them (mcast.h).
 *
 * Why on the profile: a session carries layers, and a profile is what names them; every
 * machine of the profile on the server's own segment takes the same session.
 *
 * Pure parsing and checks, no I/O: unit-tested and fuzzed with the inventory's parser.
 */
#ifndef STRATA_INVENTORY_MCAST_H
#define STRATA_INVENTORY_MCAST_H

#include <stdint.h>

/** The UDP port a session takes when the profile gives none. */
#define INV_MCAST_PORT 5083

/** Which keys a profile line gave. */
enum inv_mcast_key {
	INV_MCAST_SET_ON = 1,
	INV_MCAST_SET_GROUP = 2,
	INV_MCAST_SET_RATE = 4,
	INV_MCAST_SET_OTHER = 8,      /**< port=, payload= or parity= */
};

/** A profile's multicast keys, checked. */
struct inv_mcast {
	int on;                       /**< multicast=yes */
	uint8_t group[4];             /**< group=, in 239.0.0.0/8 */
	uint16_t port;                /**< port=, 1024..65535 (INV_MCAST_PORT) */
	uint64_t rate;                /**< rate=, bits/s (strata_mc_rate_parse) */
	uint16_t payload;             /**< payload=, F: 512..1432 (1432) */
	uint8_t parity;               /**< parity=: 0 (no parity encoder in this version) */
	unsigned int set;             /**< enum inv_mcast_key bits */
};

/**
 * Take key=v (both borrowed) into *mc when key is one of multicast, group, port, rate,
 * payload or parity.  1 when key is none of them (the caller's other keys), 0 when taken,
 * STRATA_EINVAL with *why (static) saying what the value must be.
 */
int inv_mcast_key(struct inv_mcast *mc, const char *key, const char *v, const char **why);

/**
 * The line's keys as a whole, once all are read: group= and rate= with multicast=yes,
 * none of the others without it; fills the defaults.  0, or STRATA_EINVAL with *why.
 */
int inv_mcast_finish(struct inv_mcast *mc, const char **why);

#endif /* STRATA_INVENTORY_MCAST_H */
