/*
 * strata-server's network services, started and stopped together: TFTP and proxyDHCP on
 * the main loop, HTTP on libmicrohttpd's threads.
 */
#ifndef STRATA_SERVICES_H
#define STRATA_SERVICES_H

struct loop;
struct server;
struct tftp_server;
struct dhcp_server;
struct http_service;

/** The running services; zero means "not running". */
struct services {
	struct tftp_server *tftp;
	struct dhcp_server *dhcp;
	struct http_service *http;
	struct server *unknown_owner; /**< set once its unknown PCs' table (s->unknown) and
				           library view (s->library) may be */
	struct server *s;             /**< set once its multicast sessions (s->mc) and
				           Wake-on-LAN sender (s->wol) run */
};

/** Bind and start every service the configuration enables.  0, or -1 (printed). */
int services_start(struct server *s, struct loop *loop, struct services *sv);
/** Stop what runs; safe on a partly started set. */
void services_stop(struct services *sv);

#endif /* STRATA_SERVICES_H */
