/* The AWS credentials and config files' INI reader (s3.h). */
#include <string.h>
#include "s3.h"

/** One line of the text, trimmed of spaces and tabs at both ends. */
struct ini_line {
	const char *p;
	size_t n;
};

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The line at text[*off..), trimmed; *off moves past its LF.  0 at the end. */
static int next_line(const char *text, size_t len, size_t *off, struct ini_line *l)
{
	size_t s = *off, e;

	if (s >= len)
		return 0;
	for (e = s; e < len && text[e] != '\n'; e++)
		;
	*off = e + 1;
	while (s < e && blank(text[s]))
		s++;
	while (e > s && blank(text[e - 1]))
		e--;
	l->p = text + s;
	l->n = e - s;
	return 1;
}

static int is_section(const struct ini_line *l, const char *section)
{
	size_t n = strlen(section);

	return l->n == n + 2 && l->p[0] == '[' && l->p[n + 1] == ']' &&
	       !memcmp(l->p + 1, section, n);
}

/* "key = value" for key: copies the value; 1 found, 0 not. */
static int take_value(const struct ini_line *l, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key), i = k;

	if (l->n <= k || memcmp(l->p, key, k))
		return 0;
	while (i < l->n && blank(l->p[i]))
		i++;
	if (i == l->n || l->p[i++] != '=')
		return 0;
	while (i < l->n && blank(l->p[i]))
		i++;
	if (l->n - i >= cap)
		return 0;
	memcpy(out, l->p + i, l->n - i);
	out[l->n - i] = '\0';
	return 1;
}

int s3_ini_get(const char *text, size_t len, const char *section, const char *key,
	       char *out, size_t cap)
{
	struct ini_line l;
	size_t off = 0;
	int in = 0;

	while (next_line(text, len, &off, &l)) {
		if (l.n == 0 || l.p[0] == '#' || l.p[0] == ';')
			continue;
		if (l.p[0] == '[')
			in = is_section(&l, section);
		else if (in && take_value(&l, key, out, cap))
			return 1;
	}
	return 0;
}
