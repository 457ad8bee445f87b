/*
 * proxyDHCP service (behaviour in dhcp.h).
 *
 * Structure: each socket's read handler drains a burst of datagrams; each datagram goes
 * through parse (dhcp_parse.c), decide and build (dhcp_reply.c), send, log.  The service
 * itself only does I/O and logging, so everything a client can influence is covered by
 * the unit test and the fuzzer of the pure modules.  Client text reaches the log through
 * strata_escape, and lines of requests that get no reply, which anyone can send, through
 * a rate limiter (log_limit.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp.h"
#include "dhcp_parse.h"
#include "dhcp_reply.h"
#include "dhcp_wire.h"
#include "log_limit.h"
#include "text.h"

/** Datagrams read per wakeup of one socket, so a flood on one cannot starve the loop. */
#define RX_BURST 64
/** A client string escaped for the log: each byte may become \xNN. */
#define ESC_MAX (DHCP_OPT_MAX * 4 + 1)
/** "53,55,57,..." for every option code a request can carry. */
#define OPTS_STR (256 * 4 + 1)
/** "aa:bb:..." for the 16 bytes of chaddr. */
#define MAC_STR (DHCP_CHADDR_LEN * 3 + 1)

struct dhcp_server {
	struct loop *loop;                 /**< borrowed */
	struct dhcp_policy policy;         /**< strings owned (copies) */
	int (*agent_wanted)(void *ctx, const uint8_t mac[6]);  /**< rule 5's question, or NULL */
	int (*enroll_wanted)(void *ctx, const uint8_t mac[6]); /**< rule 6's question, or NULL */
	void (*boot_client)(void *ctx, const uint8_t mac[6], uint32_t addr, bool http,
			    bool ipxe);                   /**< dhcp.h's hook, or NULL */
	void *agent_ctx;
	uint16_t client_port;              /**< broadcast replies go here */
	bool verbose;                      /**< log requests that get no reply */
	int bootps_sock;                   /**< port 67 socket, owned; -1 when closed */
	int pxe_sock;                      /**< port 4011 socket, owned; -1 when unused */
	uint16_t bootps_port;              /**< bound port of bootps_sock */
	uint16_t pxe_port;                 /**< bound port of pxe_sock, 0 when unused */
	unsigned long replies;             /**< replies sent */
	struct log_limit unanswered;       /**< lines of requests that get no reply */
	uint8_t rxbuf[DHCP_PKT_MAX + 1];   /**< one byte more: a longer datagram is cut */
	uint8_t txbuf[DHCP_REPLY_MAX];     /**< the reply being sent */
};

/** Where a datagram came from and on which interface. */
struct rx_info {
	struct sockaddr_in peer;  /**< source address and port */
	int ifindex;              /**< receiving interface, 0 when unknown */
	enum dhcp_via via;        /**< the socket (port) it came to */
};

__attribute__((format(printf, 1, 2)))
static void dhcp_log(const char *fmt, ...)
{
	char line[2048 + 2 * ESC_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dhcp: %s\n", line);
}

/* --- log formatting ------------------------------------------------------------------ */

/* Client-supplied text goes to the log escaped, so it cannot forge or break lines. */
static void escape(const struct dhcp_bytes *b, char *out, size_t n)
{
	strata_escape(out, n, b->data ? (const char *)b->data : "", b->data ? b->len : 0);
}

static void mac_str(const struct dhcp_request *req, char *out, size_t n)
{
	size_t i, o = 0;

	out[0] = 0;
	if (req->hlen == 0)
		snprintf(out, n, "-");
	for (i = 0; i < req->hlen && o + 4 <= n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%02x", i ? ":" : "", req->chaddr[i]);
}

static void opts_str(const struct dhcp_request *req, char *out, size_t n)
{
	size_t o = 0;
	unsigned int code;

	out[0] = 0;
	for (code = 1; code < 255 && o + 5 <= n; code++)
		if (dhcp_has_option(req, (uint8_t)code))
			o += (size_t)snprintf(out + o, n - o, "%s%u", o ? "," : "", code);
}

static const char *msg_name(uint8_t type)
{
	static const char *const names[] = {
		[DHCP_DISCOVER] = "DISCOVER", [DHCP_OFFER] = "OFFER",
		[DHCP_REQUEST] = "REQUEST", [DHCP_DECLINE] = "DECLINE",
		[DHCP_ACK] = "ACK", [DHCP_NAK] = "NAK",
		[DHCP_RELEASE] = "RELEASE", [DHCP_INFORM] = "INFORM",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "type?";
}

/* What the client was told, or why it was not answered: the end of its log line. */
static void outcome_str(const struct dhcp_decision *dec, char *out, size_t n)
{
	if (dec->boot == DHCP_BOOT_NONE)
		snprintf(out, n, "no reply: %s", dec->why);
	else
		snprintf(out, n, "%s %s \"%s\"", msg_name(dec->reply_type),
			 dhcp_boot_name(dec->boot), dec->file);
}

/* One line: who asked what, and what it was told (or why not). */
static void log_decision(const struct dhcp_server *srv, const struct rx_info *rx,
			 const struct dhcp_request *req, const struct dhcp_decision *dec)
{
	char mac[MAC_STR], cls[ESC_MAX], user[ESC_MAX], opts[OPTS_STR], arch[8], peer[24];
	char outcome[DHCP_OPT_MAX + 64];

	mac_str(req, mac, sizeof(mac));
	escape(&req->vendor_class, cls, sizeof(cls));
	escape(&req->user_class, user, sizeof(user));
	opts_str(req, opts, sizeof(opts));
	if (dec->has_arch)
		snprintf(arch, sizeof(arch), "%u", dec->arch);
	else
		snprintf(arch, sizeof(arch), "-");
	inet_ntop(AF_INET, &rx->peer.sin_addr, peer, sizeof(peer));
	outcome_str(dec, outcome, sizeof(outcome));
	dhcp_log("%s %s from %s:%u to port %u arch %s class \"%s\" user \"%s\" opts %s -> %s",
		 mac, msg_name(req->msg_type), peer, ntohs(rx->peer.sin_port),
		 rx->via == DHCP_VIA_PXE ? srv->pxe_port : srv->bootps_port, arch, cls, user,
		 opts, outcome);
}

/* --- sending ------------------------------------------------------------------------- */

/* The result of a send of len bytes as 0 or -errno; UDP never sends part of a datagram. */
static int sent(ssize_t n, size_t len)
{
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
}

/*
 * Broadcast a reply to 255.255.255.255 out of the interface the request came in on.
 * Why IP_PKTINFO: the socket is bound to 0.0.0.0, and without an interface the kernel
 * would route the limited broadcast by the default route, maybe out of the wrong link.
 */
static int send_broadcast(struct dhcp_server *srv, const struct rx_info *rx, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(srv->client_port),
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct iovec iov = { .iov_base = srv->txbuf, .iov_len = len };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			      .msg_iovlen = 1 };
	struct in_pktinfo *pi;
	struct cmsghdr *cm;

	if (rx->ifindex > 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(*pi));
		pi = (struct in_pktinfo *)CMSG_DATA(cm);
		pi->ipi_ifindex = rx->ifindex;
		memcpy(&pi->ipi_spec_dst, srv->policy.server, 4);
	}
	return sent(sendmsg(srv->bootps_sock, &msg, 0), len);
}

/* Unicast a reply on sock: to a relay agent, or to a client that has an address. */
static int send_unicast(struct dhcp_server *srv, int sock, const struct sockaddr_in *to,
			size_t len)
{
	return sent(sendto(sock, srv->txbuf, len, 0, (const struct sockaddr *)to, sizeof(*to)),
		    len);
}

/* Port 4011 answers its source; port 67 answers the relay, or broadcasts. */
static int send_reply(struct dhcp_server *srv, const struct rx_info *rx,
		      const struct dhcp_request *req, size_t len)
{
	static const uint8_t zero[4];
	struct sockaddr_in relay = { .sin_family = AF_INET, .sin_port = htons(srv->bootps_port) };

	if (rx->via == DHCP_VIA_PXE)
		return send_unicast(srv, srv->pxe_sock, &rx->peer, len);
	if (memcmp(req->giaddr, zero, 4) != 0) {
		memcpy(&relay.sin_addr, req->giaddr, 4);
		return send_unicast(srv, srv->bootps_sock, &relay, len);
	}
	return send_broadcast(srv, rx, len);
}

/* --- receiving ----------------------------------------------------------------------- */

/* dhcp.h's boot_client hook for one request: its address is ciaddr, else the source's. */
static void tell_boot_client(struct dhcp_server *srv, const struct rx_info *rx,
			     const struct dhcp_request *req, const struct dhcp_decision *dec)
{
	uint32_t addr;

	memcpy(&addr, req->ciaddr, 4);
	if (!addr)
		addr = rx->peer.sin_addr.s_addr;
	srv->boot_client(srv->agent_ctx, req->chaddr, ntohl(addr), dec->http_class, dec->ipxe);
}

/* Parse, decide, build, send and log one datagram of len bytes in srv->rxbuf. */
static void handle_request(struct dhcp_server *srv, const struct rx_info *rx, size_t len)
{
	struct dhcp_request req;
	struct dhcp_decision dec;
	const char *why = NULL;
	size_t out_len = 0;
	char peer[24];
	int rc;

	inet_ntop(AF_INET, &rx->peer.sin_addr, peer, sizeof(peer));
	rc = dhcp_parse(srv->rxbuf, len, &req, &why);
	if (rc < 0) {
		if (srv->verbose && log_limit_allow(&srv->unanswered))
			dhcp_log("ignored %zu bytes from %s:%u: %s", len, peer,
				 ntohs(rx->peer.sin_port), why);
		return;
	}
	dhcp_decide(&req, &srv->policy, rx->via, &dec);
	if ((dec.boot != DHCP_BOOT_NONE || dec.refused) && srv->boot_client && req.hlen == 6)
		tell_boot_client(srv, rx, &req, &dec);
	if (dec.boot == DHCP_BOOT_EFI_TFTP && srv->agent_wanted && req.hlen == 6 &&
	    srv->agent_wanted(srv->agent_ctx, req.chaddr))
		dhcp_decide_agent(&srv->policy, &dec);
	if (dec.boot == DHCP_BOOT_HTTP && srv->enroll_wanted && req.hlen == 6 &&
	    srv->enroll_wanted(srv->agent_ctx, req.chaddr))
		dhcp_decide_enroll(&srv->policy, &dec);
	if (dec.boot == DHCP_BOOT_NONE) {
		if ((srv->verbose || dec.refused) && log_limit_allow(&srv->unanswered))
			log_decision(srv, rx, &req, &dec);
		return;
	}
	rc = dhcp_reply_build(&req, &srv->policy, &dec, srv->txbuf, sizeof(srv->txbuf),
			      &out_len, &why);
	if (rc < 0) {
		dhcp_log("cannot build the reply to %s:%u: %s", peer, ntohs(rx->peer.sin_port),
			 why);
		return;
	}
	rc = send_reply(srv, rx, &req, out_len);
	if (rc < 0) {
		dhcp_log("cannot send the reply to %s:%u: %s", peer, ntohs(rx->peer.sin_port),
			 strerror(-rc));
		return;
	}
	srv->replies++;
	log_decision(srv, rx, &req, &dec);
}

/* The receiving interface, from the IP_PKTINFO control message; 0 when absent. */
static int rx_ifindex(struct msghdr *msg)
{
	struct cmsghdr *cm;
	struct in_pktinfo pi;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_PKTINFO)
			continue;
		memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
		return pi.ipi_ifindex;
	}
	return 0;
}

/* Read and handle one datagram.  Returns 0, or -EAGAIN when the socket is drained. */
static int recv_one(struct dhcp_server *srv, int fd, enum dhcp_via via)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct rx_info rx = { .via = via };
	struct iovec iov = { .iov_base = srv->rxbuf, .iov_len = sizeof(srv->rxbuf) };
	struct msghdr msg = { .msg_name = &rx.peer, .msg_namelen = sizeof(rx.peer),
			      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(fd, &msg, 0);

	if (n < 0)
		return errno == EINTR ? 0 : -EAGAIN;
	if (msg.msg_namelen < sizeof(rx.peer) || rx.peer.sin_family != AF_INET)
		return 0;
	if (msg.msg_flags & MSG_TRUNC) {
		if (srv->verbose)
			dhcp_log("ignored a datagram longer than %d bytes", DHCP_PKT_MAX);
		return 0;
	}
	rx.ifindex = rx_ifindex(&msg);
	handle_request(srv, &rx, (size_t)n);
	return 0;
}

static void on_readable(struct dhcp_server *srv, int fd, enum dhcp_via via)
{
	int i;

	for (i = 0; i < RX_BURST; i++)
		if (recv_one(srv, fd, via) < 0)
			break;
}

static void on_bootps(struct loop *loop, int fd, void *ctx)
{
	on_readable(ctx, fd, DHCP_VIA_BOOTPS);
}

static void on_pxe(struct loop *loop, int fd, void *ctx)
{
	on_readable(ctx, fd, DHCP_VIA_PXE);
}

/* --- setting up ---------------------------------------------------------------------- */

void dhcp_config_init(struct dhcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy.bios_file = "undionly.kpxe";
	cfg->policy.efi_file = "snponly.efi";
	cfg->port = DHCP_SERVER_PORT;
	cfg->alt_port = DHCP_PXE_PORT;
	cfg->client_port = DHCP_CLIENT_PORT;
}

static int set_int_opt(int fd, int level, int name, const char *what)
{
	int one = 1;

	int rc;

	if (setsockopt(fd, level, name, &one, sizeof(one)) == 0)
		return 0;
	rc = -errno;
	dhcp_log("cannot set %s: %s", what, strerror(-rc));
	return rc;
}

/* SO_BINDTODEVICE: only datagrams that arrive on iface reach the socket. */
static int bind_to_device(int fd, const char *iface)
{
	int rc;

	if (strlen(iface) >= IFNAMSIZ) {
		dhcp_log("interface name \"%s\" is too long", iface);
		return -EINVAL;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)) == 0)
		return 0;
	rc = -errno;
	dhcp_log("cannot bind to interface %s: %s", iface, strerror(-rc));
	return rc;
}

/* Socket options of the port-67 socket, which must see and send broadcasts. */
static int bootps_options(int fd, const char *iface)
{
	int rc = set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");

	if (rc == 0)
		rc = set_int_opt(fd, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST");
	if (rc == 0)
		rc = set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO");
	if (rc == 0 && iface)
		rc = bind_to_device(fd, iface);
	return rc;
}

/* Bind fd to addr:port and report the port actually bound (port 0 = kernel's choice). */
static int bind_port(int fd, const uint8_t addr[4], uint16_t port, uint16_t *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t len = sizeof(sa);
	char ip[INET_ADDRSTRLEN];
	int rc;

	memcpy(&sa.sin_addr, addr, 4);
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		dhcp_log("cannot bind %s port %u: %s", ip, port, strerror(-rc));
		return rc;
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		rc = -errno;
		dhcp_log("cannot read the bound port of %s: %s", ip, strerror(-rc));
		return rc;
	}
	*bound = ntohs(sa.sin_port);
	return 0;
}

/* A non-blocking UDP socket, or -errno. */
static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		return fd;
	fd = -errno;
	dhcp_log("cannot create a UDP socket: %s", strerror(-fd));
	return fd;
}

/* Port 67 on 0.0.0.0: where broadcasts from clients without an address arrive. */
static int open_bootps(struct dhcp_server *srv, const struct dhcp_config *cfg)
{
	static const uint8_t any[4];
	int fd = udp_socket(), rc;

	if (fd < 0)
		return fd;
	rc = bootps_options(fd, cfg->iface);
	if (rc == 0)
		rc = bind_port(fd, any, cfg->port, &srv->bootps_port);
	if (rc == 0)
		rc = loop_add_reader(srv->loop, fd, on_bootps, srv);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	srv->bootps_sock = fd;
	return 0;
}

/* Port 4011 on our address: unicast requests, answered from the address they hit. */
static int open_pxe(struct dhcp_server *srv, const struct dhcp_config *cfg)
{
	int fd, rc;

	if (cfg->alt_port == 0)
		return 0;
	fd = udp_socket();
	if (fd < 0)
		return fd;
	rc = set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR");
	if (rc == 0 && cfg->iface)
		rc = bind_to_device(fd, cfg->iface);
	if (rc == 0)
		rc = bind_port(fd, srv->policy.server, cfg->alt_port, &srv->pxe_port);
	if (rc == 0)
		rc = loop_add_reader(srv->loop, fd, on_pxe, srv);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	srv->pxe_sock = fd;
	return 0;
}

/* Copy one optional policy string; *dst stays NULL when src is. */
static int copy_str(const char **dst, const char *src)
{
	char *s;

	*dst = NULL;
	if (!src)
		return 0;
	s = strdup(src);
	if (!s) {
		dhcp_log("out of memory copying the boot policy");
		return -ENOMEM;
	}
	*dst = s;
	return 0;
}

static void free_policy(struct dhcp_policy *pol)
{
	free((char *)pol->bios_file);
	free((char *)pol->efi_file);
	free((char *)pol->script_url);
	free((char *)pol->http_url);
	free((char *)pol->agent_file);
	free((char *)pol->agent_args);
	free((char *)pol->enroll_url);
}

/* Own copies of the policy's strings, so the caller's may go away after start. */
static int copy_policy(struct dhcp_policy *dst, const struct dhcp_policy *src)
{
	int rc;

	memcpy(dst->server, src->server, 4);
	rc = copy_str(&dst->bios_file, src->bios_file);
	if (rc == 0)
		rc = copy_str(&dst->efi_file, src->efi_file);
	if (rc == 0)
		rc = copy_str(&dst->script_url, src->script_url);
	if (rc == 0)
		rc = copy_str(&dst->http_url, src->http_url);
	if (rc == 0)
		rc = copy_str(&dst->agent_file, src->agent_file);
	if (rc == 0)
		rc = copy_str(&dst->agent_args, src->agent_args);
	if (rc == 0)
		rc = copy_str(&dst->enroll_url, src->enroll_url);
	return rc;
}

int dhcp_server_start(struct loop *loop, const struct dhcp_config *cfg,
		      struct dhcp_server **out)
{
	struct dhcp_server *srv;
	const char *why = NULL;
	int rc;

	rc = dhcp_policy_check(&cfg->policy, &why);
	if (rc < 0) {
		dhcp_log("bad boot policy: %s", why);
		return rc;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		dhcp_log("out of memory for the server");
		return -ENOMEM;
	}
	srv->loop = loop;
	srv->client_port = cfg->client_port;
	srv->verbose = cfg->verbose;
	srv->agent_wanted = cfg->agent_wanted;
	srv->enroll_wanted = cfg->enroll_wanted;
	srv->boot_client = cfg->boot_client;
	srv->agent_ctx = cfg->agent_ctx;
	srv->bootps_sock = srv->pxe_sock = -1;
	log_limit_init(&srv->unanswered, "dhcp", "unanswered request", LOG_LIMIT_BURST);
	rc = copy_policy(&srv->policy, &cfg->policy);
	if (rc < 0)
		goto err_policy;
	rc = open_bootps(srv, cfg);
	if (rc < 0)
		goto err_policy;
	rc = open_pxe(srv, cfg);
	if (rc < 0)
		goto err_pxe;
	*out = srv;
	return 0;

err_pxe:
	loop_del_reader(loop, srv->bootps_sock);
	close(srv->bootps_sock);
err_policy:
	free_policy(&srv->policy);
	log_limit_done(&srv->unanswered);
	free(srv);
	return rc;
}

uint16_t dhcp_server_port(const struct dhcp_server *srv)
{
	return srv->bootps_port;
}

uint16_t dhcp_server_alt_port(const struct dhcp_server *srv)
{
	return srv->pxe_port;
}

unsigned long dhcp_server_replies(const struct dhcp_server *srv)
{
	return srv->replies;
}

void dhcp_server_stop(struct dhcp_server *srv)
{
	if (!srv)
		return;
	if (srv->pxe_sock >= 0) {
		loop_del_reader(srv->loop, srv->pxe_sock);
		close(srv->pxe_sock);
	}
	loop_del_reader(srv->loop, srv->bootps_sock);
	close(srv->bootps_sock);
	free_policy(&srv->policy);
	log_limit_done(&srv->unanswered);
	free(srv);
}
