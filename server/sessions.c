/* Machines' sessions: the bounded table and the check of signed requests (see sessions.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "crypto.h"
#include "rc.h"
#include "server.h"
#include "sessions.h"

/** One session.  Slots with used == 0 are free. */
struct session {
	int used;
	uint8_t mac[6];
	uint8_t pub[STRATA_KEY_PUB_LEN];   /**< the machine key that opened it */
	struct strata_session_keys keys;
	uint64_t hi;                       /**< highest n accepted; 0: none yet */
	uint64_t seen;                     /**< bit i: n == hi - i was accepted */
	int64_t last;                      /**< last use (seconds) */
};

struct sessions {
	pthread_mutex_t lock;
	struct session *e;                 /**< cap slots, owned */
	size_t cap;
	unsigned int per_machine;
	int64_t idle_s;
};

int sessions_new(size_t cap, unsigned int per_machine, int64_t idle_s, struct sessions **out)
{
	struct sessions *t = calloc(1, sizeof(*t));

	if (!t || !(t->e = calloc(cap, sizeof(*t->e)))) {
		free(t);
		return STRATA_ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->cap = cap;
	t->per_machine = per_machine;
	t->idle_s = idle_s;
	*out = t;
	return 0;
}

void sessions_free(struct sessions *t)
{
	if (!t)
		return;
	strata_wipe(t->e, t->cap * sizeof(*t->e));
	free(t->e);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Whether slot e holds a session still alive at now. */
static int live(const struct sessions *t, const struct session *e, int64_t now)
{
	return e->used && now - e->last < t->idle_s;
}

/* The slot a new session of mac takes: the machine's least recently used when it has its
 * quota, else a free or expired slot, else the least recently used of all.  Call with the
 * lock. */
static struct session *slot_for(struct sessions *t, const uint8_t mac[6], int64_t now)
{
	struct session *mine = NULL, *lru = NULL, *spare = NULL;
	unsigned int n = 0;

	for (size_t i = 0; i < t->cap; i++) {
		struct session *e = &t->e[i];

		if (!live(t, e, now)) {
			spare = spare ? spare : e;
			continue;
		}
		if (!memcmp(e->mac, mac, 6) && (n++, !mine || e->last < mine->last))
			mine = e;
		if (!lru || e->last < lru->last)
			lru = e;
	}
	return n >= t->per_machine ? mine : spare ? spare : lru;
}

void sessions_add(struct sessions *t, const uint8_t mac[6], const uint8_t pub[STRATA_KEY_PUB_LEN],
		  const struct strata_session_keys *k, int64_t now)
{
	struct session *e;

	pthread_mutex_lock(&t->lock);
	e = slot_for(t, mac, now);
	if (!e) {                     /* a table of no slots */
		pthread_mutex_unlock(&t->lock);
		return;
	}
	memset(e, 0, sizeof(*e));
	e->used = 1;
	memcpy(e->mac, mac, 6);
	memcpy(e->pub, pub, STRATA_KEY_PUB_LEN);
	e->keys = *k;
	e->last = now;
	pthread_mutex_unlock(&t->lock);
}

/* The live session named sid, or NULL.  Call with the lock. */
static struct session *find(struct sessions *t, const uint8_t sid[STRATA_SESSION_SID_LEN],
			    int64_t now)
{
	for (size_t i = 0; i < t->cap; i++)
		if (live(t, &t->e[i], now) &&
		    !memcmp(t->e[i].keys.sid, sid, STRATA_SESSION_SID_LEN))
			return &t->e[i];
	return NULL;
}

/* Whether n may be accepted by e for use; records it when so.  0 or STRATA_ESTALE. */
static int window_take(struct session *e, uint64_t n, enum session_use use)
{
	uint64_t back;

	if (n > e->hi) {
		e->seen = n - e->hi >= 64 ? 0 : e->seen << (n - e->hi);
		e->seen |= 1;
		e->hi = n;
		return 0;
	}
	back = e->hi - n;
	if (back >= 64)
		return STRATA_ESTALE;
	if ((e->seen >> back) & 1)
		return use == SESSION_ONCE ? STRATA_ESTALE : 0;
	e->seen |= (uint64_t)1 << back;
	return 0;
}

/* Check q against the live sessions; on 0 copy what the caller asked for.  Call with the
 * lock. */
static int check_locked(struct sessions *t, const uint8_t mac[6], const char *method,
			const char *pq, const struct strata_session_query *q,
			enum session_use use, int64_t now, struct strata_session_keys *keys_out,
			uint8_t mac_out[6])
{
	struct session *e = find(t, q->sid, now);
	int rc;

	if (!e)
		return STRATA_EAUTH;
	if (mac && memcmp(e->mac, mac, 6))
		return STRATA_EACCES;
	rc = strata_session_verify(&e->keys, method, pq, q);
	if (rc == 0)
		rc = window_take(e, q->n, use);
	if (rc)
		return rc;
	e->last = now;
	if (keys_out)
		*keys_out = e->keys;
	if (mac_out)
		memcpy(mac_out, e->mac, 6);
	return 0;
}

/* sessions_check and sessions_check_sid: the query parsed, then checked under the lock
 * against mac's sessions (mac NULL: whichever machine the sid is of, into mac_out). */
static int check_query(struct sessions *t, const uint8_t *mac, const char *method,
		       const char *pq, size_t len, enum session_use use, int64_t now,
		       uint8_t *mac_out, struct strata_session_keys *keys_out, uint64_t *n_out)
{
	struct strata_session_query q;
	int rc = strata_session_parse(pq, len, &q);

	if (rc)
		return rc == STRATA_ENOENT ? STRATA_EAUTH : rc;
	pthread_mutex_lock(&t->lock);
	rc = check_locked(t, mac, method, pq, &q, use, now, keys_out, mac_out);
	pthread_mutex_unlock(&t->lock);
	if (rc == 0 && n_out)
		*n_out = q.n;
	return rc;
}

int sessions_check(struct sessions *t, const uint8_t mac[6], const char *method, const char *pq,
		   size_t len, enum session_use use, int64_t now,
		   struct strata_session_keys *keys_out, uint64_t *n_out)
{
	return check_query(t, mac, method, pq, len, use, now, NULL, keys_out, n_out);
}

int sessions_check_sid(struct sessions *t, const char *method, const char *pq, size_t len,
		       enum session_use use, int64_t now, uint8_t mac_out[6],
		       struct strata_session_keys *keys_out, uint64_t *n_out)
{
	return check_query(t, NULL, method, pq, len, use, now, mac_out, keys_out, n_out);
}

void sessions_drop_machine(struct sessions *t, const uint8_t mac[6])
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].used && !memcmp(t->e[i].mac, mac, 6))
			strata_wipe(&t->e[i], sizeof(t->e[i]));
	pthread_mutex_unlock(&t->lock);
}

size_t sessions_count(struct sessions *t, int64_t now)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->cap; i++)
		n += live(t, &t->e[i], now);
	pthread_mutex_unlock(&t->lock);
	return n;
}

int server_session_check(struct server *s, const uint8_t mac[6], const char *method,
			 const char *path_query, struct strata_session_keys *keys_out,
			 uint64_t *n_out)
{
	return sessions_check(s->sessions, mac, method, path_query, strlen(path_query),
			      SESSION_READ, (int64_t)time(NULL), keys_out, n_out);
}

int server_session_once(struct server *s, const uint8_t mac[6], const char *method,
			const char *path_query, uint64_t *n_out)
{
	return sessions_check(s->sessions, mac, method, path_query, strlen(path_query),
			      SESSION_ONCE, (int64_t)time(NULL), NULL, n_out);
}

int server_rng(void *ctx, unsigned char *out, size_t len)
{
	while (len) {
		ssize_t n = getrandom(out, len, 0);

		if (n <= 0)
			return -1;
		out += n;
		len -= (size_t)n;
	}
	return 0;
}
