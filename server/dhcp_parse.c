/*
 * DHCP request parser (policy in dhcp_parse.h).
 *
 * Structure: dhcp_parse() checks the fixed header, then walks the option areas in RFC
 * 2131 order with parse_area().  parse_area() only splits an area into (code, value)
 * pairs, bounds-checked; store_option() validates and records the options we read, one
 * small function per option with its own failure message.
 *
 * Bounds checks compare remaining lengths (len - off) rather than adding to offsets, so
 * no sum can overflow whatever size_t is.
 */
#include <errno.h>
#include <string.h>

#include "dhcp_parse.h"

/* --- recording ----------------------------------------------------------------------- */

static void mark_present(struct dhcp_request *req, uint8_t code)
{
	req->present[code / 8] |= (uint8_t)(1u << (code % 8));
}

bool dhcp_has_option(const struct dhcp_request *req, uint8_t code)
{
	return (req->present[code / 8] >> (code % 8)) & 1u;
}

bool dhcp_bytes_prefix(const struct dhcp_bytes *b, const char *prefix)
{
	size_t n = strlen(prefix);

	return b->data && b->len >= n && memcmp(b->data, prefix, n) == 0;
}

bool dhcp_bytes_contains(const struct dhcp_bytes *b, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!b->data || b->len < n)
		return false;
	for (i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, needle, n) == 0)
			return true;
	return false;
}

/* Borrow an option value into *dst. */
static void keep(struct dhcp_bytes *dst, const uint8_t *val, size_t len)
{
	dst->data = val;
	dst->len = len;
}

/* --- one function per option we read ------------------------------------------------- */

static int opt_msg_type(struct dhcp_request *req, const uint8_t *val, size_t len,
			const char **why)
{
	if (len != 1)
		return dhcp_fail(why, -EINVAL, "option 53 (message type) is not 1 byte");
	if (val[0] == 0)
		return dhcp_fail(why, -EINVAL, "option 53 (message type) is 0");
	req->msg_type = val[0];
	return 0;
}

static int opt_server_id(struct dhcp_request *req, const uint8_t *val, size_t len,
			 const char **why)
{
	if (len != 4)
		return dhcp_fail(why, -EINVAL, "option 54 (server id) is not 4 bytes");
	keep(&req->server_id, val, len);
	return 0;
}

static int opt_max_size(struct dhcp_request *req, const uint8_t *val, size_t len,
			const char **why)
{
	if (len != 2)
		return dhcp_fail(why, -EINVAL, "option 57 (max message size) is not 2 bytes");
	req->max_msg_size = dhcp_be16_get(val);
	if (req->max_msg_size < DHCP_MIN_MAX_MSG)
		return dhcp_fail(why, -EINVAL, "option 57 (max message size) below 576");
	return 0;
}

/* RFC 4578 2.1: a list of 16-bit types; the first is the one the client runs as. */
static int opt_arch(struct dhcp_request *req, const uint8_t *val, size_t len,
		    const char **why)
{
	if (len == 0 || len % 2 != 0)
		return dhcp_fail(why, -EINVAL,
				 "option 93 (client arch) is not a list of 2-byte types");
	keep(&req->arch_list, val, len);
	req->arch = dhcp_be16_get(val);
	req->has_arch = true;
	return 0;
}

/* RFC 4578 2.3: type 0 followed by the 16-byte machine UUID. */
static int opt_uuid(struct dhcp_request *req, const uint8_t *val, size_t len,
		    const char **why)
{
	if (len != DHCP_UUID_OPT_LEN)
		return dhcp_fail(why, -EINVAL, "option 97 (client UUID) is not 17 bytes");
	if (val[0] != 0)
		return dhcp_fail(why, -EINVAL, "option 97 (client UUID) has a type other than 0");
	keep(&req->uuid, val, len);
	return 0;
}

static int opt_overload(struct dhcp_request *req, const uint8_t *val, size_t len,
			bool main_area, const char **why)
{
	if (!main_area)
		return dhcp_fail(why, -EINVAL, "option 52 (overload) inside an overloaded field");
	if (dhcp_has_option(req, DHCP_OPT_OVERLOAD))
		return dhcp_fail(why, -EINVAL, "option 52 (overload) appears twice");
	mark_present(req, DHCP_OPT_OVERLOAD);
	if (len != 1)
		return dhcp_fail(why, -EINVAL, "option 52 (overload) is not 1 byte");
	if (val[0] < DHCP_OVERLOAD_FILE || val[0] > DHCP_OVERLOAD_BOTH)
		return dhcp_fail(why, -EINVAL, "option 52 (overload) is not 1, 2 or 3");
	req->overload = val[0];
	return 0;
}

/* Options whose value we keep: each may appear only once (see dhcp_parse.h). */
static bool is_read_option(uint8_t code)
{
	switch (code) {
	case DHCP_OPT_MSG_TYPE:
	case DHCP_OPT_SERVER_ID:
	case DHCP_OPT_PARAM_LIST:
	case DHCP_OPT_MAX_MSG_SIZE:
	case DHCP_OPT_VENDOR_CLASS:
	case DHCP_OPT_USER_CLASS:
	case DHCP_OPT_CLIENT_ARCH:
	case DHCP_OPT_CLIENT_UUID:
		return true;
	default:
		return false;
	}
}

/* Validate and record one option (not PAD or END).  val/len lie inside the packet. */
static int store_option(struct dhcp_request *req, uint8_t code, const uint8_t *val,
			size_t len, bool main_area, const char **why)
{
	if (code == DHCP_OPT_OVERLOAD)
		return opt_overload(req, val, len, main_area, why);
	if (is_read_option(code) && dhcp_has_option(req, code))
		return dhcp_fail(why, -EINVAL, "an option we read appears twice (RFC 3396 split)");
	mark_present(req, code);
	switch (code) {
	case DHCP_OPT_MSG_TYPE: return opt_msg_type(req, val, len, why);
	case DHCP_OPT_SERVER_ID: return opt_server_id(req, val, len, why);
	case DHCP_OPT_MAX_MSG_SIZE: return opt_max_size(req, val, len, why);
	case DHCP_OPT_CLIENT_ARCH: return opt_arch(req, val, len, why);
	case DHCP_OPT_CLIENT_UUID: return opt_uuid(req, val, len, why);
	case DHCP_OPT_PARAM_LIST: keep(&req->params, val, len); return 0;
	case DHCP_OPT_VENDOR_CLASS: keep(&req->vendor_class, val, len); return 0;
	case DHCP_OPT_USER_CLASS: keep(&req->user_class, val, len); return 0;
	default: return 0;
	}
}

/* --- option areas -------------------------------------------------------------------- */

/* After END only PAD may follow, up to the end of the area. */
static int check_tail(const uint8_t *p, size_t off, size_t len, const char **why)
{
	for (; off < len; off++)
		if (p[off] != DHCP_OPT_PAD)
			return dhcp_fail(why, -EINVAL, "bytes other than PAD after the END option");
	return 0;
}

/*
 * Walk one option area: p[0..len).  main_area is true for the options field proper (the
 * only place option 52 may be).  Every area must be closed by END.
 */
static int parse_area(struct dhcp_request *req, const uint8_t *p, size_t len, bool main_area,
		      const char **why)
{
	size_t off = 0, olen;
	uint8_t code;
	int rc;

	while (off < len) {
		code = p[off];
		if (code == DHCP_OPT_PAD) {
			off++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return check_tail(p, off + 1, len, why);
		if (len - off < 2)
			return dhcp_fail(why, -EINVAL, "option code without a length byte");
		olen = p[off + 1];
		if (olen > len - off - 2)
			return dhcp_fail(why, -EINVAL,
					 "option value runs past the end of its area");
		rc = store_option(req, code, p + off + 2, olen, main_area, why);
		if (rc < 0)
			return rc;
		off += 2 + olen;
	}
	return dhcp_fail(why, -EINVAL, main_area ? "options without an END option"
					  : "overloaded field without an END option");
}

/* RFC 2131 4.1: options field first, then file, then sname, as option 52 says. */
static int parse_options(struct dhcp_request *req, const uint8_t *pkt, size_t len,
			 const char **why)
{
	const struct dhcp_hdr *h = (const struct dhcp_hdr *)pkt;
	int rc;

	rc = parse_area(req, pkt + DHCP_HDR_LEN, len - DHCP_HDR_LEN, true, why);
	if (rc < 0)
		return rc;
	if (req->overload & DHCP_OVERLOAD_FILE) {
		rc = parse_area(req, h->file, sizeof(h->file), false, why);
		if (rc < 0)
			return rc;
	}
	if (req->overload & DHCP_OVERLOAD_SNAME)
		return parse_area(req, h->sname, sizeof(h->sname), false, why);
	return 0;
}

/* Copy and check the fixed header. */
static int parse_header(struct dhcp_request *req, const uint8_t *pkt, size_t len,
			const char **why)
{
	const struct dhcp_hdr *h = (const struct dhcp_hdr *)pkt;

	if (len < DHCP_HDR_LEN)
		return dhcp_fail(why, -EINVAL, "shorter than the 240-byte DHCP header");
	if (len > DHCP_PKT_MAX)
		return dhcp_fail(why, -EMSGSIZE, "longer than a DHCP message can be here");
	if (h->op != DHCP_BOOTREQUEST)
		return dhcp_fail(why, -EINVAL, "op is not BOOTREQUEST");
	if (h->hlen > DHCP_CHADDR_LEN)
		return dhcp_fail(why, -EINVAL, "hlen larger than chaddr");
	if (dhcp_be32_get(h->magic) != DHCP_MAGIC)
		return dhcp_fail(why, -EINVAL, "no DHCP magic cookie");
	req->op = h->op;
	req->htype = h->htype;
	req->hlen = h->hlen;
	req->hops = h->hops;
	req->xid = dhcp_be32_get(h->xid);
	req->secs = dhcp_be16_get(h->secs);
	req->flags = dhcp_be16_get(h->flags);
	memcpy(req->ciaddr, h->ciaddr, 4);
	memcpy(req->giaddr, h->giaddr, 4);
	memcpy(req->chaddr, h->chaddr, DHCP_CHADDR_LEN);
	return 0;
}

int dhcp_parse(const uint8_t *pkt, size_t len, struct dhcp_request *req, const char **why)
{
	int rc;

	memset(req, 0, sizeof(*req));
	rc = parse_header(req, pkt, len, why);
	if (rc < 0)
		return rc;
	rc = parse_options(req, pkt, len, why);
	if (rc < 0)
		return rc;
	if (req->msg_type == 0)
		return dhcp_fail(why, -EINVAL, "no DHCP message type (plain BOOTP)");
	return 0;
}
