/* Wake-on-LAN's sender: the queue HTTP threads fill and the main loop empties (see wol.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "catalog.h"
#include "db.h"
#include "host.h"
#include "inventory_site.h"
#include "loop.h"
#include "server.h"
#include "state.h"
#include "text.h"
#include "wol.h"

/** The loop's tick while packets wait, and the packets one tick may send. */
#define WOL_TICK_MS 10
#define WOL_TICK_BUDGET (WOL_RATE_PER_S * WOL_TICK_MS / 1000)

/** One MAC waiting: sends left, and when the next is due (loop_now). */
struct wol_job {
	uint8_t mac[6];
	uint8_t left;
	uint32_t to;             /**< its site's wol= (host order), or 0: the targets */
	uint64_t due;
};

struct wol {
	struct server *s;
	struct loop *loop;
	int sock;                /**< UDP, SO_BROADCAST, bound to --addr */
	int wake_fd;             /**< eventfd: wol_wake tells the loop a job came */
	struct loop_timer tick;  /**< armed (loop thread only) while jobs wait */
	uint32_t targets[WOL_TARGETS_MAX]; /**< host byte order */
	size_t ntargets;
	pthread_mutex_t lock;    /**< guards jobs and njobs */
	struct wol_job *jobs;    /**< WOL_QUEUE_MAX slots, owned */
	size_t njobs;
	struct log_limit errors; /**< failed sends */
};

/* Send j's packet once to its site's address, else to every target; the count of
 * datagrams tried.  A failure is logged (rate-limited) and not retried beyond the job's
 * own repeats. */
static size_t send_one(struct wol *w, const struct wol_job *j)
{
	uint8_t pkt[WOL_PACKET_LEN];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(WOL_PORT) };
	char smac[18], ip[INET_ADDRSTRLEN];
	const uint8_t *mac = j->mac;
	size_t n = j->to ? 1 : w->ntargets;

	wol_packet(pkt, mac);
	for (size_t i = 0; i < n; i++) {
		to.sin_addr.s_addr = htonl(j->to ? j->to : w->targets[i]);
		if (sendto(w->sock, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&to,
			   sizeof(to)) == (ssize_t)sizeof(pkt) || !log_limit_allow(&w->errors))
			continue;
		strata_mac_format(smac, mac);
		inet_ntop(AF_INET, &to.sin_addr, ip, sizeof(ip));
		fprintf(stderr, "wol: %s: cannot send its magic packet to %s:%d: %s (is the "
			"address a broadcast address of this server's network?)\n", smac, ip,
			WOL_PORT, strerror(errno));
	}
	return n;
}

/* Send what is due within budget; drop finished jobs.  The earliest due time left, or
 * UINT64_MAX when none waits.  Under w->lock. */
static uint64_t send_due(struct wol *w, uint64_t now)
{
	size_t budget = WOL_TICK_BUDGET, kept = 0;
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < w->njobs; i++) {
		struct wol_job *j = &w->jobs[i];
		size_t need = j->to ? 1 : w->ntargets;

		/* A job needing more than a tick's whole budget (more --wol-broadcast
		 * addresses than that) goes alone, at the start of a tick. */
		if (j->due <= now && (budget >= need || budget == WOL_TICK_BUDGET)) {
			size_t sent = send_one(w, j);

			budget = sent > budget ? 0 : budget - sent;
			j->left--;
			j->due = now + WOL_REPEAT_MS;
		}
		if (!j->left)
			continue;
		next = j->due < next ? j->due : next;
		w->jobs[kept++] = *j;
	}
	w->njobs = kept;
	return budget < w->ntargets && next <= now ? now : next;
}

/* Arm the tick for the earliest due job (at least 1 ms, at most WOL_TICK_MS away when
 * the budget ran out).  Loop thread. */
static void rearm(struct wol *w, uint64_t next, uint64_t now)
{
	uint64_t delay;

	if (next == UINT64_MAX)
		return;
	delay = next > now ? next - now : WOL_TICK_MS;
	if (delay < 1)
		delay = 1;
	if (loop_timer_arm(w->loop, &w->tick, delay))
		fprintf(stderr, "wol: out of memory arming the send timer; waiting packets "
			"go at the next wake\n");
}

static void on_tick(struct loop *loop, struct loop_timer *t)
{
	struct wol *w = t->ctx;
	uint64_t now = loop_now(), next;

	(void)loop;
	pthread_mutex_lock(&w->lock);
	next = send_due(w, now);
	pthread_mutex_unlock(&w->lock);
	rearm(w, next, now);
}

/* The eventfd's reader: jobs came; send what is due now (the first sends at once). */
static void on_wake(struct loop *loop, int fd, void *ctx)
{
	struct wol *w = ctx;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another round took it; nothing to do */
	}
	loop_timer_disarm(loop, &w->tick);
	on_tick(loop, &w->tick);
}

/* The broadcast address of interface a: its own, else its address with every host bit
 * set (an address added without "brd" has none); 0 for none (loopback, point-to-point). */
static uint32_t if_broadcast(const struct ifaddrs *a, uint32_t addr)
{
	const struct sockaddr_in *b = (const void *)a->ifa_broadaddr;
	const struct sockaddr_in *m = (const void *)a->ifa_netmask;

	if (!(a->ifa_flags & IFF_BROADCAST))
		return 0;
	if (b && b->sin_family == AF_INET && b->sin_addr.s_addr)
		return ntohl(b->sin_addr.s_addr);
	if (m && m->sin_family == AF_INET && ~ntohl(m->sin_addr.s_addr))
		return addr | ~ntohl(m->sin_addr.s_addr);
	return 0;
}

/* --addr's directed broadcast from its interface (getifaddrs): 1 found, 0 none. */
static int addr_broadcast(uint32_t addr, uint32_t *out, char ifname[IF_NAMESIZE])
{
	struct ifaddrs *list, *a;
	int found = 0;

	if (getifaddrs(&list))
		return 0;
	for (a = list; a && !found; a = a->ifa_next) {
		const struct sockaddr_in *in = (const void *)a->ifa_addr;

		if (!in || in->sin_family != AF_INET || ntohl(in->sin_addr.s_addr) != addr ||
		    !(*out = if_broadcast(a, addr)))
			continue;
		snprintf(ifname, IF_NAMESIZE, "%s", a->ifa_name);
		found = 1;
	}
	freeifaddrs(list);
	return found;
}

/* The targets: --wol-broadcast's list, else --addr's directed broadcast.  Logged. */
static int find_targets(struct wol *w, uint32_t addr)
{
	const char *list = w->s->cfg.wol_broadcast;
	char ifname[IF_NAMESIZE], ip[INET_ADDRSTRLEN];
	struct in_addr b;

	if (list) {
		if (wol_targets_parse(list, w->targets, WOL_TARGETS_MAX, &w->ntargets))
			return errorf("--wol-broadcast: '%s' is not a list of up to %d IPv4 "
				      "addresses A.B.C.D", list, WOL_TARGETS_MAX);
		fprintf(stderr, "strata-server: Wake-on-LAN to %s port %d\n", list, WOL_PORT);
		return 0;
	}
	if (!addr_broadcast(addr, &w->targets[0], ifname)) {
		fprintf(stderr, "strata-server: Wake-on-LAN is off: --addr %s has no broadcast "
			"address (give --wol-broadcast A.B.C.D)\n", w->s->cfg.addr);
		return 0;
	}
	w->ntargets = 1;
	b.s_addr = htonl(w->targets[0]);
	inet_ntop(AF_INET, &b, ip, sizeof(ip));
	fprintf(stderr, "strata-server: Wake-on-LAN to %s port %d (%s's broadcast)\n", ip,
		WOL_PORT, ifname);
	return 0;
}

/* The socket: UDP, broadcast allowed, bound to --addr on any port.  0 or reported. */
static int open_socket(struct wol *w, uint32_t addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };
	int one = 1;

	w->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (w->sock < 0 || setsockopt(w->sock, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    bind(w->sock, (struct sockaddr *)&sa, sizeof(sa)))
		return errorf("Wake-on-LAN: cannot open a broadcast UDP socket on %s: %s",
			      w->s->cfg.addr, strerror(errno));
	return 0;
}

/* The eventfd and its reader, the tick and the job slots.  0 or reported. */
static int open_queue(struct wol *w)
{
	loop_timer_init(&w->tick, on_tick, w);
	w->jobs = calloc(WOL_QUEUE_MAX, sizeof(*w->jobs));
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->jobs || w->wake_fd < 0)
		return errorf("Wake-on-LAN: cannot make its queue: %s", strerror(errno));
	if (loop_add_reader(w->loop, w->wake_fd, on_wake, w)) {
		close(w->wake_fd);
		w->wake_fd = -1;
		return errorf("Wake-on-LAN: cannot watch its queue's eventfd");
	}
	return 0;
}

int wol_open(struct server *s, struct loop *loop, struct wol **out)
{
	struct wol *w = calloc(1, sizeof(*w));
	struct in_addr a;

	if (!w)
		return errorf("out of memory");
	w->s = s;
	w->loop = loop;
	w->sock = w->wake_fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	log_limit_init(&w->errors, "wol", "failed send", 5);
	if (inet_pton(AF_INET, s->cfg.addr, &a) != 1) {
		wol_close(w);
		return errorf("Wake-on-LAN: --addr %s is not an IPv4 address", s->cfg.addr);
	}
	if (open_socket(w, ntohl(a.s_addr)) || find_targets(w, ntohl(a.s_addr)) ||
	    open_queue(w)) {
		wol_close(w);
		return STRATA_EREPORTED;
	}
	*out = w;
	return 0;
}

void wol_close(struct wol *w)
{
	if (!w)
		return;
	loop_timer_disarm(w->loop, &w->tick);
	if (w->wake_fd >= 0) {
		loop_del_reader(w->loop, w->wake_fd);
		close(w->wake_fd);
	}
	if (w->sock >= 0)
		close(w->sock);
	log_limit_done(&w->errors);
	pthread_mutex_destroy(&w->lock);
	free(w->jobs);
	free(w);
}

/* Each MAC's site's wol= address into to (0: none; the server's targets then).  Takes the
 * catalog's read lock (readers first: a caller holding it is fine).  0, or
 * STRATA_ENOTSUP when a MAC has no site address and the server no targets. */
static int resolve(struct server *s, const uint8_t (*macs)[6], size_t n, uint32_t *to)
{
	const struct inv_site *site;
	int rc = 0;

	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		site = inv_site_get(s->cat->inv, catalog_site(s, macs[i]));
		to[i] = site ? site->wol : 0;
		if (!to[i] && !s->wol->ntargets)
			rc = STRATA_ENOTSUP;
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/* Whether n more MACs fit in w's queue: 0 or STRATA_ELIMIT. */
static int room_for(struct wol *w, size_t n)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	rc = n > WOL_QUEUE_MAX - w->njobs ? STRATA_ELIMIT : 0;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/* Queue the n MACs with their addresses to, and wake the loop.  0 or STRATA_ELIMIT. */
static int enqueue(struct wol *w, const uint8_t (*macs)[6], const uint32_t *to, size_t n)
{
	uint64_t one = 1, now = loop_now();
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (n > WOL_QUEUE_MAX - w->njobs)
		rc = STRATA_ELIMIT;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct wol_job *j = &w->jobs[w->njobs++];

		memcpy(j->mac, macs[i], 6);
		j->left = WOL_REPEAT;
		j->to = to[i];
		j->due = now;
	}
	pthread_mutex_unlock(&w->lock);
	if (rc == 0 && write(w->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so the loop has a wake-up pending anyway */
	}
	return rc;
}

/* Resolve the n MACs' broadcast addresses and queue their magic packets.  With by, the
 * order is also written to the audit log first (as sent to target), and only when the
 * queue has room, so the log never says "sent" for packets that were refused.  The
 * address table is this function's own. */
static int wake(struct server *s, const uint8_t (*macs)[6], size_t n, const struct who *by,
		const char *target)
{
	struct db *d = s->state->db;
	uint32_t *to;
	int rc;

	if (!s->wol)
		return STRATA_ENOTSUP;
	if (!(to = calloc(n + 1, sizeof(*to))))
		return STRATA_ENOMEM;
	rc = resolve(s, macs, n, to);
	if (rc == 0 && by)
		rc = room_for(s->wol, n);
	if (rc == 0 && by && (rc = db_begin(d)) == 0)
		rc = db_end(d, audit_order_closed(d, by, target, "wake", "sent", macs, n));
	if (rc == 0)
		rc = enqueue(s->wol, macs, to, n);
	free(to);
	return rc;
}

int wol_wake(struct server *s, const uint8_t (*macs)[6], size_t n)
{
	return wake(s, macs, n, NULL, NULL);
}

int wol_order(struct server *s, const struct who *by, const char *target,
	      const uint8_t (*macs)[6], size_t n)
{
	return wake(s, macs, n, by, target);
}

const char *wol_why(int rc)
{
	switch (rc) {
	case STRATA_ENOTSUP:
		return "Wake-on-LAN is off: this server's --addr has no broadcast address; "
		       "restart it with --wol-broadcast A.B.C.D (docs/wol.md)";
	case STRATA_ELIMIT:
		return "too many machines are waiting for their magic packets; retry in a "
		       "few seconds";
	default:
		return "cannot record the wake order (the server's log says why)";
	}
}
