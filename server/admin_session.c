/* Admins' sessions and their CSRF tokens (see admin_session.h). */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "admin_session.h"
#include "mem.h"
#include "rc.h"
#include "text.h"

int admin_sessions_init(struct admin_sessions *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	if (getrandom(t->csrf_key, sizeof(t->csrf_key), 0) != (ssize_t)sizeof(t->csrf_key))
		return STRATA_EIO;
	return 0;
}

void admin_sessions_done(struct admin_sessions *t)
{
	strata_wipe(t->s, sizeof(t->s));
	strata_wipe(t->csrf_key, sizeof(t->csrf_key));
	pthread_mutex_destroy(&t->lock);
}

/* The CSRF token of the session whose id hashes to h, as hex into csrf. */
static void csrf_of(const struct admin_sessions *t, const uint8_t h[STRATA_SHA256_LEN],
		    char csrf[ADMIN_CSRF_LEN + 1])
{
	struct strata_span part = { h, STRATA_SHA256_LEN };
	uint8_t mac[STRATA_SHA256_LEN];

	(void)strata_hmac_sha256(t->csrf_key, sizeof(t->csrf_key), &part, 1, mac);
	strata_hex_encode(csrf, mac, sizeof(mac));
}

/* Whether s has ended at now. */
static int ended(const struct admin_session *s, int64_t now)
{
	return now - s->created >= ADMIN_SESSION_LIFE_S || now - s->last >= ADMIN_SESSION_IDLE_S;
}

/* The slot a new session of name takes: the oldest of name's when it has
 * ADMIN_SESSIONS_PER_ADMIN, else a free or ended one, else the oldest of all.  Call with
 * the lock. */
static struct admin_session *slot_for(struct admin_sessions *t, const char *name, int64_t now)
{
	struct admin_session *oldest = &t->s[0], *mine = NULL, *free_slot = NULL;
	unsigned int n = 0;

	for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++) {
		struct admin_session *s = &t->s[i];

		if (!s->used || ended(s, now)) {
			free_slot = free_slot ? free_slot : s;
			continue;
		}
		if (!strcmp(s->name, name) && (n++, !mine || s->created < mine->created))
			mine = s;
		if (s->created < oldest->created || !oldest->used)
			oldest = s;
	}
	return n >= ADMIN_SESSIONS_PER_ADMIN ? mine : free_slot ? free_slot : oldest;
}

int admin_session_new(struct admin_sessions *t, const char *name, uint64_t gen, int64_t now,
		      char cookie[ADMIN_COOKIE_LEN + 1], char csrf[ADMIN_CSRF_LEN + 1])
{
	uint8_t id[32];
	struct admin_session *s;

	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return STRATA_EIO;
	strata_hex_encode(cookie, id, sizeof(id));
	pthread_mutex_lock(&t->lock);
	s = slot_for(t, name, now);
	memset(s, 0, sizeof(*s));
	strata_sha256(cookie, ADMIN_COOKIE_LEN, s->id_hash);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->gen = gen;
	s->created = s->last = now;
	s->used = 1;
	csrf_of(t, s->id_hash, csrf);
	pthread_mutex_unlock(&t->lock);
	strata_wipe(id, sizeof(id));
	return 0;
}

/* The live session cookie names, or NULL.  Every slot is compared, in constant time.
 * Call with the lock. */
static struct admin_session *find(struct admin_sessions *t, const char *cookie, int64_t now)
{
	uint8_t h[STRATA_SHA256_LEN];
	struct admin_session *found = NULL;

	strata_sha256(cookie, strlen(cookie), h);
	for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++)
		if (t->s[i].used && strata_memeq_ct(h, t->s[i].id_hash, sizeof(h)))
			found = &t->s[i];
	if (found && ended(found, now)) {
		memset(found, 0, sizeof(*found));
		found = NULL;
	}
	return found;
}

int admin_session_check(struct admin_sessions *t, const char *cookie, int64_t now,
			char name[API_TOKEN_NAME_MAX + 1], char csrf[ADMIN_CSRF_LEN + 1],
			int64_t *expires)
{
	struct admin_session *s;
	int rc = STRATA_EAUTH;

	pthread_mutex_lock(&t->lock);
	if ((s = find(t, cookie, now))) {
		s->last = now;
		memcpy(name, s->name, sizeof(s->name));
		csrf_of(t, s->id_hash, csrf);
		*expires = s->created + ADMIN_SESSION_LIFE_S;
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void admin_session_end(struct admin_sessions *t, const char *cookie)
{
	struct admin_session *s;

	pthread_mutex_lock(&t->lock);
	if ((s = find(t, cookie, 0)))
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&t->lock);
}

void admin_sessions_keep(struct admin_sessions *t, int (*keep)(void *ctx, const char *name,
							      uint64_t gen), void *ctx)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++)
		if (t->s[i].used && !keep(ctx, t->s[i].name, t->s[i].gen))
			memset(&t->s[i], 0, sizeof(t->s[i]));
	pthread_mutex_unlock(&t->lock);
}
