/*
 * The log (see log.h): each line is formatted once, in ASCII, and handed to the platform's
 * outputs through log_write.  No firmware call here, so the host unit tests run this file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "log.h"
#include "rc.h"

void log_msg(const char *fmt, ...)
{
	char line[LOG_LINE_MAX + 1];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_write(line, len < 0 ? 0 : len > LOG_LINE_MAX ? LOG_LINE_MAX : (size_t)len);
}

int log_fail(int rc, const char *fmt, ...)
{
	char text[LOG_LINE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_msg("error: %s [%s]", text, strata_strerror(rc));
	return rc;
}

const char *log_slice(char *buf, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}
