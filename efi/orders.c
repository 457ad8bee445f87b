/* The server's orders line (see orders.h). */
#include <string.h>
#include "log.h"
#include "orders.h"
#include "rc.h"

/* The value of word key= in line (up to its NUL or first '\n'), into out (cap bytes); ""
 * when absent.  The line is the server's, signed session or not: values are only copied,
 * never interpreted beyond comparison. */
static void order_word(const char *line, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key), n;
	const char *p = line;

	out[0] = '\0';
	for (; *p && *p != '\n'; p += strcspn(p, " \n"), p += *p == ' ') {
		if (strncmp(p, key, k) || p[k] != '=')
			continue;
		n = strcspn(p + k + 1, " \n");
		log_slice(out, cap, p + k + 1, n);
		return;
	}
}

int orders_parse(struct orders *o, const char *line)
{
	char action[16], kind[16], then[16], force[8];

	memset(o, 0, sizeof(*o));
	order_word(line, "action", action, sizeof(action));
	if (!strcmp(action, "deploy"))
		return 0;
	if (strcmp(action, "capture"))
		return 1;
	order_word(line, "kind", kind, sizeof(kind));
	if (strcmp(kind, "gold") && strcmp(kind, "machine"))
		return log_fail(STRATA_ENOTSUP, "orders: capture of kind \"%s\" is not known to "
				"this strata.efi", kind);
	order_word(line, "profile", o->profile, sizeof(o->profile));
	order_word(line, kind[0] == 'g' ? "private" : "parts", o->labels, sizeof(o->labels));
	order_word(line, "then", then, sizeof(then));
	order_word(line, "force", force, sizeof(force));
	o->capture = 1;
	o->gold = kind[0] == 'g';
	o->then_local = !strcmp(then, "local");
	o->force = !strcmp(force, "yes");
	return 0;
}
