/* Option parsing for strata-image (see cli.h). */
#include <string.h>
#include "cli.h"
#include "text.h"

int opt_value(int argc, char **argv, int *i, const char *opt, const char **val)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		errorf("%s needs a value", opt);
		*val = NULL;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

int parse_size_arg(const char *what, const char *s, uint64_t *out)
{
	if (strata_size_parse(out, s, strlen(s)))
		return errorf("%s: '%s' is not a size (bytes, or with K/M/G/T)", what, s);
	return 0;
}
