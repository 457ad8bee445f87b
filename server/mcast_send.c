/*
 * The multicast carousel (see mcast.h): on the main loop, each session sends the store
 * files of the chunks its clients need, in (part, chunk) order, at its fixed rate.
 *
 * The rate is a token bucket in wire bytes: a datagram costs its bytes plus UDP (8), IPv4
 * (20) and Ethernet's 38 (header, FCS, preamble, gap), so rate=800M fills 800 Mbit/s of a
 * link and no more.  The bucket holds at most MCAST_BURST_MS of the rate (at least 8 full
 * datagrams), so a late tick never bursts beyond that.  Nobody slows it: a client that
 * cannot keep up misses datagrams and takes them from the next pass or by HTTP.
 *
 * A chunk's store file (zlib or raw, the bytes /store/ serves) is read whole and sent in
 * STRATA_MC_DATA fragments by the core's strata_mc_encode.  A pass sends each digest of a
 * part once: a chunk whose digest was already sent in this pass is skipped, since the
 * receivers take a store file for every chunk they need with its digest (mcast_rx.h).  Parity is not sent (the
 * inventory takes parity=0 only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host.h"
#include "mcast.h"
#include "mcast_live.h"
#include "server.h"
#include "store_path.h"
#include "text.h"

/** The tick while a session has work, while it gathers, and while clients are live but
 *  need nothing. */
#define TICK_MS 1
#define GATHER_TICK_MS 100
#define IDLE_MS 1000
/** Most datagrams one session sends per tick (800 Mbit/s is about 68 a millisecond). */
#define MAX_PER_TICK 256
/** The bucket's depth in milliseconds of the rate. */
#define MCAST_BURST_MS 5
/** A datagram's bytes on the wire beyond its UDP payload: UDP, IPv4, Ethernet. */
#define WIRE_EXTRA (8 + 20 + 38)
/** What session_run says of a session, for the tick's next interval. */
enum { SESSION_IDLE, SESSION_BUSY, SESSION_GATHERING };
/** Store read or send errors logged per session (then only counted). */
#define ERRORS_LOGGED 10

int mcast_socket_open(struct mcast_session *ss, const char *addr)
{
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(ss->ann.port) };
	int one = 1, ttl = 1, pmtu = IP_PMTUDISC_DO, sndbuf = 4 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &src.sin_addr) != 1)
		goto err;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&src, sizeof(src)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		goto err;
	if (src.sin_addr.s_addr != htonl(INADDR_ANY) &&
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &src.sin_addr, sizeof(src.sin_addr)))
		goto err;
	ss->dst = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(ss->ann.port) };
	memcpy(&ss->dst.sin_addr, ss->ann.group, 4);
	ss->sock = fd;
	return 0;
err:
	errorf("mcast: %s: cannot open its socket on %s:%u (%s): the session is not sent; "
	       "its machines deploy by HTTP", ss->profile, addr, ss->ann.port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return STRATA_EREPORTED;
}

/* Log one of a session's first errors; count them all. */
static void session_error(struct mcast_session *ss, const char *what, int err)
{
	if (ss->send_errors++ < ERRORS_LOGGED)
		fprintf(stderr, "mcast: %s: part %u chunk %llu: %s (%s); its clients get it "
			"by HTTP repair\n", ss->profile, ss->ann.parts[ss->cur_part],
			(unsigned long long)ss->cur_chunk, what, strerror(err));
}

/* Read the cursor's chunk's store file into ss->buf.  1 when it is there to send, 0 for
 * a chunk with no store file (zero or free) or one that cannot be read (logged). */
static int chunk_load(struct mcast *mc, struct mcast_session *ss)
{
	char rel[STRATA_STORE_FILE_MAX], path[4096];
	struct strata_chunk ch;
	struct stat sb;
	ssize_t n = -1;
	int fd;

	strata_index_chunk(ss->idx[ss->cur_part], ss->cur_chunk, &ch);
	if (!ch.stored_size)
		return 0;
	strata_store_chunk_rel(rel, ch.digest);
	snprintf(path, sizeof(path), "%s/%s", mc->s->cfg.store_dir, rel);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &sb) && sb.st_size == (off_t)ch.stored_size)
		n = pread(fd, ss->buf, ch.stored_size, 0);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)ch.stored_size) {
		session_error(ss, "its store file cannot be read whole", fd < 0 ? errno : EIO);
		return 0;
	}
	ss->stored = ch.stored_size;
	ss->nfrags = strata_mc_data_frags(ss->stored, ss->ann.payload);
	ss->next_frag = 0;
	return ss->have_chunk = 1;
}

/* The end of a pass: one line when it took a second or more (a pass over a few chunks,
 * while statuses are on their way, is over in a millisecond), then the next pass.  0 for
 * a pass that sent nothing (every
 * chunk its clients need lacks a readable store file): it is not a pass, since
 * mcast_verdict counts passes by the cursor's position and such passes would come hundreds
 * a second (REPAIR's "3 passes" at once); the carousel then waits for the next status. */
static int cycle_end(struct mcast_session *ss, uint64_t now)
{
	double s = (double)(now - ss->cycle_ms) / 1000.0;

	if (!ss->cycle_bytes)
		return 0;
	if (s >= 1.0)
		fprintf(stderr, "mcast: %s: cycle %u: %.1f MB to %zu clients in %.1f s "
			"(%.1f MB/s)\n", ss->profile, ss->cycle, (double)ss->cycle_bytes / 1e6,
			ss->nc, s, (double)ss->cycle_bytes / 1e6 / s);
	ss->cycle++;
	ss->cycle_ms = now;
	ss->cycle_bytes = 0;
	for (unsigned int p = 0; p < ss->ann.nparts; p++)
		strata_reuse_clear(&ss->sent[p]);
	return 1;
}

/* Move the cursor to the next chunk some client needs.  0 when none does, or when the
 * pass that just ended sent nothing (cycle_end). */
static int pick(struct mcast_session *ss, uint64_t now)
{
	struct mcast_need *nd = calloc(ss->nc ? ss->nc : 1, sizeof(*nd));
	int rc = 0;

	if (!nd)
		return 0;
	for (size_t i = 0; i < ss->nc; i++)
		nd[i] = (struct mcast_need){ ss->c[i].part_ix, ss->c[i].r, ss->c[i].n,
					     ss->c[i].partial };
	if (ss->nc)
		rc = mcast_next(nd, ss->nc, ss->chunks, ss->ann.nparts, &ss->cur_part,
				&ss->cur_chunk);
	free(nd);
	if (rc == 2 && !cycle_end(ss, now))
		rc = 0;
	return rc != 0;
}

/* Whether the cursor's chunk's digest went out in this pass (under another chunk); if not,
 * it is recorded as sent now. */
static int sent_already(struct mcast_session *ss)
{
	struct strata_reuse *sent = &ss->sent[ss->cur_part];
	struct strata_chunk ch;

	strata_index_chunk(ss->idx[ss->cur_part], ss->cur_chunk, &ch);
	if (strata_reuse_find(sent, ch.digest))
		return 1;
	strata_reuse_add(sent, ss->cur_chunk);
	return 0;
}

/* Send the current fragment.  Its wire cost, or 0 when the socket is full (retry at the
 * next tick); -1 after an error (the chunk is skipped). */
static long send_one(struct mcast_session *ss)
{
	uint8_t dg[STRATA_MC_DGRAM_MAX];
	struct strata_mc_frag f = { .type = STRATA_MC_DATA, .part = ss->ann.parts[ss->cur_part],
				    .seq = ss->seq, .cycle = ss->cycle, .chunk = ss->cur_chunk,
				    .stored_size = ss->stored, .frag = (uint16_t)ss->next_frag,
				    .frag_size = ss->ann.payload };
	size_t len;

	memcpy(f.session, ss->ann.session, 8);
	f.payload = ss->buf + (size_t)ss->next_frag * ss->ann.payload;
	f.payload_len = strata_mc_payload_len(ss->stored, ss->ann.payload, 0, ss->next_frag);
	len = strata_mc_encode(dg, &f);
	if (!len)
		return session_error(ss, "the datagram writer refused it", EINVAL), -1;
	if (sendto(ss->sock, dg, len, 0, (const struct sockaddr *)&ss->dst, sizeof(ss->dst)) < 0)
		return errno == EAGAIN || errno == ENOBUFS ? 0
			: (session_error(ss, "sending failed", errno), -1);
	ss->seq++;
	ss->sent_dgrams++;
	ss->sent_bytes += f.payload_len;
	ss->cycle_bytes += f.payload_len;
	ss->sent_wire += len + WIRE_EXTRA;
	return (long)(len + WIRE_EXTRA);
}

/* The cursor moves past its chunk. */
static void chunk_next(struct mcast_session *ss)
{
	ss->have_chunk = 0;
	ss->cur_chunk++;
}

/* Fill the bucket for the time since the last tick. */
static void refill(struct mcast_session *ss, uint64_t now)
{
	double burst = (double)ss->ann.rate / 8.0 * MCAST_BURST_MS / 1000.0;

	if (burst < 8.0 * (STRATA_MC_DGRAM_MAX + WIRE_EXTRA))
		burst = 8.0 * (STRATA_MC_DGRAM_MAX + WIRE_EXTRA);
	ss->tokens += (double)(now - ss->last_ms) * (double)ss->ann.rate / 8000.0;
	if (ss->tokens > burst)
		ss->tokens = burst;
	ss->last_ms = now;
}

void mcast_gather_join(struct mcast_session *ss, uint64_t now)
{
	if (ss->running)
		return;
	if (!ss->gather_ms)
		ss->gather_ms = now;
	ss->last_join_ms = now;
}

/* Whether ss, at rest, still waits for joins to settle before its first pass; when the
 * wait ends the pass starts (logged). */
static int gathering(struct mcast_session *ss, uint64_t now)
{
	if (ss->running || !ss->gather_ms)
		return 0;
	if (now - ss->last_join_ms < STRATA_MC_GATHER_SETTLE_MS &&
	    now - ss->gather_ms < STRATA_MC_GATHER_MAX_MS)
		return 1;
	fprintf(stderr, "mcast: %s: the pass starts after %.1f s of joins (%zu clients)\n",
		ss->profile, (double)(now - ss->gather_ms) / 1000.0, ss->nc);
	ss->running = 1;
	ss->gather_ms = 0;
	return 0;
}

/* Nobody is left: the chunk in flight is dropped and the pass ends where it is (counted
 * if it sent anything), so the next clients start a pass of their own at the session's
 * start, with no digest taken as sent that none of them saw.  That is how every session
 * ends: a pass wraps on needs up to a status old (the chunks of its last two seconds still
 * listed), and the last clients' DONE statuses come a few milliseconds into the next
 * pass's first chunk, which went on to nobody before.  The position (mcast_pos) may go
 * back, but no client holds a join position to compare it with. */
static void nobody_left(struct mcast_session *ss, uint64_t now)
{
	if (!ss->have_chunk && !ss->cur_part && !ss->cur_chunk)
		return;                  /* at the start already: the tables are clear */
	if (ss->cycle_bytes)
		ss->cycle++;
	ss->cycle_bytes = 0;
	ss->cycle_ms = now;
	ss->have_chunk = 0;
	ss->cur_part = 0;
	ss->cur_chunk = 0;
	for (unsigned int p = 0; p < ss->ann.nparts; p++)
		strata_reuse_clear(&ss->sent[p]);
}

/* ss comes to rest: nobody needs anything, or nobody is left (nobody_left). */
static int rest(struct mcast_session *ss, uint64_t now)
{
	if (!ss->nc)
		nobody_left(ss, now);
	ss->tokens = 0;
	ss->running = 0;
	return SESSION_IDLE;
}

/* Send what ss's bucket allows.  SESSION_BUSY while it has work, SESSION_GATHERING while
 * its first pass waits for joins, SESSION_IDLE when nobody needs anything. */
static int session_run(struct mcast *mc, struct mcast_session *ss, uint64_t now)
{
	long cost;

	refill(ss, now);
	if (gathering(ss, now)) {
		ss->tokens = 0;
		return SESSION_GATHERING;
	}
	for (int k = 0; k < MAX_PER_TICK; k++) {
		if (!ss->nc || (!ss->have_chunk && !pick(ss, now)))
			return rest(ss, now);
		ss->running = 1;             /* a join now does not hold the pass */
		if (!ss->have_chunk && (sent_already(ss) || !chunk_load(mc, ss))) {
			chunk_next(ss);
			continue;
		}
		if (ss->tokens < STRATA_MC_HDR + ss->ann.payload + WIRE_EXTRA)
			return SESSION_BUSY;
		if ((cost = send_one(ss)) == 0)
			return SESSION_BUSY;
		if (cost < 0) {
			chunk_next(ss);
			continue;
		}
		ss->tokens -= (double)cost;
		if (++ss->next_frag == ss->nfrags) {
			ss->chunks_sent++;
			chunk_next(ss);
		}
	}
	return SESSION_BUSY;
}

/* Drop ss's clients silent for MCAST_CLIENT_TIMEOUT_MS. */
static void expire(struct mcast_session *ss, uint64_t now)
{
	char mac[18];

	for (size_t i = ss->nc; i-- > 0;) {
		if (now - ss->c[i].seen_ms < MCAST_CLIENT_TIMEOUT_MS)
			continue;
		strata_mac_format(mac, ss->c[i].mac);
		fprintf(stderr, "mcast: %s: %s part %u silent for %d s: dropped (%llu chunks "
			"were needed)\n", ss->profile, mac, ss->ann.parts[ss->c[i].part_ix],
			MCAST_CLIENT_TIMEOUT_MS / 1000, (unsigned long long)ss->c[i].need_chunks);
		mcast_client_drop(ss, i);
	}
}

void mcast_tick(struct loop *loop, struct loop_timer *t)
{
	struct mcast *mc = t->ctx;
	uint64_t now = loop_now(), next = IDLE_MS;
	int clients = 0;

	pthread_mutex_lock(&mc->lock);
	for (size_t i = 0; i < mc->n; i++) {
		int st;

		expire(mc->v[i], now);
		st = session_run(mc, mc->v[i], now);
		if (st == SESSION_BUSY)
			next = TICK_MS;
		else if (st == SESSION_GATHERING && next > GATHER_TICK_MS)
			next = GATHER_TICK_MS;
		clients |= mc->v[i]->nc > 0;
	}
	pthread_mutex_unlock(&mc->lock);
	if (next < IDLE_MS || clients)
		(void)loop_timer_arm(loop, t, next);
}

void mcast_kick(struct mcast *mc)
{
	if (loop_timer_armed(&mc->tick) && mc->tick.deadline <= loop_now() + TICK_MS)
		return;
	loop_timer_disarm(mc->loop, &mc->tick);
	(void)loop_timer_arm(mc->loop, &mc->tick, 0);
}
