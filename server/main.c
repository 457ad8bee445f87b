/*
 * strata-server: network boot for a lab.  TFTP and proxyDHCP run on one event loop in the
 * main thread (daemon.c, shared with strata-tftpd and strata-dhcpd); HTTP runs on
 * libmicrohttpd's threads.  SIGHUP re-reads the inventory without dropping transfers;
 * SIGTERM and SIGINT stop the server.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "server_clock.h"
#include "daemon.h"
#include "gc.h"
#include "host.h"
#include "http.h"
#include "http_parse.h"
#include "keep.h"
#include "login.h"
#include "server.h"
#include "services.h"
#include "store_access.h"
#include "text.h"
#include "wol.h"

static void usage(FILE *f)
{
	fputs("usage: strata-server --root DIR [options]\n\n"
	      "Network-boot a lab into Strata: TFTP and HTTP for boot files, per-machine iPXE\n"
	      "scripts and signed manifests, the chunk store, agent reports, and proxyDHCP.\n\n"
	      "  --root DIR         holds boot/ (iPXE binaries, strata.efi), and by default\n"
	      "                     store/, state/ and inventory.conf\n"
	      "  --inventory FILE   machines and profiles (default ROOT/inventory.conf)\n"
	      "  --store DIR        chunk store built with strata-image (default ROOT/store)\n"
	      "  --state DIR        the database strata.db (machines' state, the audit log of\n"
	      "                     orders), the signing key (default ROOT/state)\n"
	      "  --api-tokens FILE  admin credentials, one 'NAME TOKEN' a line; without it\n"
	      "                     /api and /machines.json refuse every request\n"
	      "  --admins FILE      the dashboard's admins, one 'NAME:HASH' a line (crypt(3):\n"
	      "                     mkpasswd -m yescrypt, openssl passwd -6); docs/security.md\n"
	      "  --tls-cert FILE, --tls-key FILE   serve admins (/ui, /api, /machines.json)\n"
	      "                     over HTTPS only; agents stay on plain HTTP\n"
	      "  --https-port N     (default 443)\n"
	      "  --tls-url URL      the https base URL admins use, and its Origin (default\n"
	      "                     https://ADDR:PORT; required when ADDR is 0.0.0.0)\n"
	      "  --max-https N      concurrent HTTPS connections (default 64)\n"
	      "  --key FILE         manifest signing key, created if missing\n"
	      "                     (default STATE/server.key; strata.efi trusts FILE.pub)\n"
	      "  --addr IP          address to listen on (default 0.0.0.0)\n"
	      "  --url URL          base URL PCs are given, and the one Origin the API takes\n"
	      "                     (default http://ADDR:PORT; required when ADDR is 0.0.0.0)\n"
	      "  --http-port N      (default 80)\n"
	      "  --tftp-port N      (default 69; 0 turns TFTP off)\n"
	      "  --dhcp off|proxy   proxyDHCP on ports 67 and 4011 (default proxy)\n"
	      "  --dhcp-port N, --dhcp-alt-port N   (defaults 67, 4011)\n"
	      "  --user NAME        drop to this user after binding when run as root\n"
	      "                     (default nobody)\n"
	      "  --max-http N       concurrent HTTP connections (default 512)\n"
	      "  --max-http-per-addr N   of which from one address (default 16)\n"
	      "  --trusted-proxies A.B.C.D[/N],...   site caches: no per-address HTTP cap\n"
	      "  --max-http-request-time S   a connection that has not sent a whole request\n"
	      "                          S seconds after it opened or was last answered is\n"
	      "                          closed (default 10)\n"
	      "  --capture-reserve SIZE   a capture upload that would leave less free where\n"
	      "                     it writes is refused (507) (default 1G)\n"
	      "  --gc-grace DURATION   files younger than this survive a garbage collection\n"
	      "                     (POST /api/gc) (default 1h; 30m, 2h, off)\n"
	      "  --gc[=dry-run]     collect the stores once (or count what that frees) and\n"
	      "                     exit; docs/retention.md\n"
	      "  --clock-file PATH  tests only: seconds read from PATH at each use move the\n"
	      "                     clock of retention and interval captures\n"
	      "  --max-unknown N    unknown machines remembered under `default profile=`\n"
	      "                     (default 256; see docs/security.md for which are forgotten)\n"
	      "  --wol-broadcast A.B.C.D[,...]   where Wake-on-LAN's magic packets go (UDP\n"
	      "                     port 9; default: --addr's directed broadcast; required\n"
	      "                     when ADDR is 0.0.0.0); docs/wol.md\n"
	      "  --max-tftp N       concurrent TFTP transfers (default 128)\n"
	      "  --max-tftp-per-addr N   of which from one IPv4 address or IPv6 /64 (default 8)\n"
	      "  --max-tftp-timeout S    largest TFTP timeout option granted, 1..255 (default 5)\n"
	      "  --max-tftp-time S       a TFTP transfer still running after S seconds ends\n"
	      "                          (default 600)\n"
	      "\nSIGHUP re-reads the inventory, the token file and the admins file.  POST /api/deploy/NAME|MAC|all\n"
	      "marks machines for deployment, POST /api/enroll/NAME|MAC|all for strata-enroll.efi\n"
	      "on their next network boot (docs/secure-boot.md); GET /machines.json shows every\n"
	      "machine's state, GET /api/mcast.json the multicast sessions of the profiles\n"
	      "with multicast=yes (docs/multicast.md).\n"
	      "All need 'Authorization: Bearer TOKEN' with a token of --api-tokens, or an\n"
	      "admin's session (POST /api/login; its POSTs carry X-Strata-CSRF), from every\n"	      "address, and refuse a browser's request from another origin.  Each order is kept\n"
	      "in the audit log with the token's or the admin's NAME.  Back up the database while the server\n"
	      "runs with: sqlite3 STATE/strata.db \".backup BACKUP.db\"  (docs/security.md)\n", f);
}

enum { O_ROOT = 256, O_INV, O_STORE, O_STATE, O_TOKENS, O_KEY, O_ADDR, O_URL, O_HTTP, O_TFTP, O_DHCP,
       O_DHCP_PORT, O_DHCP_ALT, O_USER, O_MAX_HTTP, O_MAX_TFTP, O_TFTP_PER_ADDR,
       O_TFTP_TIMEOUT, O_TFTP_TIME, O_HTTP_PER_ADDR, O_TRUSTED, O_HTTP_TIME, O_MAX_UNKNOWN,
       O_CAPTURE_RESERVE, O_GC_GRACE, O_GC, O_CLOCK_FILE, O_ADMINS, O_TLS_CERT, O_TLS_KEY,
       O_HTTPS, O_TLS_URL, O_MAX_HTTPS, O_WOL_BROADCAST,
       O_HELP };

static const struct option long_opts[] = {
	{ "root", 1, NULL, O_ROOT }, { "inventory", 1, NULL, O_INV }, { "store", 1, NULL, O_STORE },
	{ "state", 1, NULL, O_STATE }, { "api-tokens", 1, NULL, O_TOKENS }, { "key", 1, NULL, O_KEY }, { "addr", 1, NULL, O_ADDR },
	{ "url", 1, NULL, O_URL }, { "http-port", 1, NULL, O_HTTP }, { "tftp-port", 1, NULL, O_TFTP },
	{ "dhcp", 1, NULL, O_DHCP }, { "dhcp-port", 1, NULL, O_DHCP_PORT },
	{ "dhcp-alt-port", 1, NULL, O_DHCP_ALT }, { "user", 1, NULL, O_USER },
	{ "max-http", 1, NULL, O_MAX_HTTP }, { "max-tftp", 1, NULL, O_MAX_TFTP },
	{ "max-tftp-per-addr", 1, NULL, O_TFTP_PER_ADDR },
	{ "max-tftp-timeout", 1, NULL, O_TFTP_TIMEOUT }, { "max-tftp-time", 1, NULL, O_TFTP_TIME },
	{ "max-http-per-addr", 1, NULL, O_HTTP_PER_ADDR }, { "trusted-proxies", 1, NULL, O_TRUSTED },
	{ "max-http-request-time", 1, NULL, O_HTTP_TIME }, { "max-unknown", 1, NULL, O_MAX_UNKNOWN },
	{ "capture-reserve", 1, NULL, O_CAPTURE_RESERVE }, { "gc-grace", 1, NULL, O_GC_GRACE },
	{ "gc", 2, NULL, O_GC }, { "clock-file", 1, NULL, O_CLOCK_FILE },
	{ "admins", 1, NULL, O_ADMINS }, { "tls-cert", 1, NULL, O_TLS_CERT },
	{ "tls-key", 1, NULL, O_TLS_KEY }, { "https-port", 1, NULL, O_HTTPS },
	{ "tls-url", 1, NULL, O_TLS_URL }, { "max-https", 1, NULL, O_MAX_HTTPS },
	{ "wol-broadcast", 1, NULL, O_WOL_BROADCAST },
	{ "help", 0, NULL, O_HELP }, { NULL, 0, NULL, 0 },
};

static int port_arg(const char *name, const char *v, int *out, int zero_ok)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*end || n < (zero_ok ? 0 : 1) || n > 65535)
		return errorf("%s: '%s' is not a port number", name, v);
	*out = (int)n;
	return 0;
}

static int range_arg(const char *name, const char *v, long max, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*end || n < 1 || n > max)
		return errorf("%s: '%s' is not a number from 1 to %ld", name, v, max);
	*out = (int)n;
	return 0;
}

static int count_arg(const char *name, const char *v, int *out)
{
	return range_arg(name, v, 100000, out);
}

/* --trusted-proxies is checked here, so a typo stops the server before it binds
 * anything; http.c parses it again when it starts. */
static int proxies_arg(const char *v, const char **out)
{
	struct http_cidr list[HTTP_CIDR_MAX];
	size_t n;

	if (http_cidr_list_parse(v, list, HTTP_CIDR_MAX, &n))
		return errorf("--trusted-proxies: '%s' is not a list of up to %d IPv4 networks "
			      "A.B.C.D[/N] without host bits", v, HTTP_CIDR_MAX);
	*out = v;
	return 0;
}

/** The longest base URL (--url, --tls-url, --http-url): the answers that carry one are
 *  built in fixed buffers. */
#define URL_ARG_MAX 255

/* A base URL: it goes into JSON answers and Location headers as it is, so no quote,
 * backslash, blank or control byte, and at most URL_ARG_MAX characters. */
static int url_arg(const char *name, const char *v, const char **out)
{
	if (strlen(v) > URL_ARG_MAX)
		return errorf("%s: a URL of at most %d characters, please (it goes into scripts, "
			      "answers and signed requests)", name, URL_ARG_MAX);
	for (const char *p = v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			return errorf("%s: '%s' must be a URL without blanks, quotes or backslashes",
				      name, v);
	*out = v;
	return 0;
}

/* --wol-broadcast is checked here, so a typo stops the server before it binds anything;
 * wol.c parses it again when it opens its socket. */
static int wol_arg(const char *v, const char **out)
{
	uint32_t list[WOL_TARGETS_MAX];
	size_t n;

	if (wol_targets_parse(v, list, WOL_TARGETS_MAX, &n))
		return errorf("--wol-broadcast: '%s' is not a list of up to %d IPv4 addresses "
			      "A.B.C.D (broadcast addresses, without /N)", v, WOL_TARGETS_MAX);
	*out = v;
	return 0;
}

/* One option into cfg.  0, 1 for --help, -1 on error. */
static int one_opt(struct server_config *c, int o, const char *v)
{
	switch (o) {
	case O_ROOT: c->root = v; return 0;
	case O_INV: c->inventory = v; return 0;
	case O_STORE: c->store_dir = v; return 0;
	case O_STATE: c->state_dir = v; return 0;
	case O_TOKENS: c->api_tokens = v; return 0;
	case O_KEY: c->key = v; return 0;
	case O_ADDR: c->addr = v; return 0;
	case O_URL: return url_arg("--url", v, &c->url);
	case O_USER: c->user = v; return 0;
	case O_TRUSTED: return proxies_arg(v, &c->trusted_proxies);
	case O_HTTP: return port_arg("--http-port", v, &c->http_port, 0);
	case O_TFTP: return port_arg("--tftp-port", v, &c->tftp_port, 1);
	case O_DHCP_PORT: return port_arg("--dhcp-port", v, &c->dhcp_port, 0);
	case O_DHCP_ALT: return port_arg("--dhcp-alt-port", v, &c->dhcp_alt_port, 0);
	case O_MAX_HTTP: return count_arg("--max-http", v, &c->max_http);
	case O_MAX_TFTP: return count_arg("--max-tftp", v, &c->max_tftp);
	case O_TFTP_PER_ADDR: return count_arg("--max-tftp-per-addr", v, &c->max_tftp_per_addr);
	case O_TFTP_TIMEOUT: return range_arg("--max-tftp-timeout", v, 255, &c->max_tftp_timeout);
	case O_TFTP_TIME: return range_arg("--max-tftp-time", v, 86400, &c->max_tftp_time);
	case O_HTTP_PER_ADDR: return count_arg("--max-http-per-addr", v, &c->max_http_per_addr);
	case O_HTTP_TIME:
		return range_arg("--max-http-request-time", v, 3600, &c->max_http_request_time);
	case O_MAX_UNKNOWN: return count_arg("--max-unknown", v, &c->max_unknown);
	case O_CAPTURE_RESERVE:
		return strata_size_parse(&c->capture_reserve, v, strlen(v))
			? errorf("--capture-reserve: '%s' is not a size (like 1G)", v) : 0;
	case O_GC_GRACE:
		return keep_duration_parse(v, &c->gc_grace)
			? errorf("--gc-grace: '%s' is not a duration (like 1h, 30m, or off)", v) : 0;
	case O_GC:
		if (v && strcmp(v, "dry-run"))
			return errorf("--gc takes no value but dry-run, not '%s'", v);
		c->gc_once = v ? 2 : 1;
		return 0;
	case O_CLOCK_FILE: c->clock_file = v; return 0;
	case O_ADMINS: c->admins = v; return 0;
	case O_TLS_CERT: c->tls_cert = v; return 0;
	case O_TLS_KEY: c->tls_key = v; return 0;
	case O_TLS_URL: return url_arg("--tls-url", v, &c->tls_url);
	case O_HTTPS: return port_arg("--https-port", v, &c->https_port, 0);
	case O_MAX_HTTPS: return count_arg("--max-https", v, &c->max_https);
	case O_WOL_BROADCAST: return wol_arg(v, &c->wol_broadcast);
	case O_DHCP:
		if (strcmp(v, "off") && strcmp(v, "proxy"))
			return errorf("--dhcp must be off or proxy");
		c->dhcp = !strcmp(v, "proxy");
		return 0;
	case O_HELP: return 1;
	default: return -1;
	}
}

/* Derived paths, kept for the process's life (static, so leak checkers see them held). */
static char *join(const char *a, const char *b)
{
	static char *kept[8];
	static unsigned int n;
	char *out;

	if (n == 8 || asprintf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return kept[n++] = out;
}

/* --tls-cert and --tls-key go together; --tls-url defaults to https://ADDR:PORT. */
static int tls_defaults(struct server_config *c)
{
	static char url[128];

	if (!c->tls_cert != !c->tls_key)
		return errorf("--tls-cert and --tls-key go together (a certificate and its key)");
	if (!c->tls_cert)
		return c->tls_url ? errorf("--tls-url needs --tls-cert and --tls-key") : 0;
	if (!c->tls_url && !strcmp(c->addr, "0.0.0.0"))
		return errorf("--tls-url is required when listening on 0.0.0.0 (admins need an "
			      "address the certificate names)");
	if (!c->tls_url) {
		snprintf(url, sizeof(url), "https://%s:%d", c->addr, c->https_port);
		c->tls_url = url;
	}
	return 0;
}

static int fill_defaults(struct server_config *c)
{
	static char url[128];

	if (!c->root)
		return errorf("--root DIR is required (see --help)");
	c->boot_dir = join(c->root, "boot");
	if (!c->store_dir)
		c->store_dir = join(c->root, "store");
	if (!c->state_dir)
		c->state_dir = join(c->root, "state");
	if (!c->inventory)
		c->inventory = join(c->root, "inventory.conf");
	if (!c->key)
		c->key = join(c->state_dir, "server.key");
	c->private_dir = join(c->state_dir, "private");
	c->old_machine_store_dir = join(c->state_dir, "store");
	if (!c->url && !strcmp(c->addr, "0.0.0.0"))
		return errorf("--url is required when listening on 0.0.0.0 (PCs need an address)");
	if (!c->wol_broadcast && !strcmp(c->addr, "0.0.0.0"))
		return errorf("--wol-broadcast A.B.C.D is required when listening on 0.0.0.0 "
			      "(Wake-on-LAN needs the lab's broadcast address; docs/wol.md)");
	if (!c->url) {
		snprintf(url, sizeof(url), "http://%s:%d", c->addr, c->http_port);
		c->url = url;
	}
	return tls_defaults(c);
}

static int parse_args(int argc, char **argv, struct server_config *c)
{
	int o, rc;

	*c = (struct server_config){ .addr = "0.0.0.0", .http_port = 80, .tftp_port = 69,
				     .dhcp = 1, .dhcp_port = 67, .dhcp_alt_port = 4011,
				     .max_http = 512, .max_tftp = 128, .user = "nobody",
				     .max_http_per_addr = 16, .max_http_request_time = 10,
				     .max_unknown = CATALOG_EXTRA_MAX,
				     .capture_reserve = 1ull << 30, .gc_grace = 3600,
				     .https_port = 443, .max_https = 64 };
	while ((o = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		rc = one_opt(c, o == 'h' ? O_HELP : o, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return errorf("unexpected argument '%s' (see --help)", argv[optind]);
	return fill_defaults(c);
}

/* Root only: hand the state folder and the public store's folders it could not write
 * (store_access.h) to the service user, then become that user.  Not root: warn about
 * the store's folders this user cannot write. */
static int drop_privileges(const struct server_config *c)
{
	struct passwd *pw;
	char cmd[4200];

	if (geteuid() != 0)
		return store_access_check(c->store_dir), 0;
	pw = getpwnam(c->user);
	if (!pw)
		return errorf("--user %s: no such user", c->user);
	snprintf(cmd, sizeof(cmd), "chown -R %u:%u '%s'", pw->pw_uid, pw->pw_gid, c->state_dir);
	if (strchr(c->state_dir, '\'') || system(cmd) != 0)
		return errorf("%s: cannot hand the state folder to %s", c->state_dir, c->user);
	(void)store_access_hand(c->store_dir, pw->pw_uid, pw->pw_gid, c->user);  /* logged */
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
		return errorf("cannot drop privileges to %s: %s", c->user, strerror(errno));
	fprintf(stderr, "strata-server: running as %s\n", c->user);
	return 0;
}

/* SIGHUP, on the loop's thread: re-read the inventory and the token file; a bad one keeps
 * the old. */
static void on_reload(void *ctx)
{
	struct server *s = ctx;

	fprintf(stderr, "strata-server: SIGHUP: reloading %s\n", s->cfg.inventory);
	if (server_reload(s))
		fprintf(stderr, "strata-server: reload failed; keeping the old inventory\n");
	if (server_load_tokens(s))
		fprintf(stderr, "strata-server: keeping the old API tokens\n");
	if (login_reload(s->login))
		fprintf(stderr, "strata-server: keeping the old admins\n");
}

/* --gc[=dry-run]: one collection (gc.h) with the server's state, no services.  The
 * audit log names the credential "cli". */
static int gc_once(struct server *s)
{
	struct gc_result r;
	char json[320];
	int rc = server_open(s);

	if (rc == 0)
		rc = drop_privileges(&s->cfg);
	if (rc == 0)
		rc = gc_run(s, s->cfg.gc_once == 2, &who_cli, &r);
	if (rc == 0) {
		gc_json(&r, json, sizeof(json));
		fputs(json, stdout);
	}
	return rc;
}

/* Everything after argument parsing: the daemon's loop (daemon.c) runs the services. */
static int run(struct server *s)
{
	struct services sv = { 0 };
	struct daemon d;
	int rc;

	server_clock_file(s->cfg.clock_file);
	if (s->cfg.gc_once)
		return gc_once(s);

	/* Signals first: every thread started later (the preparer, HTTP's) inherits them
	 * blocked, so they reach the signalfd and never kill a worker. */
	rc = daemon_open(&d, "strata-server", on_reload, s);
	if (rc)
		return rc;
	rc = server_open(s);
	if (rc == 0)
		rc = services_start(s, d.loop, &sv);
	if (rc == 0)
		rc = drop_privileges(&s->cfg);
	if (rc)
		goto err_services;
	fprintf(stderr, "strata-server: serving %s (HTTP %s:%d, TFTP %d, proxyDHCP %s)\n",
		s->cfg.url, s->cfg.addr, s->cfg.http_port, s->cfg.tftp_port,
		s->cfg.dhcp ? "on" : "off");
	if (s->cfg.tls_cert)
		fprintf(stderr, "strata-server: admins use %s (HTTPS port %d); the plain port "
			"serves the agents only\n", s->cfg.tls_url, s->cfg.https_port);
	else if (s->cfg.admins)
		fprintf(stderr, "strata-server: warning: --admins without --tls-cert: passwords "
			"and session cookies cross the network in clear\n");
	rc = daemon_run(&d);
	fprintf(stderr, "strata-server: stopping\n");
err_services:
	services_stop(&sv);
	daemon_close(&d);
	return rc;
}

int main(int argc, char **argv)
{
	struct server s = { 0 };
	int rc;

	host_prog = "strata-server";
	setvbuf(stderr, NULL, _IOLBF, 0);
	rc = parse_args(argc, argv, &s.cfg);
	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	rc = run(&s);
	server_close(&s);
	return rc ? 1 : 0;
}
