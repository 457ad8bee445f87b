/* Confirming an order (ctl.h): one question on a terminal, --yes elsewhere. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "ctl.h"

/* One line from stdin into buf; -1 at end of input or on SIGINT. */
static int read_answer(char *buf, size_t cap)
{
	size_t n = 0;
	char ch;
	ssize_t got;

	while ((got = read(STDIN_FILENO, &ch, 1)) == 1 && ch != '\n')
		if (n + 1 < cap)
			buf[n++] = ch;
	buf[n] = '\0';
	return got == 1 || (got == 0 && n) ? 0 : -1;
}

int ctl_confirm(const struct ctl *c, const char *question)
{
	char answer[16];

	if (c->opts & OPT_YES)
		return CTL_OK;
	if (!c->in_tty) {
		fprintf(stderr, "strata-ctl: %s: not confirmed; add --yes to order it without a "
			"terminal\n", question);
		return CTL_EUSAGE;
	}
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (read_answer(answer, sizeof(answer)))
		return ctl_interrupted || errno == EINTR ? CTL_EINTR : CTL_EUSAGE;
	if (!strcasecmp(answer, "y") || !strcasecmp(answer, "yes"))
		return CTL_OK;
	fprintf(stderr, "strata-ctl: not confirmed: nothing ordered\n");
	return CTL_EUSAGE;
}
