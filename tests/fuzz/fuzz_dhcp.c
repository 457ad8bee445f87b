/*
 * libFuzzer target for the proxyDHCP request parser and the reply built from whatever it
 * accepts (server/dhcp_parse.c, server/dhcp_reply.c).
 *
 * Beyond "no crash, no sanitizer report", it checks the promises the server relies on:
 * every reply fits DHCP_REPLY_MAX and is at least a BOOTP message, is a BOOTREPLY with
 * the request's xid and yiaddr 0, and is itself well formed: with op flipped to
 * BOOTREQUEST, our own parser accepts it and reads back the message type decided.
 *
 * Seeds: tests/fuzz/corpus/dhcp/ (DISCOVER and REQUEST packets of OVMF PXE, iPXE and
 * OVMF UEFI HTTP Boot, as they were captured in tests/server/dhcp.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcp_parse.h"
#include "dhcp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fail loudly: libFuzzer reports the input that got here. */
static void require(int ok)
{
	if (!ok)
		__builtin_trap();
}

static const struct dhcp_policy policy = {
	.server = { 10, 77, 0, 2 },
	.bios_file = "undionly.kpxe",
	.efi_file = "snponly.efi",
	.script_url = "http://10.77.0.2:8080/boot.ipxe",
	.http_url = "http://10.77.0.2:8080/strata.efi",
};

/* Our reply must parse as a request once op says so, and carry the decided type. */
static void check_reply(const struct dhcp_request *req, const struct dhcp_decision *dec,
			uint8_t *reply, size_t len)
{
	const struct dhcp_hdr *h = (const struct dhcp_hdr *)reply;
	struct dhcp_request back;
	static const uint8_t zero[4];

	require(len >= DHCP_MIN_LEN && len <= DHCP_REPLY_MAX);
	require(h->op == DHCP_BOOTREPLY);
	require(dhcp_be32_get(h->xid) == req->xid);
	require(memcmp(h->yiaddr, zero, 4) == 0);
	reply[0] = DHCP_BOOTREQUEST;
	require(dhcp_parse(reply, len, &back, NULL) == 0);
	require(back.msg_type == dec->reply_type);
	require(back.server_id.data && memcmp(back.server_id.data, policy.server, 4) == 0);
}

static void try_via(const struct dhcp_request *req, enum dhcp_via via)
{
	uint8_t reply[DHCP_REPLY_MAX];
	struct dhcp_decision dec;
	size_t len = 0;
	int rc;

	dhcp_decide(req, &policy, via, &dec);
	if (dec.boot == DHCP_BOOT_NONE) {
		require(dec.why != NULL);
		return;
	}
	rc = dhcp_reply_build(req, &policy, &dec, reply, sizeof(reply), &len, NULL);
	require(rc == 0);
	check_reply(req, &dec, reply, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_request req;
	const char *why = NULL;

	if (dhcp_parse(data, size, &req, &why) < 0) {
		require(why != NULL);
		return 0;
	}
	require(req.op == DHCP_BOOTREQUEST && req.msg_type != 0 && req.hlen <= DHCP_CHADDR_LEN);
	try_via(&req, DHCP_VIA_BOOTPS);
	try_via(&req, DHCP_VIA_PXE);
	return 0;
}
