/* Capture tasks' hellos: their upload keys (see capture_hello.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture_hello.h"
#include "crypto.h"
#include "host.h"
#include "keys.h"
#include "rc.h"
#include "server.h"
#include "sessions.h"

/** One task's upload key and the client points its hellos had. */
struct hello {
	uint8_t sid[STRATA_SESSION_SID_LEN];
	uint8_t key[32];
	uint8_t seen[HELLOS_SEEN][16];   /**< first 16 bytes of SHA-256 of a client point */
	unsigned int next_seen;          /**< where the next point goes (a ring) */
	int64_t used;                    /**< 0: a free slot */
};

struct capture_hellos {
	pthread_mutex_t lock;
	size_t cap;
	struct hello *h;
};

int capture_hellos_new(size_t cap, struct capture_hellos **out)
{
	struct capture_hellos *t = calloc(1, sizeof(*t));

	if (!t || !(t->h = calloc(cap, sizeof(*t->h)))) {
		free(t);
		return STRATA_ENOMEM;
	}
	t->cap = cap;
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void capture_hellos_free(struct capture_hellos *t)
{
	if (!t)
		return;
	strata_wipe(t->h, t->cap * sizeof(*t->h));
	pthread_mutex_destroy(&t->lock);
	free(t->h);
	free(t);
}

/* The slot of sid, or NULL.  Call with the lock held. */
static struct hello *find(struct capture_hellos *t, const uint8_t sid[STRATA_SESSION_SID_LEN])
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->h[i].used && !memcmp(t->h[i].sid, sid, STRATA_SESSION_SID_LEN))
			return &t->h[i];
	return NULL;
}

/* A slot for a new task: a free one, else the least recently used (wiped).  Lock held. */
static struct hello *take(struct capture_hellos *t, const uint8_t sid[STRATA_SESSION_SID_LEN])
{
	struct hello *o = &t->h[0];

	for (size_t i = 0; i < t->cap && o->used; i++)
		if (t->h[i].used < o->used)
			o = &t->h[i];
	strata_wipe(o, sizeof(*o));
	memcpy(o->sid, sid, STRATA_SESSION_SID_LEN);
	return o;
}

/* The time as a slot's use stamp: never 0, which marks a free slot. */
static int64_t stamp(void)
{
	int64_t t = (int64_t)time(NULL);

	return t > 0 ? t : 1;
}

/* Whether h's hellos had the point whose digest is d. */
static int seen(const struct hello *h, const uint8_t d[16])
{
	for (unsigned int i = 0; i < HELLOS_SEEN; i++)
		if (!memcmp(h->seen[i], d, 16))
			return 1;
	return 0;
}

int capture_hellos_put(struct capture_hellos *t, const uint8_t sid[STRATA_SESSION_SID_LEN],
		       const uint8_t client[STRATA_KEY_PUB_LEN], const uint8_t key[32])
{
	uint8_t d[32];
	struct hello *h;
	int rc = 0;

	strata_sha256(client, STRATA_KEY_PUB_LEN, d);
	pthread_mutex_lock(&t->lock);
	h = find(t, sid);
	if (h && seen(h, d))
		rc = STRATA_ESTALE;
	if (rc == 0 && !h)
		h = take(t, sid);
	if (rc == 0) {
		memcpy(h->key, key, 32);
		memcpy(h->seen[h->next_seen], d, 16);
		h->next_seen = (h->next_seen + 1) % HELLOS_SEEN;
		h->used = stamp();
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int capture_hello_key(struct capture_hellos *t, const uint8_t sid[STRATA_SESSION_SID_LEN],
		      uint8_t key[32])
{
	struct hello *h;

	pthread_mutex_lock(&t->lock);
	h = find(t, sid);
	if (h) {
		memcpy(key, h->key, 32);
		h->used = stamp();
	}
	pthread_mutex_unlock(&t->lock);
	return h ? 0 : STRATA_ENOENT;
}

/* The server's ephemeral key into out->eph and the upload key into up.  STRATA_EINVAL for
 * a client point off the curve. */
static int agree(const struct strata_session_keys *task, const uint8_t client[STRATA_KEY_PUB_LEN],
		 struct capture_hello_answer *out, uint8_t up[32])
{
	uint8_t priv[STRATA_P256_PRIV_LEN], x[32];
	int rc = strata_p256_keygen(server_rng, NULL, priv, out->eph);

	if (rc == 0)
		rc = strata_p256_ecdh(priv, client, server_rng, NULL, x);
	if (rc == 0)
		rc = strata_session_hello_derive(task, x, client, out->eph, up);
	strata_wipe(priv, sizeof(priv));
	strata_wipe(x, sizeof(x));
	return rc == STRATA_EINVAL ? rc : rc ? errorf("capture hello: cannot make a key") : 0;
}

int capture_hello(struct server *s, const struct strata_session_keys *task,
		  const uint8_t client[STRATA_KEY_PUB_LEN], struct capture_hello_answer *out)
{
	uint8_t up[32], digest[32];
	int rc = agree(task, client, out, up);

	if (rc == 0) {
		strata_session_hello_digest(task->sid, client, out->eph, digest);
		rc = key_sign_mem(s->key, s->key_len, s->cfg.key, digest, out->sig,
				  sizeof(out->sig), &out->sig_len) ? STRATA_EREPORTED : 0;
	}
	if (rc == 0)
		rc = capture_hellos_put(s->hellos, task->sid, client, up);
	strata_wipe(up, sizeof(up));
	return rc;
}
