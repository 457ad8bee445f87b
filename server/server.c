/*
 * strata-server's open and close, machine state and boot decisions (see server.h); the
 * catalog of what each machine is served is built in catalog.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "boot_watch.h"
#include "capture_task.h"
#include "catalog.h"
#include "crypto.h"
#include "enroll.h"
#include "generations.h"
#include "host.h"
#include "interval.h"
#include "keys.h"
#include "lab_snapshot.h"
#include "machine_keys.h"
#include "login.h"
#include "mem.h"
#include "private_store.h"
#include "inventory_site.h"
#include "pxe_scripts.h"
#include "replace.h"
#include "restore.h"
#include "server.h"
#include "sessions.h"
#include "capture_hello.h"
#include "text.h"

/** Bytes of a report's message that reach the log (escaped), then "...". */
#define REPORT_MSG_LOGGED 400

/* Create the key on first start, then hold it in memory: after the server drops its
 * privileges it may no longer be able to read the file, and reloads must still sign. */
static int ensure_key(struct server *s)
{
	if (access(s->cfg.key, F_OK) != 0) {
		fprintf(stderr, "strata-server: creating signing key %s (strata.efi trusts "
			"%s.pub)\n", s->cfg.key, s->cfg.key);
		if (key_generate(s->cfg.key))
			return STRATA_EREPORTED;
	}
	return read_file(s->cfg.key, 65536, &s->key, &s->key_len);
}

/* The catalog lock prefers readers (glibc's default, said here because it matters): a
 * request waiting for the preparer holds a read lock, and the preparer must get its own
 * even while a reload waits to write. */
static void catalog_lock_init(struct server *s)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_READER_NP);
	pthread_rwlock_init(&s->lock, &a);
	pthread_rwlockattr_destroy(&a);
}

int server_open(struct server *s)
{
	catalog_lock_init(s);
	log_limit_init(&s->unknown_log, "strata-server", "unknown-machine table",
		       LOG_LIMIT_BURST);
	pthread_mutex_init(&s->prep_lock, NULL);
	pthread_cond_init(&s->prep_cond, NULL);
	layer_cache_init(&s->layers, s->cfg.store_dir, NULL);
	layer_cache_init(&s->private_layers, NULL, NULL);
	if (mkdir(s->cfg.state_dir, 0700) < 0 && errno != EEXIST)
		return errorf("%s: %s", s->cfg.state_dir, strerror(errno));
	if (access(s->cfg.store_dir, R_OK | X_OK) != 0)
		return errorf("%s: cannot read the store: %s", s->cfg.store_dir, strerror(errno));
	if (private_store_prepare(s->cfg.private_dir, s->cfg.old_machine_store_dir,
				  s->cfg.store_dir))
		return STRATA_EREPORTED;
	if (sessions_new(SESSIONS_MAX, SESSIONS_PER_MACHINE, SESSIONS_IDLE_S, &s->sessions) ||
	    sessions_new(CAPTURE_SESSIONS_MAX, CAPTURE_SESSIONS_PER_MACHINE, SESSIONS_IDLE_S,
			 &s->task_sessions) ||
	    capture_hellos_new(HELLOS_MAX, &s->hellos))
		return errorf("out of memory");
	if (state_open(s->cfg.state_dir, &s->state) || ensure_key(s) || server_load_tokens(s) ||
	    login_open(s->cfg.admins, &s->login) || capture_key_open(s))
		return STRATA_EREPORTED;
	if (server_reload(s))
		return STRATA_EREPORTED;
	return catalog_preparer_start(s);
}

void server_close(struct server *s)
{
	catalog_preparer_stop(s);
	catalog_free(s->cat);
	s->cat = NULL;
	api_tokens_free(s->tokens);
	s->tokens = NULL;
	login_close(s->login);
	s->login = NULL;
	state_close(s->state);
	sessions_free(s->sessions);
	s->sessions = NULL;
	sessions_free(s->task_sessions);
	s->task_sessions = NULL;
	capture_hellos_free(s->hellos);
	s->hellos = NULL;
	free(s->key);
	strata_wipe(s->capture_key, sizeof(s->capture_key));
	layer_cache_free(&s->layers);
	layer_cache_free(&s->private_layers);
	pthread_cond_destroy(&s->prep_cond);
	pthread_mutex_destroy(&s->prep_lock);
	pthread_rwlock_destroy(&s->lock);
	log_limit_done(&s->unknown_log);
}

/* Replace @KEY@ markers in a template; returns a new string. */
static char *render(const char *tpl, const char *const kv[][2], size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	while (*tpl) {
		size_t k;

		for (k = 0; k < n; k++) {
			size_t kl = strlen(kv[k][0]);

			if (!strncmp(tpl, kv[k][0], kl)) {
				fputs(kv[k][1], f);
				tpl += kl;
				break;
			}
		}
		if (k == n)
			fputc(*tpl++, f);
	}
	fclose(f);
	return out;
}

char *server_entry_script(struct server *s)
{
	const char *const kv[][2] = { { "@SERVER@", s->cfg.url } };

	return render(pxe_boot_ipxe, kv, 1);
}

/* Whether mac has an open capture task, into *t: a capture comes before any deployment
 * (an admin asked for this disk's contents before anything overwrites them). */
static int capture_open(struct server *s, const uint8_t mac[6], struct capture_task *t)
{
	char smac[18];

	strata_mac_format(smac, mac);
	return capture_task_of_mac(s, smac, t) == 0;
}

/* The pending action of mac and its name, and *capture when a capture task is open (then
 * the action is INV_ACTION_DEPLOY: strata.efi must run); an enroll order comes before a
 * restore or an interval capture, a capture task before it.  Logs the boot decision.  addr:
 * the request's IPv4 address (host order, 0 unknown), which places a new unknown machine
 * at a site. */
static enum inv_action decide(struct server *s, const uint8_t mac[6], uint32_t addr,
			      char *name, size_t cap, struct capture_task *t, int *capture)
{
	enum inv_action pending = INV_ACTION_NONE;
	struct mstate *st;
	char smac[18];
	int p;

	strata_mac_format(smac, mac);
	pthread_rwlock_rdlock(&s->lock);
	p = catalog_name(s, mac, addr, name, cap);
	if (!p)
		snprintf(name, cap, "unknown");
	pthread_rwlock_unlock(&s->lock);
	pthread_mutex_lock(&s->state->lock);
	if (p && (st = state_get(s->state, mac)))
		pending = st->pending;
	pthread_mutex_unlock(&s->state->lock);
	if (p && pending == INV_ACTION_NONE && restore_ready(s, smac))
		pending = INV_ACTION_DEPLOY;      /* its order's capture is kept: restore now */
	if (p && pending == INV_ACTION_NONE)
		(void)interval_boot(s, mac);      /* opens a machine task when one is due */
	*capture = p && capture_open(s, mac, t);
	if (*capture)
		pending = INV_ACTION_DEPLOY;
	fprintf(stderr, "boot: %s %s: %s\n", smac, name,
		*capture ? "capture pending: run strata.efi"
		: pending == INV_ACTION_DEPLOY ? "deploy pending: run strata.efi"
		: pending == INV_ACTION_ENROLL ? "enroll pending: run strata-enroll.efi"
		: p ? "nothing pending: local disk" : "unknown machine: local disk");
	return pending;
}

/* The orders line of mac's open capture task t (docs/capture.md), with the labels the
 * agent needs (capture_labels): parts= what a machine capture takes, private= what a gold
 * capture leaves out besides CIDATA. */
static char *capture_orders(struct server *s, const uint8_t mac[6], const struct capture_task *t)
{
	char line[INV_NAME_MAX + 96 + STRATA_MAX_PARTS * (STRATA_LABEL_MAX + 1)];
	char labels[STRATA_MAX_PARTS * (STRATA_LABEL_MAX + 1)];

	/* Without the list a gold capture would take the private parts too: fail closed. */
	if (capture_labels(s, mac, t->kind, labels, sizeof(labels)))
		return strdup("action=none\n");
	if (t->kind == CAPTURE_GOLD)
		snprintf(line, sizeof(line), "action=capture kind=gold profile=%s then=reboot%s%s%s\n",
			 t->profile, labels[0] ? " private=" : "", labels,
			 t->force ? " force=yes" : "");
	else     /* an interval capture hands the PC to its disk after it */
		snprintf(line, sizeof(line), "action=capture kind=machine then=%s%s%s%s\n",
			 interval_is_open(s, mac) ? "local" : "reboot", labels[0] ? " parts=" : "",
			 labels, t->force ? " force=yes" : "");
	return strdup(line);
}

char *server_agent_orders(struct server *s, const uint8_t mac[6])
{
	char name[INV_NAME_MAX + 1];
	struct capture_task t;
	int capture;

	if (decide(s, mac, 0, name, sizeof(name), &t, &capture) != INV_ACTION_DEPLOY)
		return strdup("action=none\n");
	return capture ? capture_orders(s, mac, &t) : strdup("action=deploy then=reboot\n");
}

/* Where mac fetches boot files (strata.efi): its site's boot=, else the server's /boot.
 * Into out (cap bytes).  1 when it is a site's, so a failure there tries the server's. */
static int boot_base(struct server *s, const uint8_t mac[6], char *out, size_t cap)
{
	const struct inv_site *site;
	int at_site;

	pthread_rwlock_rdlock(&s->lock);
	site = inv_site_get(s->cat->inv, catalog_site(s, mac));
	at_site = site && site->boot[0];
	snprintf(out, cap, "%s%s", at_site ? site->boot : s->cfg.url, at_site ? "" : "/boot");
	pthread_rwlock_unlock(&s->lock);
	return at_site;
}

/* The script of mac with nothing pending: the layout check when its manifest names a
 * partition to restore (a blank disk has something to get back: docs/restore.md), else
 * straight to its disk.  Why not every machine: the check runs strata.efi at every boot
 * (docs/restore.md says what it costs), and one with nothing to restore gains nothing. */
static const char *nothing_pending(struct server *s, const uint8_t mac[6], const char *smac,
				   const char *name)
{
	int check;

	pthread_rwlock_rdlock(&s->lock);
	check = catalog_restorable(s, mac);
	pthread_rwlock_unlock(&s->lock);
	if (check)
		fprintf(stderr, "boot: %s %s: generations to restore: check the disk's layout first "
			"(strata.efi check=yes)\n", smac, name);
	return check ? pxe_check_ipxe : pxe_local_ipxe;
}

char *server_script(struct server *s, const uint8_t mac[6], uint32_t addr)
{
	char smac[18], name[INV_NAME_MAX + 1], boot[STRATA_STORE_URL_MAX + 1];
	struct capture_task t;
	int capture;
	enum inv_action pending = decide(s, mac, addr, name, sizeof(name), &t, &capture);

	strata_mac_format(smac, mac);
	const char *on_fail = boot_base(s, mac, boot, sizeof(boot)) ? "central" : "failed";
	const char *const kv[][2] = { { "@SERVER@", s->cfg.url }, { "@NAME@", name },
				      { "@MAC@", smac }, { "@BOOT_FAILED@", on_fail },
				      { "@BOOT@", boot } };
	/* Used up as it is handed out (enroll.h); one that cannot be recorded stays pending,
	 * and the machine gets its disk rather than an enroller it might get again. */
	if (pending == INV_ACTION_ENROLL)
		return enroll_consume(s, mac, "enroll script served") == 1
			? render(pxe_enroll_ipxe, kv, 5) : render(pxe_local_ipxe, kv, 5);
	return render(pending == INV_ACTION_DEPLOY ? pxe_deploy_ipxe
		      : nothing_pending(s, mac, smac, name), kv, 5);
}

int server_capture_pending(struct server *s, const uint8_t mac[6])
{
	struct capture_task t;

	return capture_open(s, mac, &t);
}

char *server_manifest(struct server *s, const uint8_t mac[6], size_t *len)
{
	char *out;

	pthread_rwlock_rdlock(&s->lock);
	out = catalog_manifest(s, mac, len);
	pthread_rwlock_unlock(&s->lock);
	return out;
}

/* Keep report text printable and free of JSON and state-file metacharacters. */
static void sanitise(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; src && *src && o + 1 < cap; src++)
		dst[o++] = (*src >= 0x20 && *src < 0x7f && *src != '"' && *src != '\\') ? *src : '_';
	dst[o] = '\0';
}

/* Store an outcome with its audit row in one transaction; a failure also ends the
 * machine's open capture task as failed, with the agent's message.  Call with the state
 * lock. */
static int save_outcome(struct server *s, const struct mstate *st)
{
	int rc = db_begin(s->state->db);

	if (rc)
		return rc;
	rc = state_put(s->state, st);
	if (rc == 0)
		rc = audit_outcome(s->state->db, st->mac, mstate_result_name(st->result),
				   st->result == MSTATE_FAILED ? st->message : NULL);
	if (rc == 0 && st->result == MSTATE_FAILED)
		rc = capture_task_fail(s->state->db, st->mac, st->message);
	return db_end(s->state->db, rc);
}

/* Note a phase=capture report in st's in-memory progress: a new capture (or bytes read
 * going back: a new partition count) starts the rate's clock. */
static void capture_progress(struct mstate *st, const char *phase, uint64_t done)
{
	int capture = !strcmp(phase, "capture");

	if (capture && (!st->capturing || done < st->done)) {
		st->cap_t0 = time(NULL);
		st->cap_d0 = done;
	}
	st->capturing = capture;
}

/* Note a phase=progress report in st's in-memory progress, as capture_progress does: the
 * first one of a deployment (or bytes going back) starts its rate's clock. */
static void deploy_progress(struct mstate *st, const char *phase, uint64_t done)
{
	if (strcmp(phase, "progress"))
		return;
	if (st->result != MSTATE_RUNNING || st->capturing || done < st->done) {
		st->dep_t0 = time(NULL);
		st->dep_d0 = done;
	}
}

/* What a report makes of a machine's state. */
static void apply_report(struct mstate *st, const char *phase, uint64_t done, uint64_t total,
			 const char *msg)
{
	deploy_progress(st, phase, done);
	capture_progress(st, phase, done);
	st->done = done;
	st->total = total;
	st->updated = time(NULL);
	sanitise(st->message, sizeof(st->message), msg);
	st->result = !strcmp(phase, "ok") ? MSTATE_OK : !strcmp(phase, "failed")
		? MSTATE_FAILED : MSTATE_RUNNING;
	if (st->result == MSTATE_OK && st->pending == INV_ACTION_DEPLOY)
		st->pending = INV_ACTION_NONE;  /* done: next boot is local (an enroll order
						   stays: enroll.h) */
}

/* Apply a report; an outcome changes memory only once it is stored. */
static int update_state(struct server *s, const uint8_t mac[6], const char *phase,
			uint64_t done, uint64_t total, const char *msg)
{
	struct mstate *st, next;
	int rc = STRATA_ENOMEM;

	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, mac);
	if (st) {
		next = *st;
		apply_report(&next, phase, done, total, msg);
		rc = next.result == MSTATE_RUNNING ? 0 : save_outcome(s, &next);
		if (rc == 0)
			*st = next;
	}
	pthread_mutex_unlock(&s->state->lock);
	return rc;
}

/* An agent's final report: its message is the client's text, so escaped. */
static void log_report(const char *smac, const char *phase, uint64_t done, uint64_t total,
		       const char *msg)
{
	char esc[STRATA_ESCAPE_SIZE(REPORT_MSG_LOGGED) + 3];

	if (!msg)
		msg = "";
	if (strata_escape(esc, sizeof(esc) - 3, msg, strlen(msg)) < strlen(msg))
		strcat(esc, "...");
	fprintf(stderr, "report: %s %s: %llu/%llu bytes: %s\n", smac, phase,
		(unsigned long long)done, (unsigned long long)total, esc);
}

/* Whether a report says a deployment succeeded: strata.efi's final "ok" after a deployment
 * says "deployed..." (after a capture, "captured"; efi/main.c). */
static int deployed(const char *phase, const char *msg)
{
	return !strcmp(phase, "ok") && msg && !strncmp(msg, "deployed", 8);
}

int server_report(struct server *s, const uint8_t mac[6], const char *phase, uint64_t done,
		  uint64_t total, const char *msg)
{
	char smac[18], name[INV_NAME_MAX + 1];
	int rc, known, final = strcmp(phase, "progress") && strcmp(phase, "capture");

	pthread_rwlock_rdlock(&s->lock);
	known = catalog_name(s, mac, 0, name, sizeof(name));
	pthread_rwlock_unlock(&s->lock);
	if (!known)
		return STRATA_ENOENT;
	if (final && strcmp(phase, "ok") && strcmp(phase, "failed"))
		return STRATA_EINVAL;
	if (done > STATE_BYTES_MAX || total > STATE_BYTES_MAX)
		return STRATA_EINVAL;
	pthread_rwlock_rdlock(&s->lock);
	catalog_reported(s, mac, final);
	pthread_rwlock_unlock(&s->lock);
	strata_mac_format(smac, mac);
	if (final)
		log_report(smac, phase, done, total, msg);
	rc = update_state(s, mac, phase, done, total, msg);
	if (rc == 0 && deployed(phase, msg))
		rc = restore_deployed(s, mac);
	if (rc == 0 && deployed(phase, msg))
		rc = lab_snapshot_deployed(s, mac);
	return rc;
}

size_t server_match(struct server *s, const char *who, uint8_t (*macs)[6],
		    char (*names)[INV_NAME_MAX + 1])
{
	uint8_t mac[6];
	int by_mac = strata_mac_parse(mac, who, strlen(who)) == 0;
	size_t n = 0;

	for (size_t i = 0; i < s->cat->n; i++) {
		const struct inv_machine *m = s->cat->p[i].m;

		if (!strcmp(who, "all") || !strcasecmp(who, m->name) ||
		    (by_mac && !memcmp(mac, m->mac, 6))) {
			if (names)
				snprintf(names[n], INV_NAME_MAX + 1, "%s", m->name);
			memcpy(macs[n++], m->mac, 6);
		}
	}
	return n;
}

int server_match_one(struct server *s, const char *who, uint8_t mac[6],
		     char name[INV_NAME_MAX + 1])
{
	uint8_t (*macs)[6] = NULL;
	char (*names)[INV_NAME_MAX + 1] = NULL;
	size_t n = 0;

	if (!strcasecmp(who, "all"))
		return STRATA_EINVAL;
	pthread_rwlock_rdlock(&s->lock);
	macs = calloc(s->cat->n + 1, sizeof(*macs));
	names = calloc(s->cat->n + 1, sizeof(*names));
	if (macs && names && (n = server_match(s, who, macs, names)) == 1) {
		memcpy(mac, macs[0], 6);
		memcpy(name, names[0], INV_NAME_MAX + 1);
	}
	pthread_rwlock_unlock(&s->lock);
	free(names);
	free(macs);
	return n == 1 ? 0 : n ? STRATA_EINVAL : STRATA_ENOENT;
}

/* Mark the n machines of macs with the order what and record it, in one transaction;
 * memory says they are marked only once it committed.  Call with the state lock. */
static int record_order(struct server *s, const char *who, const struct who *by,
			enum inv_action what, const char *word, const uint8_t (*macs)[6], size_t n)
{
	struct mstate *st, next;
	int rc = db_begin(s->state->db);

	if (rc)
		return rc;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!(st = state_get(s->state, macs[i]))) {
			rc = errorf("out of memory");
			break;
		}
		next = *st;
		next.pending = what;
		rc = state_put(s->state, &next);
	}
	if (rc == 0)
		rc = audit_order(s->state->db, by, who, word, macs, n);
	rc = db_end(s->state->db, rc);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((st = state_get(s->state, macs[i])))
			st->pending = what;
	return rc;
}

const char *server_action_name(enum inv_action a)
{
	return inv_action_name(a);
}

int server_mark(struct server *s, const char *who, const struct who *by, enum inv_action what)
{
	uint8_t (*macs)[6];
	size_t n = 0;
	int rc = 0;

	pthread_rwlock_rdlock(&s->lock);
	macs = calloc(s->cat->n + 1, sizeof(*macs));
	if (macs)
		n = server_match(s, who, macs, NULL);
	pthread_mutex_lock(&s->state->lock);
	if (!macs)
		rc = errorf("out of memory");
	else if (n)
		rc = record_order(s, who, by, what, server_action_name(what),
				  (const uint8_t (*)[6])macs, n);
	pthread_mutex_unlock(&s->state->lock);
	pthread_rwlock_unlock(&s->lock);
	free(macs);
	if (rc)
		return rc;
	fprintf(stderr, "action: %s marked for %zu machines (%s) by %s\n",
		server_action_name(what), n, who, by->name);
	return (int)n;
}

int server_mark_list(struct server *s, const char *target, const char *word,
		     const uint8_t (*macs)[6], size_t n, const struct who *by, enum inv_action what)
{
	int rc;

	if (!n)
		return 0;
	pthread_mutex_lock(&s->state->lock);
	rc = record_order(s, target, by, what, word, macs, n);
	pthread_mutex_unlock(&s->state->lock);
	if (rc)
		return rc;
	fprintf(stderr, "action: %s marked for %zu machines (%s) by %s\n", word, n, target,
		by->name);
	return (int)n;
}

int server_load_tokens(struct server *s)
{
	struct api_tokens *t, *old;

	if (!s->cfg.api_tokens)
		return 0;
	if (api_tokens_load(s->cfg.api_tokens, &t))
		return STRATA_EREPORTED;
	pthread_rwlock_wrlock(&s->lock);
	old = s->tokens;
	s->tokens = t;
	pthread_rwlock_unlock(&s->lock);
	api_tokens_free(old);
	fprintf(stderr, "strata-server: %s: %zu API tokens\n", s->cfg.api_tokens, t->n);
	return 0;
}

int server_api_auth(struct server *s, const char *bearer, char name[API_TOKEN_NAME_MAX + 1])
{
	const char *who;
	int rc;

	pthread_rwlock_rdlock(&s->lock);
	who = api_tokens_check(s->tokens, bearer);
	rc = !s->tokens ? STRATA_EACCES : who ? 0 : STRATA_EAUTH;
	if (who)
		snprintf(name, API_TOKEN_NAME_MAX + 1, "%s", who);
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

/* A capture's progress from its phase=capture reports ("part LABEL uploaded N"): the
 * partition, bytes read of the total, bytes uploaded, and the rate between the capture's
 * first report and its last with the time left at that rate (null until a report comes a
 * second or more after the first). */
static void json_capture(FILE *f, const struct mstate *st)
{
	char part[STRATA_LABEL_MAX + 1] = "";
	unsigned long long up = 0;
	double secs = difftime(st->updated, st->cap_t0);
	double rate = secs > 0 ? (double)(st->done - st->cap_d0) / secs : 0;

	if (sscanf(st->message, "part %36s uploaded %llu", part, &up) < 1)
		part[0] = '\0';
	fprintf(f, ", \"capture\": {\"part\": \"%s\", \"read\": %llu, \"total\": %llu, "
		"\"uploaded\": %llu, ", part, (unsigned long long)st->done,
		(unsigned long long)st->total, up);
	if (rate > 0)
		fprintf(f, "\"rate\": %.0f, \"eta\": %.0f}", rate,
			st->total > st->done ? (double)(st->total - st->done) / rate : 0.0);
	else
		fputs("\"rate\": null, \"eta\": null}", f);
}

/* One machine's JSON object. */
static void json_machine(FILE *f, struct server *s, const struct product *p, int comma)
{
	char smac[18];
	struct mstate *st = state_get(s->state, p->m->mac);

	strata_mac_format(smac, p->m->mac);
	fprintf(f, "%s\n  {\"mac\": \"%s\", \"name\": \"%s\", \"profile\": \"%s\", "
		"\"manifest_version\": %llu, \"pending\": \"%s\", \"result\": \"%s\", "
		"\"done\": %llu, \"total\": %llu, \"updated\": %lld, \"message\": \"%s\"",
		comma ? "," : "", smac, p->m->name, s->cat->inv->profiles[p->m->profile].name,
		(unsigned long long)p->version,
		server_action_name(st ? st->pending : INV_ACTION_NONE),
		mstate_result_name(st ? st->result : MSTATE_NONE),
		(unsigned long long)(st ? st->done : 0), (unsigned long long)(st ? st->total : 0),
		(long long)(st ? st->updated : 0), st ? st->message : "");
	if (st && st->capturing && st->result == MSTATE_RUNNING)
		json_capture(f, st);
	boot_watch_json(f, p->m->name, st, time(NULL));
	server_key_json(f, s, p->m->mac);
	generations_latest_json(f, s, p->m->mac);
	replace_json(f, s, p->m->mac);
	fputs("}", f);
}

char *server_machines_json(struct server *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fputs("{\"machines\": [", f);
	/* Lock order everywhere: catalog, then extra_lock, then the state lock. */
	pthread_rwlock_rdlock(&s->lock);
	pthread_mutex_lock(&s->cat->extra_lock);
	pthread_mutex_lock(&s->state->lock);
	for (size_t i = 0; i < s->cat->n; i++)
		json_machine(f, s, &s->cat->p[i], i > 0);
	for (size_t i = 0, k = s->cat->n; i < s->cat->nextra; i++)
		if (s->cat->extra[i].state != PRODUCT_FAILED)
			json_machine(f, s, &s->cat->extra[i], k++ > 0);
	pthread_mutex_unlock(&s->state->lock);
	pthread_mutex_unlock(&s->cat->extra_lock);
	pthread_rwlock_unlock(&s->lock);
	fputs("\n]}\n", f);
	fclose(f);
	return out;
}
