/* Query-string encoding (see url.h).  No firmware here: the host unit tests run it. */
#include <stddef.h>
#include "url.h"

/* Whether c stays as it is in a query value: letters, digits and -._ */
static int url_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

void url_encode(char *out, size_t cap, const char *msg)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; msg && *msg && o + 4 < cap; msg++) {
		unsigned char c = (unsigned char)*msg;

		if (url_plain(c)) {
			out[o++] = (char)c;
		} else if (c == ' ') {
			out[o++] = '+';
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}
