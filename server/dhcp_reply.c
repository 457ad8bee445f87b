/*
 * proxyDHCP decision and reply encoding (rules in dhcp_reply.h).
 *
 * Structure: dhcp_decide() is a short list of named rules, each a small function that
 * either narrows the answer or says why there is none.  dhcp_reply_build() writes the
 * fixed header, then appends options through a bounds-checked writer, so an undersized
 * buffer is an error and never an overrun.
 */
#include <errno.h>
#include <string.h>

#include "dhcp_reply.h"

/** The PXE vendor options for BIOS clients: discovery control = bypass, then END. */
static const uint8_t pxe_bypass[] = {
	DHCP_PXE_DISCOVERY_CONTROL, 1, DHCP_PXE_DISCOVERY_BYPASS, DHCP_OPT_END,
};

const char *dhcp_boot_name(enum dhcp_boot boot)
{
	switch (boot) {
	case DHCP_BOOT_NONE: return "none";
	case DHCP_BOOT_BIOS_TFTP: return "bios-tftp";
	case DHCP_BOOT_EFI_TFTP: return "efi-tftp";
	case DHCP_BOOT_IPXE_SCRIPT: return "ipxe-script";
	case DHCP_BOOT_HTTP: return "http";
	case DHCP_BOOT_AGENT_TFTP: return "agent-tftp";
	}
	return "?";
}

/* --- policy -------------------------------------------------------------------------- */

static int check_tftp_name(const char *name, const char **why)
{
	size_t n;

	if (!name)
		return 0;
	n = strlen(name);
	if (n == 0)
		return dhcp_fail(why, -EINVAL, "empty TFTP boot file name");
	if (n > DHCP_TFTP_NAME_MAX)
		return dhcp_fail(why, -EINVAL, "TFTP boot file name longer than the file field");
	return 0;
}

static int check_url(const char *url, const char **why)
{
	size_t n;

	if (!url)
		return 0;
	n = strlen(url);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return dhcp_fail(why, -EINVAL,
				 "boot URL is not an absolute http:// or https:// URL");
	if (n > DHCP_OPT_MAX)
		return dhcp_fail(why, -EINVAL, "boot URL longer than 255 bytes (one option 67)");
	return 0;
}

int dhcp_policy_check(const struct dhcp_policy *pol, const char **why)
{
	static const uint8_t zero[4];
	int rc;

	if (memcmp(pol->server, zero, 4) == 0)
		return dhcp_fail(why, -EINVAL, "server address is 0.0.0.0");
	rc = check_tftp_name(pol->bios_file, why);
	if (rc == 0)
		rc = check_tftp_name(pol->efi_file, why);
	if (rc == 0)
		rc = check_url(pol->script_url, why);
	if (rc == 0)
		rc = check_url(pol->http_url, why);
	if (rc == 0)
		rc = check_url(pol->enroll_url, why);
	if (rc == 0)
		rc = check_tftp_name(pol->agent_file, why);
	if (rc == 0 && pol->agent_args && strlen(pol->agent_args) > DHCP_OPT_MAX)
		rc = dhcp_fail(why, -EINVAL, "agent arguments longer than 255 bytes (one option)");
	return rc;
}

/* --- decision ------------------------------------------------------------------------ */

/* Rule 3: which reply, if any, the message type and port call for. */
static uint8_t reply_type(const struct dhcp_request *req, const struct dhcp_policy *pol,
			  enum dhcp_via via, const char **why)
{
	if (via == DHCP_VIA_PXE) {
		if (req->msg_type == DHCP_REQUEST || req->msg_type == DHCP_INFORM)
			return DHCP_ACK;
		*why = "only REQUEST and INFORM are answered on the PXE port";
		return 0;
	}
	if (req->msg_type == DHCP_DISCOVER)
		return DHCP_OFFER;
	if (req->msg_type != DHCP_REQUEST) {
		*why = "message type not answered by a proxy";
		return 0;
	}
	if (req->server_id.data && memcmp(req->server_id.data, pol->server, 4) == 0)
		return DHCP_ACK;
	*why = "REQUEST for another server's lease";
	return 0;
}

/* Rule 2 fallback: "PXEClient:Arch:00007:UNDI:003000" carries the arch in decimal. */
static bool arch_from_class(const struct dhcp_bytes *cls, uint16_t *arch)
{
	static const char tag[] = ":Arch:";
	const size_t tlen = sizeof(tag) - 1, digits = 5;
	uint32_t v = 0;
	size_t i, at;

	for (at = 0; at + tlen + digits <= cls->len; at++)
		if (memcmp(cls->data + at, tag, tlen) == 0)
			break;
	if (at + tlen + digits > cls->len)
		return false;
	for (i = at + tlen; i < at + tlen + digits; i++) {
		if (cls->data[i] < '0' || cls->data[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(cls->data[i] - '0');
	}
	if (v > UINT16_MAX)
		return false;
	*arch = (uint16_t)v;
	return true;
}

/* Rule 4: what an identified client boots; DHCP_BOOT_NONE with *why when nothing. */
static enum dhcp_boot choose_boot(const struct dhcp_decision *dec, const char **why)
{
	if (dec->ipxe)
		return DHCP_BOOT_IPXE_SCRIPT;
	if (dec->http_class) {
		if (dec->arch == DHCP_ARCH_EFI_X64_HTTP)
			return DHCP_BOOT_HTTP;
		*why = "HTTPClient of an architecture we have no boot file for";
		return DHCP_BOOT_NONE;
	}
	if (dec->arch == DHCP_ARCH_EFI_X64 || dec->arch == DHCP_ARCH_EFI_BC)
		return DHCP_BOOT_EFI_TFTP;
	if (dec->arch == DHCP_ARCH_BIOS)
		return DHCP_BOOT_BIOS_TFTP;
	*why = "PXEClient of an architecture we have no boot file for";
	return DHCP_BOOT_NONE;
}

static const char *policy_file(const struct dhcp_policy *pol, enum dhcp_boot boot)
{
	switch (boot) {
	case DHCP_BOOT_BIOS_TFTP: return pol->bios_file;
	case DHCP_BOOT_EFI_TFTP: return pol->efi_file;
	case DHCP_BOOT_IPXE_SCRIPT: return pol->script_url;
	case DHCP_BOOT_HTTP: return pol->http_url;
	case DHCP_BOOT_AGENT_TFTP: return pol->agent_file;
	case DHCP_BOOT_NONE: break;
	}
	return NULL;
}

/* Fill in who the client is (rules 1 and 2); false with dec->why when it is not ours. */
static bool identify(const struct dhcp_request *req, struct dhcp_decision *dec)
{
	if (dhcp_bytes_prefix(&req->vendor_class, DHCP_CLASS_HTTP))
		dec->http_class = true;
	else if (!dhcp_bytes_prefix(&req->vendor_class, DHCP_CLASS_PXE)) {
		dec->why = "not a PXEClient or HTTPClient";
		return false;
	}
	dec->ipxe = dhcp_bytes_contains(&req->user_class, DHCP_USER_CLASS_IPXE);
	dec->has_arch = req->has_arch;
	dec->arch = req->arch;
	if (!dec->has_arch)
		dec->has_arch = arch_from_class(&req->vendor_class, &dec->arch);
	if (!dec->has_arch && !dec->ipxe) {
		dec->why = "no client architecture (option 93 or Arch: in option 60)";
		return false;
	}
	return true;
}

void dhcp_decide(const struct dhcp_request *req, const struct dhcp_policy *pol,
		 enum dhcp_via via, struct dhcp_decision *dec)
{
	uint8_t type;

	memset(dec, 0, sizeof(*dec));
	if (!identify(req, dec))
		return;
	type = reply_type(req, pol, via, &dec->why);
	if (type == 0)
		return;
	dec->boot = choose_boot(dec, &dec->why);
	if (dec->boot == DHCP_BOOT_NONE) {
		dec->refused = true;
		return;
	}
	dec->file = policy_file(pol, dec->boot);
	if (!dec->file) {
		dec->boot = DHCP_BOOT_NONE;
		dec->why = "the policy has no boot file for this kind of client";
		dec->refused = true;
		return;
	}
	dec->reply_type = type;
}

void dhcp_decide_agent(const struct dhcp_policy *pol, struct dhcp_decision *dec)
{
	if (dec->boot != DHCP_BOOT_EFI_TFTP || !pol->agent_file || !pol->agent_args)
		return;
	dec->boot = DHCP_BOOT_AGENT_TFTP;
	dec->file = pol->agent_file;
}

void dhcp_decide_enroll(const struct dhcp_policy *pol, struct dhcp_decision *dec)
{
	if (dec->boot == DHCP_BOOT_HTTP && pol->enroll_url)
		dec->file = pol->enroll_url;
}

/* --- encoding ------------------------------------------------------------------------ */

/** Appends options to a reply without ever writing past size. */
struct opt_writer {
	uint8_t *buf;  /**< the reply, borrowed */
	size_t size;   /**< bytes available in buf */
	size_t off;    /**< next byte to write */
};

static int put_opt(struct opt_writer *w, uint8_t code, const void *val, size_t len,
		   const char **why)
{
	if (len > DHCP_OPT_MAX)
		return dhcp_fail(why, -EINVAL, "option value longer than 255 bytes");
	if (w->size - w->off < 2 + len)
		return dhcp_fail(why, -ENOSPC, "reply buffer too small for the options");
	w->buf[w->off] = code;
	w->buf[w->off + 1] = (uint8_t)len;
	memcpy(w->buf + w->off + 2, val, len);
	w->off += 2 + len;
	return 0;
}

static int put_end(struct opt_writer *w, const char **why)
{
	if (w->size - w->off < 1)
		return dhcp_fail(why, -ENOSPC, "reply buffer too small for END");
	w->buf[w->off++] = DHCP_OPT_END;
	return 0;
}

/*
 * The reply's flags: the request's, with the broadcast bit set when a relay (giaddr) will
 * hand the reply on.  Why: a relay unicasts a reply without that bit to yiaddr, which is
 * 0 in ours (we assign no address), so the client never got it; iPXE sends its requests
 * without the bit (tests/e2e/sites.sh, case 5: dnsmasq's relay dropped our offer).
 */
static uint16_t reply_flags(const struct dhcp_request *req)
{
	static const uint8_t zero[4];

	if (memcmp(req->giaddr, zero, 4) != 0)
		return (uint16_t)(req->flags | DHCP_FLAG_BROADCAST);
	return req->flags;
}

/* The fixed header; buf has at least DHCP_MIN_LEN bytes, zeroed by the caller. */
static void put_header(const struct dhcp_request *req, const struct dhcp_policy *pol,
		       const struct dhcp_decision *dec, uint8_t *buf)
{
	struct dhcp_hdr *h = (struct dhcp_hdr *)buf;
	size_t flen = strlen(dec->file);

	h->op = DHCP_BOOTREPLY;
	h->htype = req->htype;
	h->hlen = req->hlen;
	dhcp_be32_put(h->xid, req->xid);
	dhcp_be16_put(h->flags, reply_flags(req));
	if (dec->reply_type == DHCP_ACK)
		memcpy(h->ciaddr, req->ciaddr, 4);
	memcpy(h->siaddr, memcmp(pol->tftp, (uint8_t[4]){ 0 }, 4) ? pol->tftp : pol->server, 4);
	memcpy(h->giaddr, req->giaddr, 4);
	memcpy(h->chaddr, req->chaddr, DHCP_CHADDR_LEN);
	if (flen < DHCP_FILE_LEN)
		memcpy(h->file, dec->file, flen);
	dhcp_be32_put(h->magic, DHCP_MAGIC);
}

static int put_options(struct opt_writer *w, const struct dhcp_request *req,
		       const struct dhcp_policy *pol, const struct dhcp_decision *dec,
		       const char **why)
{
	const char *cls = dec->http_class ? DHCP_CLASS_HTTP : DHCP_CLASS_PXE;
	int rc;

	rc = put_opt(w, DHCP_OPT_MSG_TYPE, &dec->reply_type, 1, why);
	if (rc == 0)
		rc = put_opt(w, DHCP_OPT_SERVER_ID, pol->server, 4, why);
	if (rc == 0)
		rc = put_opt(w, DHCP_OPT_VENDOR_CLASS, cls, strlen(cls), why);
	if (rc == 0 && req->uuid.data)
		rc = put_opt(w, DHCP_OPT_CLIENT_UUID, req->uuid.data, req->uuid.len, why);
	if (rc == 0 && dec->boot == DHCP_BOOT_BIOS_TFTP)
		rc = put_opt(w, DHCP_OPT_VENDOR_ENCAP, pxe_bypass, sizeof(pxe_bypass), why);
	/* Before the boot file: OVMF's PXE writes a NUL after option 67's value in the packet
	 * it keeps, over the next option's code (seen in the PXE base code's ProxyOffer). */
	if (rc == 0 && dec->boot == DHCP_BOOT_AGENT_TFTP)
		rc = put_opt(w, DHCP_OPT_STRATA_ARGS, pol->agent_args, strlen(pol->agent_args), why);
	if (rc == 0)
		rc = put_opt(w, DHCP_OPT_BOOTFILE, dec->file, strlen(dec->file), why);
	if (rc == 0)
		rc = put_end(w, why);
	return rc;
}

int dhcp_reply_build(const struct dhcp_request *req, const struct dhcp_policy *pol,
		     const struct dhcp_decision *dec, uint8_t *buf, size_t size, size_t *len,
		     const char **why)
{
	struct opt_writer w = { .buf = buf, .size = size, .off = DHCP_HDR_LEN };
	int rc;

	if (dec->boot == DHCP_BOOT_NONE || !dec->file || !dec->reply_type)
		return dhcp_fail(why, -EINVAL, "no reply was decided for this request");
	if (size < DHCP_MIN_LEN)
		return dhcp_fail(why, -ENOSPC, "reply buffer smaller than a BOOTP message");
	memset(buf, 0, DHCP_MIN_LEN);
	put_header(req, pol, dec, buf);
	rc = put_options(&w, req, pol, dec, why);
	if (rc < 0)
		return rc;
	*len = w.off > DHCP_MIN_LEN ? w.off : DHCP_MIN_LEN;
	return 0;
}
