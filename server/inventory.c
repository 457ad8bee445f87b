/* Reading the lab inventory (grammar in inventory.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture_parse.h"
#include "host.h"
#include "inventory.h"
#include "inventory_mcast.h"
#include "inventory_site.h"
#include "text.h"

#define MAX_WORDS 16
#define MAX_LINE 4096

/** The words of one line, split in place. */
struct line {
	const char *path;
	unsigned int no;
	char *word[MAX_WORDS];
	int n;
};

/** Parser state across lines. */
struct parser {
	struct inventory *inv;
	int cur_profile;         /**< profile that disk/part lines go to, -1 none */
	unsigned int default_line;   /**< line of the default statement, 0 if none */
	char default_name[INV_NAME_MAX + 1];  /**< its profile, resolved at the end */
};

static int lfail(const struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int lfail(const struct line *l, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errorf("%s:%u: %s", l->path, l->no, msg);
}

/* Split a line into words; '#' starts a comment. */
static int split(struct line *l, char *text)
{
	char *p = text;

	l->n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return 0;
		if (l->n == MAX_WORDS)
			return lfail(l, "too many words on one line");
		l->word[l->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Split key=value in place; returns the value or NULL. */
static char *kv(char *word)
{
	char *eq = strchr(word, '=');

	if (!eq || eq == word || eq[1] == '\0')
		return NULL;
	*eq = '\0';
	return eq + 1;
}

/* A hostname-like name: [A-Za-z0-9-], 1..63, not starting with '-'. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > INV_NAME_MAX || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int inv_name_ok(const char *s)
{
	return name_ok(s);
}

const char *inv_action_name(enum inv_action a)
{
	return a == INV_ACTION_DEPLOY ? "deploy" : a == INV_ACTION_ENROLL ? "enroll" : "none";
}

int inv_room_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > INV_ROOM_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9')
		    && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

unsigned int inv_profile_captured(const struct inv_profile *pr)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < pr->nparts; i++)
		n += pr->parts[i].capture != 0;
	return n;
}

static int find_profile(const struct inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->nprofiles; i++)
		if (!strcmp(inv->profiles[i].name, name))
			return (int)i;
	return -1;
}

/* Resolve a file name relative to the inventory's folder; returns a new string. */
static char *rel_path(const char *inv_path, const char *file)
{
	const char *slash = strrchr(inv_path, '/');
	char *out;

	if (file[0] == '/' || !slash)
		return strdup(file);
	if (asprintf(&out, "%.*s/%s", (int)(slash - inv_path), inv_path, file) < 0)
		return NULL;
	return out;
}

/* A profile line's keys after its name: the keep keys (keep.h) and the multicast keys
 * (inventory_mcast.h). */
static int profile_keys(const struct line *l, struct keep_policy *k, struct inv_mcast *mc)
{
	const char *why;
	char *v;
	int rc;

	for (int i = 2; i < l->n; i++) {
		if (!(v = kv(l->word[i])))
			return lfail(l, "expected key=value, not '%s'", l->word[i]);
		rc = inv_mcast_key(mc, l->word[i], v, &why);
		if (rc == 1)
			rc = keep_key_parse(k, l->word[i], v, &why);
		if (rc)
			return rc == 1 ? lfail(l, "unknown profile key '%s'", l->word[i])
				: lfail(l, "%s, not '%s'", why, v);
	}
	return inv_mcast_finish(mc, &why) ? lfail(l, "%s", why) : 0;
}

static int parse_profile(struct parser *p, struct line *l)
{
	struct inventory *inv = p->inv;
	struct inv_profile *np;
	struct keep_policy keep = { 0 };
	struct inv_mcast mc = { 0 };
	int at;

	if (l->n < 2 || !name_ok(l->word[1]))
		return lfail(l, "expected 'profile NAME' (NAME: letters, digits, '-')");
	if (profile_keys(l, &keep, &mc))
		return STRATA_EREPORTED;
	at = find_profile(inv, l->word[1]);
	if (at >= 0 && inv->profiles[at].captured)
		return lfail(l, "profile '%s' is also the captured profile %s: a capture never "
			     "overwrites; rename this one", l->word[1], inv->profiles[at].captured);
	if (at >= 0)
		return lfail(l, "profile '%s' defined twice", l->word[1]);
	np = realloc(inv->profiles, (inv->nprofiles + 1) * sizeof(*np));
	if (!np)
		return lfail(l, "out of memory");
	inv->profiles = np;
	np = &inv->profiles[inv->nprofiles];
	memset(np, 0, sizeof(*np));
	strcpy(np->name, l->word[1]);
	np->line = l->no;
	np->keep = keep;
	np->mc = mc;
	p->cur_profile = (int)inv->nprofiles++;
	return 0;
}

static struct inv_profile *cur_profile(struct parser *p, const struct line *l)
{
	if (p->cur_profile < 0) {
		lfail(l, "'%s' must follow a 'profile NAME' line", l->word[0]);
		return NULL;
	}
	return &p->inv->profiles[p->cur_profile];
}

static int parse_disk(struct parser *p, struct line *l)
{
	struct inv_profile *pr = cur_profile(p, l);
	char *v;

	if (!pr)
		return STRATA_EREPORTED;
	for (int i = 1; i < l->n; i++) {
		v = kv(l->word[i]);
		if (!v || strcmp(l->word[i], "min-size"))
			return lfail(l, "disk takes only min-size=SIZE");
		if (strata_size_parse(&pr->min_disk, v, strlen(v)))
			return lfail(l, "bad disk min-size '%s'", v);
	}
	return 0;
}

static int part_layer(const struct line *l, struct inv_part *pt, const char *v)
{
	if (!strcmp(v, "machine")) {
		pt->layer_kind = INV_LAYER_MACHINE;
		return 0;
	}
	if (strata_layer_id_parse(pt->layer, v, strlen(v)))
		return lfail(l, "layer must be 'machine' or sha256:<64 hex digits>, not '%s'", v);
	pt->layer_kind = INV_LAYER_ID;
	return 0;
}

static int part_policy(const struct line *l, struct inv_part *pt, const char *v)
{
	if (!strcmp(v, "write"))
		pt->policy = STRATA_POLICY_WRITE;
	else if (!strcmp(v, "preserve"))
		pt->policy = STRATA_POLICY_PRESERVE;
	else if (!strcmp(v, "restore"))
		pt->policy = STRATA_POLICY_RESTORE;
	else
		return lfail(l, "policy must be write, preserve or restore, not '%s'", v);
	return 0;
}

static int part_wipe(const struct line *l, struct inv_part *pt, const char *v)
{
	if (strcmp(v, "yes") && strcmp(v, "no"))
		return lfail(l, "wipe must be yes or no, not '%s'", v);
	pt->wipe = !strcmp(v, "yes");
	return 0;
}

static int part_capture(const struct line *l, struct inv_part *pt, const char *v)
{
	if (strcmp(v, "yes") && strcmp(v, "no"))
		return lfail(l, "capture must be yes or no, not '%s'", v);
	pt->capture = !strcmp(v, "yes");
	return 0;
}

static int part_size(const struct line *l, struct inv_part *pt, const char *v)
{
	if (!strcmp(v, "rest")) {
		pt->size = 0;
		return 0;
	}
	if (strata_size_parse(&pt->size, v, strlen(v)) || pt->size == 0 || pt->size % 4096)
		return lfail(l, "size must be a non-zero multiple of 4K (or 'rest'), not '%s'", v);
	return 0;
}

/* One key=value of a part line. */
static int part_key(const struct line *l, struct inv_part *pt, char *k, const char *v,
		    int *have_size)
{
	uint8_t guid[16];

	if (!strcmp(k, "label")) {
		if (strlen(v) > STRATA_LABEL_MAX)
			return lfail(l, "label longer than %d characters", STRATA_LABEL_MAX);
		strcpy(pt->label, v);
		return 0;
	}
	if (!strcmp(k, "type")) {
		if (strlen(v) >= sizeof(pt->type) || strata_part_type_parse(guid, v, strlen(v)))
			return lfail(l, "type must be esp, linux, basic, swap or a GUID");
		strcpy(pt->type, v);
		return 0;
	}
	if (!strcmp(k, "size"))
		return *have_size = 1, part_size(l, pt, v);
	if (!strcmp(k, "layer"))
		return part_layer(l, pt, v);
	if (!strcmp(k, "policy"))
		return part_policy(l, pt, v);
	if (!strcmp(k, "wipe"))
		return part_wipe(l, pt, v);
	if (!strcmp(k, "capture"))
		return part_capture(l, pt, v);
	return lfail(l, "unknown partition key '%s'", k);
}

static int part_check(const struct line *l, const struct inv_profile *pr,
		      struct inv_part *pt, int have_size)
{
	if (!pt->label[0] || !pt->type[0] || !have_size)
		return lfail(l, "part needs label=, type= and size=");
	if (pr->nparts && pr->parts[pr->nparts - 1].size == 0)
		return lfail(l, "only the last partition may have size=rest");
	if (!pt->policy)
		pt->policy = pt->layer_kind ? STRATA_POLICY_WRITE : STRATA_POLICY_PRESERVE;
	if ((pt->policy == STRATA_POLICY_PRESERVE) != (pt->layer_kind == INV_LAYER_NONE))
		return lfail(l, "a part with a layer is written or restored; without one it "
			     "must be policy=preserve");
	if (pt->wipe && pt->layer_kind == INV_LAYER_NONE)
		return lfail(l, "wipe=yes needs a layer: a preserved part is never written");
	if (pt->capture && pt->layer_kind == INV_LAYER_MACHINE)
		return lfail(l, "capture=yes cannot mark layer=machine: the server generates that "
			     "partition, there is nothing of the machine's to take");
	return 0;
}

static int parse_part(struct parser *p, struct line *l)
{
	struct inv_profile *pr = cur_profile(p, l);
	struct inv_part pt = { 0 };
	int have_size = 0;
	char *v;

	if (!pr)
		return STRATA_EREPORTED;
	if (pr->nparts == STRATA_MAX_PARTS)
		return lfail(l, "more than %d partitions", STRATA_MAX_PARTS);
	for (int i = 1; i < l->n; i++) {
		if (!(v = kv(l->word[i])))
			return lfail(l, "expected key=value, not '%s'", l->word[i]);
		if (part_key(l, &pt, l->word[i], v, &have_size))
			return STRATA_EREPORTED;
	}
	if (part_check(l, pr, &pt, have_size))
		return STRATA_EREPORTED;
	pr->parts[pr->nparts++] = pt;
	return 0;
}

static int parse_user_data(struct parser *p, struct line *l)
{
	struct inv_profile *pr = cur_profile(p, l);

	if (!pr)
		return STRATA_EREPORTED;
	if (l->n != 2)
		return lfail(l, "expected 'user-data FILE'");
	if (pr->user_data)
		return lfail(l, "user-data given twice for profile '%s'", pr->name);
	pr->user_data = rel_path(l->path, l->word[1]);
	return pr->user_data ? 0 : lfail(l, "out of memory");
}

static int parse_action(const struct line *l, enum inv_action *a, const char *v)
{
	if (!strcmp(v, "deploy"))
		*a = INV_ACTION_DEPLOY;
	else if (!strcmp(v, "enroll"))
		*a = INV_ACTION_ENROLL;
	else if (!strcmp(v, "none"))
		*a = INV_ACTION_NONE;
	else if (!strcmp(v, "capture"))
		*a = INV_ACTION_CAPTURE;
	else
		return lfail(l, "action must be deploy, enroll, capture or none, not '%s'", v);
	return 0;
}

/* A yes/no value of key k into *out. */
static int parse_yes(const struct line *l, const char *k, const char *v, int *out)
{
	if (strcmp(v, "yes") && strcmp(v, "no"))
		return lfail(l, "%s must be yes or no, not '%s'", k, v);
	*out = !strcmp(v, "yes");
	return 0;
}

/* A machine line's capture order keys: as=, prepared=, force=.  1 when k is none of them. */
static int machine_capture_key(const struct line *l, struct inv_machine *m, const char *k,
			       const char *v)
{
	if (!strcmp(k, "as")) {
		if (!name_ok(v))
			return lfail(l, "as=PROFILE: a profile name of [A-Za-z0-9-], 1..63");
		strcpy(m->capture_as, v);
		return 0;
	}
	if (!strcmp(k, "prepared"))
		return parse_yes(l, k, v, &m->capture_prepared);
	if (!strcmp(k, "force"))
		return parse_yes(l, k, v, &m->capture_force);
	return 1;
}

/* An action=capture line's order checked with the API's rules (capture_order_parse);
 * without action=capture, as=, prepared= and force= are refused. */
static int machine_capture_check(const struct line *l, const struct inv_machine *m)
{
	struct capture_order o;
	const char *why;

	if (m->action != INV_ACTION_CAPTURE)
		return m->capture_as[0] || m->capture_prepared || m->capture_force
			? lfail(l, "as=, prepared= and force= belong to action=capture") : 0;
	if (capture_order_of_machine(m, &o, &why))
		return lfail(l, "action=capture: %s", why);
	return 0;
}


/* A machine line's keep key (keep.h), or an unknown key. */
static int machine_keep_key(const struct line *l, struct inv_machine *m, const char *k,
			    const char *v)
{
	const char *why;
	int rc = keep_key_parse(&m->keep, k, v, &why);

	return rc == 0 ? 0 : rc == 1 ? lfail(l, "unknown machine key '%s'", k)
		: lfail(l, "%s, not '%s'", why, v);
}

/* One key=value of a machine line. */
static int machine_key(struct parser *p, const struct line *l, struct inv_machine *m,
		       const char *k, const char *v)
{
	if (!strcmp(k, "name")) {
		if (!name_ok(v))
			return lfail(l, "name must be a hostname ([A-Za-z0-9-], 1..63)");
		strcpy(m->name, v);
	} else if (!strcmp(k, "profile")) {
		if ((m->profile = find_profile(p->inv, v)) < 0)
			return lfail(l, "unknown profile '%s' (define it above)", v);
	} else if (!strcmp(k, "action")) {
		return parse_action(l, &m->action, v);
	} else if (!strcmp(k, "user-data")) {
		free(m->user_data);
		m->user_data = rel_path(l->path, v);
	} else if (!strcmp(k, "replaces")) {
		if (strata_mac_parse(m->replaces, v, strlen(v)))
			return lfail(l, "replaces=OLDMAC: a MAC like 52:54:00:12:34:56, not '%s'", v);
		m->has_replaces = 1;
	} else if (!strcmp(k, "site")) {
		if (!(m->site = inv_site_find(p->inv, v)))
			return lfail(l, "unknown site '%s' (define it above)", v);
	} else if (!strcmp(k, "room")) {
		if (!inv_room_ok(v))
			return lfail(l, "room= takes 1..%d of [A-Za-z0-9._-], not '%s'",
				     INV_ROOM_MAX, v);
		strcpy(m->room, v);
	} else {
		int rc = machine_capture_key(l, m, k, v);

		return rc == 1 ? machine_keep_key(l, m, k, v) : rc;
	}
	return 0;
}

static int machine_check(struct parser *p, const struct line *l, const struct inv_machine *m)
{
	const struct inventory *inv = p->inv;

	if (!m->name[0] || m->profile < 0)
		return lfail(l, "machine needs name= and profile=");
	if (machine_capture_check(l, m))
		return STRATA_EREPORTED;
	for (size_t i = 0; i < inv->nmachines; i++) {
		if (!memcmp(inv->machines[i].mac, m->mac, 6))
			return lfail(l, "MAC already listed on line %u", inv->machines[i].line);
		if (!strcasecmp(inv->machines[i].name, m->name))
			return lfail(l, "name '%s' already used on line %u", m->name,
				     inv->machines[i].line);
	}
	return 0;
}

static int parse_machine(struct parser *p, struct line *l)
{
	struct inv_machine m = { .profile = -1, .line = l->no }, *nm;
	char *v;

	if (l->n < 2 || strata_mac_parse(m.mac, l->word[1], strlen(l->word[1])))
		return lfail(l, "expected 'machine MAC ...' with MAC like 52:54:00:12:34:56");
	p->cur_profile = -1;
	for (int i = 2; i < l->n; i++) {
		if (!(v = kv(l->word[i])))
			return free(m.user_data), lfail(l, "expected key=value, not '%s'", l->word[i]);
		if (machine_key(p, l, &m, l->word[i], v))
			return free(m.user_data), STRATA_EREPORTED;
	}
	if (machine_check(p, l, &m))
		return free(m.user_data), STRATA_EREPORTED;
	nm = realloc(p->inv->machines, (p->inv->nmachines + 1) * sizeof(*nm));
	if (!nm)
		return free(m.user_data), lfail(l, "out of memory");
	p->inv->machines = nm;
	nm[p->inv->nmachines++] = m;
	return 0;
}

static int parse_default(struct parser *p, struct line *l)
{
	struct inventory *inv = p->inv;
	char *v;

	if (p->default_line)
		return lfail(l, "default given twice (first on line %u)", p->default_line);
	p->default_line = l->no;
	p->cur_profile = -1;
	if (l->n == 2 && !strcmp(l->word[1], "local"))
		return 0;
	for (int i = 1; i < l->n; i++) {
		if (!(v = kv(l->word[i])))
			return lfail(l, "expected 'default local' or 'default profile=NAME'");
		if (!strcmp(l->word[i], "profile")) {
			if (!name_ok(v))
				return lfail(l, "bad profile name '%s'", v);
			strcpy(p->default_name, v);
		} else if (!strcmp(l->word[i], "action")) {
			if (parse_action(l, &inv->default_action, v))
				return STRATA_EREPORTED;
			if (inv->default_action == INV_ACTION_CAPTURE)
				return lfail(l, "action=capture orders one machine: put it on "
					     "that machine's line");
		} else {
			return lfail(l, "unknown default key '%s'", l->word[i]);
		}
	}
	return p->default_name[0] ? 0 : lfail(l, "default needs profile=NAME or local");
}

/* The default may name a profile defined further down: resolve it once all are read. */
static int resolve_default(struct parser *p)
{
	struct line l = { .path = p->inv->path, .no = p->default_line };

	if (!p->default_name[0])
		return 0;
	p->inv->default_profile = find_profile(p->inv, p->default_name);
	return p->inv->default_profile >= 0 ? 0
		: lfail(&l, "unknown profile '%s' in default", p->default_name);
}

/* `registered FILE`: once, its path kept; the file is read by inventory_load_with. */
static int parse_registered(struct parser *p, struct line *l)
{
	struct inventory *inv = p->inv;

	if (inv->registered)
		return lfail(l, "registered given twice (first on line %u)", inv->registered_line);
	if (l->n != 2)
		return lfail(l, "expected 'registered FILE', e.g. registered state/registered.conf");
	p->cur_profile = -1;
	inv->registered_line = l->no;
	if (!(inv->registered = rel_path(l->path, l->word[1])))
		return lfail(l, "out of memory");
	return 0;
}

static int parse_line(struct parser *p, struct line *l)
{
	const char *kw = l->word[0];

	if (!strcmp(kw, "profile"))
		return parse_profile(p, l);
	if (!strcmp(kw, "disk"))
		return parse_disk(p, l);
	if (!strcmp(kw, "part"))
		return parse_part(p, l);
	if (!strcmp(kw, "user-data"))
		return parse_user_data(p, l);
	if (!strcmp(kw, "machine"))
		return parse_machine(p, l);
	if (!strcmp(kw, "default"))
		return parse_default(p, l);
	if (!strcmp(kw, "registered"))
		return parse_registered(p, l);
	if (!strcmp(kw, "site")) {
		p->cur_profile = -1;
		return inv_site_parse(p->inv, l->path, l->no, l->word, l->n);
	}
	return lfail(l, "unknown statement '%s'", kw);
}

/* Whether pr has a partition a multicast session can carry (mcast_plan.h): a public
 * layer from the store, not the machine's own (capture=yes). */
static int mcast_carries(const struct inv_profile *pr)
{
	for (unsigned int k = 0; k < pr->nparts; k++)
		if (pr->parts[k].layer_kind == INV_LAYER_ID && !pr->parts[k].capture)
			return 1;
	return 0;
}

/* A multicast profile carries something, on a group and port of its own. */
static int check_mcast(const struct inventory *inv, size_t i)
{
	const struct inv_profile *pr = &inv->profiles[i], *o;
	struct line l = { .path = inv->path, .no = pr->line };

	if (!pr->mc.on)
		return 0;
	if (!mcast_carries(pr))
		return lfail(&l, "profile '%s' says multicast=yes but has no partition with a "
			     "layer from the store (layer=sha256:..., not capture=yes) to send",
			     pr->name);
	for (size_t k = 0; k < i; k++) {
		o = &inv->profiles[k];
		if (o->mc.on && !memcmp(o->mc.group, pr->mc.group, 4) && o->mc.port == pr->mc.port)
			return lfail(&l, "profile '%s' takes the multicast group and port of "
				     "profile '%s' (line %u): give each its own group=", pr->name,
				     o->name, o->line);
	}
	return 0;
}

/* Whole-file checks once every line is read. */
static int check_profiles(const struct inventory *inv)
{
	for (size_t i = 0; i < inv->nprofiles; i++) {
		if (inv->profiles[i].nparts == 0) {
			struct line l = { .path = inv->path, .no = inv->profiles[i].line };

			return lfail(&l, "profile '%s' has no partitions", inv->profiles[i].name);
		}
		if (check_mcast(inv, i))
			return STRATA_EREPORTED;
	}
	return 0;
}

/* replaces= lines once every line is read: the MAC replaced is on no line (its machine's
 * line is the one that replaces it) and replaced by one line only. */
static int check_replaces(const struct inventory *inv)
{
	for (size_t i = 0; i < inv->nmachines; i++) {
		const struct inv_machine *m = &inv->machines[i], *o;
		struct line l = { .path = inv->path, .no = m->line };

		if (!m->has_replaces)
			continue;
		if ((o = inventory_find(inv, m->replaces)))
			return lfail(&l, "replaces= names the MAC of line %u%s: the new PC's line "
				     "takes the old one's place; remove that line", o->line,
				     o == m ? " (this one)" : "");
		for (size_t k = 0; k < i; k++)
			if (inv->machines[k].has_replaces &&
			    !memcmp(inv->machines[k].replaces, m->replaces, 6))
				return lfail(&l, "replaces= names the MAC line %u replaces already",
					     inv->machines[k].line);
	}
	return 0;
}

/* Copy one line of text into buf with checks on its bytes. */
static int take_line(struct line *l, const char *text, size_t len, size_t *off, char *buf)
{
	size_t n = 0;

	while (*off < len && text[*off] != '\n') {
		unsigned char c = (unsigned char)text[(*off)++];

		if (c == '\r' && (*off == len || text[*off] == '\n'))
			continue;
		if (c == '\0' || (c < 0x20 && c != '\t'))
			return lfail(l, "control character in line");
		if (n == MAX_LINE - 1)
			return lfail(l, "line longer than %d bytes", MAX_LINE);
		buf[n++] = (char)c;
	}
	(*off)++;
	buf[n] = '\0';
	return 0;
}

/* Copy the captured profiles pre[0..n) into inv, first.  0 or STRATA_EREPORTED. */
static int take_captured(struct inventory *inv, const struct inv_profile *pre, size_t n)
{
	if (n == 0)
		return 0;
	if (!(inv->profiles = calloc(n, sizeof(*inv->profiles))))
		return errorf("out of memory");
	for (; inv->nprofiles < n; inv->nprofiles++) {
		struct inv_profile *pr = &inv->profiles[inv->nprofiles];

		*pr = pre[inv->nprofiles];
		pr->user_data = NULL;
		if (!(pr->captured = strdup(pre[inv->nprofiles].captured
					    ? pre[inv->nprofiles].captured : pr->name)))
			return errorf("out of memory");
	}
	return 0;
}

int inventory_parse_registered(struct inventory *inv, const char *text, size_t len)
{
	struct parser p = { .inv = inv, .cur_profile = -1 };
	struct line l = { .path = inv->registered };
	char buf[MAX_LINE];
	size_t off = 0;
	int rc = 0;

	while (off < len && rc == 0) {
		l.no++;
		rc = take_line(&l, text, len, &off, buf);
		if (rc == 0)
			rc = split(&l, buf);
		if (rc == 0 && l.n && strcmp(l.word[0], "machine"))
			rc = lfail(&l, "only machine lines belong in a registered file (%s names it "
				   "on line %u); move '%s' into the inventory", inv->path,
				   inv->registered_line, l.word[0]);
		if (rc == 0 && l.n)
			rc = parse_machine(&p, &l);
	}
	return rc ? STRATA_EREPORTED : check_replaces(inv);
}

int inventory_parse(const char *path, const char *text, size_t len, struct inventory **out)
{
	return inventory_parse_with(path, text, len, NULL, 0, out);
}

int inventory_parse_with(const char *path, const char *text, size_t len,
			 const struct inv_profile *pre, size_t npre, struct inventory **out)
{
	struct parser p = { .cur_profile = -1 };
	struct line l = { .path = path };
	char buf[MAX_LINE];
	size_t off = 0;
	int rc = 0;

	p.inv = calloc(1, sizeof(*p.inv));
	if (!p.inv || !(p.inv->path = strdup(path)))
		return free(p.inv), errorf("out of memory");
	p.inv->default_profile = -1;
	rc = take_captured(p.inv, pre, npre);
	while (off < len && rc == 0) {
		l.no++;
		rc = take_line(&l, text, len, &off, buf);
		if (rc == 0)
			rc = split(&l, buf);
		if (rc == 0 && l.n)
			rc = parse_line(&p, &l);
	}
	if (rc == 0)
		rc = check_profiles(p.inv);
	if (rc == 0)
		rc = check_replaces(p.inv);
	if (rc == 0)
		rc = resolve_default(&p);
	if (rc) {
		inventory_free(p.inv);
		return STRATA_EREPORTED;
	}
	*out = p.inv;
	return 0;
}

int inventory_load(const char *path, struct inventory **out)
{
	return inventory_load_with(path, NULL, 0, out);
}

/* The registered file's machines into inv; a missing file holds none (the first
 * registration makes it). */
static int load_registered(struct inventory *inv)
{
	uint8_t *text;
	size_t len;
	int rc;

	if (access(inv->registered, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (read_file(inv->registered, 16 << 20, &text, &len))
		return STRATA_EREPORTED;
	rc = inventory_parse_registered(inv, (const char *)text, len);
	free(text);
	return rc;
}

int inventory_load_with(const char *path, const struct inv_profile *pre, size_t npre,
			struct inventory **out)
{
	uint8_t *text;
	size_t len;
	int rc;

	if (read_file(path, 16 << 20, &text, &len))
		return STRATA_EREPORTED;
	rc = inventory_parse_with(path, (const char *)text, len, pre, npre, out);
	free(text);
	if (rc == 0 && (*out)->registered && load_registered(*out)) {
		inventory_free(*out);
		*out = NULL;
		return STRATA_EREPORTED;
	}
	return rc;
}

/* Partition i of layout m as a profile's part: its type as the manifest's alias or GUID.
 * The reference disk's CIDATA (left out of a gold capture: it is that PC's own cloud-init
 * seed) becomes layer=machine, as an inventory profile writes it, so every machine given
 * the captured profile gets the CIDATA the server generates for it instead of keeping
 * whatever its disk held. */
static void part_from_layout(const struct strata_part *mp, struct inv_part *pt)
{
	const char *alias = strata_part_type_name(mp->type_guid);

	memset(pt, 0, sizeof(*pt));
	snprintf(pt->label, sizeof(pt->label), "%s", mp->label);
	if (alias)
		snprintf(pt->type, sizeof(pt->type), "%s", alias);
	else
		strata_guid_format(pt->type, mp->type_guid);
	pt->size = mp->size;
	pt->policy = mp->policy;
	pt->layer_kind = mp->has_layer ? INV_LAYER_ID : INV_LAYER_NONE;
	memcpy(pt->layer, mp->layer, 32);
	pt->wipe = mp->wipe;
	if (!mp->has_layer && !strcmp(mp->label, "CIDATA")) {
		pt->layer_kind = INV_LAYER_MACHINE;
		pt->policy = STRATA_POLICY_WRITE;
	}
}

/* The disk min-size of profile pr whose layout said min: at least where pr's partitions,
 * laid out from 1 MiB at 1 MiB boundaries (machine.c), end, so a layout whose starts were
 * not aligned still renders as a valid manifest; 0 stays 0 (no minimum). */
static uint64_t laid_out_min(const struct inv_profile *pr, uint64_t min)
{
	uint64_t end = 1u << 20;

	for (unsigned int i = 0; i < pr->nparts; i++)
		end += pr->parts[i].size ? (pr->parts[i].size + (1u << 20) - 1) >> 20 << 20
			: 4096;
	return min && min < end ? end : min;
}

int inv_profile_from_layout(const struct strata_manifest *m, const char *name,
			    const char *origin, struct inv_profile *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (!name_ok(name))
		return *why = "a profile name is [A-Za-z0-9-], 1..63, not starting with '-'",
		       STRATA_EINVAL;
	if (m->nparts == 0 || m->nparts > STRATA_MAX_PARTS)
		return *why = "a profile has 1 to 16 partitions", STRATA_EINVAL;
	for (unsigned int i = 0; i < m->nparts; i++) {
		if (m->parts[i].private_layer)
			return *why = "a captured profile is public: no store=private",
			       STRATA_EINVAL;
		part_from_layout(&m->parts[i], &out->parts[i]);
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->nparts = m->nparts;
	out->min_disk = laid_out_min(out, m->min_disk);
	if (!(out->captured = strdup(origin)))
		return *why = "out of memory", STRATA_ENOMEM;
	return 0;
}

void inv_profile_done(struct inv_profile *pr)
{
	free(pr->user_data);
	free(pr->captured);
	pr->user_data = pr->captured = NULL;
}

void inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->nprofiles; i++)
		inv_profile_done(&inv->profiles[i]);
	for (size_t i = 0; i < inv->nmachines; i++)
		free(inv->machines[i].user_data);
	free(inv->profiles);
	free(inv->machines);
	free(inv->sites);
	free(inv->path);
	free(inv->registered);
	free(inv);
}

const struct inv_machine *inventory_find(const struct inventory *inv, const uint8_t mac[6])
{
	for (size_t i = 0; i < inv->nmachines; i++)
		if (!memcmp(inv->machines[i].mac, mac, 6))
			return &inv->machines[i];
	return NULL;
}
