/*
 * Machine state persistence (see state.h).  File format, one machine a line:
 *     MAC VERSION CONTENT_HEX PENDING INV_SEEN RESULT DONE TOTAL UPDATED MESSAGE...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "host.h"
#include "state.h"
#include "text.h"

const char *mstate_result_name(enum mstate_result r)
{
	static const char *const names[] = { "none", "running", "ok", "failed" };

	return (unsigned int)r < 4 ? names[r] : "none";
}

struct mstate *state_get(struct state *st, const uint8_t mac[6])
{
	struct mstate *nm;

	for (size_t i = 0; i < st->n; i++)
		if (!memcmp(st->m[i].mac, mac, 6))
			return &st->m[i];
	nm = realloc(st->m, (st->n + 1) * sizeof(*nm));
	if (!nm)
		return NULL;
	st->m = nm;
	memset(&nm[st->n], 0, sizeof(*nm));
	memcpy(nm[st->n].mac, mac, 6);
	return &nm[st->n++];
}

void state_forget_unreported(struct state *st, const uint8_t mac[6])
{
	for (size_t i = 0; i < st->n; i++) {
		if (memcmp(st->m[i].mac, mac, 6))
			continue;
		if (st->m[i].result == MSTATE_NONE)
			st->m[i] = st->m[--st->n];
		return;
	}
}

/* Parse one saved line; lines that do not parse are skipped with a warning. */
static void load_line(struct state *st, char *line, unsigned int no)
{
	char mac[18], content[65], msg[160] = "";
	unsigned long long ver, done, total, upd;
	int pend, seen, res, off = 0;
	uint8_t m[6];
	struct mstate *s;

	if (sscanf(line, "%17s %llu %64s %d %d %d %llu %llu %llu %n", mac, &ver, content, &pend,
		   &seen, &res, &done, &total, &upd, &off) < 9 || strata_mac_parse(m, mac, strlen(mac))) {
		errorf("%s:%u: unreadable state line skipped", st->path, no);
		return;
	}
	snprintf(msg, sizeof(msg), "%s", line + off);
	msg[strcspn(msg, "\n")] = '\0';
	if (!(s = state_get(st, m)))
		return;
	s->version = ver;
	strata_hex_decode(s->content, content, 32);
	s->pending = pend == INV_ACTION_DEPLOY ? INV_ACTION_DEPLOY : INV_ACTION_NONE;
	s->inv_seen = seen == INV_ACTION_DEPLOY ? INV_ACTION_DEPLOY : INV_ACTION_NONE;
	s->result = res >= 0 && res <= MSTATE_FAILED ? (enum mstate_result)res : MSTATE_NONE;
	s->done = done;
	s->total = total;
	s->updated = (time_t)upd;
	snprintf(s->message, sizeof(s->message), "%s", msg);
}

int state_open(const char *dir, struct state **out)
{
	struct state *st = calloc(1, sizeof(*st));
	char line[512];
	unsigned int no = 0;
	FILE *f;

	if (!st)
		return errorf("out of memory");
	pthread_mutex_init(&st->lock, NULL);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || asprintf(&st->path, "%s/machines", dir) < 0) {
		free(st);
		return errorf("%s: cannot create the state folder: %s", dir, strerror(errno));
	}
	f = fopen(st->path, "r");
	while (f && fgets(line, sizeof(line), f))
		load_line(st, line, ++no);
	if (f)
		fclose(f);
	*out = st;
	return 0;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st->m);
	free(st->path);
	free(st);
}

int state_save(struct state *st)
{
	char *buf = NULL, mac[18], hex[65];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return errorf("out of memory");
	for (size_t i = 0; i < st->n; i++) {
		const struct mstate *s = &st->m[i];

		strata_mac_format(mac, s->mac);
		strata_hex_encode(hex, s->content, 32);
		fprintf(f, "%s %llu %s %d %d %d %llu %llu %llu %s\n", mac,
			(unsigned long long)s->version, hex, s->pending, s->inv_seen, s->result,
			(unsigned long long)s->done, (unsigned long long)s->total,
			(unsigned long long)s->updated, s->message);
	}
	fclose(f);
	rc = write_file_atomic(st->path, buf, len, 0600, 1);
	free(buf);
	return rc;
}
