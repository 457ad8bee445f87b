/*
 * strata-dhcpd: the proxyDHCP part of strata-server run alone, for tests and for trying
 * boot clients against it.  A short list of steps: parse arguments, create the loop,
 * start the service, turn SIGTERM/SIGINT into a loop stop, run, tear down in reverse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dhcp.h"
#include "loop.h"

static const char usage[] =
	"Usage: strata-dhcpd --addr IP --boot-script-url URL [--http-url URL] [options]\n"
	"Answer network-boot clients as a proxyDHCP server (no addresses are assigned) until\n"
	"SIGTERM or SIGINT.\n"
	"\n"
	"  --addr IP               our IPv4 address: server id, TFTP server, port-4011 bind\n"
	"  --tftp-server IP        the TFTP server PXE clients load from instead of --addr\n"
	"                          (a proxyDHCP alone at a site: the central server's)\n"
	"  --boot-script-url URL   iPXE script URL for clients already running iPXE\n"
	"  --http-url URL          boot file URL for x64 UEFI HTTP Boot clients (arch 16)\n"
	"  --efi-file NAME         TFTP file for x64 UEFI PXE (default snponly.efi)\n"
	"  --bios-file NAME        TFTP file for BIOS PXE (default undionly.kpxe)\n"
	"  --port N                DHCP server port (default 67)\n"
	"  --alt-port N            PXE port (default 4011; 0 = do not listen)\n"
	"  --client-port N         where broadcast replies go (default 68)\n"
	"  --iface NAME            serve only this interface (SO_BINDTODEVICE)\n"
	"  --verbose               also log requests that get no reply, and why\n"
	"  --help                  this text\n"
	"\n"
	"One line per boot decision goes to stderr.\n";

/* Long-only options; the values are returned by getopt_long. */
enum { OPT_ADDR = 256, OPT_TFTP, OPT_SCRIPT, OPT_HTTP, OPT_EFI, OPT_BIOS, OPT_PORT, OPT_ALT,
       OPT_CLIENT, OPT_IFACE, OPT_VERBOSE, OPT_HELP };

static const struct option long_opts[] = {
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "tftp-server", required_argument, NULL, OPT_TFTP },
	{ "boot-script-url", required_argument, NULL, OPT_SCRIPT },
	{ "http-url", required_argument, NULL, OPT_HTTP },
	{ "efi-file", required_argument, NULL, OPT_EFI },
	{ "bios-file", required_argument, NULL, OPT_BIOS },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "alt-port", required_argument, NULL, OPT_ALT },
	{ "client-port", required_argument, NULL, OPT_CLIENT },
	{ "iface", required_argument, NULL, OPT_IFACE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A port number 0..65535; the whole string must be digits. */
static int parse_port(const char *name, const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > 65535) {
		fprintf(stderr, "strata-dhcpd: --%s wants a port number 0..65535, not \"%s\"\n",
			name, s);
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

static int parse_addr(const char *s, uint8_t out[4])
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "strata-dhcpd: --addr wants a numeric IPv4 address, not \"%s\"\n",
			s);
		return -EINVAL;
	}
	memcpy(out, &a, 4);
	return 0;
}

/* One option into cfg; -EINVAL after printing why. */
static int apply_opt(int c, const char *arg, struct dhcp_config *cfg, bool *have_addr)
{
	switch (c) {
	case OPT_ADDR: *have_addr = true; return parse_addr(arg, cfg->policy.server);
	case OPT_TFTP: return parse_addr(arg, cfg->policy.tftp);
	case OPT_SCRIPT: cfg->policy.script_url = arg; return 0;
	case OPT_HTTP: cfg->policy.http_url = arg; return 0;
	case OPT_EFI: cfg->policy.efi_file = arg; return 0;
	case OPT_BIOS: cfg->policy.bios_file = arg; return 0;
	case OPT_PORT: return parse_port("port", arg, &cfg->port);
	case OPT_ALT: return parse_port("alt-port", arg, &cfg->alt_port);
	case OPT_CLIENT: return parse_port("client-port", arg, &cfg->client_port);
	case OPT_IFACE: cfg->iface = arg; return 0;
	case OPT_VERBOSE: cfg->verbose = true; return 0;
	default: return -EINVAL;
	}
}

/* Fill cfg from argv.  Returns 0, 1 after --help, or -EINVAL after printing why. */
static int parse_args(int argc, char **argv, struct dhcp_config *cfg)
{
	bool have_addr = false;
	int c, rc = 0;

	while (rc == 0 && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, stdout);
			return 1;
		}
		rc = apply_opt(c, optarg, cfg, &have_addr);
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "strata-dhcpd: unexpected argument \"%s\"\n", argv[optind]);
		rc = -EINVAL;
	}
	if (rc == 0 && !have_addr) {
		fprintf(stderr, "strata-dhcpd: --addr IP is required\n");
		rc = -EINVAL;
	}
	if (rc == 0 && !cfg->policy.script_url) {
		fprintf(stderr, "strata-dhcpd: --boot-script-url URL is required\n");
		rc = -EINVAL;
	}
	return rc;
}

static void report_listen(const struct dhcp_config *cfg, const struct dhcp_server *srv)
{
	char ip[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, cfg->policy.server, ip, sizeof(ip));
	fprintf(stderr, "strata-dhcpd: proxyDHCP for %s on port %u and port %u%s%s\n", ip,
		dhcp_server_port(srv), dhcp_server_alt_port(srv), cfg->iface ? " of " : "",
		cfg->iface ? cfg->iface : "");
}

int main(int argc, char **argv)
{
	struct dhcp_config cfg;
	struct dhcp_server *srv = NULL;
	struct daemon d;
	int rc;

	setvbuf(stderr, NULL, _IOLBF, 0);
	dhcp_config_init(&cfg);
	rc = parse_args(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	rc = daemon_open(&d, "strata-dhcpd", NULL, NULL);
	if (rc < 0)
		goto err_daemon;
	rc = dhcp_server_start(d.loop, &cfg, &srv);
	if (rc < 0)
		goto err_server;
	report_listen(&cfg, srv);
	rc = daemon_run(&d);
	if (rc == 0)
		fprintf(stderr, "strata-dhcpd: stopping after %lu replies\n",
			dhcp_server_replies(srv));
	dhcp_server_stop(srv);
err_server:
	daemon_close(&d);
err_daemon:
	return rc < 0 ? 1 : 0;
}
