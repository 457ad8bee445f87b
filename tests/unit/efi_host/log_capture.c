/*
 * log_write for the host unit tests (see efi_host.h): keeps the lines efi/log.c formats,
 * so a test can check the exact words strata.efi would print.  Lines past the room kept
 * here are counted but dropped.
 */
#include <stddef.h>
#include <string.h>
#include "efi_host.h"
#include "log.h"

/** Lines kept between two resets; a test that logs more only sees the first ones. */
#define CAPTURE_LINES 64

static char lines[CAPTURE_LINES][LOG_LINE_MAX + 1];
static unsigned int nlines;

void log_init(void)
{
}

void log_write(const char *line, size_t n)
{
	if (nlines < CAPTURE_LINES) {
		memcpy(lines[nlines], line, n);
		lines[nlines][n] = '\0';
	}
	nlines++;
}

void log_capture_reset(void)
{
	nlines = 0;
}

unsigned int log_capture_count(void)
{
	return nlines;
}

int log_capture_has(const char *line)
{
	for (unsigned int i = 0; i < nlines && i < CAPTURE_LINES; i++)
		if (strcmp(lines[i], line) == 0)
			return 1;
	return 0;
}

int log_capture_has_prefix(const char *prefix)
{
	for (unsigned int i = 0; i < nlines && i < CAPTURE_LINES; i++)
		if (strncmp(lines[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

const char *log_capture_last(void)
{
	if (nlines == 0 || nlines > CAPTURE_LINES)
		return "";
	return lines[nlines - 1];
}
