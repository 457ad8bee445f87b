/*
 * Parser of received TFTP packets (see tftp_parse.h for the policy).  Pure: no I/O, no
 * allocation, no locale; every read is bounded by the packet length.
 */
#include <errno.h>
#include <string.h>

#include "tftp_parse.h"

/** Read position in a packet: fields are consumed from p up to end. */
struct cursor {
	const uint8_t *p;   /**< next unread byte */
	const uint8_t *end; /**< one past the last byte of the packet */
};

/** One NUL-terminated field taken from a cursor; s points into the packet. */
struct field {
	const char *s; /**< borrowed, NUL-terminated in the packet */
	size_t len;    /**< bytes before the NUL */
};

/** Option names this server understands, and the bit each sets. */
static const struct {
	const char *name;
	unsigned int bit;
} known_opts[] = {
	{ TFTP_OPT_NAME_BLKSIZE, TFTP_OPT_BLKSIZE },
	{ TFTP_OPT_NAME_TSIZE, TFTP_OPT_TSIZE },
	{ TFTP_OPT_NAME_TIMEOUT, TFTP_OPT_TIMEOUT },
	{ TFTP_OPT_NAME_WINDOWSIZE, TFTP_OPT_WINDOWSIZE },
};

int tftp_opcode(const uint8_t *pkt, size_t len)
{
	if (len < 2)
		return -EINVAL;
	return tftp_be16_get(pkt);
}

/*
 * Take the next NUL-terminated field.  Why memchr bounded by end: a field without its NUL
 * must never let a later strlen run off the packet.
 */
static int take_field(struct cursor *c, struct field *f)
{
	const uint8_t *nul = memchr(c->p, 0, (size_t)(c->end - c->p));

	if (!nul)
		return -EINVAL;
	f->s = (const char *)c->p;
	f->len = (size_t)(nul - c->p);
	c->p = nul + 1;
	return 0;
}

/* ASCII-only case-insensitive equality, so the result never depends on the locale. */
static int ascii_ieq(const struct field *f, const char *lit)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		unsigned char a = (unsigned char)f->s[i], b = (unsigned char)lit[i];

		if (b == 0)
			return 0;
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return lit[i] == 0;
}

/* Decimal value of a field: digits only, at most 20 of them, no overflow. */
static int parse_decimal(const struct field *f, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (f->len == 0 || f->len > TFTP_OPTVAL_MAX)
		return -ENOPROTOOPT;
	for (i = 0; i < f->len; i++) {
		unsigned int d = (unsigned int)((unsigned char)f->s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -ENOPROTOOPT;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_filename(struct cursor *c, struct tftp_request *req, const char **why)
{
	struct field f;

	if (take_field(c, &f) < 0)
		return tftp_fail(why, -EINVAL, "filename without terminating NUL");
	if (f.len == 0)
		return tftp_fail(why, -EINVAL, "empty filename");
	if (f.len > TFTP_FILENAME_MAX)
		return tftp_fail(why, -ENAMETOOLONG, "filename longer than 255 bytes");
	req->filename = f.s;
	req->filename_len = f.len;
	return 0;
}

static int parse_mode(struct cursor *c, struct tftp_request *req, const char **why)
{
	struct field f;

	if (take_field(c, &f) < 0)
		return tftp_fail(why, -EINVAL, "mode missing or without terminating NUL");
	if (ascii_ieq(&f, TFTP_MODE_OCTET))
		return 0;
	if (ascii_ieq(&f, TFTP_MODE_NETASCII)) {
		req->netascii = true;
		return 0;
	}
	return tftp_fail(why, -EINVAL, "unknown transfer mode");
}

/*
 * Store a known option's value.  Returns 1 when the RFC range excludes it (ignored).
 * Clamping a too-large blksize or windowsize is allowed: the server may answer less.
 */
static int apply_option(struct tftp_request *req, unsigned int bit, uint64_t v)
{
	switch (bit) {
	case TFTP_OPT_BLKSIZE:
		if (v < TFTP_BLKSIZE_MIN)
			return 1;
		req->blksize = v > TFTP_BLKSIZE_MAX ? TFTP_BLKSIZE_MAX : (uint32_t)v;
		break;
	case TFTP_OPT_TSIZE:
		req->tsize = v;
		break;
	case TFTP_OPT_TIMEOUT:
		if (v < TFTP_TIMEOUT_MIN || v > TFTP_TIMEOUT_MAX)
			return 1;
		req->timeout = (uint32_t)v;
		break;
	default: /* TFTP_OPT_WINDOWSIZE */
		if (v < TFTP_WINDOWSIZE_MIN)
			return 1;
		req->windowsize = v > TFTP_WINDOWSIZE_MAX ? TFTP_WINDOWSIZE_MAX : (uint32_t)v;
		break;
	}
	req->opts |= bit;
	return 0;
}

static unsigned int known_option_bit(const struct field *name)
{
	size_t i;

	for (i = 0; i < sizeof(known_opts) / sizeof(known_opts[0]); i++)
		if (ascii_ieq(name, known_opts[i].name))
			return known_opts[i].bit;
	return 0;
}

/*
 * Judge one option: 0 taken, 1 ignored (unknown, or outside its RFC range), or a
 * negative errno when the whole request is refused.  *seen collects known names to catch
 * duplicates.
 */
static int judge_option(struct tftp_request *req, const struct field *name,
			const struct field *value, unsigned int *seen, const char **why)
{
	unsigned int bit = known_option_bit(name);
	uint64_t v;

	if (!bit)
		return 1;
	if (*seen & bit)
		return tftp_fail(why, -ENOPROTOOPT, "option given twice");
	*seen |= bit;
	if (parse_decimal(value, &v) < 0)
		return tftp_fail(why, -ENOPROTOOPT, "option value is not a decimal number");
	return apply_option(req, bit, v);
}

/* One name/value pair.  The first ignored option, or the refused one, is noted. */
static int parse_option(struct cursor *c, struct tftp_request *req, unsigned int *seen,
			const char **why)
{
	struct field name, value;
	int rc;

	if (take_field(c, &name) < 0)
		return tftp_fail(why, -EINVAL, "option name without terminating NUL");
	if (name.len == 0)
		return tftp_fail(why, -EINVAL, "empty option name (trailing garbage)");
	if (take_field(c, &value) < 0)
		return tftp_fail(why, -EINVAL, "option without a NUL-terminated value");
	rc = judge_option(req, &name, &value, seen, why);
	if (rc < 0 || (rc > 0 && !req->noted.name))
		req->noted = (struct tftp_opt_text){ name.s, name.len, value.s, value.len };
	if (rc > 0)
		req->ignored++;
	return rc < 0 ? rc : 0;
}

int tftp_parse_request(const uint8_t *pkt, size_t len, struct tftp_request *req,
		       const char **why)
{
	struct cursor c;
	unsigned int seen = 0;
	int op, rc;

	memset(req, 0, sizeof(*req));
	if (len > TFTP_REQ_MAX)
		return tftp_fail(why, -EMSGSIZE, "request longer than 512 bytes");
	op = tftp_opcode(pkt, len);
	if (op < 0)
		return tftp_fail(why, -EINVAL, "packet shorter than an opcode");
	if (op != TFTP_RRQ && op != TFTP_WRQ)
		return tftp_fail(why, -EINVAL, "not a read or write request");
	req->opcode = (uint16_t)op;
	c.p = pkt + 2;
	c.end = pkt + len;
	rc = parse_filename(&c, req, why);
	if (rc < 0)
		return rc;
	rc = parse_mode(&c, req, why);
	while (rc == 0 && c.p < c.end)
		rc = parse_option(&c, req, &seen, why);
	return rc;
}

int tftp_parse_ack(const uint8_t *pkt, size_t len, uint16_t *block, const char **why)
{
	const struct tftp_block_hdr *h = (const struct tftp_block_hdr *)pkt;

	if (len != sizeof(*h))
		return tftp_fail(why, -EINVAL, "ACK is not 4 bytes long");
	if (tftp_be16_get(h->opcode) != TFTP_ACK)
		return tftp_fail(why, -EINVAL, "not an ACK");
	*block = tftp_be16_get(h->block);
	return 0;
}

int tftp_parse_error(const uint8_t *pkt, size_t len, struct tftp_error_pkt *err,
		     const char **why)
{
	const struct tftp_error_hdr *h = (const struct tftp_error_hdr *)pkt;
	const uint8_t *nul;

	if (len < sizeof(*h) + 1)
		return tftp_fail(why, -EINVAL, "ERROR shorter than header and message NUL");
	if (tftp_be16_get(h->opcode) != TFTP_ERROR)
		return tftp_fail(why, -EINVAL, "not an ERROR");
	nul = memchr(pkt + sizeof(*h), 0, len - sizeof(*h));
	if (!nul)
		return tftp_fail(why, -EINVAL, "ERROR message without terminating NUL");
	if (nul != pkt + len - 1)
		return tftp_fail(why, -EINVAL, "bytes after the ERROR message");
	err->code = tftp_be16_get(h->code);
	err->msg = (const char *)(pkt + sizeof(*h));
	err->msg_len = (size_t)(nul - (pkt + sizeof(*h)));
	return 0;
}
