/* Reading the Bearer token from its file (token.h). */
#include <stdio.h>
#include <string.h>
#include "token.h"

#define TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-"
#define TOKEN_MIN 16

/* The last blank-separated word of line (modified in place), or NULL for a blank or
 * comment line. */
static char *last_word(char *line)
{
	char *w = NULL, *save = NULL;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		w = t;
	return w && w[0] != '#' && line[strspn(line, " \t")] != '#' ? w : NULL;
}

/* The first token-bearing line of f into out; -1 with *why set when there is none or it is
 * malformed. */
static int scan(FILE *f, char *out, size_t cap, const char **why)
{
	char line[512], *w = NULL;
	size_t n;

	while (!w && fgets(line, sizeof(line), f))
		w = last_word(line);
	*why = "no token in it: write the token alone on a line";
	if (!w)
		return -1;
	n = strlen(w);
	*why = "the token must be 16 to 128 of A-Z a-z 0-9 . _ ~ + / = - (as --api-tokens takes)";
	if (n < TOKEN_MIN || n >= cap || strspn(w, TOKEN_CHARS) != n)
		return -1;
	memcpy(out, w, n + 1);
	memset(line, 0, sizeof(line));
	return 0;
}

int token_read(const char *path, char *out, size_t cap)
{
	const char *why;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		fprintf(stderr, "strata-ctl: cannot read the token file %s: %m\n", path);
		return -1;
	}
	rc = scan(f, out, cap, &why);
	fclose(f);
	if (rc)
		fprintf(stderr, "strata-ctl: token file %s: %s\n", path, why);
	return rc;
}
