/* The enroll order: strata-enroll.efi once on a machine's next network boot (enroll.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "audit.h"
#include "boot_watch.h"
#include "catalog.h"
#include "enroll.h"
#include "text.h"

int enroll_pending(struct server *s, const uint8_t mac[6])
{
	struct mstate *st;
	int pending;

	pthread_mutex_lock(&s->state->lock);
	st = state_find(s->state, mac);
	pending = st && st->pending == INV_ACTION_ENROLL;
	pthread_mutex_unlock(&s->state->lock);
	return pending && !server_capture_pending(s, mac);
}

/* Store st without its enroll order, with how on its open audit rows.  Call with the
 * state lock. */
static int save_consumed(struct server *s, const struct mstate *st, const char *how)
{
	struct mstate next = *st;
	int rc = db_begin(s->state->db);

	if (rc)
		return rc;
	next.pending = INV_ACTION_NONE;
	rc = state_put(s->state, &next);
	if (rc == 0)
		rc = audit_outcome(s->state->db, st->mac, how, NULL);
	return db_end(s->state->db, rc);
}

int enroll_consume(struct server *s, const uint8_t mac[6], const char *how)
{
	char smac[18];
	struct mstate *st;
	int rc = 0;

	pthread_mutex_lock(&s->state->lock);
	st = state_find(s->state, mac);
	if (st && st->pending == INV_ACTION_ENROLL) {
		rc = save_consumed(s, st, how);
		if (rc == 0) {
			st->pending = INV_ACTION_NONE;
			rc = 1;
		}
	}
	pthread_mutex_unlock(&s->state->lock);
	strata_mac_format(smac, mac);
	if (rc == 1)
		fprintf(stderr, "enroll: %s: order used up (%s)\n", smac, how);
	else if (rc < 0)
		fprintf(stderr, "enroll: %s: cannot record that the order was used (%s); it stays "
			"pending: check STATE/strata.db\n", smac, how);
	return rc;
}

void enroll_fetched(struct server *s, const struct sockaddr *peer, const char *name)
{
	char mname[INV_NAME_MAX + 1];
	uint8_t mac[6];
	uint32_t addr;
	int known;

	if (strcmp(name, ENROLL_FILE) || neigh_mac(peer, mac))
		return;
	/* neigh_mac found it, so peer is IPv4. */
	addr = ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr);
	pthread_rwlock_rdlock(&s->lock);
	known = catalog_name(s, mac, addr, mname, sizeof(mname));
	pthread_rwlock_unlock(&s->lock);
	if (known)
		(void)enroll_consume(s, mac, "strata-enroll.efi fetched");
}
