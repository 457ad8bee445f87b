/* The have/need bodies of a capture task (see need.h). */
#include "manifest.h"
#include "mem.h"
#include "need.h"
#include "rc.h"
#include "text.h"

/* Whether the line at p (STRATA_NEED_LINE bytes) is 64 lowercase hex digits and '\n'. */
static int line_ok(const char *p)
{
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return p[64] == '\n';
}

int strata_need_parse(const char *body, size_t len, uint8_t (*out)[32], size_t cap,
		      size_t *n, size_t *line)
{
	size_t lines = len / STRATA_NEED_LINE;

	*n = 0;
	*line = 0;
	if (len == 0 || len % STRATA_NEED_LINE || lines > cap)
		return STRATA_EINVAL;
	for (size_t i = 0; i < lines; i++) {
		const char *p = body + i * STRATA_NEED_LINE;

		if (!line_ok(p) || strata_hex_decode(out[i], p, 32))
			return *line = i + 1, STRATA_EINVAL;
	}
	*n = lines;
	return 0;
}

size_t strata_need_write(char *out, const uint8_t (*d)[32], size_t n, const uint8_t *pick)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (pick && !pick[i])
			continue;
		strata_hex_encode(out + len, d[i], 32);   /* its NUL lands on the '\n' */
		out[len + 64] = '\n';
		len += STRATA_NEED_LINE;
	}
	return len;
}

int strata_need_answer_parse(const char *body, size_t len, const uint8_t (*d)[32], size_t n,
			     uint8_t *missing, size_t *line)
{
	size_t at = 0, k = 0;
	uint8_t name[32];

	*line = 0;
	strata_memset(missing, 0, n);
	while (at < len) {
		*line = at / STRATA_NEED_LINE + 1;
		if (len - at < STRATA_NEED_LINE || !line_ok(body + at) ||
		    strata_hex_decode(name, body + at, 32))
			return STRATA_EINVAL;
		/* The next name asked that equals this line: the answer keeps the order. */
		while (k < n && strata_memcmp(d[k], name, 32))
			k++;
		if (k == n)
			return STRATA_EINVAL;
		missing[k++] = 1;
		at += STRATA_NEED_LINE;
	}
	*line = 0;
	return 0;
}

int strata_commit_answer_layer(const char *line, size_t len, uint8_t id[32])
{
	size_t at = 0, end = 0, w;

	while (end < len && line[end] != '\n')
		end++;
	for (; at < end; at = w + 1) {
		for (w = at; w < end && line[w] != ' '; w++)
			;
		if (w - at > 6 && line[at] == 'l' && line[at + 1] == 'a' && line[at + 2] == 'y' &&
		    line[at + 3] == 'e' && line[at + 4] == 'r' && line[at + 5] == '=')
			return strata_layer_id_parse(id, line + at + 6, w - at - 6) ? STRATA_EINVAL
				: 0;
	}
	return STRATA_EINVAL;
}
