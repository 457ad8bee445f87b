/* Hex, base64, GUID and size codecs, and log escaping (see text.h). */
#include "text.h"
#include "mem.h"
#include "rc.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int strata_hex_decode(uint8_t *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return STRATA_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void strata_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Bytes a log line cannot carry as they are (see strata_escape). */
static int must_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '\\';
}

size_t strata_escape(char *out, size_t cap, const char *s, size_t len)
{
	size_t i, o = 0;

	if (cap == 0)
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		size_t need = must_escape(c) ? 4 : 1;

		if (o + need >= cap)
			break;
		if (need == 1) {
			out[o++] = (char)c;
			continue;
		}
		out[o] = '\\';
		out[o + 1] = 'x';
		strata_hex_encode(out + o + 2, &c, 1);
		o += 4;
	}
	out[o] = '\0';
	return i;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(char c)
{
	for (int i = 0; i < 64; i++)
		if (b64[i] == c)
			return i;
	return -1;
}

int strata_base64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s, size_t len)
{
	size_t n = 0;

	if (len == 0 || len % 4)
		return STRATA_EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int pad = (s[i + 3] == '=') + (s[i + 2] == '=');
		int v[4];

		if ((pad && i + 4 != len) || (s[i + 2] == '=' && s[i + 3] != '='))
			return STRATA_EINVAL;
		for (int k = 0; k < 4 - pad; k++)
			if ((v[k] = b64val(s[i + k])) < 0)
				return STRATA_EINVAL;
		for (int k = 4 - pad; k < 4; k++)
			v[k] = 0;
		/* Canonical form only: the bits padding leaves over must be zero. */
		if ((pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3)))
			return STRATA_EINVAL;
		if (n + 3 - (size_t)pad > cap)
			return STRATA_ERANGE;
		out[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (uint8_t)(v[2] << 6 | v[3]);
	}
	*out_len = n;
	return 0;
}

void strata_base64_encode(char *out, const uint8_t *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Byte positions of the 16 GUID bytes in text order, for GPT's mixed-endian layout. */
static const uint8_t guid_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

int strata_guid_parse(uint8_t out[16], const char *s, size_t len)
{
	size_t pos = 0;

	if (len != 36)
		return STRATA_EINVAL;
	for (int i = 0; i < 16; i++) {
		if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
			if (s[pos] != '-')
				return STRATA_EINVAL;
			pos++;
		}
		if (strata_hex_decode(&out[guid_order[i]], s + pos, 1))
			return STRATA_EINVAL;
		pos += 2;
	}
	return 0;
}

void strata_guid_format(char out[37], const uint8_t guid[16])
{
	static const char digits[] = "0123456789ABCDEF";
	size_t pos = 0;

	for (int i = 0; i < 16; i++) {
		uint8_t b = guid[guid_order[i]];

		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[pos++] = '-';
		out[pos++] = digits[b >> 4];
		out[pos++] = digits[b & 15];
	}
	out[pos] = '\0';
}

int strata_u64_parse(uint64_t *out, const char *s, size_t len, uint64_t max)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return STRATA_EINVAL;
	for (size_t i = 0; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			return STRATA_EINVAL;
		if (d > max || v > (max - d) / 10)
			return STRATA_ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int strata_size_parse(uint64_t *out, const char *s, size_t len)
{
	static const char suffixes[] = "KMGT";
	unsigned int shift = 0;
	uint64_t v;
	int rc;

	if (len > 1) {
		for (int i = 0; i < 4; i++)
			if (s[len - 1] == suffixes[i])
				shift = 10 * (unsigned int)(i + 1);
		if (shift)
			len--;
	}
	rc = strata_u64_parse(&v, s, len, UINT64_MAX >> shift);
	if (rc)
		return rc;
	*out = v << shift;
	return 0;
}

size_t strata_u64_format(char out[STRATA_U64_TEXT], uint64_t v)
{
	char rev[STRATA_U64_TEXT];
	size_t n = 0;

	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
	return n;
}

void strata_out_put(struct strata_out *o, const char *s, size_t n)
{
	size_t room = o->len < o->cap ? o->cap - o->len : 0;

	if (room)
		strata_memcpy(o->p + o->len, s, n < room ? n : room);
	o->len += n;
}

void strata_out_str(struct strata_out *o, const char *s)
{
	strata_out_put(o, s, strata_strlen(s));
}

void strata_out_u64(struct strata_out *o, uint64_t v)
{
	char num[STRATA_U64_TEXT];

	strata_out_put(o, num, strata_u64_format(num, v));
}

int strata_mac_parse(uint8_t mac[6], const char *s, size_t len)
{
	if (len != 17)
		return STRATA_EINVAL;
	for (int i = 0; i < 6; i++) {
		if (i && s[3 * i - 1] != ':' && s[3 * i - 1] != '-')
			return STRATA_EINVAL;
		if (strata_hex_decode(&mac[i], s + 3 * i, 1))
			return STRATA_EINVAL;
	}
	return 0;
}

void strata_mac_format(char out[18], const uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		strata_hex_encode(out + 3 * i, &mac[i], 1);
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
}
