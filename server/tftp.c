/*
 * Read-only TFTP server (behaviour in tftp.h).
 *
 * Structure: the listening socket's handler parses and vets requests (parse, validate,
 * resolve the path), then starts a transfer.  A transfer owns its socket, its open file
 * and its retransmission timer, and ends through exactly one function, xfer_done(), which
 * logs the result, tells the client when the server is the one giving up, and releases
 * everything in reverse order of acquisition.
 *
 * What a client can hold is bounded where it asks: handle_request counts its live
 * transfers (max_per_addr, max_transfers), xfer_negotiate caps its timeout, and every ACK
 * that moves a transfer and every retransmission check its total deadline.  Log lines a client can cause at will go through
 * one rate limiter per kind (may_log), and client text through strata_escape.
 *
 * Block bookkeeping uses 64-bit block numbers that never wrap (1 = first block of the
 * file); only the wire carries them modulo 65536.  An ACK's 16-bit number is mapped back
 * by its distance from the last acknowledged block, which is unambiguous because a window
 * is far smaller than 65536 blocks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "holders.h"
#include "ratelimit.h"
#include "text.h"
#include "tftp.h"
#include "tftp_parse.h"
#include "tftp_path.h"
#include "tftp_wire.h"

/** Receive buffer: a request is at most 512 bytes, an ACK 4; longer ERRORs are cut. */
#define RX_BUF 1024
/** Packets read per wakeup of one socket, so a flood on one cannot starve the others. */
#define RX_BURST 64
/** Longest message we put in an ERROR packet. */
#define ERRMSG_MAX 128
/** "[v6 address]:port" and its NUL. */
#define PEER_STR (INET6_ADDRSTRLEN + 8)
/** A filename with every byte escaped as \xNN (strata_escape), and the NUL. */
#define NAME_STR STRATA_ESCAPE_SIZE(TFTP_FILENAME_MAX)
/** A blocking send waits at most this long for socket buffer space, then gives up. */
#define SEND_TIMEOUT_MS 200
/** Retransmission timeout doubles per try, up to 2^this times the first one. */
#define BACKOFF_MAX_SHIFT 2
/** A client string shortened for a log line: up to 60 escaped characters and "...". */
#define SHORT_STR 64
/** What a transfer's log line adds about options it did not grant. */
#define NOTE_STR (2 * SHORT_STR + 96)
/** The interval of the log rate limiters (each kind's burst is in log_kinds). */
#define LOG_INTERVAL_MS 10000
/** A client for the per-address limit, as host_str writes it: an address and "/64". */
#define HOLDER_STR (INET6_ADDRSTRLEN + 4)
_Static_assert(HOLDER_STR <= HOLDER_NAME, "a client's name fits holders_describe's");

/**
 * Kinds of log line a client can cause at will, each with its own rate limiter: the
 * refusals, and transfers the client ended (two packets, an RRQ and an ERROR, make one).
 */
enum log_kind {
	LOG_REFUSED,  /**< malformed, missing file, access, WRQ, netascii */
	LOG_PER_ADDR, /**< over max_per_addr */
	LOG_FULL,     /**< over max_transfers */
	LOG_ENDED,    /**< ended by the client: aborts, size probes, superseded requests */
	LOG_KINDS,
};

/** Each kind's name in "N more NAME line(s) suppressed", and its lines per interval. */
static const struct {
	const char *name;
	uint32_t burst;
} log_kinds[LOG_KINDS] = {
	[LOG_REFUSED] = { "refusal", 5 },
	[LOG_PER_ADDR] = { "max-per-addr", 5 },
	[LOG_FULL] = { "table full", 5 },
	/* Every OVMF boot ends a size probe: room for a lab booting at once. */
	[LOG_ENDED] = { "client-ended transfer", 20 },
};

/**
 * Who a client is for the per-address limit: the IPv4 address, or the IPv6 /64 (a host
 * picks any address in its /64 at will), or the whole IPv4-mapped IPv6 address.
 */
struct host {
	sa_family_t family;
	uint8_t addr[16]; /**< IPv4 in the first 4 bytes; the rest zero */
};

/** One live read transfer. */
struct tftp_xfer {
	struct tftp_server *srv;         /**< the server it belongs to */
	struct tftp_xfer *next;          /**< list of live transfers */
	struct tftp_xfer **pprev;        /**< the pointer that points at this one */
	int sock;                        /**< own UDP socket (new port = transfer ID), owned */
	int file;                        /**< the file being sent, owned */
	struct sockaddr_storage peer;    /**< client address and port */
	socklen_t peer_len;
	char name[TFTP_FILENAME_MAX + 1];/**< requested name, for the log */
	char note[NOTE_STR];             /**< options not granted, escaped, for the log */
	struct host host;                /**< the client, for max_per_addr */
	uint64_t req_hash;               /**< hash of the RRQ: tells a retransmission apart */
	uint64_t size;                   /**< file size at open; exactly this much is sent */
	unsigned int opts;               /**< TFTP_OPT_* accepted, answered in the OACK */
	uint32_t blksize;                /**< negotiated block size */
	uint32_t windowsize;             /**< blocks sent per ACK */
	uint32_t timeout_s;              /**< client's timeout option, echoed in the OACK */
	uint32_t timeout_ms;             /**< first retransmission timeout */
	bool oack;                       /**< OACK sent, ACK 0 not yet received */
	uint64_t acked;                  /**< highest block acknowledged (unwrapped) */
	uint64_t sent;                   /**< highest block sent so far (unwrapped) */
	uint64_t last;                   /**< number of the final (short or empty) block */
	unsigned int tries;              /**< retransmissions of the current window */
	uint64_t started_ms;             /**< loop_now() at the request, for the log */
	struct loop_timer timer;         /**< retransmission timer */
};

struct tftp_server {
	struct loop *loop;               /**< borrowed */
	struct tftp_config cfg;          /**< copy; cfg.root is NULL after start */
	int root_fd;                     /**< the served directory, owned */
	int sock;                        /**< listening socket, owned */
	struct sockaddr_storage local;   /**< its bound address (with the real port) */
	socklen_t local_len;
	struct tftp_xfer *xfers;         /**< live transfers */
	unsigned int nxfers;
	uint64_t wait_max_ms;            /**< longest wait between retransmissions */
	uint8_t *txbuf;                  /**< send buffer shared by all transfers, owned */
	uint8_t rxbuf[RX_BUF];           /**< receive buffer shared by all sockets */
	struct ratelimit limits[LOG_KINDS]; /**< one per kind of line a client causes */
	struct loop_timer log_timer;     /**< reports held lines at interval ends */
};

/** Where a request arrived from and to: the reply must come from the address it hit. */
struct rx_info {
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct sockaddr_storage local;   /**< port 0: a transfer binds a new port on it */
	socklen_t local_len;
};

/*
 * The one table from errno class to TFTP error code.  Anything absent is "not defined"
 * (0), whose message then carries the detail.
 */
static const struct {
	int rc;
	uint16_t code;
} rc_codes[] = {
	{ -ENOENT, TFTP_ERR_NOTFOUND },
	{ -ENOTDIR, TFTP_ERR_NOTFOUND },
	{ -EACCES, TFTP_ERR_ACCESS },
	{ -EXDEV, TFTP_ERR_ACCESS },
	{ -ELOOP, TFTP_ERR_ACCESS },
	{ -EROFS, TFTP_ERR_ACCESS },
	{ -EINVAL, TFTP_ERR_BADOP },
	{ -EMSGSIZE, TFTP_ERR_BADOP },
	{ -ENAMETOOLONG, TFTP_ERR_BADOP },
	{ -ENOPROTOOPT, TFTP_ERR_OPTNEG },
};

static void xfer_done(struct tftp_xfer *x, int rc, const char *why);

static uint16_t tftp_code_of(int rc)
{
	size_t i;

	for (i = 0; i < sizeof(rc_codes) / sizeof(rc_codes[0]); i++)
		if (rc_codes[i].rc == rc)
			return rc_codes[i].code;
	return TFTP_ERR_UNDEF;
}

__attribute__((format(printf, 1, 2)))
static void tftp_log(const char *fmt, ...)
{
	char line[1024 + NAME_STR];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "tftp: %s\n", line);
}

/* Say how many lines of a kind were held back, if any. */
static void log_held(int kind, uint32_t n)
{
	if (n)
		tftp_log("%u more %s line(s) suppressed", n, log_kinds[kind].name);
}

/* Report every kind's held lines (at an interval's end, and at shutdown). */
static void report_held(struct tftp_server *srv)
{
	int k;

	for (k = 0; k < LOG_KINDS; k++)
		log_held(k, ratelimit_take_held(&srv->limits[k]));
}

static void log_timer_fired(struct loop *loop, struct loop_timer *timer)
{
	report_held(timer->ctx);
}

/*
 * Whether a line of this kind may be written now (its rate limiter).  A held
 * line is counted and reported by the log timer when its interval ends, or before the
 * next line let through, so a flood shows as a few lines and a count.  Asked before the
 * line is built, so a flood does not pay for formatting lines nobody sees.
 */
static bool may_log(struct tftp_server *srv, enum log_kind kind)
{
	struct ratelimit *rl = &srv->limits[kind];
	uint64_t now = loop_now();
	uint32_t held;

	if (!ratelimit_allow(rl, now, &held)) {
		if (!loop_timer_armed(&srv->log_timer))
			(void)loop_timer_arm(srv->loop, &srv->log_timer,
					     ratelimit_interval_end(rl) - now);
		return false;
	}
	log_held(kind, held);
	return true;
}

/* --- small helpers ------------------------------------------------------------------- */

static void peer_str(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, n, "%s:%u", ip, ntohs(a->sin_port));
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, n, "[%s]:%u", ip, ntohs(a->sin6_port));
	}
}

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* A client string cut to SHORT_STR for a log line, escaped, with "..." when cut. */
static void escape_short(char out[SHORT_STR], const char *in, size_t len)
{
	if (strata_escape(out, SHORT_STR - 3, in, len) < len)
		strcat(out, "...");
}

/* ::ffff:a.b.c.d, an IPv4 client seen through an IPv6 socket. */
static bool v4_mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

static void host_of(const struct sockaddr_storage *ss, struct host *h)
{
	const uint8_t *a6 = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;

	memset(h, 0, sizeof(*h));
	h->family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(h->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else
		memcpy(h->addr, a6, v4_mapped(a6) ? 16 : 8);
}

static int host_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct host));
}

/* "192.0.2.7", or "2001:db8::/64" for an IPv6 host. */
static void host_str(const struct host *h, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	bool v4 = h->family == AF_INET;

	inet_ntop(h->family, h->addr, ip, sizeof(ip));
	snprintf(buf, n, "%s%s", ip, v4 || v4_mapped(h->addr) ? "" : "/64");
}

/* FNV-1a: enough to tell a retransmitted RRQ from a different one. */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	while (n--) {
		h ^= *p++;
		h *= 1099511628211ull;
	}
	return h;
}

/* Best effort: an ERROR that is lost changes nothing, the peer times out instead. */
static void send_error(int sock, const struct sockaddr_storage *to, socklen_t to_len,
		       uint16_t code, const char *msg)
{
	uint8_t pkt[TFTP_HDR_LEN + ERRMSG_MAX + 1];
	struct tftp_error_hdr *h = (struct tftp_error_hdr *)pkt;
	size_t n = strnlen(msg, ERRMSG_MAX);

	tftp_be16_put(h->opcode, TFTP_ERROR);
	tftp_be16_put(h->code, code);
	memcpy(pkt + TFTP_HDR_LEN, msg, n);
	pkt[TFTP_HDR_LEN + n] = 0;
	(void)sendto(sock, pkt, TFTP_HDR_LEN + n + 1, 0, (const struct sockaddr *)to, to_len);
}

/* --- transfer list ------------------------------------------------------------------- */

static void xfer_link(struct tftp_server *srv, struct tftp_xfer *x)
{
	x->next = srv->xfers;
	if (x->next)
		x->next->pprev = &x->next;
	x->pprev = &srv->xfers;
	srv->xfers = x;
	srv->nxfers++;
}

static void xfer_unlink(struct tftp_server *srv, struct tftp_xfer *x)
{
	*x->pprev = x->next;
	if (x->next)
		x->next->pprev = x->pprev;
	srv->nxfers--;
}

static struct tftp_xfer *xfer_find(struct tftp_server *srv, const struct sockaddr_storage *peer)
{
	struct tftp_xfer *x;

	for (x = srv->xfers; x; x = x->next)
		if (addr_equal(&x->peer, peer))
			return x;
	return NULL;
}

/* --- sending ------------------------------------------------------------------------- */

/*
 * Send one packet to the client.  Any failure (a full socket buffer past
 * SEND_TIMEOUT_MS, an unreachable network) is reported as -EAGAIN: the retransmission
 * timer retries, and gives up after max_tries.
 */
static int xfer_send(struct tftp_xfer *x, const uint8_t *pkt, size_t len)
{
	ssize_t n = sendto(x->sock, pkt, len, 0, (const struct sockaddr *)&x->peer,
			   x->peer_len);

	return n == (ssize_t)len ? 0 : -EAGAIN;
}

/* Append "name\0value\0" to an OACK at off; returns the new length. */
static size_t oack_option(uint8_t *buf, size_t size, size_t off, const char *name,
			  uint64_t value)
{
	size_t n = strlen(name) + 1;

	memcpy(buf + off, name, n);
	off += n;
	return off + (size_t)snprintf((char *)buf + off, size - off, "%" PRIu64, value) + 1;
}

/* The OACK holds every accepted option; the largest is ~80 bytes, the buffer >= 516. */
static int send_oack(struct tftp_xfer *x)
{
	uint8_t *buf = x->srv->txbuf;
	size_t size = TFTP_HDR_LEN + TFTP_BLKSIZE_DEFAULT, off = 2;

	tftp_be16_put(buf, TFTP_OACK);
	if (x->opts & TFTP_OPT_BLKSIZE)
		off = oack_option(buf, size, off, TFTP_OPT_NAME_BLKSIZE, x->blksize);
	if (x->opts & TFTP_OPT_TSIZE)
		off = oack_option(buf, size, off, TFTP_OPT_NAME_TSIZE, x->size);
	if (x->opts & TFTP_OPT_TIMEOUT)
		off = oack_option(buf, size, off, TFTP_OPT_NAME_TIMEOUT, x->timeout_s);
	if (x->opts & TFTP_OPT_WINDOWSIZE)
		off = oack_option(buf, size, off, TFTP_OPT_NAME_WINDOWSIZE, x->windowsize);
	return xfer_send(x, buf, off);
}

/* Read exactly len bytes at off; a short read means the file shrank under us. */
static int read_block(int fd, uint8_t *buf, size_t len, uint64_t off, const char **why)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tftp_fail(why, -EIO, "read error on the served file");
		if (n == 0)
			return tftp_fail(why, -EIO, "file shrank while being served");
		got += (size_t)n;
	}
	return 0;
}

/* DATA for block n (unwrapped, 1-based); the wire carries n modulo 65536. */
static int send_block(struct tftp_xfer *x, uint64_t n, const char **why)
{
	uint8_t *buf = x->srv->txbuf;
	struct tftp_block_hdr *h = (struct tftp_block_hdr *)buf;
	uint64_t off = (n - 1) * x->blksize;
	size_t len = x->size - off < x->blksize ? (size_t)(x->size - off) : x->blksize;
	int rc;

	rc = read_block(x->file, buf + TFTP_HDR_LEN, len, off, why);
	if (rc < 0)
		return rc;
	tftp_be16_put(h->opcode, TFTP_DATA);
	tftp_be16_put(h->block, (uint16_t)(n % TFTP_BLOCK_MOD));
	return xfer_send(x, buf, TFTP_HDR_LEN + len);
}

/*
 * Send the window after the last acknowledged block.  This is also the retransmission
 * and the answer to an ACK in the middle of a window (RFC 7440: resume after it).
 */
static int send_window(struct tftp_xfer *x, const char **why)
{
	uint64_t n, end = x->acked + x->windowsize;
	int rc;

	if (end > x->last)
		end = x->last;
	for (n = x->acked + 1; n <= end; n++) {
		rc = send_block(x, n, why);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return rc;
		if (n > x->sent)
			x->sent = n;
	}
	return 0;
}

/* The wait before the next retransmission: doubled per try, never past wait_max_ms. */
static uint64_t xfer_wait_ms(const struct tftp_xfer *x)
{
	unsigned int shift = x->tries < BACKOFF_MAX_SHIFT ? x->tries : BACKOFF_MAX_SHIFT;
	uint64_t wait = (uint64_t)x->timeout_ms << shift;

	return wait < x->srv->wait_max_ms ? wait : x->srv->wait_max_ms;
}

/* (Re)send whatever the client is waiting for and arm the timer, backing off per try. */
static int xfer_transmit(struct tftp_xfer *x, const char **why)
{
	int rc = x->oack ? send_oack(x) : send_window(x, why);

	if (rc == -EAGAIN)
		rc = 0;
	if (rc < 0)
		return rc;
	rc = loop_timer_arm(x->srv->loop, &x->timer, xfer_wait_ms(x));
	if (rc < 0)
		return tftp_fail(why, rc, "cannot arm the retransmission timer");
	return 0;
}

/*
 * The total deadline (max_time_s): however the client keeps a transfer alive, it ends
 * then.  Checked whenever the transfer would send, which a live transfer does at least
 * every wait_max_ms.  Returns true when the transfer ended (x is freed).
 */
static bool xfer_overdue(struct tftp_xfer *x)
{
	if (loop_now() - x->started_ms < (uint64_t)x->srv->cfg.max_time_s * 1000)
		return false;
	xfer_done(x, -ETIME, "transfer took longer than the server allows (max-time)");
	return true;
}

/* --- receiving on a transfer --------------------------------------------------------- */

/*
 * Only an ACK that advances moves the transfer.  A repeated or old ACK is dropped: the
 * timer, not the duplicate, triggers a resend, which is the Sorcerer's Apprentice fix.
 * Returns true when the transfer ended (x is freed).
 */
static bool xfer_on_ack(struct tftp_xfer *x, size_t len)
{
	const char *why = NULL;
	uint16_t block;
	uint64_t delta;
	int rc;

	if (tftp_parse_ack(x->srv->rxbuf, len, &block, NULL) < 0)
		return false;
	if (x->oack) {
		if (block != 0)
			return false;
		x->oack = false;
	} else {
		delta = (uint16_t)(block - (uint16_t)(x->acked % TFTP_BLOCK_MOD));
		if (delta == 0 || delta > x->sent - x->acked)
			return false;
		x->acked += delta;
		if (x->acked == x->last) {
			xfer_done(x, 0, NULL);
			return true;
		}
	}
	if (xfer_overdue(x))
		return true;
	x->tries = 0;
	rc = xfer_transmit(x, &why);
	if (rc < 0) {
		xfer_done(x, rc, why);
		return true;
	}
	return false;
}

/*
 * A client ERROR ends the transfer.  ERROR 8 right after an OACK that carried tsize is
 * how OVMF asks a file's size before the real request: log it as such, not as a failure.
 * A malformed ERROR from the client's port still ends it: the client has given up.
 */
static bool xfer_on_error(struct tftp_xfer *x, size_t len)
{
	char why[ERRMSG_MAX + 64], msg[ERRMSG_MAX];
	struct tftp_error_pkt e;

	if (tftp_parse_error(x->srv->rxbuf, len, &e, NULL) < 0) {
		snprintf(why, sizeof(why), "aborted by client (malformed ERROR)");
	} else {
		strata_escape(msg, sizeof(msg), e.msg, e.msg_len);
		if (x->oack && e.code == TFTP_ERR_OPTNEG && (x->opts & TFTP_OPT_TSIZE))
			snprintf(why, sizeof(why), "size probe (client ERROR 8 \"%s\")", msg);
		else
			snprintf(why, sizeof(why), "aborted by client (ERROR %u \"%s\")", e.code,
				 msg);
	}
	xfer_done(x, -ECANCELED, why);
	return true;
}

/* Stray RRQs, DATA or garbage from the client's own port are ignored. */
static bool xfer_on_packet(struct tftp_xfer *x, size_t len)
{
	switch (tftp_opcode(x->srv->rxbuf, len)) {
	case TFTP_ACK:
		return xfer_on_ack(x, len);
	case TFTP_ERROR:
		return xfer_on_error(x, len);
	default:
		return false;
	}
}

static void xfer_readable(struct loop *loop, int fd, void *ctx)
{
	struct tftp_xfer *x = ctx;
	struct tftp_server *srv = x->srv;
	struct sockaddr_storage from;
	socklen_t from_len;
	ssize_t n;
	int i;

	for (i = 0; i < RX_BURST; i++) {
		from_len = sizeof(from);
		n = recvfrom(fd, srv->rxbuf, sizeof(srv->rxbuf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &from_len);
		if (n < 0)
			return;
		if (!addr_equal(&from, &x->peer)) {
			send_error(fd, &from, from_len, TFTP_ERR_BADTID, "Unknown transfer ID");
			continue;
		}
		if (xfer_on_packet(x, n > RX_BUF ? RX_BUF : (size_t)n))
			return;
	}
}

/*
 * Why a transfer timed out, for its log line.  RFC 1350 lets a client end once it has
 * sent its final ACK, and boot firmware does (OVMF's MTFTP4 closes its port at once), so
 * when that ACK is lost the client has the whole file and the server cannot know it: the
 * line says so rather than calling the client silent.
 */
static const char *timeout_why(const struct tftp_xfer *x)
{
	if (x->sent == x->last)          /* no DATA goes out before the OACK's ACK */
		return "no final ACK (every block sent: a client may stop after its last ACK)";
	return "timeout (client stopped acknowledging)";
}

static void xfer_timeout(struct loop *loop, struct loop_timer *timer)
{
	struct tftp_xfer *x = timer->ctx;
	const char *why = NULL;
	int rc;

	if (++x->tries >= x->srv->cfg.max_tries) {
		xfer_done(x, -ETIMEDOUT, timeout_why(x));
		return;
	}
	if (xfer_overdue(x))
		return;
	rc = xfer_transmit(x, &why);
	if (rc < 0)
		xfer_done(x, rc, why);
}

/* --- transfer lifetime --------------------------------------------------------------- */

static void xfer_log(const struct tftp_xfer *x, int rc, const char *why)
{
	char peer[PEER_STR], name[NAME_STR];
	uint64_t bytes = x->acked * x->blksize;

	if (bytes > x->size)
		bytes = x->size;
	peer_str(&x->peer, peer, sizeof(peer));
	strata_escape(name, sizeof(name), x->name, strlen(x->name));
	tftp_log("%s \"%s\" %s, %" PRIu64 "/%" PRIu64 " bytes in %.3f s (blksize %u, windowsize %u%s)",
		 peer, name, rc == 0 ? "ok" : why, bytes, x->size,
		 (double)(loop_now() - x->started_ms) / 1000.0, x->blksize, x->windowsize,
		 x->note);
}

/*
 * The single end of every transfer.  rc 0: complete.  -ECANCELED: the client ended it
 * (its line is rate-limited: a client can end transfers as fast as it sends packets).
 * -ETIMEDOUT: the client went silent.  Anything else is the server giving up, so the
 * client is told with an ERROR whose code comes from rc_codes and whose text is why.
 */
static void xfer_done(struct tftp_xfer *x, int rc, const char *why)
{
	struct tftp_server *srv = x->srv;

	if (rc < 0 && rc != -ECANCELED && rc != -ETIMEDOUT)
		send_error(x->sock >= 0 ? x->sock : srv->sock, &x->peer, x->peer_len,
			   tftp_code_of(rc), why);
	if (rc != -ECANCELED || may_log(srv, LOG_ENDED))
		xfer_log(x, rc, why);
	xfer_unlink(srv, x);
	loop_timer_disarm(srv->loop, &x->timer);
	if (x->sock >= 0) {
		loop_del_reader(srv->loop, x->sock);
		close(x->sock);
	}
	close(x->file);
	free(x);
}

/*
 * curl's TFTP client (lib/tftp.c, 7.88 in Debian 12) takes "tsize 0" in an OACK for an
 * invalid value and silently gives up, so no RFC-conforming server (tftpd-hpa included)
 * can hand it an empty file.  RFC 2347 lets a server leave any option out of its OACK,
 * so for an empty file tsize is not answered.
 */
static void workaround_curl_tsize_zero(struct tftp_xfer *x)
{
	if (x->size == 0)
		x->opts &= ~(unsigned int)TFTP_OPT_TSIZE;
}

/*
 * A client's timeout is granted up to max_timeout_s.  Above that it is left out of the
 * OACK rather than answered lower: RFC 2349 wants the value echoed, so a server that will
 * not honour it declines it (RFC 2347), and timeout_ms applies.
 */
static void negotiate_timeout(struct tftp_xfer *x, uint32_t asked)
{
	uint32_t cap = x->srv->cfg.max_timeout_s;
	size_t n = strlen(x->note);

	if (asked <= cap) {
		x->timeout_s = asked;
		x->timeout_ms = asked * 1000u;
		return;
	}
	x->opts &= ~(unsigned int)TFTP_OPT_TIMEOUT;
	snprintf(x->note + n, sizeof(x->note) - n, "; timeout %u s not granted, max-timeout %u",
		 asked, cap);
}

/* The log's note on options ignored: how many, and the first as the client sent it. */
static void note_ignored(struct tftp_xfer *x, const struct tftp_request *req)
{
	char name[SHORT_STR], value[SHORT_STR];
	const struct tftp_opt_text *o = &req->noted;

	if (!req->ignored || !o->name)
		return;
	escape_short(name, o->name, o->name_len);
	escape_short(value, o->value, o->value_len);
	snprintf(x->note, sizeof(x->note), "; %u option(s) ignored, first \"%s\"=\"%s\"",
		 req->ignored, name, value);
}

/* Choose the transfer's parameters from what the client asked and our caps. */
static void xfer_negotiate(struct tftp_xfer *x, const struct tftp_request *req)
{
	const struct tftp_config *cfg = &x->srv->cfg;

	x->opts = req->opts;
	note_ignored(x, req);
	x->blksize = TFTP_BLKSIZE_DEFAULT;
	x->windowsize = 1;
	x->timeout_ms = cfg->timeout_ms;
	if (req->opts & TFTP_OPT_BLKSIZE)
		x->blksize = req->blksize < cfg->max_blksize ? req->blksize : cfg->max_blksize;
	if (req->opts & TFTP_OPT_WINDOWSIZE)
		x->windowsize = req->windowsize < cfg->max_windowsize ? req->windowsize
								       : cfg->max_windowsize;
	if (req->opts & TFTP_OPT_TIMEOUT)
		negotiate_timeout(x, req->timeout);
	workaround_curl_tsize_zero(x);
	x->last = x->size / x->blksize + 1;
	x->oack = x->opts != 0;
}

/* The transfer's own socket, on the address the request came to, on a new port. */
static int xfer_socket(struct tftp_xfer *x, const struct rx_info *rx, const char **why)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = SEND_TIMEOUT_MS * 1000 };

	x->sock = socket(rx->local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (x->sock < 0)
		return tftp_fail(why, -errno, "cannot create the transfer socket");
	if (setsockopt(x->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return tftp_fail(why, -errno, "cannot set the transfer socket's send timeout");
	if (bind(x->sock, (const struct sockaddr *)&rx->local, rx->local_len) < 0)
		return tftp_fail(why, -errno, "cannot bind the transfer socket");
	return 0;
}

/*
 * Start a transfer of the opened file.  Takes ownership of file: on any failure it is
 * closed (through xfer_done once the transfer exists).
 */
static void xfer_start(struct tftp_server *srv, const struct tftp_request *req,
		       const struct rx_info *rx, int file, uint64_t size, uint64_t hash)
{
	struct tftp_xfer *x = calloc(1, sizeof(*x));
	const char *why = NULL;
	int rc;

	if (!x) {
		tftp_log("out of memory for a transfer");
		close(file);
		return;
	}
	x->srv = srv;
	x->sock = -1;
	x->file = file;
	x->size = size;
	x->peer = rx->peer;
	x->peer_len = rx->peer_len;
	host_of(&rx->peer, &x->host);
	x->req_hash = hash;
	x->started_ms = loop_now();
	memcpy(x->name, req->filename, req->filename_len + 1);
	loop_timer_init(&x->timer, xfer_timeout, x);
	xfer_link(srv, x);
	xfer_negotiate(x, req);
	rc = xfer_socket(x, rx, &why);
	if (rc == 0 && (rc = loop_add_reader(srv->loop, x->sock, xfer_readable, x)) < 0)
		why = "cannot watch the transfer socket";
	if (rc == 0)
		rc = xfer_transmit(x, &why);
	if (rc < 0)
		xfer_done(x, rc, why);
}

/* --- requests on the listening socket ------------------------------------------------ */

/* The option a refused request is refused for, escaped, as ' (option "n"="v")'. */
static void refused_option(const struct tftp_request *req, int rc, char *buf, size_t n)
{
	char name[SHORT_STR], value[SHORT_STR];
	const struct tftp_opt_text *o = &req->noted;

	buf[0] = 0;
	if (rc != -ENOPROTOOPT || !o->name)
		return;
	escape_short(name, o->name, o->name_len);
	escape_short(value, o->value, o->value_len);
	snprintf(buf, n, " (option \"%s\"=\"%s\")", name, value);
}

/*
 * Log a refused request (rate-limited) and tell the client why.  req holds what the
 * parser got before it refused (filename NULL when it got nothing).  Returns rc, for
 * one-line call sites.
 */
static int refuse(struct tftp_server *srv, const struct rx_info *rx,
		  const struct tftp_request *req, int rc, const char *why)
{
	char peer[PEER_STR], name[NAME_STR] = "?", opt[2 * SHORT_STR + 32];

	send_error(srv->sock, &rx->peer, rx->peer_len, tftp_code_of(rc), why);
	if (!may_log(srv, LOG_REFUSED))
		return rc;
	peer_str(&rx->peer, peer, sizeof(peer));
	if (req->filename)
		strata_escape(name, sizeof(name), req->filename, req->filename_len);
	refused_option(req, rc, opt, sizeof(opt));
	tftp_log("%s \"%s\" refused: %s%s", peer, name, why, opt);
	return rc;
}

/* Live transfers of host h. */
static unsigned int host_xfers(const struct tftp_server *srv, const struct host *h)
{
	const struct tftp_xfer *x;
	unsigned int n = 0;

	for (x = srv->xfers; x; x = x->next)
		n += host_cmp(&x->host, h) == 0;
	return n;
}

/* "peer" and "name" of a dropped request, for its log line. */
static void dropped_str(const struct rx_info *rx, const struct tftp_request *req,
			char peer[PEER_STR], char name[NAME_STR])
{
	peer_str(&rx->peer, peer, PEER_STR);
	strata_escape(name, NAME_STR, req->filename, req->filename_len);
}

/* Over max_per_addr: drop quietly like a full table, and say whose limit it is. */
static int drop_per_addr(struct tftp_server *srv, const struct rx_info *rx,
			 const struct tftp_request *req, const struct host *h)
{
	char peer[PEER_STR], name[NAME_STR], who[HOLDER_STR];

	if (!may_log(srv, LOG_PER_ADDR))
		return -EBUSY;
	dropped_str(rx, req, peer, name);
	host_str(h, who, sizeof(who));
	tftp_log("%s \"%s\" dropped: %u transfers live from %s (max-per-addr)", peer, name,
		 srv->cfg.max_per_addr, who);
	return -EBUSY;
}

/* "192.0.2.7 x8, 192.0.2.9 x3 (+5 more addresses)": who holds a full table. */
static void holders_str(const struct tftp_server *srv, char *buf, size_t n)
{
	char (*names)[HOLDER_NAME] = calloc(srv->nxfers + 1, HOLDER_NAME);
	const struct tftp_xfer *x;
	size_t i = 0;

	if (!names) {
		snprintf(buf, n, "? (no memory to list them)");
		return;
	}
	for (x = srv->xfers; x; x = x->next)
		host_str(&x->host, names[i++], HOLDER_NAME);
	holders_describe(names, i, buf, n);
	free(names);
}

/* Over max_transfers: drop quietly (the client retries) and name who holds the table. */
static int drop_full(struct tftp_server *srv, const struct rx_info *rx,
		     const struct tftp_request *req)
{
	char peer[PEER_STR], name[NAME_STR], holders[HOLDERS_STR];

	if (!may_log(srv, LOG_FULL))
		return -EBUSY;
	dropped_str(rx, req, peer, name);
	holders_str(srv, holders, sizeof(holders));
	tftp_log("%s \"%s\" dropped: table full, %u transfers live (max-transfers), held by %s",
		 peer, name, srv->nxfers, holders);
	return -EBUSY;
}

/*
 * A request from a client address and port that already has a live transfer: the same
 * bytes again are a retransmission (ignore); anything else means the client abandoned
 * the old transfer, so end the old one.  OVMF's probe ends this way too when its new
 * RRQ overtakes its ERROR 8 (the two go to different sockets, and can be handled in
 * either order): an unanswered OACK with tsize is logged as the probe it was.
 * Returns true when the new request should proceed.
 */
static bool supersede(struct tftp_xfer *x, uint64_t hash)
{
	if (x->req_hash == hash)
		return false;
	if (x->oack && (x->opts & TFTP_OPT_TSIZE))
		xfer_done(x, -ECANCELED, "size probe (new request came before the ERROR)");
	else
		xfer_done(x, -ECANCELED, "superseded by a new request from the same port");
	return true;
}

static int handle_request(struct tftp_server *srv, size_t len, const struct rx_info *rx)
{
	struct tftp_request req;
	struct tftp_xfer *x;
	struct host host;
	const char *why = NULL;
	uint64_t hash = hash_bytes(srv->rxbuf, len), size;
	int rc, fd;

	rc = tftp_parse_request(srv->rxbuf, len, &req, &why);
	if (rc < 0)
		return refuse(srv, rx, &req, rc, why);
	if (req.opcode == TFTP_WRQ)
		return refuse(srv, rx, &req, -EROFS, "write refused: read-only server");
	if (req.netascii)
		return refuse(srv, rx, &req, -ENOTSUP, "netascii not supported, use octet");
	x = xfer_find(srv, &rx->peer);
	if (x && !supersede(x, hash))
		return 0;
	host_of(&rx->peer, &host);
	if (host_xfers(srv, &host) >= srv->cfg.max_per_addr)
		return drop_per_addr(srv, rx, &req, &host);
	if (srv->nxfers >= srv->cfg.max_transfers)
		return drop_full(srv, rx, &req);
	rc = tftp_path_open(srv->root_fd, req.filename, req.filename_len, &fd, &size, &why);
	if (rc < 0)
		return refuse(srv, rx, &req, rc, why);
	xfer_start(srv, &req, rx, fd, size, hash);
	return 0;
}

/*
 * Requests start transfers; ERRORs are never answered (no error loops); DATA, ACK or
 * OACK on the well-known port belong to no transfer; other opcodes are illegal.
 * A packet too short to hold an opcode gets no answer.
 */
static void listen_packet(struct tftp_server *srv, size_t len, const struct rx_info *rx)
{
	int op = tftp_opcode(srv->rxbuf, len);

	switch (op) {
	case TFTP_RRQ:
	case TFTP_WRQ:
		handle_request(srv, len, rx);
		break;
	case TFTP_ERROR:
	case -EINVAL:
		break;
	case TFTP_DATA:
	case TFTP_ACK:
	case TFTP_OACK:
		send_error(srv->sock, &rx->peer, rx->peer_len, TFTP_ERR_BADTID,
			   "Unknown transfer ID");
		break;
	default:
		send_error(srv->sock, &rx->peer, rx->peer_len, TFTP_ERR_BADOP,
			   "Illegal TFTP operation");
		break;
	}
}

/* The local address a request was sent to (IPv4 IP_PKTINFO), else our bound one. */
static void rx_local(const struct tftp_server *srv, struct msghdr *msg, struct rx_info *rx)
{
	struct cmsghdr *c;

	memcpy(&rx->local, &srv->local, sizeof(rx->local));
	rx->local_len = srv->local_len;
	if (rx->local.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&rx->local)->sin6_port = 0;
		return;
	}
	((struct sockaddr_in *)&rx->local)->sin_port = 0;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in *)&rx->local)->sin_addr = pi.ipi_spec_dst;
		}
	}
}

/* Receive one datagram on the listening socket; returns its full length or -errno. */
static ssize_t listen_recv(struct tftp_server *srv, struct rx_info *rx)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct iovec iov = { .iov_base = srv->rxbuf, .iov_len = sizeof(srv->rxbuf) };
	struct msghdr msg = {
		.msg_name = &rx->peer, .msg_namelen = sizeof(rx->peer),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(srv->sock, &msg, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return -errno;
	rx->peer_len = msg.msg_namelen;
	rx_local(srv, &msg, rx);
	return n;
}

static void listen_readable(struct loop *loop, int fd, void *ctx)
{
	struct tftp_server *srv = ctx;
	struct rx_info rx;
	ssize_t n;
	int i;

	for (i = 0; i < RX_BURST; i++) {
		n = listen_recv(srv, &rx);
		if (n < 0)
			return;
		/* Longer than the buffer: pass the buffer's length, every parser refuses it. */
		listen_packet(srv, n > RX_BUF ? RX_BUF : (size_t)n, &rx);
	}
}

/* --- server lifetime ----------------------------------------------------------------- */

void tftp_config_init(struct tftp_config *cfg)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&cfg->addr;

	memset(cfg, 0, sizeof(*cfg));
	a->sin_family = AF_INET;
	a->sin_port = htons(69);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg->addr_len = sizeof(*a);
	cfg->max_blksize = 1468;
	cfg->max_windowsize = 64;
	cfg->max_transfers = 64;
	cfg->max_per_addr = 8;
	cfg->timeout_ms = 1000;
	cfg->max_timeout_s = 5;
	cfg->max_tries = 6;
	cfg->max_time_s = 600;
}

static int config_check(const struct tftp_config *cfg, const char **why)
{
	if (!cfg->root)
		return tftp_fail(why, -EINVAL, "no root directory");
	if (cfg->addr.ss_family != AF_INET && cfg->addr.ss_family != AF_INET6)
		return tftp_fail(why, -EINVAL, "listen address is neither IPv4 nor IPv6");
	if (cfg->max_blksize < TFTP_BLKSIZE_MIN || cfg->max_blksize > TFTP_BLKSIZE_MAX)
		return tftp_fail(why, -EINVAL, "max blksize outside 8..65464");
	if (cfg->max_windowsize < 1 || cfg->max_windowsize > TFTP_WINDOWSIZE_MAX)
		return tftp_fail(why, -EINVAL, "max windowsize outside 1..65535");
	if (cfg->max_transfers < 1)
		return tftp_fail(why, -EINVAL, "max transfers must be at least 1");
	if (cfg->timeout_ms < 1 || cfg->timeout_ms > 255000)
		return tftp_fail(why, -EINVAL, "timeout outside 1 ms..255 s");
	if (cfg->max_tries < 1)
		return tftp_fail(why, -EINVAL, "max tries must be at least 1");
	if (cfg->max_per_addr < 1)
		return tftp_fail(why, -EINVAL, "max transfers per address must be at least 1");
	if (cfg->max_timeout_s < TFTP_TIMEOUT_MIN || cfg->max_timeout_s > TFTP_TIMEOUT_MAX)
		return tftp_fail(why, -EINVAL, "max timeout outside 1..255 s");
	if (cfg->max_time_s < 1)
		return tftp_fail(why, -EINVAL, "max time must be at least 1 s");
	return 0;
}

/* Bind the listening socket; on failure nothing stays open. */
static int listen_socket(struct tftp_server *srv, const char **why)
{
	const struct tftp_config *cfg = &srv->cfg;
	socklen_t len = sizeof(srv->local);
	int one = 1, rc;

	srv->sock = socket(cfg->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->sock < 0)
		return tftp_fail(why, -errno, "cannot create the listening socket");
	if (cfg->addr.ss_family == AF_INET &&
	    setsockopt(srv->sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		rc = tftp_fail(why, -errno, "cannot enable IP_PKTINFO");
		goto err_close;
	}
	if (bind(srv->sock, (const struct sockaddr *)&cfg->addr, cfg->addr_len) < 0) {
		rc = tftp_fail(why, -errno, "cannot bind the listening socket");
		goto err_close;
	}
	if (getsockname(srv->sock, (struct sockaddr *)&srv->local, &len) < 0) {
		rc = tftp_fail(why, -errno, "cannot read the bound address");
		goto err_close;
	}
	srv->local_len = len;
	return 0;

err_close:
	close(srv->sock);
	srv->sock = -1;
	return rc;
}

/* The log's rate limiters and their timer, the longest retransmission wait. */
static void limits_init(struct tftp_server *srv)
{
	uint64_t cap_ms = (uint64_t)srv->cfg.max_timeout_s * 1000;
	int k;

	for (k = 0; k < LOG_KINDS; k++)
		ratelimit_init(&srv->limits[k], log_kinds[k].burst, LOG_INTERVAL_MS);
	loop_timer_init(&srv->log_timer, log_timer_fired, srv);
	srv->wait_max_ms = cap_ms > srv->cfg.timeout_ms ? cap_ms : srv->cfg.timeout_ms;
}

int tftp_server_start(struct loop *loop, const struct tftp_config *cfg,
		      struct tftp_server **out)
{
	uint32_t blk = cfg->max_blksize > TFTP_BLKSIZE_DEFAULT ? cfg->max_blksize
							       : TFTP_BLKSIZE_DEFAULT;
	struct tftp_server *srv;
	const char *why = NULL;
	int rc;

	rc = config_check(cfg, &why);
	if (rc < 0)
		goto err_config;
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		rc = tftp_fail(&why, -ENOMEM, "out of memory for the server");
		goto err_config;
	}
	srv->loop = loop;
	srv->cfg = *cfg;
	srv->cfg.root = NULL;
	limits_init(srv);
	srv->txbuf = malloc(TFTP_HDR_LEN + blk);
	if (!srv->txbuf) {
		rc = tftp_fail(&why, -ENOMEM, "out of memory for the send buffer");
		goto err_txbuf;
	}
	srv->root_fd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srv->root_fd < 0) {
		rc = tftp_fail(&why, -errno, "cannot open the root directory");
		goto err_root;
	}
	rc = listen_socket(srv, &why);
	if (rc < 0)
		goto err_socket;
	rc = loop_add_reader(loop, srv->sock, listen_readable, srv);
	if (rc < 0) {
		why = "cannot watch the listening socket";
		goto err_reader;
	}
	*out = srv;
	return 0;

err_reader:
	close(srv->sock);
err_socket:
	close(srv->root_fd);
err_root:
	free(srv->txbuf);
err_txbuf:
	free(srv);
err_config:
	tftp_log("cannot start: %s (%s)", why, strerror(-rc));
	return rc;
}

uint16_t tftp_server_port(const struct tftp_server *srv)
{
	if (srv->local.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&srv->local)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&srv->local)->sin_port);
}

unsigned int tftp_server_active(const struct tftp_server *srv)
{
	return srv->nxfers;
}

void tftp_server_stop(struct tftp_server *srv)
{
	if (!srv)
		return;
	while (srv->xfers)
		xfer_done(srv->xfers, -ESHUTDOWN, "server shutting down");
	loop_timer_disarm(srv->loop, &srv->log_timer);
	report_held(srv);
	loop_del_reader(srv->loop, srv->sock);
	close(srv->sock);
	close(srv->root_fd);
	free(srv->txbuf);
	free(srv);
}
