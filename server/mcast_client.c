/* A multicast session's clients: their statuses and answers, and the sessions' JSON
 * (see mcast.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mcast.h"
#include "mcast_live.h"
#include "text.h"

/* The index of part number part in ss, or -1. */
static int part_index(const struct mcast_session *ss, unsigned int part)
{
	for (unsigned int i = 0; i < ss->ann.nparts; i++)
		if (ss->ann.parts[i] == part)
			return (int)i;
	return -1;
}

/* The index of mac's client of part index pi in ss, or -1. */
static long client_find(const struct mcast_session *ss, const uint8_t mac[6], unsigned int pi)
{
	for (size_t i = 0; i < ss->nc; i++)
		if (!memcmp(ss->c[i].mac, mac, 6) && ss->c[i].part_ix == pi)
			return (long)i;
	return -1;
}

/* The live session whose id is id, or NULL.  Under the lock. */
static struct mcast_session *session_of(struct mcast *mc, const uint8_t *id)
{
	for (size_t i = 0; i < mc->n; i++)
		if (!memcmp(mc->v[i]->ann.session, id, 8))
			return mc->v[i];
	return NULL;
}

/* Chunks from the carousel's cursor to client c's first need, in session order. */
static uint64_t client_dist(const struct mcast_session *ss, const struct mcast_client *c)
{
	struct mcast_need nd = { c->part_ix, c->r, c->n, c->partial };
	uint64_t cur = ss->offset[ss->cur_part] + ss->cur_chunk, x;
	uint64_t from = c->part_ix == ss->cur_part ? ss->cur_chunk : 0;

	if (c->part_ix >= ss->cur_part &&
	    mcast_need_next(&nd, from, ss->chunks[c->part_ix], &x))
		return ss->offset[c->part_ix] + x - cur;
	if (!mcast_need_next(&nd, 0, ss->chunks[c->part_ix], &x))
		return 0;
	return ss->lap - cur + ss->offset[c->part_ix] + x;
}

/* The answer to client c (NULL: one that left) of ss. */
static void answer_for(const struct mcast_session *ss, const struct mcast_client *c,
		       uint8_t out[STRATA_MC_ANSWER_LEN])
{
	struct strata_mc_answer_info a = { .verdict = STRATA_MC_STAY,
					   .clients = (uint32_t)ss->nc, .cycle = ss->cycle,
					   .cursor = ss->cur_chunk, .report_ms = MCAST_REPORT_MS };

	if (c) {
		struct mcast_verdict_in in = {
			mcast_pos(ss), c->join_pos, ss->lap, c->need_chunks,
			ss->data_chunks[c->part_ix], c->seen, c->lost,
			ss->frags, mcast_alone(ss, c) };

		a.verdict = (uint8_t)mcast_verdict(&in);
		a.eta_ms = mcast_eta_ms(client_dist(ss, c), ss->avg_stored, ss->ann.rate);
	}
	strata_mc_answer_write(out, &a);
}

/* Log a client's arrival or departure. */
static void client_log(const struct mcast_session *ss, const struct mcast_client *c,
		       const char *what)
{
	char mac[18];

	strata_mac_format(mac, c->mac);
	fprintf(stderr, "mcast: %s: %s part %u %s: %llu chunks needed, %llu bytes by "
		"multicast, %llu by repair; %zu clients; datagrams: %llu seen, %llu lost\n",
		ss->profile, mac, ss->ann.parts[c->part_ix], what,
		(unsigned long long)c->need_chunks, (unsigned long long)c->bytes_mc,
		(unsigned long long)c->bytes_http, ss->nc, (unsigned long long)c->seen,
		(unsigned long long)c->lost);
}

/* The client of mac and part index pi, added when new (*joined set).  NULL without
 * memory. */
static struct mcast_client *client_take(struct mcast_session *ss, const uint8_t mac[6],
					unsigned int pi, int *joined)
{
	long i = client_find(ss, mac, pi);
	struct mcast_client *c;

	*joined = i < 0;
	if (i >= 0)
		return &ss->c[i];
	if (ss->nc == ss->cap) {
		size_t cap = ss->cap ? 2 * ss->cap : 8;

		if (!(c = realloc(ss->c, cap * sizeof(*c))))
			return NULL;
		ss->c = c;
		ss->cap = cap;
	}
	c = &ss->c[ss->nc++];
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	c->part_ix = pi;
	c->join_pos = mcast_pos(ss);
	return c;
}

/* Take status st with ranges r[0..st->range_count) (moved: *r becomes NULL) into c, one
 * of ss's clients. */
static void client_update(struct mcast_session *ss, struct mcast_client *c,
			  const struct strata_mc_status_info *st, struct strata_mc_range_mem **r)
{
	free(c->r);
	c->r = *r;
	*r = NULL;
	c->n = st->range_count;
	c->partial = (st->flags & STRATA_MCS_PARTIAL) != 0;
	mcast_client_need(ss, c, st->need_chunks);
	c->bytes_mc = st->bytes_mc;
	c->bytes_http = st->bytes_http;
	c->seen += st->seen;
	c->lost += st->lost;
	c->seen_ms = loop_now();
}

/* Apply a parsed status of mac to part index pi of ss and answer.  Under the lock. */
static int status_apply(struct mcast_session *ss, const uint8_t mac[6], unsigned int pi,
			const struct strata_mc_status_info *st,
			struct strata_mc_range_mem **r, uint8_t *answer, const char **why)
{
	long i = client_find(ss, mac, pi);
	struct mcast_client *c;
	int joined;

	if (st->flags & (STRATA_MCS_DONE | STRATA_MCS_UNICAST)) {
		if (i >= 0) {
			struct mcast_client left;

			client_update(ss, &ss->c[i], st, r);
			left = ss->c[i];
			mcast_client_drop(ss, (size_t)i);
			client_log(ss, &left, st->flags & STRATA_MCS_DONE ? "done"
				   : "left for HTTP");
		}
		answer_for(ss, NULL, answer);
		return 0;
	}
	if (i >= 0 && loop_now() - ss->c[i].seen_ms < MCAST_STATUS_MIN_MS)
		return *why = "statuses come at least 500 ms apart", MCAST_TOO_SOON;
	if (!(c = client_take(ss, mac, pi, &joined)))
		return *why = "out of memory", MCAST_TOO_SOON;
	if (!joined && (st->flags & STRATA_MCS_JOIN)) {   /* it starts again */
		c->join_pos = mcast_pos(ss);
		c->seen = c->lost = 0;
	}
	if (joined || (st->flags & STRATA_MCS_JOIN))
		mcast_gather_join(ss, loop_now());
	client_update(ss, c, st, r);
	if (joined)
		client_log(ss, c, "joined");
	answer_for(ss, c, answer);
	return 0;
}

/* The GONE answer: no such session, or none for this machine. */
static int gone(uint8_t *answer)
{
	struct strata_mc_answer_info a = { .verdict = STRATA_MC_GONE,
					   .report_ms = MCAST_REPORT_MS };

	strata_mc_answer_write(answer, &a);
	return 0;
}

/* The status checked against ss and mf, parsed and applied.  Under the lock. */
static int status_in(struct mcast_session *ss, const uint8_t mac[6],
		     const struct strata_manifest *mf, const uint8_t *body, size_t len,
		     struct strata_mc_range_mem **r, uint8_t *answer, char *why_buf, size_t cap)
{
	struct strata_diag diag = { 0 };
	struct strata_mc_status_info st;
	const char *why = NULL;
	int pi = part_index(ss, body[6]), rc;

	if (memcmp(mf->mc.session, ss->ann.session, 8))
		return snprintf(why_buf, cap, "session of profile %s, not this machine's",
				ss->profile), MCAST_NOT_YOURS;
	if (pi < 0)
		return snprintf(why_buf, cap, "part %u is not in the session (its parts are "
				"the manifest's parts=)", body[6]), MCAST_NOT_YOURS;
	rc = strata_mc_status_parse(body, len, ss->chunks[pi], &st, *r, STRATA_MC_RANGES_MAX,
				    &diag);
	if (rc)
		return snprintf(why_buf, cap, "status body, byte %llu: %s",
				(unsigned long long)diag.where, diag.msg ? diag.msg : "refused"),
		       MCAST_BAD_BODY;
	if (memcmp(st.layer, ss->layers[pi], 32))
		return snprintf(why_buf, cap, "layer is not part %u's layer in the session",
				body[6]), MCAST_NOT_YOURS;
	rc = status_apply(ss, mac, (unsigned int)pi, &st, r, answer, &why);
	if (rc)
		snprintf(why_buf, cap, "%s", why);
	return rc;
}

int mcast_status(struct mcast *mc, const uint8_t mac[6], const struct strata_manifest *mf,
		 const void *body, size_t len, uint8_t answer[STRATA_MC_ANSWER_LEN],
		 char *why_buf, size_t cap)
{
	struct strata_mc_range_mem *r;
	struct mcast_session *ss;
	uint64_t one = 1;
	int rc;

	if (len < STRATA_MC_STATUS_HDR)
		return snprintf(why_buf, cap, "status body: %zu bytes, shorter than its "
				"96-byte header", len), MCAST_BAD_BODY;
	if (!(r = malloc(STRATA_MC_RANGES_MAX * sizeof(*r))))
		return snprintf(why_buf, cap, "out of memory"), MCAST_TOO_SOON;
	pthread_mutex_lock(&mc->lock);
	ss = session_of(mc, (const uint8_t *)body + 8);
	rc = !ss || !mf->mc.on ? gone(answer)
		: status_in(ss, mac, mf, body, len, &r, answer, why_buf, cap);
	pthread_mutex_unlock(&mc->lock);
	free(r);
	if (rc == 0 && write(mc->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the loop is awake anyway */
	}
	return rc;
}

/* One client's JSON. */
static void json_client(FILE *f, const struct mcast_session *ss, const struct mcast_client *c,
			uint64_t now, int comma)
{
	char mac[18];

	strata_mac_format(mac, c->mac);
	fprintf(f, "%s\n   {\"mac\": \"%s\", \"part\": %u, \"need_chunks\": %llu, "
		"\"ranges\": %u, \"mc_bytes\": %llu, \"repair_bytes\": %llu, "
		"\"seen\": %llu, \"lost\": %llu, \"silent_ms\": %llu}", comma ? "," : "",
		mac, ss->ann.parts[c->part_ix], (unsigned long long)c->need_chunks, c->n,
		(unsigned long long)c->bytes_mc, (unsigned long long)c->bytes_http,
		(unsigned long long)c->seen, (unsigned long long)c->lost,
		(unsigned long long)(now - c->seen_ms));
}

/* One session's JSON. */
static void json_session(FILE *f, const struct mcast_session *ss, uint64_t now, int comma)
{
	const uint8_t *g = ss->ann.group;
	char hex[17];

	strata_hex_encode(hex, ss->ann.session, 8);
	fprintf(f, "%s\n  {\"profile\": \"%s\", \"session\": \"%s\", "
		"\"group\": \"%u.%u.%u.%u\", \"port\": %u, \"rate\": %llu, "
		"\"payload\": %u, \"parts\": [", comma ? "," : "", ss->profile, hex, g[0], g[1],
		g[2], g[3], ss->ann.port, (unsigned long long)ss->ann.rate, ss->ann.payload);
	for (unsigned int i = 0; i < ss->ann.nparts; i++)
		fprintf(f, "%s%u", i ? ", " : "", ss->ann.parts[i]);
	fprintf(f, "], \"chunks\": %llu, \"cycle\": %u, \"part\": %u, \"cursor\": %llu, "
		"\"datagrams\": %llu, \"bytes\": %llu, \"wire_bytes\": %llu, "
		"\"chunks_sent\": %llu, \"send_errors\": %llu, \"gathering\": %s, \"clients\": [",
		(unsigned long long)ss->lap, ss->cycle, ss->ann.parts[ss->cur_part],
		(unsigned long long)ss->cur_chunk, (unsigned long long)ss->sent_dgrams,
		(unsigned long long)ss->sent_bytes, (unsigned long long)ss->sent_wire,
		(unsigned long long)ss->chunks_sent, (unsigned long long)ss->send_errors,
		!ss->running && ss->gather_ms ? "true" : "false");
	for (size_t i = 0; i < ss->nc; i++)
		json_client(f, ss, &ss->c[i], now, i > 0);
	fputs("]}", f);
}

char *mcast_json(struct mcast *mc)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	uint64_t now = loop_now();

	if (!f)
		return NULL;
	fputs("{\"sessions\": [", f);
	pthread_mutex_lock(&mc->lock);
	for (size_t i = 0; i < mc->n; i++)
		json_session(f, mc->v[i], now, i > 0);
	pthread_mutex_unlock(&mc->lock);
	fputs("\n]}\n", f);
	fclose(f);
	return out;
}
