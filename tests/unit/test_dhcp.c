/*
 * Unit tests of the proxyDHCP parser and reply builder (server/dhcp_parse.c,
 * server/dhcp_reply.c): no sockets.
 *
 * Requests are built by a small packet writer from the option lists that OVMF PXE, iPXE
 * and OVMF UEFI HTTP Boot were seen to send in tests/server/dhcp.sh.  The captured
 * packets themselves seed the fuzzer (tests/fuzz/corpus/dhcp/) and are checked here too,
 * read from the repository root (tests/run.sh runs there; STRATA_DHCP_CORPUS overrides).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_parse.h"
#include "dhcp_reply.h"
#include "harness.h"

/* --- fixtures ------------------------------------------------------------------------ */

/** A request being written. */
struct pkt {
	uint8_t b[DHCP_PKT_MAX + 64];  /**< room to build over-long packets too */
	size_t len;                    /**< bytes written */
};

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x01 };
static const uint8_t uuid[17] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				  0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };

static const struct dhcp_policy policy = {
	.server = { 10, 77, 0, 2 },
	.bios_file = "undionly.kpxe",
	.efi_file = "snponly.efi",
	.script_url = "http://10.77.0.2:8080/boot.ipxe",
	.http_url = "http://10.77.0.2:8080/strata.efi",
};

/** The lab's policy with rule 5 (a capture: strata.efi itself to firmware PXE). */
static const struct dhcp_policy agent_policy = {
	.server = { 10, 77, 0, 2 },
	.bios_file = "undionly.kpxe",
	.efi_file = "snponly.efi",
	.script_url = "http://10.77.0.2:8080/boot.ipxe",
	.http_url = "http://10.77.0.2:8080/strata.efi",
	.agent_file = "strata.efi",
	.agent_args = "server=http://10.77.0.2:8080",
};
/** The lab's policy with rule 6 (an enroll order: strata-enroll.efi to HTTP Boot). */
static const struct dhcp_policy enroll_policy = {
	.server = { 10, 77, 0, 2 },
	.bios_file = "undionly.kpxe",
	.efi_file = "snponly.efi",
	.script_url = "http://10.77.0.2:8080/boot.ipxe",
	.http_url = "http://10.77.0.2:8080/boot/strata.efi",
	.enroll_url = "http://10.77.0.2:8080/boot/strata-enroll.efi",
};
/** Whether answer() applies rule 5, as strata-server does for a machine with an open
 *  capture task. */
static int agent_wanted;
/** Whether answer() applies rule 6, as strata-server does for a machine with an enroll
 *  order. */
static int enroll_wanted;

/* Header of a BOOTREQUEST from mac with the cookie; options follow at 240. */
static void pkt_header(struct pkt *p)
{
	struct dhcp_hdr *h = (struct dhcp_hdr *)p->b;

	memset(p, 0, sizeof(*p));
	h->op = DHCP_BOOTREQUEST;
	h->htype = DHCP_HTYPE_ETHER;
	h->hlen = 6;
	dhcp_be32_put(h->xid, 0x12345678);
	dhcp_be16_put(h->flags, DHCP_FLAG_BROADCAST);
	memcpy(h->chaddr, mac, 6);
	dhcp_be32_put(h->magic, DHCP_MAGIC);
	p->len = DHCP_HDR_LEN;
}

static void pkt_opt(struct pkt *p, uint8_t code, const void *val, size_t len)
{
	p->b[p->len++] = code;
	p->b[p->len++] = (uint8_t)len;
	memcpy(p->b + p->len, val, len);
	p->len += len;
}

static void pkt_str(struct pkt *p, uint8_t code, const char *s)
{
	pkt_opt(p, code, s, strlen(s));
}

static void pkt_u8(struct pkt *p, uint8_t code, uint8_t v)
{
	pkt_opt(p, code, &v, 1);
}

static void pkt_u16(struct pkt *p, uint8_t code, uint16_t v)
{
	uint8_t b[2];

	dhcp_be16_put(b, v);
	pkt_opt(p, code, b, 2);
}

/* END, then PAD up to the 300-byte BOOTP size, as the clients do. */
static void pkt_end(struct pkt *p)
{
	p->b[p->len++] = DHCP_OPT_END;
	if (p->len < DHCP_MIN_LEN)
		p->len = DHCP_MIN_LEN;
}

/*
 * The options OVMF (edk2 2022.11) sends for PXE and for HTTP Boot, in its order; arch
 * and class vary.  Captured in tests/server/dhcp.sh; edk2 asks for these parameters.
 */
static void pkt_client(struct pkt *p, uint8_t type, uint16_t arch, const char *cls)
{
	static const uint8_t params[] = { 1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40,
					  41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128,
					  129, 130, 131, 132, 133, 134, 135 };
	static const uint8_t ndi[] = { 1, 3, 0 };

	pkt_header(p);
	pkt_u8(p, DHCP_OPT_MSG_TYPE, type);
	pkt_u16(p, DHCP_OPT_MAX_MSG_SIZE, 1472);
	pkt_opt(p, DHCP_OPT_PARAM_LIST, params, sizeof(params));
	pkt_opt(p, DHCP_OPT_CLIENT_UUID, uuid, sizeof(uuid));
	pkt_opt(p, DHCP_OPT_CLIENT_NDI, ndi, sizeof(ndi));
	pkt_u16(p, DHCP_OPT_CLIENT_ARCH, arch);
	pkt_str(p, DHCP_OPT_VENDOR_CLASS, cls);
}

/* OVMF's own PXE: arch 7, no user class. */
static void ovmf_pxe(struct pkt *p, uint8_t type)
{
	pkt_client(p, type, DHCP_ARCH_EFI_X64, "PXEClient:Arch:00007:UNDI:003000");
	pkt_end(p);
}

/* iPXE 1.0.0+git-20190125 (ROM and snponly.efi), as captured: its own order and set. */
static void ipxe(struct pkt *p, uint8_t type)
{
	static const uint8_t params[] = { 1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119,
					  128, 129, 130, 131, 132, 133, 134, 135, 175, 203 };
	static const uint8_t ndi[] = { 1, 3, 0x0a };
	static const uint8_t features[] = {
		0xb1, 0x05, 0x01, 0x1a, 0xf4, 0x10, 0x00, 0xeb, 0x03, 0x01, 0x00, 0x00,
		0x17, 0x01, 0x01, 0x24, 0x01, 0x01, 0x13, 0x01, 0x01, 0x11, 0x01, 0x01,
		0x27, 0x01, 0x01, 0x29, 0x01, 0x01, 0x15, 0x01, 0x01, 0x12, 0x01, 0x01 };
	uint8_t client_id[7] = { DHCP_HTYPE_ETHER };

	memcpy(client_id + 1, mac, 6);
	pkt_header(p);
	dhcp_be16_put(((struct dhcp_hdr *)p->b)->flags, 0);
	pkt_u8(p, DHCP_OPT_MSG_TYPE, type);
	pkt_u16(p, DHCP_OPT_MAX_MSG_SIZE, 1472);
	pkt_u16(p, DHCP_OPT_CLIENT_ARCH, DHCP_ARCH_EFI_X64);
	pkt_opt(p, DHCP_OPT_CLIENT_NDI, ndi, sizeof(ndi));
	pkt_str(p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00007:UNDI:003010");
	pkt_str(p, DHCP_OPT_USER_CLASS, "iPXE");
	pkt_opt(p, DHCP_OPT_PARAM_LIST, params, sizeof(params));
	pkt_opt(p, DHCP_OPT_IPXE_ENCAP, features, sizeof(features));
	pkt_opt(p, DHCP_OPT_CLIENT_ID, client_id, sizeof(client_id));
	pkt_opt(p, DHCP_OPT_CLIENT_UUID, uuid, sizeof(uuid));
	pkt_end(p);
}

/* OVMF UEFI HTTP Boot: arch 16, "HTTPClient". */
static void http_boot(struct pkt *p, uint8_t type)
{
	pkt_client(p, type, DHCP_ARCH_EFI_X64_HTTP, "HTTPClient:Arch:00016:UNDI:003000");
	pkt_end(p);
}

static int parse(const struct pkt *p, struct dhcp_request *req, const char **why)
{
	*why = NULL;
	return dhcp_parse(p->b, p->len, req, why);
}

/** A reply decoded for checks: the parsed form and the raw header. */
struct reply {
	uint8_t b[DHCP_REPLY_MAX];
	size_t len;
	struct dhcp_request opts;      /**< the reply's options, parsed with op flipped */
	struct dhcp_decision dec;
	int rc;                        /**< of dhcp_reply_build */
};

/* Value of option code in a reply's option area, or NULL. */
static const uint8_t *reply_opt(const struct reply *r, uint8_t code, size_t *len)
{
	size_t off = DHCP_HDR_LEN;

	while (off + 1 < r->len && r->b[off] != DHCP_OPT_END) {
		if (r->b[off] == DHCP_OPT_PAD) {
			off++;
			continue;
		}
		if (r->b[off] == code) {
			*len = r->b[off + 1];
			return r->b + off + 2;
		}
		off += 2 + (size_t)r->b[off + 1];
	}
	return NULL;
}

/* Parse p, decide for via, build the reply into r (r->dec.boot NONE: nothing built). */
static void answer(const struct pkt *p, const struct dhcp_policy *pol, enum dhcp_via via,
		   struct reply *r)
{
	struct dhcp_request req;
	const char *why;
	uint8_t copy[DHCP_REPLY_MAX];

	memset(r, 0, sizeof(*r));
	CHECK_EQ(parse(p, &req, &why), 0);
	dhcp_decide(&req, pol, via, &r->dec);
	if (agent_wanted)
		dhcp_decide_agent(pol, &r->dec);
	if (enroll_wanted)
		dhcp_decide_enroll(pol, &r->dec);
	if (r->dec.boot == DHCP_BOOT_NONE)
		return;
	r->rc = dhcp_reply_build(&req, pol, &r->dec, r->b, sizeof(r->b), &r->len, &why);
	CHECK_EQ(r->rc, 0);
	memcpy(copy, r->b, r->len);
	copy[0] = DHCP_BOOTREQUEST;
	CHECK_EQ(dhcp_parse(copy, r->len, &r->opts, &why), 0);
	/* opts points into copy: keep only what the checks use, by value. */
	r->opts.server_id.data = NULL;
	r->opts.vendor_class.data = NULL;
	r->opts.uuid.data = NULL;
	r->opts.params.data = NULL;
	r->opts.user_class.data = NULL;
	r->opts.arch_list.data = NULL;
}

static int reply_opt_is(const struct reply *r, uint8_t code, const char *s)
{
	size_t len = 0;
	const uint8_t *v = reply_opt(r, code, &len);

	return v && len == strlen(s) && memcmp(v, s, len) == 0;
}

/* Invariants of every proxy reply; flags are the request's, echoed. */
static void check_common(const struct reply *r, uint8_t type, uint16_t flags)
{
	const struct dhcp_hdr *h = (const struct dhcp_hdr *)r->b;
	static const uint8_t zero[4];
	size_t len = 0;
	const uint8_t *v;

	CHECK(r->len >= DHCP_MIN_LEN && r->len <= DHCP_REPLY_MAX);
	CHECK_EQ(h->op, DHCP_BOOTREPLY);
	CHECK_EQ(dhcp_be32_get(h->xid), 0x12345678);
	CHECK_EQ(dhcp_be16_get(h->flags), flags);
	CHECK(memcmp(h->chaddr, mac, 6) == 0);
	CHECK(memcmp(h->yiaddr, zero, 4) == 0);
	CHECK(memcmp(h->siaddr, policy.server, 4) == 0);
	CHECK_EQ(r->opts.msg_type, type);
	v = reply_opt(r, DHCP_OPT_SERVER_ID, &len);
	CHECK(v && len == 4 && memcmp(v, policy.server, 4) == 0);
	v = reply_opt(r, DHCP_OPT_CLIENT_UUID, &len);
	CHECK(v && len == sizeof(uuid) && memcmp(v, uuid, len) == 0);
}

/* The boot file is in option 67 and, when it fits, in the file field. */
static void check_file(const struct reply *r, const char *file)
{
	const struct dhcp_hdr *h = (const struct dhcp_hdr *)r->b;

	CHECK(reply_opt_is(r, DHCP_OPT_BOOTFILE, file));
	if (strlen(file) < DHCP_FILE_LEN)
		CHECK(strcmp((const char *)h->file, file) == 0);
	else
		CHECK_EQ(h->file[0], 0);
}

/* --- parser -------------------------------------------------------------------------- */

static void test_parse_ovmf_pxe(void)
{
	struct dhcp_request req;
	struct pkt p;
	const char *why;

	ovmf_pxe(&p, DHCP_DISCOVER);
	CHECK_EQ(parse(&p, &req, &why), 0);
	CHECK_EQ(req.op, DHCP_BOOTREQUEST);
	CHECK_EQ(req.xid, 0x12345678);
	CHECK_EQ(req.flags, DHCP_FLAG_BROADCAST);
	CHECK_EQ(req.hlen, 6);
	CHECK(memcmp(req.chaddr, mac, 6) == 0);
	CHECK_EQ(req.msg_type, DHCP_DISCOVER);
	CHECK(req.has_arch);
	CHECK_EQ(req.arch, DHCP_ARCH_EFI_X64);
	CHECK_EQ(req.max_msg_size, 1472);
	CHECK(dhcp_bytes_prefix(&req.vendor_class, "PXEClient:Arch:00007"));
	CHECK_EQ(req.uuid.len, 17);
	CHECK_EQ(req.params.len, 35);
	CHECK(req.user_class.data == NULL);
	CHECK(dhcp_has_option(&req, DHCP_OPT_CLIENT_NDI));
	CHECK(!dhcp_has_option(&req, DHCP_OPT_USER_CLASS));
}

static void test_parse_ipxe(void)
{
	struct dhcp_request req;
	struct pkt p;
	const char *why;

	ipxe(&p, DHCP_DISCOVER);
	CHECK_EQ(parse(&p, &req, &why), 0);
	CHECK(dhcp_bytes_contains(&req.user_class, "iPXE"));
	CHECK(dhcp_has_option(&req, DHCP_OPT_IPXE_ENCAP));
	CHECK(dhcp_bytes_prefix(&req.vendor_class, "PXEClient"));
}

static void test_parse_http(void)
{
	struct dhcp_request req;
	struct pkt p;
	const char *why;

	http_boot(&p, DHCP_DISCOVER);
	CHECK_EQ(parse(&p, &req, &why), 0);
	CHECK_EQ(req.arch, DHCP_ARCH_EFI_X64_HTTP);
	CHECK(dhcp_bytes_prefix(&req.vendor_class, "HTTPClient"));
}

/* PAD between options and after END is fine; the 240-byte minimum plus END parses. */
static void test_parse_padding(void)
{
	struct dhcp_request req;
	struct pkt p;
	const char *why;

	pkt_header(&p);
	p.b[p.len++] = DHCP_OPT_PAD;
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	p.b[p.len++] = DHCP_OPT_PAD;
	p.b[p.len++] = DHCP_OPT_END;
	CHECK_EQ(parse(&p, &req, &why), 0);
	p.len += 700;
	CHECK_EQ(parse(&p, &req, &why), 0);
}

/*
 * One malformed packet: parse must fail with rc, and for the intended reason: the
 * message names the check, so it must contain the text expected.
 */
static void expect_reject(const struct pkt *p, int rc, const char *reason)
{
	struct dhcp_request req;
	const char *why;
	int got = parse(p, &req, &why);

	CHECK_MSG(got == rc, "%s: rc %d, want %d", reason, got, rc);
	CHECK_MSG(why && strstr(why, reason), "want \"%s\", got \"%s\"", reason,
		  why ? why : "(none)");
}

static void test_reject_header(void)
{
	struct pkt p;

	ovmf_pxe(&p, DHCP_DISCOVER);
	p.len = DHCP_HDR_LEN - 1;
	expect_reject(&p, -EINVAL, "shorter than the 240-byte");
	ovmf_pxe(&p, DHCP_DISCOVER);
	p.len = DHCP_PKT_MAX + 1;
	expect_reject(&p, -EMSGSIZE, "longer than a DHCP message");
	ovmf_pxe(&p, DHCP_DISCOVER);
	p.b[0] = DHCP_BOOTREPLY;
	expect_reject(&p, -EINVAL, "not BOOTREQUEST");
	ovmf_pxe(&p, DHCP_DISCOVER);
	p.b[2] = 17;
	expect_reject(&p, -EINVAL, "hlen larger");
	ovmf_pxe(&p, DHCP_DISCOVER);
	p.b[239] ^= 1;
	expect_reject(&p, -EINVAL, "magic cookie");
}

static void test_reject_framing(void)
{
	struct pkt p;

	pkt_header(&p);
	expect_reject(&p, -EINVAL, "options without an END");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	expect_reject(&p, -EINVAL, "options without an END");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	p.b[p.len++] = DHCP_OPT_VENDOR_CLASS;
	expect_reject(&p, -EINVAL, "without a length byte");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	p.b[p.len++] = DHCP_OPT_VENDOR_CLASS;
	p.b[p.len++] = 10;
	p.b[p.len++] = 'P';
	expect_reject(&p, -EINVAL, "runs past the end");
	ovmf_pxe(&p, DHCP_DISCOVER);
	p.b[p.len++] = DHCP_OPT_PAD;
	p.b[p.len++] = 0x42;
	expect_reject(&p, -EINVAL, "after the END option");
	pkt_header(&p);
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "plain BOOTP");
}

static void test_reject_options(void)
{
	static const uint8_t three[3] = { 1, 2, 3 };
	struct pkt p;
	uint8_t bad_uuid[17];

	pkt_header(&p);
	pkt_opt(&p, DHCP_OPT_MSG_TYPE, three, 2);
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "53 (message type) is not 1 byte");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, 0);
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "53 (message type) is 0");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_REQUEST);
	pkt_opt(&p, DHCP_OPT_SERVER_ID, three, 3);
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "54 (server id) is not 4 bytes");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_u16(&p, DHCP_OPT_MAX_MSG_SIZE, 575);
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "below 576");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_CLIENT_ARCH, three, 3);
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "93 (client arch)");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_CLIENT_UUID, uuid, 16);
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "97 (client UUID) is not 17");
	memcpy(bad_uuid, uuid, sizeof(bad_uuid));
	bad_uuid[0] = 1;
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_opt(&p, DHCP_OPT_CLIENT_UUID, bad_uuid, sizeof(bad_uuid));
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "type other than 0");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, ":Arch:00007");
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "appears twice");
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_u8(&p, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_FILE);
	pkt_u8(&p, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_FILE);
	pkt_end(&p);
	expect_reject(&p, -EINVAL, "(overload) appears twice");
}

/* Options we do not read may repeat. */
static void test_unread_option_repeats(void)
{
	struct dhcp_request req;
	struct pkt p;
	const char *why;

	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_str(&p, 12, "host");
	pkt_str(&p, 12, "name");
	pkt_end(&p);
	CHECK_EQ(parse(&p, &req, &why), 0);
	CHECK(dhcp_has_option(&req, 12));
}

/* Option 52: file then sname hold more options, each closed by END. */
static void test_overload(void)
{
	struct dhcp_hdr *h;
	struct dhcp_request req;
	struct pkt p;
	const char *why;
	static const char cls[] = "PXEClient:Arch:00007:UNDI:003000";

	pkt_header(&p);
	h = (struct dhcp_hdr *)p.b;
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_u8(&p, DHCP_OPT_OVERLOAD, DHCP_OVERLOAD_BOTH);
	pkt_end(&p);
	h->file[0] = DHCP_OPT_VENDOR_CLASS;
	h->file[1] = sizeof(cls) - 1;
	memcpy(h->file + 2, cls, sizeof(cls) - 1);
	h->file[2 + sizeof(cls) - 1] = DHCP_OPT_END;
	h->sname[0] = DHCP_OPT_CLIENT_ARCH;
	h->sname[1] = 2;
	h->sname[3] = DHCP_ARCH_EFI_X64;
	h->sname[4] = DHCP_OPT_END;
	CHECK_EQ(parse(&p, &req, &why), 0);
	CHECK_EQ(req.overload, DHCP_OVERLOAD_BOTH);
	CHECK(dhcp_bytes_prefix(&req.vendor_class, "PXEClient"));
	CHECK_EQ(req.arch, DHCP_ARCH_EFI_X64);

	h->sname[4] = DHCP_OPT_PAD;
	expect_reject(&p, -EINVAL, "overloaded field without an END");
	h->sname[4] = DHCP_OPT_END;
	h->sname[5] = DHCP_OPT_OVERLOAD;
	expect_reject(&p, -EINVAL, "after the END option");
	h->sname[5] = DHCP_OPT_PAD;
	memset(h->file, 0, DHCP_FILE_LEN);
	h->file[0] = DHCP_OPT_OVERLOAD;
	h->file[1] = 1;
	h->file[2] = 1;
	h->file[3] = DHCP_OPT_END;
	expect_reject(&p, -EINVAL, "inside an overloaded field");
	p.b[DHCP_HDR_LEN + 5] = 4;
	expect_reject(&p, -EINVAL, "not 1, 2 or 3");
}

/* Without overload, file and sname are not parsed at all. */
static void test_no_overload_ignores_fields(void)
{
	struct dhcp_request req;
	struct pkt p;
	const char *why;

	ovmf_pxe(&p, DHCP_DISCOVER);
	memset(((struct dhcp_hdr *)p.b)->file, 0xff, DHCP_FILE_LEN);
	CHECK_EQ(parse(&p, &req, &why), 0);
}

/* --- decisions and replies ----------------------------------------------------------- */

static void test_ovmf_pxe_offer(void)
{
	struct reply r;
	struct pkt p;

	ovmf_pxe(&p, DHCP_DISCOVER);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	CHECK_EQ(r.dec.arch, DHCP_ARCH_EFI_X64);
	check_common(&r, DHCP_OFFER, DHCP_FLAG_BROADCAST);
	CHECK(reply_opt_is(&r, DHCP_OPT_VENDOR_CLASS, "PXEClient"));
	CHECK(!dhcp_has_option(&r.opts, DHCP_OPT_VENDOR_ENCAP));
	check_file(&r, "snponly.efi");
}

static void test_ovmf_pxe_ack_on_4011(void)
{
	struct dhcp_hdr *h;
	struct reply r;
	struct pkt p;

	ovmf_pxe(&p, DHCP_REQUEST);
	h = (struct dhcp_hdr *)p.b;
	memcpy(h->ciaddr, (uint8_t[4]){ 10, 77, 0, 100 }, 4);
	answer(&p, &policy, DHCP_VIA_PXE, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	check_common(&r, DHCP_ACK, DHCP_FLAG_BROADCAST);
	CHECK(memcmp(((struct dhcp_hdr *)r.b)->ciaddr, h->ciaddr, 4) == 0);
	CHECK(!dhcp_has_option(&r.opts, DHCP_OPT_VENDOR_ENCAP));
	check_file(&r, "snponly.efi");
}

/* Rule 5: firmware PXE of a machine with an open capture task gets strata.efi itself, in
 * the offer and the port-4011 ACK, with its arguments in option 224; iPXE, HTTP Boot and
 * BIOS clients are untouched, and so is everyone when the policy has no agent_file. */
static void test_agent_for_capture(void)
{
	struct reply r;
	struct pkt p;
	size_t n;

	agent_wanted = 1;
	ovmf_pxe(&p, DHCP_DISCOVER);
	answer(&p, &agent_policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_AGENT_TFTP);
	check_file(&r, "strata.efi");
	CHECK(reply_opt_is(&r, DHCP_OPT_STRATA_ARGS, "server=http://10.77.0.2:8080"));
	CHECK(!dhcp_has_option(&r.opts, DHCP_OPT_VENDOR_ENCAP));
	/* Before option 67: OVMF writes a NUL after the boot file name in the packet it keeps. */
	CHECK(reply_opt(&r, DHCP_OPT_STRATA_ARGS, &n) < reply_opt(&r, DHCP_OPT_BOOTFILE, &n));
	ovmf_pxe(&p, DHCP_REQUEST);
	answer(&p, &agent_policy, DHCP_VIA_PXE, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_AGENT_TFTP);
	check_file(&r, "strata.efi");
	CHECK(reply_opt_is(&r, DHCP_OPT_STRATA_ARGS, "server=http://10.77.0.2:8080"));
	pkt_client(&p, DHCP_DISCOVER, DHCP_ARCH_BIOS, "PXEClient:Arch:00000:UNDI:002001");
	pkt_end(&p);
	answer(&p, &agent_policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_BIOS_TFTP);
	ovmf_pxe(&p, DHCP_DISCOVER);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	CHECK(!dhcp_has_option(&r.opts, DHCP_OPT_STRATA_ARGS));
	agent_wanted = 0;
	ovmf_pxe(&p, DHCP_DISCOVER);
	answer(&p, &agent_policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	check_file(&r, "snponly.efi");
	CHECK(!strcmp(dhcp_boot_name(DHCP_BOOT_AGENT_TFTP), "agent-tftp"));
}

/* Rule 6: UEFI HTTP Boot of a machine with an enroll order gets strata-enroll.efi's URL;
 * firmware PXE and iPXE are untouched (their per-machine script chains it), and so is
 * everyone without the order or when the policy has no enroll_url. */
static void test_enroll_over_http(void)
{
	struct reply r;
	struct pkt p;

	enroll_wanted = 1;
	http_boot(&p, DHCP_DISCOVER);
	answer(&p, &enroll_policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_HTTP);
	check_common(&r, DHCP_OFFER, DHCP_FLAG_BROADCAST);
	check_file(&r, enroll_policy.enroll_url);
	ovmf_pxe(&p, DHCP_DISCOVER);
	answer(&p, &enroll_policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	check_file(&r, "snponly.efi");
	http_boot(&p, DHCP_DISCOVER);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	check_file(&r, policy.http_url);
	enroll_wanted = 0;
	http_boot(&p, DHCP_DISCOVER);
	answer(&p, &enroll_policy, DHCP_VIA_BOOTPS, &r);
	check_file(&r, enroll_policy.http_url);
}

/* EFI byte code (9) is used for x64 by some firmware: same file. */
static void test_arch9_is_efi(void)
{
	struct reply r;
	struct pkt p;

	pkt_client(&p, DHCP_DISCOVER, DHCP_ARCH_EFI_BC, "PXEClient:Arch:00009:UNDI:003000");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
}

static void test_bios_gets_undionly_and_bypass(void)
{
	static const uint8_t bypass[] = { DHCP_PXE_DISCOVERY_CONTROL, 1,
					  DHCP_PXE_DISCOVERY_BYPASS, DHCP_OPT_END };
	const uint8_t *v;
	struct reply r;
	struct pkt p;
	size_t len = 0;

	pkt_client(&p, DHCP_DISCOVER, DHCP_ARCH_BIOS, "PXEClient:Arch:00000:UNDI:002001");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_BIOS_TFTP);
	check_common(&r, DHCP_OFFER, DHCP_FLAG_BROADCAST);
	check_file(&r, "undionly.kpxe");
	v = reply_opt(&r, DHCP_OPT_VENDOR_ENCAP, &len);
	CHECK(v && len == sizeof(bypass) && memcmp(v, bypass, len) == 0);
}

static void test_ipxe_gets_script(void)
{
	struct reply r;
	struct pkt p;

	ipxe(&p, DHCP_DISCOVER);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_IPXE_SCRIPT);
	CHECK(r.dec.ipxe);
	check_common(&r, DHCP_OFFER, 0);
	CHECK(reply_opt_is(&r, DHCP_OPT_VENDOR_CLASS, "PXEClient"));
	check_file(&r, policy.script_url);
	ipxe(&p, DHCP_REQUEST);
	answer(&p, &policy, DHCP_VIA_PXE, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_IPXE_SCRIPT);
	check_common(&r, DHCP_ACK, 0);
}

/* iPXE's undionly.kpxe on BIOS (arch 0) is still iPXE: it gets the script too. */
static void test_ipxe_bios_gets_script(void)
{
	struct reply r;
	struct pkt p;

	pkt_client(&p, DHCP_DISCOVER, DHCP_ARCH_BIOS, "PXEClient:Arch:00000:UNDI:002001");
	pkt_str(&p, DHCP_OPT_USER_CLASS, "iPXE");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_IPXE_SCRIPT);
	CHECK(!dhcp_has_option(&r.opts, DHCP_OPT_VENDOR_ENCAP));
}

static void test_http_boot(void)
{
	struct reply r;
	struct pkt p;

	http_boot(&p, DHCP_DISCOVER);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_HTTP);
	CHECK(r.dec.http_class);
	check_common(&r, DHCP_OFFER, DHCP_FLAG_BROADCAST);
	CHECK(reply_opt_is(&r, DHCP_OPT_VENDOR_CLASS, "HTTPClient"));
	CHECK(!dhcp_has_option(&r.opts, DHCP_OPT_VENDOR_ENCAP));
	check_file(&r, policy.http_url);
}

/* A 32-bit HTTP client (15) has no boot file here: no reply, but logged as refused. */
static void test_http_other_arch_refused(void)
{
	struct reply r;
	struct pkt p;

	pkt_client(&p, DHCP_DISCOVER, 15, "HTTPClient:Arch:00015:UNDI:003000");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	CHECK(r.dec.refused);
	CHECK(r.dec.why != NULL);
}

static void test_arm64_refused(void)
{
	struct reply r;
	struct pkt p;

	pkt_client(&p, DHCP_DISCOVER, DHCP_ARCH_EFI_ARM64, "PXEClient:Arch:00011:UNDI:003000");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	CHECK(r.dec.refused);
}

/* An ordinary DHCP client (no option 60, or another class) is the site server's. */
static void test_non_boot_client_ignored(void)
{
	struct reply r;
	struct pkt p;

	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	CHECK(!r.dec.refused);
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, "MSFT 5.0");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, "PXECli");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
}

/* The REQUEST on 67 that takes the site server's lease is not ours; one naming us is. */
static void test_request_on_67(void)
{
	static const uint8_t site[4] = { 10, 77, 0, 1 };
	struct reply r;
	struct pkt p;

	pkt_client(&p, DHCP_REQUEST, DHCP_ARCH_EFI_X64, "PXEClient:Arch:00007:UNDI:003000");
	pkt_opt(&p, DHCP_OPT_SERVER_ID, site, 4);
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	CHECK(!r.dec.refused);
	ovmf_pxe(&p, DHCP_REQUEST);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	pkt_client(&p, DHCP_REQUEST, DHCP_ARCH_EFI_X64, "PXEClient:Arch:00007:UNDI:003000");
	pkt_opt(&p, DHCP_OPT_SERVER_ID, policy.server, 4);
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	check_common(&r, DHCP_ACK, DHCP_FLAG_BROADCAST);
}

static void test_port_4011_types(void)
{
	struct reply r;
	struct pkt p;

	ovmf_pxe(&p, DHCP_DISCOVER);
	answer(&p, &policy, DHCP_VIA_PXE, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	ovmf_pxe(&p, DHCP_INFORM);
	answer(&p, &policy, DHCP_VIA_PXE, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	ovmf_pxe(&p, DHCP_RELEASE);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
}

/* Without option 93 the arch comes from "Arch:NNNNN" in option 60. */
static void test_arch_from_class(void)
{
	struct reply r;
	struct pkt p;

	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_BIOS_TFTP);
	CHECK(r.dec.has_arch);
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:0000x");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	pkt_header(&p);
	pkt_u8(&p, DHCP_OPT_MSG_TYPE, DHCP_DISCOVER);
	pkt_str(&p, DHCP_OPT_VENDOR_CLASS, "PXEClient");
	pkt_end(&p);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	CHECK(!r.dec.refused);
}

static void test_policy_without_http(void)
{
	struct dhcp_policy pol = policy;
	struct reply r;
	struct pkt p;

	pol.http_url = NULL;
	http_boot(&p, DHCP_DISCOVER);
	answer(&p, &pol, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_NONE);
	CHECK(r.dec.refused);
}

/* A URL too long for the file field goes in option 67 only. */
static void test_long_url(void)
{
	char url[201];
	struct dhcp_policy pol = policy;
	struct reply r;
	struct pkt p;

	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "http://", 7);
	url[sizeof(url) - 1] = 0;
	pol.script_url = url;
	CHECK_EQ(dhcp_policy_check(&pol, NULL), 0);
	ipxe(&p, DHCP_DISCOVER);
	answer(&p, &pol, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(r.dec.boot, DHCP_BOOT_IPXE_SCRIPT);
	check_file(&r, url);
}

/* A proxyDHCP alone at a site (--tftp-server): PXE clients load from the central
 * server's TFTP (siaddr), while option 54 stays ours. */
static void test_tftp_server(void)
{
	struct dhcp_policy pol = policy;
	const uint8_t central[4] = { 192, 0, 2, 10 };
	const struct dhcp_hdr *h;
	const uint8_t *v;
	struct reply r;
	struct pkt p;
	size_t len = 0;

	memcpy(pol.tftp, central, 4);
	ovmf_pxe(&p, DHCP_DISCOVER);
	answer(&p, &pol, DHCP_VIA_BOOTPS, &r);
	h = (const struct dhcp_hdr *)r.b;
	CHECK_EQ(r.dec.boot, DHCP_BOOT_EFI_TFTP);
	CHECK(memcmp(h->siaddr, central, 4) == 0);
	v = reply_opt(&r, DHCP_OPT_SERVER_ID, &len);
	CHECK(v && len == 4 && memcmp(v, policy.server, 4) == 0);
}

static void test_relay_fields_echoed(void)
{
	struct reply r;
	struct pkt p;

	ovmf_pxe(&p, DHCP_DISCOVER);
	memcpy(((struct dhcp_hdr *)p.b)->giaddr, (uint8_t[4]){ 10, 1, 0, 1 }, 4);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK(memcmp(((struct dhcp_hdr *)r.b)->giaddr, (uint8_t[4]){ 10, 1, 0, 1 }, 4) == 0);
}

/* A relayed reply asks the relay to broadcast it: its yiaddr is 0, and a relay unicasts
 * a reply without the flag there (iPXE's requests lack it).  Unrelayed, flags echo. */
static void test_relay_reply_broadcast(void)
{
	struct reply r;
	struct pkt p;

	ovmf_pxe(&p, DHCP_DISCOVER);
	dhcp_be16_put(((struct dhcp_hdr *)p.b)->flags, 0);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(dhcp_be16_get(((struct dhcp_hdr *)r.b)->flags), 0);
	memcpy(((struct dhcp_hdr *)p.b)->giaddr, (uint8_t[4]){ 10, 1, 0, 1 }, 4);
	answer(&p, &policy, DHCP_VIA_BOOTPS, &r);
	CHECK_EQ(dhcp_be16_get(((struct dhcp_hdr *)r.b)->flags), DHCP_FLAG_BROADCAST);
	CHECK(memcmp(((struct dhcp_hdr *)r.b)->yiaddr, (uint8_t[4]){ 0 }, 4) == 0);
}

static void test_policy_check(void)
{
	struct dhcp_policy pol = policy;
	char name[DHCP_FILE_LEN + 1], url[DHCP_OPT_MAX + 2];
	const char *why = NULL;

	CHECK_EQ(dhcp_policy_check(&policy, &why), 0);
	memset(pol.server, 0, 4);
	CHECK_EQ(dhcp_policy_check(&pol, &why), -EINVAL);
	pol = policy;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	pol.efi_file = name;
	CHECK_EQ(dhcp_policy_check(&pol, &why), -EINVAL);
	name[DHCP_TFTP_NAME_MAX] = 0;
	CHECK_EQ(dhcp_policy_check(&pol, &why), 0);
	pol.efi_file = "";
	CHECK_EQ(dhcp_policy_check(&pol, &why), -EINVAL);
	pol = policy;
	pol.http_url = "tftp://10.77.0.2/x";
	CHECK_EQ(dhcp_policy_check(&pol, &why), -EINVAL);
	memset(url, 'u', sizeof(url) - 1);
	memcpy(url, "https://", 8);
	url[sizeof(url) - 1] = 0;
	pol.http_url = url;
	CHECK_EQ(dhcp_policy_check(&pol, &why), -EINVAL);
	url[DHCP_OPT_MAX] = 0;
	CHECK_EQ(dhcp_policy_check(&pol, &why), 0);
}

static void test_build_errors(void)
{
	struct dhcp_request req;
	struct dhcp_decision dec;
	uint8_t buf[DHCP_REPLY_MAX];
	struct pkt p;
	const char *why = NULL;
	size_t len = 0;

	ipxe(&p, DHCP_DISCOVER);
	CHECK_EQ(parse(&p, &req, &why), 0);
	dhcp_decide(&req, &policy, DHCP_VIA_PXE, &dec);
	CHECK_EQ(dec.boot, DHCP_BOOT_NONE);
	CHECK_EQ(dhcp_reply_build(&req, &policy, &dec, buf, sizeof(buf), &len, &why), -EINVAL);
	dhcp_decide(&req, &policy, DHCP_VIA_BOOTPS, &dec);
	CHECK_EQ(dhcp_reply_build(&req, &policy, &dec, buf, DHCP_MIN_LEN - 1, &len, &why),
		 -ENOSPC);
	CHECK_EQ(dhcp_reply_build(&req, &policy, &dec, buf, DHCP_HDR_LEN + 40, &len, &why),
		 -ENOSPC);
	CHECK_EQ(dhcp_reply_build(&req, &policy, &dec, buf, sizeof(buf), &len, &why), 0);
}

/* --- the captured packets ----------------------------------------------------------- */

/** A seed of tests/fuzz/corpus/dhcp/ and what it must be answered with. */
struct seed {
	const char *name;       /**< file name in the corpus */
	enum dhcp_via via;      /**< the port it is delivered to */
	enum dhcp_boot boot;    /**< expected choice */
	uint8_t reply_type;     /**< expected reply, 0 for none */
};

static const struct seed seeds[] = {
	{ "ovmf-pxe-discover", DHCP_VIA_BOOTPS, DHCP_BOOT_EFI_TFTP, DHCP_OFFER },
	{ "ovmf-pxe-request-67", DHCP_VIA_BOOTPS, DHCP_BOOT_NONE, 0 },
	{ "ovmf-pxe-request-4011", DHCP_VIA_PXE, DHCP_BOOT_EFI_TFTP, DHCP_ACK },
	{ "ipxe-discover", DHCP_VIA_BOOTPS, DHCP_BOOT_IPXE_SCRIPT, DHCP_OFFER },
	{ "ipxe-request-67", DHCP_VIA_BOOTPS, DHCP_BOOT_NONE, 0 },
	{ "ipxe-request-67", DHCP_VIA_PXE, DHCP_BOOT_IPXE_SCRIPT, DHCP_ACK },
	{ "http-discover", DHCP_VIA_BOOTPS, DHCP_BOOT_HTTP, DHCP_OFFER },
	{ "http-request-67", DHCP_VIA_BOOTPS, DHCP_BOOT_NONE, 0 },
	{ "bios-pxe-discover", DHCP_VIA_BOOTPS, DHCP_BOOT_BIOS_TFTP, DHCP_OFFER },
	{ "overload-file-discover", DHCP_VIA_BOOTPS, DHCP_BOOT_EFI_TFTP, DHCP_OFFER },
};

/* Read a seed into p; the corpus is found from the repository root (where tests run). */
static int load_seed(const char *name, struct pkt *p)
{
	const char *dir = getenv("STRATA_DHCP_CORPUS");
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fuzz/corpus/dhcp", name);
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	p->len = fread(p->b, 1, sizeof(p->b), f);
	fclose(f);
	return 0;
}

/* The packets real clients sent (captured by tests/server/dhcp.sh) get the right answer. */
static void test_captured_packets(void)
{
	struct dhcp_request req;
	struct dhcp_decision dec;
	const char *why;
	struct pkt p;
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		if (!CHECK_MSG(load_seed(seeds[i].name, &p) == 0, "cannot read seed %s (run "
			       "from the repository root)", seeds[i].name))
			continue;
		if (!CHECK_MSG(parse(&p, &req, &why) == 0, "%s: %s", seeds[i].name, why))
			continue;
		dhcp_decide(&req, &policy, seeds[i].via, &dec);
		CHECK_MSG(dec.boot == seeds[i].boot, "%s: boot %s", seeds[i].name,
			  dhcp_boot_name(dec.boot));
		CHECK_MSG(dec.reply_type == seeds[i].reply_type, "%s: reply type %u",
			  seeds[i].name, dec.reply_type);
	}
}

int main(void)
{
	RUN(test_parse_ovmf_pxe);
	RUN(test_parse_ipxe);
	RUN(test_parse_http);
	RUN(test_parse_padding);
	RUN(test_reject_header);
	RUN(test_reject_framing);
	RUN(test_reject_options);
	RUN(test_unread_option_repeats);
	RUN(test_overload);
	RUN(test_no_overload_ignores_fields);
	RUN(test_ovmf_pxe_offer);
	RUN(test_ovmf_pxe_ack_on_4011);
	RUN(test_agent_for_capture);
	RUN(test_enroll_over_http);
	RUN(test_arch9_is_efi);
	RUN(test_bios_gets_undionly_and_bypass);
	RUN(test_ipxe_gets_script);
	RUN(test_ipxe_bios_gets_script);
	RUN(test_http_boot);
	RUN(test_http_other_arch_refused);
	RUN(test_arm64_refused);
	RUN(test_non_boot_client_ignored);
	RUN(test_request_on_67);
	RUN(test_port_4011_types);
	RUN(test_arch_from_class);
	RUN(test_policy_without_http);
	RUN(test_long_url);
	RUN(test_relay_fields_echoed);
	RUN(test_relay_reply_broadcast);
	RUN(test_tftp_server);
	RUN(test_policy_check);
	RUN(test_build_errors);
	RUN(test_captured_packets);
	return harness_summary();
}
