/*
 * Listing a machine's captured generations (docs/retention.md, "Listing"): for an admin's
 * GET /api/generations/NAME, every generation of every captured partition with its time,
 * size, stored bytes, bytes uploaded and source, beside the machine's keep policy and its
 * private store's bytes; and, for /machines.json, each machine's latest generation.
 */
#ifndef STRATA_GENERATIONS_H
#define STRATA_GENERATIONS_H

#include <stdint.h>
#include <stdio.h>

struct server;

/**
 * The JSON listing of the machine who names (its inventory name or MAC; a MAC not in the
 * inventory lists what its rows hold) into *out, a new string the caller frees.  0;
 * STRATA_ENOENT when who names no machine; STRATA_EINVAL when it names several ("all");
 * STRATA_ENOMEM, STRATA_EREPORTED.
 */
int generations_json(struct server *s, const char *who, char **out);

/** ", \"generation\": {...}" (the latest generation of mac over its partitions) or
 *  ", \"generation\": null", appended to a machine's object in /machines.json. */
void generations_latest_json(FILE *f, struct server *s, const uint8_t mac[6]);

#endif /* STRATA_GENERATIONS_H */
