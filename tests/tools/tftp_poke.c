/*
 * tftp_poke: a scripted TFTP client for tests/server/tftp.sh and
 * tests/security/tftp-slots.sh.  Only ever talks to 127.0.0.1, from 127.x addresses.
 *
 * Why not just the stock clients: they cannot do what real boot firmware does to a
 * server (OVMF's size probe, a repeated RRQ, duplicate ACKs) nor what an attacker does
 * (a packet from a foreign port to a transfer port, arbitrary bytes).
 *
 *   tftp_poke raw PORT HEX
 *       Send the bytes HEX from a new socket, print the first reply (or "none" after 1 s).
 *   tftp_poke get PORT FILE OUT [blksize=N] [windowsize=N] [timeout=N] [tsize] [probe]
 *                                [dupack] [duprrq] [badtid] [stall=N] [slow=MS]
 *                                [opt=NAME=VALUE]
 *       Download FILE to OUT with the given options and injections:
 *         probe   first RRQ with tsize, ERROR 8 after the OACK, then the real RRQ from
 *                 the same port (what OVMF does);
 *         dupack  send every ACK twice: a server with the Sorcerer's Apprentice bug then
 *                 sends duplicate DATA, counted as dups=;
 *         duprrq  repeat the RRQ after the first reply: any packet from a second server
 *                 port counts as a failure;
 *         badtid  after the first reply, send an ACK from another port to the transfer
 *                 port: it must get ERROR 5 and the transfer must go on;
 *         stall=N stop acknowledging after N blocks and exit 0 (the server must time out);
 *         slow=MS wait MS before each ACK (a client that trickles, for the deadline);
 *         opt=NAME=VALUE  one more option, any bytes (an unknown one is ignored).
 *       Prints "ok data=D dups=U tsize=T" on success and exits 0; an ERROR from the
 *       server is printed as "ERROR code message" and exits 1.
 *   tftp_poke hold PORT FROM COUNT FILE [blksize=N] [timeout=N] [tsize]
 *       The slot hold of "Trust and limits": from COUNT new sockets bound to FROM (any
 *       127.x address), one RRQ each; then the first reply of each within 1 s, and exit
 *       without another packet, as a client that vanishes.  Prints "replies=R data=D
 *       oack=O errors=E timeout=T" (T: the timeout the OACKs echoed, -1 for none).
 *   tftp_poke spray PORT COUNT SEED
 *       Send COUNT pseudo-random datagrams (0..600 bytes; most start with a real opcode
 *       and mix option names, NULs and digits) without waiting for replies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "text.h"
#include "tftp_wire.h"

struct opts {
	unsigned int blksize, windowsize, timeout, stall, slow;
	bool tsize, probe, dupack, duprrq, badtid;
	const char *opt_name, *opt_value; /* opt=NAME=VALUE */
};

struct client {
	int sock;                  /* our port */
	struct sockaddr_in srv;    /* 127.0.0.1:PORT, the request port */
	struct sockaddr_in tid;    /* the server's transfer port once known */
	bool have_tid;
	unsigned int blksize, windowsize;
	uint64_t tsize;
	bool got_tsize;
	long timeout;              /* echoed in the OACK, or -1 */
	unsigned long data, dups, foreign;
	uint8_t buf[TFTP_PKT_MAX + 16];
};

static int die(const char *msg)
{
	fprintf(stderr, "tftp_poke: %s\n", msg);
	return 1;
}

/* A socket on a new port of the loopback address from ("127.0.0.1" and the like). */
static int udp_socket(const char *from)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		return -1;
	if (inet_pton(AF_INET, from, &a.sin_addr) != 1 ||
	    (ntohl(a.sin_addr.s_addr) >> 24) != 127 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Wait up to ms for a datagram; returns its length, 0 on timeout, -1 on error. */
static ssize_t recv_wait(int s, uint8_t *buf, size_t size, struct sockaddr_in *from, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	socklen_t len = sizeof(*from);
	int r = poll(&p, 1, ms);

	if (r <= 0)
		return r;
	return recvfrom(s, buf, size, 0, (struct sockaddr *)from, &len);
}

static void put16(uint8_t *p, unsigned int v)
{
	tftp_be16_put(p, (uint16_t)v);
}

static size_t put_str(uint8_t *p, size_t off, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(p + off, s, n);
	return off + n;
}

static size_t put_opt(uint8_t *p, size_t off, const char *name, unsigned long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lu", v);
	return put_str(p, put_str(p, off, name), num);
}

static void send_to(int s, const struct sockaddr_in *to, const uint8_t *p, size_t n)
{
	(void)sendto(s, p, n, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void send_rrq(struct client *c, const char *file, const struct opts *o, bool tsize)
{
	uint8_t p[600];
	size_t n;

	put16(p, TFTP_RRQ);
	n = put_str(p, put_str(p, 2, file), "octet");
	if (tsize)
		n = put_opt(p, n, "tsize", 0);
	if (o->blksize)
		n = put_opt(p, n, "blksize", o->blksize);
	if (o->windowsize)
		n = put_opt(p, n, "windowsize", o->windowsize);
	if (o->timeout)
		n = put_opt(p, n, "timeout", o->timeout);
	if (o->opt_name && n + strlen(o->opt_name) + strlen(o->opt_value) + 2 <= sizeof(p))
		n = put_str(p, put_str(p, n, o->opt_name), o->opt_value);
	send_to(c->sock, &c->srv, p, n);
}

static void send_ack(struct client *c, int s, unsigned int block)
{
	uint8_t p[4];

	put16(p, TFTP_ACK);
	put16(p + 2, block);
	send_to(s, &c->tid, p, 4);
}

static void send_err(struct client *c, unsigned int code, const char *msg)
{
	uint8_t p[128];

	put16(p, TFTP_ERROR);
	put16(p + 2, code);
	send_to(c->sock, &c->tid, p, put_str(p, 4, msg));
}

/* Read the options of an OACK in c->buf[0..n). */
static void parse_oack(struct client *c, size_t n)
{
	size_t i = 2;

	while (i < n) {
		const char *name = (const char *)c->buf + i, *val;
		size_t nl = strnlen(name, n - i);

		if (i + nl + 1 >= n)
			return;
		val = name + nl + 1;
		i += nl + 1 + strnlen(val, n - i - nl - 1) + 1;
		if (!strcasecmp(name, "blksize"))
			c->blksize = (unsigned int)strtoul(val, NULL, 10);
		else if (!strcasecmp(name, "windowsize"))
			c->windowsize = (unsigned int)strtoul(val, NULL, 10);
		else if (!strcasecmp(name, "timeout"))
			c->timeout = strtol(val, NULL, 10);
		else if (!strcasecmp(name, "tsize")) {
			c->tsize = strtoull(val, NULL, 10);
			c->got_tsize = true;
		}
	}
}

/*
 * Receive one packet for this transfer.  The first reply fixes the server's TID; later
 * packets from another port are counted as foreign (a duplicated transfer).
 */
static ssize_t recv_pkt(struct client *c, int ms)
{
	struct sockaddr_in from;
	ssize_t n;

	for (;;) {
		n = recv_wait(c->sock, c->buf, sizeof(c->buf), &from, ms);
		if (n <= 0)
			return n;
		if (!c->have_tid) {
			c->tid = from;
			c->have_tid = true;
		}
		if (from.sin_port == c->tid.sin_port)
			return n;
		c->foreign++;
	}
}

/* badtid: an ACK from a second port must get ERROR 5 back on that port. */
static int check_badtid(struct client *c)
{
	struct sockaddr_in from;
	uint8_t r[600];
	int s = udp_socket("127.0.0.1");
	ssize_t n;

	if (s < 0)
		return die("socket for badtid");
	send_ack(c, s, 1);
	n = recv_wait(s, r, sizeof(r), &from, 1000);
	close(s);
	if (n < 4 || tftp_be16_get(r) != TFTP_ERROR || tftp_be16_get(r + 2) != TFTP_ERR_BADTID)
		return die("badtid: no ERROR 5 from the transfer port");
	return 0;
}

/* OVMF's probe: RRQ with tsize, OACK, ERROR 8; the real RRQ follows from this port. */
static int do_probe(struct client *c, const char *file, const struct opts *o)
{
	ssize_t n;

	send_rrq(c, file, o, true);
	n = recv_pkt(c, 2000);
	if (n < 2 || tftp_be16_get(c->buf) != TFTP_OACK)
		return die("probe: no OACK");
	parse_oack(c, (size_t)n);
	if (!c->got_tsize)
		return die("probe: OACK without tsize");
	send_err(c, TFTP_ERR_OPTNEG, "User aborted the transfer");
	c->have_tid = false;
	c->got_tsize = false;
	return 0;
}

/* Answer the first reply: remember options, ACK 0 an OACK; returns the first DATA's
 * length (0 if the reply was an OACK) or -1. */
static ssize_t first_reply(struct client *c, const char *file, const struct opts *o)
{
	ssize_t n;
	int tries;

	for (tries = 0; tries < 5; tries++) {
		n = recv_pkt(c, 1000);
		if (n > 0)
			break;
		send_rrq(c, file, o, o->tsize);
	}
	if (n < 4) {
		die("no reply to the RRQ");
		return -1;
	}
	if (tftp_be16_get(c->buf) == TFTP_ERROR) {
		fprintf(stderr, "tftp_poke: ERROR %u %s\n", tftp_be16_get(c->buf + 2),
			(const char *)c->buf + 4);
		return -1;
	}
	if (o->duprrq)
		send_rrq(c, file, o, o->tsize);
	if (o->badtid && check_badtid(c))
		return -1;
	if (tftp_be16_get(c->buf) == TFTP_OACK) {
		parse_oack(c, (size_t)n);
		send_ack(c, c->sock, 0);
		if (o->dupack)
			send_ack(c, c->sock, 0);
		return 0;
	}
	return n;
}

/* Receive DATA until a short block; ACK every windowsize blocks and at the end. */
static int receive(struct client *c, FILE *out, const struct opts *o, ssize_t n)
{
	unsigned int expect = 1, since_ack = 0, idle = 0;
	uint64_t got = 0;

	for (;;) {
		if (n == 0) {
			n = recv_pkt(c, 1000);
			if (n <= 0) {
				if (++idle > 5)
					return die("transfer stalled");
				send_ack(c, c->sock, (expect - 1) & 0xffff);
				continue;
			}
		}
		idle = 0;
		if (n >= 5 && tftp_be16_get(c->buf) == TFTP_ERROR) {
			printf("ERROR %u %.*s\n", tftp_be16_get(c->buf + 2), (int)n - 5, c->buf + 4);
			return 1;
		}
		if (n < 4 || tftp_be16_get(c->buf) != TFTP_DATA)
			return die("expected DATA");
		c->data++;
		if (tftp_be16_get(c->buf + 2) != (expect & 0xffff)) {
			c->dups++;
			n = 0;
			continue;
		}
		fwrite(c->buf + 4, 1, (size_t)n - 4, out);
		got++;
		if (o->stall && got >= o->stall)
			return 2;
		since_ack++;
		if ((size_t)n - 4 < c->blksize || since_ack == c->windowsize) {
			if (o->slow)
				poll(NULL, 0, (int)o->slow);
			send_ack(c, c->sock, expect & 0xffff);
			if (o->dupack)
				send_ack(c, c->sock, expect & 0xffff);
			since_ack = 0;
		}
		if ((size_t)n - 4 < c->blksize)
			return 0;
		expect++;
		n = 0;
	}
}

/* opt=NAME=VALUE: split at the first '=' (the argument is ours to cut). */
static void parse_extra_opt(char *nv, struct opts *o)
{
	char *eq = strchr(nv, '=');

	*eq = 0;
	o->opt_name = nv;
	o->opt_value = eq + 1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "blksize=", 8))
			o->blksize = (unsigned int)atoi(a + 8);
		else if (!strncmp(a, "windowsize=", 11))
			o->windowsize = (unsigned int)atoi(a + 11);
		else if (!strncmp(a, "stall=", 6))
			o->stall = (unsigned int)atoi(a + 6);
		else if (!strncmp(a, "timeout=", 8))
			o->timeout = (unsigned int)atoi(a + 8);
		else if (!strncmp(a, "slow=", 5))
			o->slow = (unsigned int)atoi(a + 5);
		else if (!strncmp(a, "opt=", 4) && strchr(a + 4, '='))
			parse_extra_opt(argv[i] + 4, o);
		else if (!strcmp(a, "tsize"))
			o->tsize = true;
		else if (!strcmp(a, "probe"))
			o->probe = true;
		else if (!strcmp(a, "dupack"))
			o->dupack = true;
		else if (!strcmp(a, "duprrq"))
			o->duprrq = true;
		else if (!strcmp(a, "badtid"))
			o->badtid = true;
		else
			return die("unknown get option");
	}
	return 0;
}

static int cmd_get(struct client *c, int argc, char **argv)
{
	struct opts o = { 0 };
	FILE *out;
	ssize_t n;
	int rc;

	if (argc < 2 || parse_opts(argc - 2, argv + 2, &o))
		return die("usage: get PORT FILE OUT [options]");
	c->blksize = TFTP_BLKSIZE_DEFAULT;
	c->windowsize = 1;
	if (o.probe && do_probe(c, argv[0], &o))
		return 1;
	send_rrq(c, argv[0], &o, o.tsize);
	n = first_reply(c, argv[0], &o);
	if (n < 0)
		return 1;
	out = fopen(argv[1], "wb");
	if (!out)
		return die("cannot open the output file");
	rc = receive(c, out, &o, n);
	fclose(out);
	if (rc == 2) {
		printf("stalled after %u blocks\n", o.stall);
		return 0;
	}
	if (rc || c->foreign)
		return rc ? rc : die("DATA from a second server port (duplicated transfer)");
	printf("ok data=%lu dups=%lu tsize=%lld\n", c->data, c->dups,
	       c->got_tsize ? (long long)c->tsize : -1LL);
	return 0;
}

/* Milliseconds on a monotonic clock. */
static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* hold: count the first reply of socket s (within the time left) into tallies. */
static void hold_reply(struct client *c, int s, long deadline, unsigned long tally[3])
{
	struct sockaddr_in from;
	long left = deadline - now_ms();
	ssize_t n = recv_wait(s, c->buf, sizeof(c->buf), &from, left > 0 ? (int)left : 0);

	if (n < 2)
		return;
	switch (tftp_be16_get(c->buf)) {
	case TFTP_DATA: tally[0]++; break;
	case TFTP_OACK: tally[1]++; parse_oack(c, (size_t)n); break;
	default: tally[2]++; break;
	}
}

/* hold FROM COUNT FILE [opts]: the slot hold; the sockets close when the process ends. */
static int cmd_hold(struct client *c, int argc, char **argv)
{
	unsigned long tally[3] = { 0 }, i, count = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	static int socks[1024];
	struct opts o = { 0 };
	long deadline;

	if (argc < 3 || count < 1 || count > 1024 || parse_opts(argc - 3, argv + 3, &o))
		return die("usage: hold PORT FROM COUNT FILE [options]");
	for (i = 0; i < count; i++) {
		socks[i] = c->sock = udp_socket(argv[0]);
		if (c->sock < 0)
			return die("cannot bind a socket to FROM");
		send_rrq(c, argv[2], &o, o.tsize);
	}
	deadline = now_ms() + 1000;
	for (i = 0; i < count; i++)
		hold_reply(c, socks[i], deadline, tally);
	printf("replies=%lu data=%lu oack=%lu errors=%lu timeout=%ld\n",
	       tally[0] + tally[1] + tally[2], tally[0], tally[1], tally[2], c->timeout);
	return 0;
}

/* raw: send bytes given in hex, print the first reply in words. */
static int cmd_raw(struct client *c, const char *hex)
{
	uint8_t p[70000];
	size_t n = strlen(hex) / 2;
	ssize_t r;

	/* Whole pairs only (an odd last digit is ignored), at most a buffer's worth. */
	if (n > sizeof(p))
		n = sizeof(p);
	if (strata_hex_decode(p, hex, n))
		return die("bad hex");
	send_to(c->sock, &c->srv, p, n);
	r = recv_pkt(c, 1000);
	if (r <= 0)
		printf("none\n");
	else if (r >= 4 && tftp_be16_get(c->buf) == TFTP_ERROR)
		printf("ERROR %u %.*s\n", tftp_be16_get(c->buf + 2), (int)r - 5, c->buf + 4);
	else if (r >= 2)
		printf("opcode %u len %zd\n", tftp_be16_get(c->buf), r);
	return 0;
}

/* xorshift64: reproducible noise from a seed, no libc state. */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* One hostile datagram: an opcode 0..7 (or anything), then words, digits, NULs, noise. */
static size_t spray_packet(uint8_t *p, uint64_t *x)
{
	static const char *const words[] = { "blksize", "tsize", "timeout", "windowsize",
					     "octet", "netascii", "mail", "..", "/", "\\",
					     "65464", "0", "99999999999999999999999", "f" };
	size_t len = next_rand(x) % 601, i = 2;

	if (len < 2)
		return len;
	put16(p, next_rand(x) % 4 ? (unsigned int)(next_rand(x) % 8) : (unsigned int)next_rand(x));
	while (i < len) {
		uint64_t r = next_rand(x);
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];

		if (r % 3 == 0 && i + strlen(w) < len) {
			memcpy(p + i, w, strlen(w));
			i += strlen(w);
		} else {
			p[i++] = r % 5 == 1 ? 0 : (uint8_t)(r >> 32);
		}
	}
	return len;
}

static int cmd_spray(struct client *c, int argc, char **argv)
{
	uint64_t x = strtoull(argc > 1 ? argv[1] : "1", NULL, 10) | 1;
	long n = argc > 0 ? atol(argv[0]) : 0, i;
	uint8_t p[700];

	for (i = 0; i < n; i++)
		send_to(c->sock, &c->srv, p, spray_packet(p, &x));
	printf("sprayed %ld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	static struct client c;

	if (argc < 4)
		return die("usage: tftp_poke raw PORT HEX | get PORT FILE OUT [opts] | spray PORT N SEED"
			   " | hold PORT FROM COUNT FILE [opts]");
	c.timeout = -1;
	c.sock = udp_socket("127.0.0.1");
	if (c.sock < 0)
		return die("cannot create a socket");
	c.srv.sin_family = AF_INET;
	c.srv.sin_port = htons((uint16_t)atoi(argv[2]));
	c.srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!strcmp(argv[1], "raw"))
		return cmd_raw(&c, argv[3]);
	if (!strcmp(argv[1], "get"))
		return cmd_get(&c, argc - 3, argv + 3);
	if (!strcmp(argv[1], "spray"))
		return cmd_spray(&c, argc - 3, argv + 3);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(&c, argc - 3, argv + 3);
	return die("unknown command");
}
