/* Starting and stopping strata-server's services (see services.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "dhcp.h"
#include "enroll.h"
#include "host.h"
#include "http.h"
#include "mcast.h"
#include "server.h"
#include "services.h"
#include "http_unknown.h"
#include "library.h"
#include "tftp.h"
#include "wol.h"

static int start_tftp(struct server *s, struct loop *loop, struct services *sv)
{
	struct tftp_config tc;
	struct sockaddr_in *sin = (struct sockaddr_in *)&tc.addr;

	tftp_config_init(&tc);
	tc.root = s->cfg.boot_dir;
	memset(&tc.addr, 0, sizeof(tc.addr));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)s->cfg.tftp_port);
	inet_pton(AF_INET, s->cfg.addr, &sin->sin_addr);
	tc.addr_len = sizeof(*sin);
	tc.max_transfers = (uint32_t)s->cfg.max_tftp;
	if (s->cfg.max_tftp_per_addr)
		tc.max_per_addr = (uint32_t)s->cfg.max_tftp_per_addr;
	if (s->cfg.max_tftp_timeout)
		tc.max_timeout_s = (uint32_t)s->cfg.max_tftp_timeout;
	if (s->cfg.max_tftp_time)
		tc.max_time_s = (uint32_t)s->cfg.max_tftp_time;
	if (tftp_server_start(loop, &tc, &sv->tftp))
		return errorf("cannot start TFTP on %s:%d", s->cfg.addr, s->cfg.tftp_port);
	return 0;
}

/* The proxyDHCP's rule 5 question (dhcp.h): does mac have an open capture task? */
static int agent_wanted(void *ctx, const uint8_t mac[6])
{
	return server_capture_pending(ctx, mac);
}

/* The proxyDHCP's rule 6 question (dhcp.h): does mac have an enroll order? */
static int enroll_wanted(void *ctx, const uint8_t mac[6])
{
	return enroll_pending(ctx, mac);
}

/* The proxyDHCP's boot_client hook (dhcp.h): a PC not in the inventory is noted. */
static void boot_client(void *ctx, const uint8_t mac[6], uint32_t addr, bool http, bool ipxe)
{
	unknown_note(ctx, mac, addr, ipxe ? UNKNOWN_IPXE : http ? UNKNOWN_HTTP_BOOT : UNKNOWN_PXE);
}

static int start_dhcp(struct server *s, struct loop *loop, struct services *sv)
{
	static char script[512], http[512], args[512], enroll[512];
	struct dhcp_config dc;

	dhcp_config_init(&dc);
	if (inet_pton(AF_INET, s->cfg.addr, dc.policy.server) != 1 ||
	    !strcmp(s->cfg.addr, "0.0.0.0"))
		return errorf("proxyDHCP needs --addr set to this server's address on the lab "
			      "network (it is what PCs are told)");
	snprintf(script, sizeof(script), "%s/ipxe/boot.ipxe", s->cfg.url);
	snprintf(http, sizeof(http), "%s/boot/strata.efi", s->cfg.url);
	snprintf(enroll, sizeof(enroll), "%s/boot/" ENROLL_FILE, s->cfg.url);
	dc.policy.bios_file = "undionly.kpxe";
	dc.policy.efi_file = "snponly.efi";
	dc.policy.script_url = script;
	dc.policy.http_url = http;
	snprintf(args, sizeof(args), "server=%s", s->cfg.url);
	dc.policy.agent_file = "strata.efi";
	dc.policy.agent_args = args;
	dc.agent_wanted = agent_wanted;
	dc.policy.enroll_url = enroll;
	dc.enroll_wanted = enroll_wanted;
	dc.boot_client = boot_client;
	dc.agent_ctx = s;
	dc.port = (uint16_t)s->cfg.dhcp_port;
	dc.alt_port = (uint16_t)s->cfg.dhcp_alt_port;
	if (dhcp_server_start(loop, &dc, &sv->dhcp))
		return errorf("cannot start proxyDHCP on ports %d and %d", s->cfg.dhcp_port,
			      s->cfg.dhcp_alt_port);
	return 0;
}

int services_start(struct server *s, struct loop *loop, struct services *sv)
{
	sv->unknown_owner = s;
	if (!(s->unknown = unknown_new(UNKNOWN_MAX)) || !(s->library = library_open(s)))
		return errorf("out of memory");
	if (s->cfg.tftp_port && start_tftp(s, loop, sv))
		return -1;
	if (s->cfg.dhcp && start_dhcp(s, loop, sv))
		return -1;
	if (mcast_open(s, loop, &s->mc))
		return -1;
	sv->s = s;
	if (wol_open(s, loop, &s->wol))
		return -1;
	return http_start(s, loop, &sv->http);
}

void services_stop(struct services *sv)
{
	http_stop(sv->http);
	if (sv->s) {
		mcast_close(sv->s->mc);
		sv->s->mc = NULL;
		wol_close(sv->s->wol);
		sv->s->wol = NULL;
	}
	dhcp_server_stop(sv->dhcp);
	if (sv->unknown_owner) {
		unknown_free(sv->unknown_owner->unknown);
		sv->unknown_owner->unknown = NULL;
		library_close(sv->unknown_owner->library);
		sv->unknown_owner->library = NULL;
	}
	if (sv->tftp)
		tftp_server_stop(sv->tftp);
	*sv = (struct services){ 0 };
}
