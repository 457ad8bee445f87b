/*
 * strata-tftpd: the TFTP part of strata-server run alone, for tests and for trying
 * clients against it.  A short list of steps: parse arguments, create the loop, start the
 * server, turn SIGTERM/SIGINT into a loop stop, run, tear down in reverse order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "loop.h"
#include "tftp.h"

static const char usage[] =
	"Usage: strata-tftpd --root DIR [options]\n"
	"Serve the files under DIR read-only over TFTP until SIGTERM or SIGINT.\n"
	"\n"
	"  --root DIR            directory to serve (required)\n"
	"  --addr IP             IPv4 or IPv6 address to listen on (default 127.0.0.1)\n"
	"  --port N              UDP port (default 69; 0 = any free port, reported on stderr)\n"
	"  --max-blksize N       largest blksize granted, 8..65464 (default 1468)\n"
	"  --max-windowsize N    largest windowsize granted, 1..65535 (default 64)\n"
	"  --max-transfers N     transfers at once; more requests are dropped (default 64)\n"
	"  --max-per-addr N      transfers at once from one IPv4 address or IPv6 /64; more\n"
	"                        are dropped (default 8)\n"
	"  --timeout-ms N        first retransmission timeout in ms (default 1000)\n"
	"  --max-timeout S       largest timeout option granted, 1..255 s; a client asking\n"
	"                        more gets timeout-ms (default 5)\n"
	"  --max-tries N         transmissions of a window before giving up (default 6)\n"
	"  --max-time S          a transfer still running after S seconds ends (default 600)\n"
	"  --help                this text\n"
	"\n"
	"One line per finished or refused transfer goes to stderr.  Refusals (5 lines per\n"
	"10 s of each kind) and transfers the client ended (20 per 10 s) are rate-limited,\n"
	"then counted.\n";

/* Long-only options; the values are returned by getopt_long. */
enum { OPT_ROOT = 256, OPT_ADDR, OPT_PORT, OPT_BLKSIZE, OPT_WINDOW, OPT_XFERS, OPT_TIMEOUT,
       OPT_TRIES, OPT_PER_ADDR, OPT_MAX_TIMEOUT, OPT_MAX_TIME, OPT_HELP };

static const struct option long_opts[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "max-blksize", required_argument, NULL, OPT_BLKSIZE },
	{ "max-windowsize", required_argument, NULL, OPT_WINDOW },
	{ "max-transfers", required_argument, NULL, OPT_XFERS },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "max-tries", required_argument, NULL, OPT_TRIES },
	{ "max-per-addr", required_argument, NULL, OPT_PER_ADDR },
	{ "max-timeout", required_argument, NULL, OPT_MAX_TIMEOUT },
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A decimal number within [min, max]; the whole string must be digits. */
static int parse_u32(const char *name, const char *s, unsigned long min, unsigned long max,
		     uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "strata-tftpd: --%s wants a number in %lu..%lu, not \"%s\"\n",
			name, min, max, s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The numeric limits: option, name, range, and the field of tftp_config it sets. */
static const struct {
	int opt;
	const char *name;
	unsigned long min, max;
	size_t field;
} limits[] = {
	{ OPT_BLKSIZE, "max-blksize", 8, 65464, offsetof(struct tftp_config, max_blksize) },
	{ OPT_WINDOW, "max-windowsize", 1, 65535, offsetof(struct tftp_config, max_windowsize) },
	{ OPT_XFERS, "max-transfers", 1, 100000, offsetof(struct tftp_config, max_transfers) },
	{ OPT_PER_ADDR, "max-per-addr", 1, 100000, offsetof(struct tftp_config, max_per_addr) },
	{ OPT_TIMEOUT, "timeout-ms", 1, 255000, offsetof(struct tftp_config, timeout_ms) },
	{ OPT_MAX_TIMEOUT, "max-timeout", 1, 255, offsetof(struct tftp_config, max_timeout_s) },
	{ OPT_TRIES, "max-tries", 1, 100, offsetof(struct tftp_config, max_tries) },
	{ OPT_MAX_TIME, "max-time", 1, 86400, offsetof(struct tftp_config, max_time_s) },
};

/* Set the limit of option opt from its argument; -EINVAL for an unknown option. */
static int set_limit(struct tftp_config *cfg, int opt, const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (limits[i].opt == opt)
			return parse_u32(limits[i].name, arg, limits[i].min, limits[i].max,
					 (uint32_t *)((char *)cfg + limits[i].field));
	return -EINVAL;
}

static int set_addr(struct tftp_config *cfg, const char *ip, uint32_t port)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&cfg->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cfg->addr;

	memset(&cfg->addr, 0, sizeof(cfg->addr));
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		cfg->addr_len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		cfg->addr_len = sizeof(*a6);
		return 0;
	}
	fprintf(stderr, "strata-tftpd: --addr wants a numeric IPv4 or IPv6 address, not \"%s\"\n",
		ip);
	return -EINVAL;
}

/* Fill cfg from argv.  Returns 0, 1 after --help, or -EINVAL after printing why. */
static int parse_args(int argc, char **argv, struct tftp_config *cfg)
{
	const char *ip = "127.0.0.1";
	uint32_t port = 69;
	int c, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT: cfg->root = optarg; break;
		case OPT_ADDR: ip = optarg; break;
		case OPT_PORT: rc = parse_u32("port", optarg, 0, 65535, &port); break;
		case OPT_HELP: fputs(usage, stdout); return 1;
		default: rc = set_limit(cfg, c, optarg); break;
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "strata-tftpd: unexpected argument \"%s\"\n", argv[optind]);
		rc = -EINVAL;
	}
	if (rc == 0 && !cfg->root) {
		fprintf(stderr, "strata-tftpd: --root DIR is required\n");
		rc = -EINVAL;
	}
	return rc == 0 ? set_addr(cfg, ip, port) : rc;
}

static void report_listen(const struct tftp_config *cfg, const struct tftp_server *srv)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (cfg->addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&cfg->addr)->sin6_addr, ip,
			  sizeof(ip));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&cfg->addr)->sin_addr, ip,
			  sizeof(ip));
	fprintf(stderr, "strata-tftpd: serving %s on %s port %u\n", cfg->root, ip,
		tftp_server_port(srv));
}

int main(int argc, char **argv)
{
	struct tftp_config cfg;
	struct tftp_server *srv = NULL;
	struct daemon d;
	int rc;

	tftp_config_init(&cfg);
	rc = parse_args(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	rc = daemon_open(&d, "strata-tftpd", NULL, NULL);
	if (rc < 0)
		goto err_daemon;
	rc = tftp_server_start(d.loop, &cfg, &srv);
	if (rc < 0)
		goto err_server;
	report_listen(&cfg, srv);
	rc = daemon_run(&d);
	if (rc == 0)
		fprintf(stderr, "strata-tftpd: stopping\n");
	tftp_server_stop(srv);
err_server:
	daemon_close(&d);
err_daemon:
	return rc < 0 ? 1 : 0;
}
