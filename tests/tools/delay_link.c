/*
 * delay_link: a wire with a fixed one-way delay between two network interfaces, for
 * tests/bench/tftp-delay.sh.
 *
 * Why: the benchmark host's kernel has neither netem nor fq (which would honour a BPF
 * program's earliest departure time), so a delay cannot be set with tc.  This relays
 * Ethernet frames between two interfaces with AF_PACKET, holding each frame DELAY_US
 * microseconds after it arrived: with two veth pairs (server | A ... B | client) the
 * relay's namespace becomes a link of that one-way delay, both directions.
 *
 *   delay_link IF_A IF_B DELAY_US
 *
 * Run it in the namespace that holds IF_A and IF_B (up, no addresses).  Frames are kept
 * in order per direction in a bounded queue; a frame that finds its queue full is dropped
 * and counted, as a router's full queue would.  PACKET_VNET_HDR carries the checksum and
 * segmentation state of each frame across (veth leaves checksums to the receiver), so
 * nothing is recomputed here.  On SIGTERM or SIGINT it prints one line per direction
 * ("delay_link A->B: frames=N bytes=N dropped=N held=N": frames sent, their bytes, frames
 * dropped, frames still held at the end) and exits 0.
 */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	SLOT_BYTES = sizeof(struct virtio_net_hdr) + 65536, /* a GSO frame with its header */
	SLOTS = 512,                                        /* frames held per direction */
};

enum {
	ERR_USAGE = -1,
	ERR_SOCKET = -2,
	ERR_MEMORY = -3,
	ERR_POLL = -4,
};

/* One held frame: when it may leave and its bytes (virtio header first). */
struct slot {
	uint64_t due_ns;
	size_t len;
	unsigned char *buf; /* SLOT_BYTES, owned by the queue */
};

/* One direction: frames read from `from` wait in a ring, then go out of `to`. */
struct dir {
	const char *name;
	int from, to;                 /* sockets, owned by main */
	struct slot ring[SLOTS];
	unsigned int head, count;     /* oldest frame, frames held */
	uint64_t frames, bytes, dropped;
};

/* Set by SIGTERM or SIGINT: the relay ends and prints its counts. */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The monotonic clock in ns: frame due times, immune to wall-clock steps. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * open_port: an AF_PACKET socket bound to interface IFNAME that sees every frame the
 * interface receives (not the ones we send) and carries virtio headers.  Returns the
 * socket or ERR_SOCKET (with a message).
 */
static int open_port(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, fd;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "delay_link: no interface %s\n", ifname);
		return ERR_SOCKET;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		goto err_msg;
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto err_close;
	return fd;

err_close:
	close(fd);
err_msg:
	fprintf(stderr, "delay_link: %s: %s\n", ifname, strerror(errno));
	return ERR_SOCKET;
}

/* dir_init: an empty direction from socket FROM to TO; its slot buffers are allocated
 * here and freed by dir_free.  Returns 0 or ERR_MEMORY. */
static int dir_init(struct dir *d, const char *name, int from, int to)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->from = from;
	d->to = to;
	for (i = 0; i < SLOTS; i++) {
		d->ring[i].buf = malloc(SLOT_BYTES);
		if (!d->ring[i].buf)
			return ERR_MEMORY;
	}
	return 0;
}

/* dir_free: free d's slot buffers (those dir_init allocated; NULL ones are skipped). */
static void dir_free(struct dir *d)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		free(d->ring[i].buf);
}

/*
 * dir_take: read every frame waiting on d->from into the ring, each due DELAY_NS from
 * now; frames that find the ring full are read into a scratch slot and dropped.
 */
static void dir_take(struct dir *d, uint64_t delay_ns)
{
	static unsigned char scratch[SLOT_BYTES];
	struct slot *s;
	ssize_t n;

	for (;;) {
		s = d->count < SLOTS ? &d->ring[(d->head + d->count) % SLOTS] : NULL;
		n = recv(d->from, s ? s->buf : scratch, SLOT_BYTES, MSG_DONTWAIT);
		if (n <= 0)
			return;
		if (!s) {
			d->dropped++;
			continue;
		}
		s->len = (size_t)n;
		s->due_ns = now_ns() + delay_ns;
		d->count++;
	}
}

/*
 * dir_give: send the frames whose time has come, oldest first.  Only the checksum flag
 * of the virtio header is meaningful on transmit, so DATA_VALID is cleared.  A frame the
 * kernel refuses is counted as dropped.
 */
static void dir_give(struct dir *d, uint64_t now)
{
	struct slot *s;
	struct virtio_net_hdr *h;

	while (d->count && d->ring[d->head].due_ns <= now) {
		s = &d->ring[d->head];
		h = (struct virtio_net_hdr *)s->buf;
		h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		if (send(d->to, s->buf, s->len, 0) == (ssize_t)s->len) {
			d->frames++;
			d->bytes += s->len - sizeof(*h);
		} else {
			d->dropped++;
		}
		d->head = (d->head + 1) % SLOTS;
		d->count--;
	}
}

/* next_wait: how long poll may sleep: until the earliest held frame is due, or 1 s. */
static struct timespec next_wait(const struct dir *d, unsigned int n, uint64_t now)
{
	uint64_t wait = 1000000000u;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!d[i].count)
			continue;
		uint64_t due = d[i].ring[d[i].head].due_ns;
		uint64_t w = due > now ? due - now : 0;
		if (w < wait)
			wait = w;
	}
	return (struct timespec){ .tv_sec = (time_t)(wait / 1000000000u),
				  .tv_nsec = (long)(wait % 1000000000u) };
}

/* relay: move frames both ways until a signal; signals are only taken inside ppoll. */
static int relay(struct dir *d, uint64_t delay_ns, const sigset_t *open_mask)
{
	struct pollfd pfd[2] = { { .fd = d[0].from, .events = POLLIN },
				 { .fd = d[1].from, .events = POLLIN } };
	struct timespec wait;
	unsigned int i;

	while (!stop) {
		wait = next_wait(d, 2, now_ns());
		if (ppoll(pfd, 2, &wait, open_mask) < 0 && errno != EINTR) {
			perror("delay_link: ppoll");
			return ERR_POLL;
		}
		for (i = 0; i < 2; i++)
			if (pfd[i].revents & POLLIN)
				dir_take(&d[i], delay_ns);
		for (i = 0; i < 2; i++)
			dir_give(&d[i], now_ns());
	}
	return 0;
}

/* parse_args: the delay from argv[3] (microseconds, at most 10 s) into *delay_ns; 0, or
 * ERR_USAGE after printing the usage. */
static int parse_args(int argc, char **argv, uint64_t *delay_ns)
{
	char *end;
	unsigned long us;

	if (argc != 4)
		goto err_usage;
	errno = 0;
	us = strtoul(argv[3], &end, 10);
	if (errno || *end || end == argv[3] || us > 10000000)
		goto err_usage;
	*delay_ns = (uint64_t)us * 1000u;
	return 0;

err_usage:
	fprintf(stderr, "usage: delay_link IF_A IF_B DELAY_US (0..10000000)\n");
	return ERR_USAGE;
}

int main(int argc, char **argv)
{
	static struct dir d[2];
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, open_mask;
	uint64_t delay_ns;
	int a, b, rc, i;

	rc = parse_args(argc, argv, &delay_ns);
	if (rc)
		return 2;
	/* The default 50 us timer slack would add to every frame's delay. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &open_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = ERR_SOCKET;
	a = open_port(argv[1]);
	if (a < 0)
		goto err_out;
	b = open_port(argv[2]);
	if (b < 0)
		goto err_close_a;
	rc = dir_init(&d[0], "A->B", a, b);
	if (!rc)
		rc = dir_init(&d[1], "B->A", b, a);
	if (rc) {
		fprintf(stderr, "delay_link: out of memory\n");
		goto err_free;
	}
	rc = relay(d, delay_ns, &open_mask);
	for (i = 0; i < 2; i++)
		printf("delay_link %s: frames=%llu bytes=%llu dropped=%llu held=%u\n", d[i].name,
		       (unsigned long long)d[i].frames, (unsigned long long)d[i].bytes,
		       (unsigned long long)d[i].dropped, d[i].count);
err_free:
	dir_free(&d[1]);
	dir_free(&d[0]);
	close(b);
err_close_a:
	close(a);
err_out:
	return rc ? 1 : 0;
}
