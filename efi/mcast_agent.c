/*
 * The multicast phase (see mcast_agent.h): join with a signed status, receive through
 * mcast_udp.c into the core's receiver (mcast_rx.h, delivering to strata_deploy_put),
 * report every report_ms, leave and let HTTP fetch the rest.
 *
 * Order matters under the iPXE ROM: the JOIN status goes first, so the firmware's EFI_HTTP
 * (which brings the interface's address up) is open before the UDP4 child; and nothing in
 * the phase opens an iPXE download (its claim on the NIC would starve the firmware's
 * stack): the engine's fetch, and so agent_report, runs only after the phase.
 */
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "clock.h"
#include "log.h"
#include "mcast_agent.h"
#include "mcast_rx.h"
#include "mcast_udp.h"
#include "rc.h"

/** The first status interval, before the server says its own. */
#define MCAST_REPORT_MS 2000
/** How every message that gives up on multicast ends. */
#define BY_HTTP "; the rest comes by HTTP"
/** Firmware polls between checks of the clock. */
#define MCAST_POLL_BUDGET 64

/** One partition of the phase: its receiver (owned) and its job (layer.c's). */
struct mc_part {
	struct mcast_job *j;
	struct strata_mc_rx rx;
	int live;                            /**< joined and not yet left */
};

/** One phase's state: the receivers, the UDP4 child, the status buffers (all owned). */
struct mc_run {
	struct agent *a;
	struct mc_part p[STRATA_MAX_PARTS];
	unsigned int n, live;                /**< parts; parts still receiving */
	struct mcast_udp *u;
	struct strata_mc_range_mem *ranges;  /**< STRATA_MC_RANGES_MAX */
	uint8_t *body;                       /**< STRATA_MC_STATUS_MAX */
	struct strata_mc_answer_info ans;
	uint64_t t0;                         /**< clock_ms when it joined the group */
	uint64_t want, got;                  /**< store bytes needed at the join, received */
	char url[ARGS_URL_MAX + 256];
};

/* rx's deliver: the engine decodes, verifies and writes (strata_deploy_put's rcs). */
static int deliver(void *ctx, uint64_t chunk, const uint8_t *stored, size_t len)
{
	return strata_deploy_put(ctx, chunk, stored, len);
}

/* rx's repeat: the engine writes chunk from first's decoded bytes, hashed again. */
static int repeat(void *ctx, uint64_t first, uint64_t chunk)
{
	return strata_deploy_put_same(ctx, first, chunk);
}

/* Whether job j has work for the phase: chunks needed, a public layer, its partition in
 * the manifest's session. */
static int in_session(const struct mcast_job *j)
{
	const struct strata_multicast *mc = &j->a->m.mc;

	if (!*j->n_need || j->priv)
		return 0;
	for (unsigned int i = 0; mc->on && i < mc->nparts; i++)
		if (mc->parts[i] == j->part->num)
			return 1;
	return 0;
}

/* The server's IPv4 address from its URL (http://A.B.C.D[:port]...) into ip; all zero
 * when it is a name (then the child accepts any source: the filter is a convenience,
 * every chunk is verified anyway). */
static void server_ip(const char *url, uint8_t ip[4])
{
	const char *p = strstr(url, "://");
	unsigned int v[4] = { 0 }, k = 0;

	memset(ip, 0, 4);
	for (p = p ? p + 3 : url; k < 4; p++) {
		if (*p >= '0' && *p <= '9' && v[k] < 256)
			v[k] = v[k] * 10 + (unsigned int)(*p - '0');
		else if (*p == '.' && k < 3)
			k++;
		else
			break;
	}
	if (k != 3 || (*p && *p != ':' && *p != '/'))
		return;
	for (k = 0; k < 4; k++)
		if (v[k] > 255)
			return;
	for (k = 0; k < 4; k++)
		ip[k] = (uint8_t)v[k];
}

/* Read the answer to a status into r->ans (fetch's callback; the answer is 32 bytes). */
static int status_post(struct mc_run *r, const struct mc_part *p, size_t len)
{
	struct fetch_body b = { r->body, len, "application/octet-stream" };
	uint8_t *ans = NULL;
	size_t n = 0;
	int rc;

	snprintf(r->url, sizeof(r->url), "%s/mcast/status/%s", r->a->args.server, r->a->mac);
	rc = agent_signed_post(r->a, r->url, sizeof(r->url), &b, NULL, 64, &ans, &n);
	if (rc == 0 && strata_mc_answer_parse(ans, n, &r->ans, NULL))
		rc = log_fail(STRATA_EINVAL, "mcast: part %s: the status answer (%zu bytes) is "
			      "malformed", p->j->label, n);
	strata_free(ans);
	return rc;
}

/* Send part p's status with flags (STRATA_MCS_*) of its receiver's state; the answer in
 * r->ans. */
static int status(struct mc_run *r, struct mc_part *p, uint8_t flags)
{
	struct strata_mc_status_info st;
	size_t len = 0;
	int rc;

	strata_mc_rx_status(&p->rx, flags, p->j->part->layer, 0, &st, r->ranges);
	rc = strata_mc_status_write(r->body, STRATA_MC_STATUS_MAX, &len, &st, r->ranges,
				    st.range_count);
	if (rc == 0)
		rc = status_post(r, p, len);
	if (rc)
		log_msg("mcast: part %s: a status report failed%s", p->j->label, BY_HTTP);
	return rc;
}

/* Part p leaves the session (flags DONE or UNICAST): its final status. */
static void leave(struct mc_run *r, struct mc_part *p, uint8_t flags)
{
	if (!p->live)
		return;
	p->live = 0;
	r->live--;
	status(r, p, flags);
}

/* mcast_udp's callback: one datagram into every live receiver (each counts the session's
 * datagrams for its loss estimate and takes its own part's). */
static int on_dgram(void *ctx, const void *pkt, size_t len)
{
	struct mc_run *r = ctx;
	int rc;

	for (unsigned int k = 0; k < r->n; k++) {
		struct mc_part *p = &r->p[k];
		uint64_t b = p->rx.st.bytes_ok;

		if (!p->live)
			continue;
		if ((rc = strata_mc_rx_datagram(&p->rx, pkt, len)))
			return rc;
		r->got += p->rx.st.bytes_ok - b;
	}
	return 0;
}

/* Parts with nothing left to receive leave (DONE), between polls. */
static void leave_done(struct mc_run *r)
{
	for (unsigned int k = 0; k < r->n; k++)
		if (r->p[k].live && !r->p[k].rx.need_count)
			leave(r, &r->p[k], STRATA_MCS_DONE);
}

/* The statuses every report_ms: a part the server answers other than stay leaves.  0, or
 * non-zero when a status failed (then every part leaves). */
static int report(struct mc_run *r)
{
	for (unsigned int k = 0; k < r->n; k++) {
		struct mc_part *p = &r->p[k];

		if (!p->live)
			continue;
		if (status(r, p, 0))
			return 1;
		if (r->ans.verdict != STRATA_MC_STAY) {
			log_msg("mcast: part %s: the server says %s", p->j->label,
				r->ans.verdict == STRATA_MC_GONE ? "the session is gone"
				: "repair by HTTP now");
			leave(r, p, STRATA_MCS_UNICAST);
		}
	}
	progress_update(&r->a->bar, r->got);
	return 0;
}

/* Receive until every part is done or told to leave, or silent, or a status fails.  0 or
 * the target's rc. */
static int receive(struct mc_run *r)
{
	uint64_t now = clock_ms(), last = now, next = now + r->ans.report_ms;
	uint32_t got;
	int rc;

	while (r->live) {
		rc = mcast_udp_poll(r->u, on_dgram, r, MCAST_POLL_BUDGET, &got);
		if (rc == STRATA_ENET)
			return log_msg("mcast: the firmware's UDP4 failed%s", BY_HTTP), 0;
		if (rc)
			return rc;
		leave_done(r);
		now = clock_ms();
		last = got ? now : last;
		if (now - last >= STRATA_MC_SILENT_MS)
			return log_msg("mcast: no datagram for %u s%s", STRATA_MC_SILENT_MS / 1000,
				       BY_HTTP), 0;
		if (now < next)
			continue;
		if (report(r))
			return 0;
		next = now + r->ans.report_ms;
	}
	return 0;
}

/* Job j's receiver, over the need list the engine's scan made, into r->p[r->n]. */
static void part_init(struct mc_run *r, struct mcast_job *j)
{
	const struct strata_multicast *mc = &r->a->m.mc;
	struct mc_part *p = &r->p[r->n];

	p->j = j;
	p->rx = (struct strata_mc_rx){ .idx = j->d->idx, .part = (uint8_t)j->part->num,
				       .frag_size = mc->payload, .parity = mc->parity,
				       .deliver = deliver, .repeat = repeat,
				       .ctx = j->d };
	memcpy(p->rx.session, mc->session, sizeof(p->rx.session));
	if (strata_mc_rx_init(&p->rx, j->need, *j->n_need)) {
		log_msg("mcast: part %s: the receiver did not start%s", j->label, BY_HTTP);
		strata_mc_rx_done(&p->rx);
		return;
	}
	p->live = p->rx.need_count > 0;    /* else only chunks without a store file */
	r->n++;
}

/* What a part received, for the probe of a lab's network and for support. */
static void log_left(const struct mc_run *r, const struct mc_part *p)
{
	const struct strata_mc_rx_stats *st = &p->rx.st;

	log_msg("mcast: part %s: left after %llu ms: %llu chunks delivered (%llu bytes), "
		"%llu rejected, %llu still needed; datagrams: %llu seen, %llu lost, %llu bad, "
		"%llu duplicate, %llu chunks evicted", p->j->label,
		(unsigned long long)(clock_ms() - r->t0), (unsigned long long)st->chunks_ok,
		(unsigned long long)st->bytes_ok, (unsigned long long)st->chunks_rejected,
		(unsigned long long)p->rx.need_count, (unsigned long long)st->seen,
		(unsigned long long)st->lost, (unsigned long long)st->bad,
		(unsigned long long)st->dup, (unsigned long long)st->evicted);
}

/* Join every part with a JOIN status; the store bytes they need into r->want.  The
 * number of parts the server took. */
static unsigned int join(struct mc_run *r)
{
	for (unsigned int k = 0; k < r->n; k++) {
		struct mc_part *p = &r->p[k];

		if (!p->live)
			continue;
		if (status(r, p, STRATA_MCS_JOIN) || r->ans.verdict != STRATA_MC_STAY) {
			log_msg("mcast: part %s: the server did not take the join (verdict %u)%s",
				p->j->label, r->ans.verdict, BY_HTTP);
			p->live = 0;
			continue;
		}
		r->live++;
		r->want += p->rx.need_bytes;
	}
	return r->live;
}

/* Join, receive every part, leave.  0 unless the disk failed. */
static int run(struct mc_run *r, EFI_HANDLE nic)
{
	uint8_t ip[4];
	int rc = 0;

	if (!join(r))
		return 0;
	server_ip(r->a->args.server, ip);
	if (mcast_udp_open(&r->u, nic, &r->a->m.mc, ip)) {
		log_msg("mcast: the firmware's UDP4 did not open%s", BY_HTTP);
	} else {
		r->t0 = clock_ms();
		progress_start(&r->a->bar, "multicast", r->want);
		for (unsigned int k = 0; k < r->n; k++)
			if ((r->p[k].j->used = r->p[k].live))
				log_msg("mcast: part %s: joined the session: %llu chunks needed",
					r->p[k].j->label,
					(unsigned long long)r->p[k].rx.need_count);
		rc = receive(r);
		mcast_udp_close(r->u);
		progress_end(&r->a->bar, r->got);
	}
	for (unsigned int k = 0; k < r->n; k++) {
		if (r->p[k].j->used)
			log_left(r, &r->p[k]);
		leave(r, &r->p[k], STRATA_MCS_UNICAST);
	}
	return rc;
}

/* Whether multicast can run on this boot: the manifest's session and the firmware's UDP4
 * on the NIC (*nic); the first time it cannot, a->mc_off says why. */
static int usable(struct agent *a, EFI_HANDLE *nic)
{
	if (a->mc_off)
		return 0;
	if (mcast_udp_find(a->image, nic) == 0)
		return 1;
	a->mc_off = "multicast unavailable: the firmware's network stack (UDP4) is not on "
		    "this NIC";
	log_msg("mcast: %s; deploying by unicast", a->mc_off);
	return 0;
}

/* The receivers' results into their jobs and need lists; free them. */
static void finish(struct mc_run *r)
{
	for (unsigned int k = 0; k < r->n; k++) {
		struct mc_part *p = &r->p[k];

		p->j->chunks_mc += p->rx.st.chunks_ok;
		r->a->bytes_mc += p->rx.st.bytes_ok;
		strata_mc_rx_compact(&p->rx, p->j->need, p->j->n_need);
		strata_mc_rx_done(&p->rx);
	}
	strata_free(r->ranges);
	strata_free(r->body);
	strata_free(r);
}

int mcast_phase(struct mcast_job **jobs, unsigned int n)
{
	struct mc_run *r;
	EFI_HANDLE nic;
	unsigned int k;
	int rc = 0;

	for (k = 0; k < n && !in_session(jobs[k]); k++)
		;
	if (k == n || !usable(jobs[0]->a, &nic))
		return 0;
	r = strata_alloc(sizeof(*r));
	if (!r)
		return 0;                  /* no memory: all by HTTP */
	*r = (struct mc_run){ .a = jobs[0]->a, .ans.report_ms = MCAST_REPORT_MS };
	r->ranges = strata_alloc(STRATA_MC_RANGES_MAX * sizeof(*r->ranges));
	r->body = strata_alloc(STRATA_MC_STATUS_MAX);
	for (k = 0; r->ranges && r->body && k < n; k++)
		if (in_session(jobs[k]))
			part_init(r, jobs[k]);
	if (r->ranges && r->body)
		rc = run(r, nic);
	finish(r);
	return rc;
}
