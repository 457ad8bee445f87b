/* The dashboard API's JSON writer (json_out.h). */
#include <inttypes.h>
#include <string.h>
#include "json_out.h"

/* One byte of a string, escaped where JSON or a page needs it. */
static void json_byte(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		return;
	case '\\':
		fputs("\\\\", f);
		return;
	case '\n':
		fputs("\\n", f);
		return;
	case '\t':
		fputs("\\t", f);
		return;
	}
	if (c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&')
		fprintf(f, "\\u%04x", c);
	else
		fputc(c, f);
}

void json_strn(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++)
		json_byte(f, (unsigned char)s[i]);
	fputc('"', f);
}

void json_str(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		json_strn(f, s, strlen(s));
}

void json_key(FILE *f, const char *key, int first)
{
	if (!first)
		fputc(',', f);
	json_str(f, key);
	fputc(':', f);
}

void json_kv_str(FILE *f, const char *key, const char *value, int first)
{
	json_key(f, key, first);
	json_str(f, value);
}

void json_kv_int(FILE *f, const char *key, int64_t value, int first)
{
	json_key(f, key, first);
	fprintf(f, "%" PRId64, value);
}

void json_hex(FILE *f, const uint8_t *b, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
	fputc('"', f);
}
