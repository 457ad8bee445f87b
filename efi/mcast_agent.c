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

/** Leave when no datagram of the session came for this long while told to stay. */
#define MCAST_SILENT_MS 10000
/** The first status interval, before the server says its own. */
#define MCAST_REPORT_MS 2000
/** Firmware polls between checks of the clock. */
#define MCAST_POLL_BUDGET 64

/** One phase's state: the receiver, the UDP4 child, the status buffers (all owned). */
struct mc_run {
	struct mcast_job *j;
	struct strata_deploy *d;
	struct strata_mc_rx rx;
	struct mcast_udp *u;
	struct strata_mc_range_mem *ranges;  /**< STRATA_MC_RANGES_MAX */
	uint8_t *body;                       /**< STRATA_MC_STATUS_MAX */
	struct strata_mc_answer_info ans;
	uint64_t t0;                         /**< clock_ms when it joined the group */
	char url[ARGS_URL_MAX + 256];
};

/* rx's deliver: the engine decodes, verifies and writes (strata_deploy_put's rcs). */
static int deliver(void *ctx, uint64_t chunk, const uint8_t *stored, size_t len)
{
	return strata_deploy_put(ctx, chunk, stored, len);
}

/* Whether job j's partition is in the manifest's session. */
static int in_session(const struct mcast_job *j)
{
	const struct strata_multicast *mc = &j->a->m.mc;

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
static int status_post(struct mc_run *r, const uint8_t *body, size_t len)
{
	struct fetch_body b = { body, len, "application/octet-stream" };
	uint8_t *ans = NULL;
	size_t n = 0;
	int rc;

	snprintf(r->url, sizeof(r->url), "%s/mcast/status/%s", r->j->a->args.server,
		 r->j->a->mac);
	rc = agent_signed_post(r->j->a, r->url, sizeof(r->url), &b, NULL, 64, &ans, &n);
	if (rc == 0 && strata_mc_answer_parse(ans, n, &r->ans, NULL))
		rc = log_fail(STRATA_EINVAL, "mcast: part %s: the status answer (%zu bytes) is "
			      "malformed", r->j->label, n);
	strata_free(ans);
	return rc;
}

/* Send a status with flags (STRATA_MCS_*) of the receiver's state; the answer in r->ans. */
static int status(struct mc_run *r, uint8_t flags)
{
	struct strata_mc_status_info st;
	size_t len = 0;
	int rc;

	strata_mc_rx_status(&r->rx, flags, r->j->part->layer, 0, &st, r->ranges);
	rc = strata_mc_status_write(r->body, STRATA_MC_STATUS_MAX, &len, &st, r->ranges,
				    st.range_count);
	if (rc == 0)
		rc = status_post(r, r->body, len);
	if (rc)
		log_msg("mcast: part %s: a status report failed; the rest comes by HTTP",
			r->j->label);
	return rc;
}

/* mcast_udp's callback: one datagram into the receiver. */
static int on_dgram(void *ctx, const void *pkt, size_t len)
{
	return strata_mc_rx_datagram(ctx, pkt, len);
}

/* Receive until done, told to leave, silent, or a status fails.  *flags gets the final
 * status's (DONE or UNICAST; 0 when none should be sent).  0 or the target's rc. */
static int receive(struct mc_run *r, uint8_t *flags)
{
	uint64_t now = clock_ms(), last = now, next = now + r->ans.report_ms;
	uint32_t got;
	int rc;

	*flags = STRATA_MCS_UNICAST;
	while (r->rx.need_count) {
		rc = mcast_udp_poll(r->u, on_dgram, &r->rx, MCAST_POLL_BUDGET, &got);
		if (rc == STRATA_ENET)
			return log_msg("mcast: part %s: the firmware's UDP4 failed; the rest comes "
				       "by HTTP", r->j->label), 0;
		if (rc)
			return rc;
		now = clock_ms();
		last = got ? now : last;
		if (now - last >= MCAST_SILENT_MS)
			return log_msg("mcast: part %s: no datagram for %u s; the rest comes by "
				       "HTTP", r->j->label, MCAST_SILENT_MS / 1000), 0;
		if (now < next)
			continue;
		if (status(r, 0))
			return 0;
		if (r->ans.verdict != STRATA_MC_STAY)
			return log_msg("mcast: part %s: the server says %s", r->j->label,
				       r->ans.verdict == STRATA_MC_GONE ? "the session is gone"
				       : "repair by HTTP now"), 0;
		next = now + r->ans.report_ms;
	}
	*flags = STRATA_MCS_DONE;
	return 0;
}

/* The receiver's need set from the engine's list; the status buffers. */
static int run_init(struct mc_run *r, const uint64_t *need, uint64_t n_need)
{
	const struct strata_multicast *mc = &r->j->a->m.mc;

	r->rx = (struct strata_mc_rx){ .idx = r->d->idx, .part = (uint8_t)r->j->part->num,
				       .frag_size = mc->payload, .parity = mc->parity,
				       .deliver = deliver, .ctx = r->d };
	memcpy(r->rx.session, mc->session, sizeof(r->rx.session));
	r->ranges = strata_alloc(STRATA_MC_RANGES_MAX * sizeof(*r->ranges));
	r->body = strata_alloc(STRATA_MC_STATUS_MAX);
	if (!r->ranges || !r->body)
		return log_fail(STRATA_ENOMEM, "mcast: part %s: no memory for status reports",
				r->j->label);
	return strata_mc_rx_init(&r->rx, need, n_need);
}

/* What the phase received, for the probe of a lab's network and for support. */
static void log_left(const struct mc_run *r)
{
	const struct strata_mc_rx_stats *st = &r->rx.st;

	log_msg("mcast: part %s: left after %llu ms: %llu chunks delivered (%llu bytes), "
		"%llu rejected, %llu still needed; datagrams: %llu seen, %llu lost, %llu bad, "
		"%llu duplicate, %llu chunks evicted", r->j->label,
		(unsigned long long)(clock_ms() - r->t0), (unsigned long long)st->chunks_ok,
		(unsigned long long)st->bytes_ok, (unsigned long long)st->chunks_rejected,
		(unsigned long long)r->rx.need_count, (unsigned long long)st->seen,
		(unsigned long long)st->lost, (unsigned long long)st->bad,
		(unsigned long long)st->dup, (unsigned long long)st->evicted);
}

/* Join (status, then the group), receive, leave.  0 unless the disk failed. */
static int run(struct mc_run *r, EFI_HANDLE nic)
{
	uint8_t ip[4], flags = STRATA_MCS_UNICAST;
	int rc = 0;

	if (!r->rx.need_count)       /* only chunks without a store file: nothing to send */
		return 0;
	if (status(r, STRATA_MCS_JOIN) || r->ans.verdict != STRATA_MC_STAY)
		return log_msg("mcast: part %s: the server did not take the join (verdict %u); "
			       "deploying by HTTP", r->j->label, r->ans.verdict), 0;
	server_ip(r->j->a->args.server, ip);
	if (mcast_udp_open(&r->u, nic, &r->j->a->m.mc, ip) == 0) {
		r->j->used = 1;
		r->t0 = clock_ms();
		log_msg("mcast: part %s: joined the session: %llu chunks needed", r->j->label,
			(unsigned long long)r->rx.need_count);
		rc = receive(r, &flags);
		mcast_udp_close(r->u);
		log_left(r);
	} else {
		log_msg("mcast: part %s: the firmware's UDP4 did not open; deploying by HTTP",
			r->j->label);
	}
	status(r, rc ? STRATA_MCS_UNICAST : flags);
	return rc;
}

int mcast_phase(struct mcast_job *j, struct strata_deploy *d, uint64_t *need, uint64_t *n_need)
{
	struct mc_run *r;
	EFI_HANDLE nic;
	int rc;

	if (!*n_need || j->priv || !in_session(j) || j->a->mc_off)
		return 0;
	if (mcast_udp_find(j->a->image, &nic)) {
		j->a->mc_off = "multicast unavailable: the firmware's network stack (UDP4) is "
			       "not on this NIC";
		log_msg("mcast: %s; deploying by unicast", j->a->mc_off);
		return 0;
	}
	r = strata_alloc(sizeof(*r));
	if (!r)
		return log_msg("mcast: no memory for the receiver; deploying by HTTP"), 0;
	*r = (struct mc_run){ .j = j, .d = d, .ans.report_ms = MCAST_REPORT_MS };
	rc = run_init(r, need, *n_need);
	if (rc == 0) {
		rc = run(r, nic);
		j->chunks_mc += r->rx.st.chunks_ok;
		strata_mc_rx_compact(&r->rx, need, n_need);
	} else {
		log_msg("mcast: part %s: the receiver did not start; deploying by HTTP", j->label);
		rc = 0;
	}
	strata_mc_rx_done(&r->rx);
	strata_free(r->ranges);
	strata_free(r->body);
	strata_free(r);
	return rc;
}
