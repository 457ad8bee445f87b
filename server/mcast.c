/* strata-server's multicast sessions: made from the catalog, fed by statuses, shown as
 * JSON (see mcast.h; the carousel itself is mcast_send.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "host.h"
#include "layer_cache.h"
#include "mcast.h"
#include "mcast_live.h"
#include "server.h"
#include "text.h"

uint64_t mcast_pos(const struct mcast_session *ss)
{
	return (uint64_t)ss->cycle * ss->lap + ss->offset[ss->cur_part] + ss->cur_chunk;
}

/* Sums over a session's data chunks, for its mean store sizes. */
struct store_sums {
	uint64_t stored, data;      /* store bytes, data chunks */
	unsigned __int128 squares;  /* of each chunk's store bytes: 2^44 each at most */
};

/* Part p's layer opened through the server's cache into ss (index, counts), its chunks
 * added to sum.  0 or STRATA_EREPORTED (logged, naming the profile and part). */
static int session_part(struct server *s, struct mcast_session *ss, unsigned int p,
			struct store_sums *sum)
{
	const struct layer_entry *e;
	struct strata_chunk ch;
	char hex[65];
	int rc = layer_cache_get(&s->layers, ss->layers[p], &e);

	if (rc) {
		strata_hex_encode(hex, ss->layers[p], 32);
		return errorf("mcast: %s: part %u: layer %s cannot be opened (%s): the session "
			      "is not sent; its machines deploy by HTTP", ss->profile,
			      ss->ann.parts[p], hex, strata_strerror(rc));
	}
	ss->idx[p] = &e->idx;
	ss->chunks[p] = e->idx.chunk_count;
	ss->offset[p] = ss->lap;
	ss->lap += e->idx.chunk_count;
	for (uint64_t i = 0; i < e->idx.chunk_count; i++) {
		strata_index_chunk(&e->idx, i, &ch);
		ss->data_chunks[p] += ch.stored_size != 0;
		sum->stored += ch.stored_size;
		sum->squares += (unsigned __int128)ch.stored_size * ch.stored_size;
	}
	sum->data += ss->data_chunks[p];
	/* A pass's digests are data chunks' only: zero and free chunks are never sent. */
	if (strata_reuse_init_for(&ss->sent[p], &e->idx, ss->data_chunks[p]))
		return errorf("out of memory");
	return 0;
}

static void session_free(struct mcast_session *ss)
{
	if (!ss)
		return;
	while (ss->nc)
		mcast_client_drop(ss, 0);
	if (ss->sock >= 0)
		close(ss->sock);
	free(ss->c);
	free(ss->buf);
	for (unsigned int p = 0; p < STRATA_MAX_PARTS; p++)
		strata_reuse_done(&ss->sent[p]);
	free(ss);
}

/* A new session for multicast profile pr (the catalog's, read lock held), not yet
 * sending.  NULL when it cannot be made (logged). */
static struct mcast_session *session_plan(struct server *s, const struct inv_profile *pr)
{
	struct mcast_session *ss = calloc(1, sizeof(*ss));
	struct store_sums sum = { 0 };

	if (!ss)
		return errorf("out of memory"), NULL;
	ss->sock = -1;
	snprintf(ss->profile, sizeof(ss->profile), "%s", pr->name);
	if (mcast_plan_session(pr, &ss->ann, ss->layers))
		goto err;
	for (unsigned int p = 0; p < ss->ann.nparts; p++)
		if (session_part(s, ss, p, &sum))
			goto err;
	ss->avg_stored = sum.data ? sum.stored / sum.data : 0;
	ss->byte_stored = sum.stored ? (uint64_t)(sum.squares / sum.stored) : 0;
	ss->frags = mcast_frags(ss->byte_stored, ss->ann.payload);
	return ss;
err:
	session_free(ss);
	return NULL;
}

/* Log a session that starts: what it carries and where. */
static void session_log(const struct mcast_session *ss)
{
	char hex[17];

	uint32_t limit = mcast_loss_limit(ss->frags);

	strata_hex_encode(hex, ss->ann.session, 8);
	fprintf(stderr, "mcast: %s: session %s on %u.%u.%u.%u:%u at %llu bit/s, %u parts, "
		"%llu chunks a pass; chunks of about %u fragments: a client losing %u.%02u %% "
		"leaves for HTTP\n", ss->profile, hex, ss->ann.group[0], ss->ann.group[1],
		ss->ann.group[2], ss->ann.group[3], ss->ann.port,
		(unsigned long long)ss->ann.rate, ss->ann.nparts, (unsigned long long)ss->lap,
		ss->frags, limit / 100, limit % 100);
}

/* The sessions the catalog announces now, planned (not sending), into *out (n of them). */
static size_t plan_all(struct mcast *mc, struct mcast_session ***out)
{
	struct server *s = mc->s;
	size_t n = 0;

	pthread_rwlock_rdlock(&s->lock);
	*out = calloc(s->cat->inv->nprofiles + 1, sizeof(**out));
	for (size_t i = 0; *out && i < s->cat->inv->nprofiles; i++)
		if (s->cat->inv->profiles[i].mc.on &&
		    ((*out)[n] = session_plan(s, &s->cat->inv->profiles[i])))
			n++;
	pthread_rwlock_unlock(&s->lock);
	return n;
}

/* A live session takes its plan's announcement: the session id covers the group, port,
 * parts and layers but not the rate, payload or parity, which a reload may change and the
 * new manifests carry.  A chunk half sent in the old fragment size starts again. */
static void renew_ann(struct mcast_session *o, const struct strata_multicast *ann)
{
	int refrag = o->ann.payload != ann->payload || o->ann.parity != ann->parity;

	if (o->ann.rate != ann->rate || o->ann.payload != ann->payload)
		fprintf(stderr, "mcast: %s: rate now %llu bit/s, payload %u\n", o->profile,
			(unsigned long long)ann->rate, ann->payload);
	o->ann = *ann;
	/* Not dropped: its digest is already in this pass's table (sent_already), so a
	 * dropped chunk would be skipped for the rest of the pass. */
	if (refrag && o->have_chunk) {
		o->next_frag = 0;
		o->nfrags = strata_mc_data_frags(o->stored, o->ann.payload);
	}
}

/* Plan p becomes live: the old session of its id (moved out of mc->v), or p itself with
 * a socket and buffer.  NULL when it cannot send (logged; p freed). */
static struct mcast_session *take_live(struct mcast *mc, struct mcast_session *p)
{
	for (size_t i = 0; i < mc->n; i++) {
		struct mcast_session *o = mc->v[i];

		if (o && !memcmp(o->ann.session, p->ann.session, 8)) {
			mc->v[i] = NULL;
			snprintf(o->profile, sizeof(o->profile), "%s", p->profile);
			renew_ann(o, &p->ann);
			session_free(p);
			return o;
		}
	}
	p->buf = malloc(STRATA_MC_STORED_MAX);
	if (!p->buf || mcast_socket_open(p, mc->s->cfg.addr)) {
		if (!p->buf)
			errorf("mcast: %s: out of memory", p->profile);
		session_free(p);
		return NULL;
	}
	p->cycle_ms = p->last_ms = loop_now();
	session_log(p);
	return p;
}

void mcast_sync(struct mcast *mc)
{
	struct mcast_session **plans, **old;
	size_t n = plan_all(mc, &plans), k = 0, nold;

	if (!plans)
		return (void)errorf("mcast: out of memory: sessions unchanged");
	pthread_mutex_lock(&mc->lock);
	for (size_t i = 0; i < n; i++)
		if ((plans[k] = take_live(mc, plans[i])))
			k++;
	old = mc->v;
	nold = mc->n;
	mc->v = plans;
	mc->n = k;
	pthread_mutex_unlock(&mc->lock);
	for (size_t i = 0; i < nold; i++) {
		if (old[i])
			fprintf(stderr, "mcast: %s: session ended (the inventory no longer "
				"announces it)\n", old[i]->profile);
		session_free(old[i]);
	}
	free(old);
	mcast_kick(mc);
}

/* The eventfd's reader: a status came; the carousel looks at the needs now. */
static void on_wake(struct loop *loop, int fd, void *ctx)
{
	uint64_t v;

	(void)loop;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another reader took it; nothing to do */
	}
	mcast_kick(ctx);
}

int mcast_open(struct server *s, struct loop *loop, struct mcast **out)
{
	struct mcast *mc = calloc(1, sizeof(*mc));

	if (!mc)
		return errorf("out of memory");
	mc->s = s;
	mc->loop = loop;
	pthread_mutex_init(&mc->lock, NULL);
	loop_timer_init(&mc->tick, mcast_tick, mc);
	mc->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mc->wake_fd < 0 || loop_add_reader(loop, mc->wake_fd, on_wake, mc)) {
		if (mc->wake_fd >= 0)
			close(mc->wake_fd);
		pthread_mutex_destroy(&mc->lock);
		free(mc);
		return errorf("mcast: cannot make its wake-up eventfd");
	}
	mcast_sync(mc);
	*out = mc;
	return 0;
}

void mcast_close(struct mcast *mc)
{
	if (!mc)
		return;
	loop_timer_disarm(mc->loop, &mc->tick);
	loop_del_reader(mc->loop, mc->wake_fd);
	close(mc->wake_fd);
	for (size_t i = 0; i < mc->n; i++)
		session_free(mc->v[i]);
	free(mc->v);
	pthread_mutex_destroy(&mc->lock);
	free(mc);
}
