/* Manifest parsing and verification (grammar in manifest.h). */
#include "manifest.h"
#include "chunk.h"
#include "crypto.h"
#include "mcast.h"
#include "mem.h"
#include "text.h"

/** A slice of the text being parsed. */
struct slice {
	const char *p;
	size_t len;
};

/** Parser state: the current line and where it stands. */
struct cursor {
	struct slice line;   /**< the current line, without its LF */
	size_t pos;          /**< next unread byte of line */
	uint64_t no;         /**< 1-based line number, for diagnostics */
	struct strata_diag *diag;
};

static int fail(struct cursor *c, int rc, const char *msg)
{
	return strata_fail(c->diag, rc, msg, c->no);
}

static int eq(struct slice s, const char *lit)
{
	size_t n = __builtin_strlen(lit);

	return s.len == n && strata_memcmp(s.p, lit, n) == 0;
}

/* Next space-separated word of the line; 0 when the line is used up. */
static int next_word(struct cursor *c, struct slice *w)
{
	while (c->pos < c->line.len && c->line.p[c->pos] == ' ')
		c->pos++;
	w->p = c->line.p + c->pos;
	while (c->pos < c->line.len && c->line.p[c->pos] != ' ')
		c->pos++;
	w->len = (size_t)(c->line.p + c->pos - w->p);
	return w->len != 0;
}

/* Split a key=value word. */
static int split_kv(struct slice w, struct slice *k, struct slice *v)
{
	for (size_t i = 0; i < w.len; i++) {
		if (w.p[i] == '=') {
			*k = (struct slice){ w.p, i };
			*v = (struct slice){ w.p + i + 1, w.len - i - 1 };
			return v->len != 0;
		}
	}
	return 0;
}

static int label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

/* Whether v is a name of 1..max characters of [A-Za-z0-9._-]: 0, STRATA_ERANGE for its
 * length, STRATA_EINVAL for a character. */
static int name_check(struct slice v, size_t max)
{
	if (v.len == 0 || v.len > max)
		return STRATA_ERANGE;
	for (size_t i = 0; i < v.len; i++)
		if (!label_char(v.p[i]))
			return STRATA_EINVAL;
	return 0;
}

int strata_label_ok(const char *s, size_t len)
{
	return name_check((struct slice){ s, len }, STRATA_LABEL_MAX) == 0;
}

/* Copy a name of [A-Za-z0-9._-] into a fixed NUL-terminated field. */
static int copy_name(char *dst, size_t max, struct slice v)
{
	int rc = name_check(v, max);

	if (rc)
		return rc;
	strata_memcpy(dst, v.p, v.len);
	dst[v.len] = '\0';
	return 0;
}

/** Partition type aliases, so manifests say "esp" rather than a GUID. */
static const struct {
	const char *name;
	const char *guid;
} type_aliases[] = {
	{ "esp", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" },
	{ "linux", "0FC63DAF-8483-4772-8E79-3D69D8477DE4" },
	{ "basic", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" },
	{ "swap", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" },
};

#define N_ALIASES (sizeof(type_aliases) / sizeof(type_aliases[0]))

int strata_part_type_parse(uint8_t out[16], const char *s, size_t len)
{
	struct slice v = { s, len };

	for (size_t i = 0; i < N_ALIASES; i++)
		if (eq(v, type_aliases[i].name))
			return strata_guid_parse(out, type_aliases[i].guid, 36);
	return strata_guid_parse(out, s, len);
}

const char *strata_part_type_name(const uint8_t guid[16])
{
	uint8_t g[16];

	for (size_t i = 0; i < N_ALIASES; i++) {
		strata_guid_parse(g, type_aliases[i].guid, 36);
		if (!strata_memcmp(g, guid, 16))
			return type_aliases[i].name;
	}
	return NULL;
}

static int parse_type(uint8_t out[16], struct slice v)
{
	return strata_part_type_parse(out, v.p, v.len);
}

/** Policy names, indexed by enum strata_policy: the parser's words and the writer's. */
static const char *const policy_names[] = {
	[STRATA_POLICY_WRITE] = "write",
	[STRATA_POLICY_PRESERVE] = "preserve",
	[STRATA_POLICY_RESTORE] = "restore",
};

const char *strata_policy_name(enum strata_policy p)
{
	return p >= STRATA_POLICY_WRITE && p <= STRATA_POLICY_RESTORE ? policy_names[p] : NULL;
}

static int parse_policy(enum strata_policy *p, struct slice v)
{
	for (int i = STRATA_POLICY_WRITE; i <= STRATA_POLICY_RESTORE; i++) {
		if (eq(v, policy_names[i])) {
			*p = (enum strata_policy)i;
			return 0;
		}
	}
	return STRATA_EINVAL;
}

/* A size field of a partition: bytes, 4 KiB multiple, or "rest" where allowed. */
static int parse_extent(struct cursor *c, uint64_t *out, struct slice v, int rest_ok)
{
	if (rest_ok && eq(v, "rest")) {
		*out = 0;
		return 0;
	}
	if (strata_size_parse(out, v.p, v.len))
		return fail(c, STRATA_EINVAL, "bad size (bytes, or a number with K/M/G/T)");
	if (*out == 0 || *out % STRATA_PART_GRAIN || *out > STRATA_PART_BYTES_MAX)
		return fail(c, STRATA_ERANGE, "size must be a non-zero multiple of 4 KiB");
	return 0;
}

/** Bits for the keys a part line has given, to catch duplicates and omissions. */
enum {
	K_LABEL = 1, K_TYPE = 2, K_GUID = 4, K_START = 8, K_SIZE = 16, K_POLICY = 32, K_LAYER = 64,
	K_WIPE = 128, K_STORE = 256,
	K_REQUIRED = K_LABEL | K_TYPE | K_GUID | K_START | K_SIZE | K_POLICY,
};

/* Apply one key=value of a part line. */
static int part_key(struct cursor *c, struct strata_part *p, struct slice k, struct slice v,
		    unsigned int *seen)
{
	unsigned int bit;
	int rc;

	if (eq(k, "label")) {
		bit = K_LABEL;
		rc = copy_name(p->label, STRATA_LABEL_MAX, v);
	} else if (eq(k, "type")) {
		bit = K_TYPE;
		rc = parse_type(p->type_guid, v);
	} else if (eq(k, "guid")) {
		bit = K_GUID;
		rc = strata_guid_parse(p->part_guid, v.p, v.len);
	} else if (eq(k, "start")) {
		return (*seen & K_START) ? fail(c, STRATA_EINVAL, "start given twice")
			: (*seen |= K_START, parse_extent(c, &p->start, v, 0));
	} else if (eq(k, "size")) {
		return (*seen & K_SIZE) ? fail(c, STRATA_EINVAL, "size given twice")
			: (*seen |= K_SIZE, parse_extent(c, &p->size, v, 1));
	} else if (eq(k, "policy")) {
		bit = K_POLICY;
		rc = parse_policy(&p->policy, v);
	} else if (eq(k, "layer")) {
		bit = K_LAYER;
		rc = strata_layer_id_parse(p->layer, v.p, v.len);
		p->has_layer = 1;
	} else if (eq(k, "wipe")) {
		bit = K_WIPE;
		rc = eq(v, "yes") ? 0 : STRATA_EINVAL;
		p->wipe = 1;
	} else if (eq(k, "store")) {
		bit = K_STORE;
		rc = eq(v, "private") ? 0 : STRATA_EINVAL;
		p->private_layer = 1;
	} else {
		return fail(c, STRATA_EINVAL, "unknown partition key");
	}
	if (*seen & bit)
		return fail(c, STRATA_EINVAL, "partition key given twice");
	*seen |= bit;
	return rc ? fail(c, STRATA_EINVAL, "bad value for a partition key") : 0;
}

/* Check one partition against the ones before it. */
static int part_check(struct cursor *c, struct strata_manifest *m, struct strata_part *p,
		      unsigned int seen)
{
	const struct strata_part *prev = m->nparts ? &m->parts[m->nparts - 1] : NULL;

	if ((seen & K_REQUIRED) != K_REQUIRED)
		return fail(c, STRATA_EINVAL,
			    "partition needs label, type, guid, start, size and policy");
	if ((p->policy == STRATA_POLICY_PRESERVE) == !!(seen & K_LAYER))
		return fail(c, STRATA_EINVAL, "write and restore need a layer; preserve takes none");
	if (p->wipe && p->policy == STRATA_POLICY_PRESERVE)
		return fail(c, STRATA_EINVAL, "wipe=yes needs a layer: preserve never writes");
	if ((seen & K_STORE) && !(seen & K_LAYER))
		return fail(c, STRATA_EINVAL, "store=private needs a layer");
	if (p->start < STRATA_PART_START_MIN)
		return fail(c, STRATA_ERANGE, "partitions start at 1 MiB or later");
	if (prev && prev->size == 0)
		return fail(c, STRATA_EINVAL, "only the last partition may have size=rest");
	if (prev && p->num <= prev->num)
		return fail(c, STRATA_EINVAL, "partition numbers must ascend");
	if (prev && p->start < prev->start + prev->size)
		return fail(c, STRATA_EINVAL, "partition overlaps the one before it");
	if (strata_is_zero(p->part_guid, 16))
		return fail(c, STRATA_EINVAL, "partition GUID must not be zero");
	for (unsigned int i = 0; i < m->nparts; i++)
		if (!strata_memcmp(m->parts[i].part_guid, p->part_guid, 16))
			return fail(c, STRATA_EINVAL, "partition GUID used twice");
	return 0;
}

static int parse_part(struct cursor *c, struct strata_manifest *m)
{
	struct strata_part *p;
	struct slice w, k, v;
	unsigned int seen = 0;
	uint64_t num;
	int rc;

	if (m->nparts == STRATA_MAX_PARTS)
		return fail(c, STRATA_ERANGE, "too many partitions (at most 16)");
	p = &m->parts[m->nparts];
	strata_memset(p, 0, sizeof(*p));
	if (!next_word(c, &w) || strata_u64_parse(&num, w.p, w.len, STRATA_PART_NUM_MAX) ||
	    num == 0)
		return fail(c, STRATA_EINVAL, "part needs a number from 1 to 128");
	p->num = (uint32_t)num;
	while (next_word(c, &w)) {
		if (!split_kv(w, &k, &v))
			return fail(c, STRATA_EINVAL, "expected key=value");
		rc = part_key(c, p, k, v, &seen);
		if (rc)
			return rc;
	}
	rc = part_check(c, m, p, seen);
	if (rc)
		return rc;
	m->nparts++;
	return 0;
}

static int parse_disk(struct cursor *c, struct strata_manifest *m, int *have)
{
	struct slice w, k, v;
	int seen_min = 0;

	if (*have)
		return fail(c, STRATA_EINVAL, "disk given twice");
	*have = 1;
	while (next_word(c, &w)) {
		if (!split_kv(w, &k, &v))
			return fail(c, STRATA_EINVAL, "expected key=value");
		if (eq(k, "guid")) {
			if (*have == 2)
				return fail(c, STRATA_EINVAL, "disk key given twice");
			if (strata_guid_parse(m->disk_guid, v.p, v.len))
				return fail(c, STRATA_EINVAL, "bad disk GUID");
			*have = 2;
		} else if (eq(k, "min-size")) {
			if (seen_min++)
				return fail(c, STRATA_EINVAL, "disk key given twice");
			if (strata_size_parse(&m->min_disk, v.p, v.len))
				return fail(c, STRATA_EINVAL, "bad disk min-size");
		} else {
			return fail(c, STRATA_EINVAL, "unknown disk key");
		}
	}
	return *have == 2 ? 0 : fail(c, STRATA_EINVAL, "disk needs guid=");
}

/* The single word after a keyword, with nothing after it. */
static int one_arg(struct cursor *c, struct slice *w)
{
	struct slice extra;

	if (!next_word(c, w))
		return fail(c, STRATA_EINVAL, "missing value");
	if (next_word(c, &extra))
		return fail(c, STRATA_EINVAL, "unexpected text after the value");
	return 0;
}

static int parse_version(struct cursor *c, struct strata_manifest *m, int *have)
{
	struct slice w;
	int rc = one_arg(c, &w);

	if (rc)
		return rc;
	if (*have)
		return fail(c, STRATA_EINVAL, "version given twice");
	*have = 1;
	if (strata_u64_parse(&m->version, w.p, w.len, UINT64_MAX))
		return fail(c, STRATA_EINVAL, "version must be a decimal number");
	return 0;
}

static int parse_machine(struct cursor *c, struct strata_manifest *m)
{
	struct slice w;
	int rc = one_arg(c, &w);

	if (rc)
		return rc;
	if (m->machine[0])
		return fail(c, STRATA_EINVAL, "machine given twice");
	if (copy_name(m->machine, STRATA_MACHINE_MAX, w))
		return fail(c, STRATA_EINVAL, "machine name: 1..63 characters of [A-Za-z0-9._-]");
	return 0;
}

static int url_char(char ch)
{
	return label_char(ch) || ch == '~' || ch == ':' || ch == '/' || ch == '%';
}

int strata_store_url_ok(const char *s, size_t len)
{
	size_t scheme = len >= 8 && !strata_memcmp(s, "https://", 8) ? 8
		: len >= 7 && !strata_memcmp(s, "http://", 7) ? 7 : 0;

	if (!scheme || len == scheme || len > STRATA_STORE_URL_MAX || s[len - 1] == '/')
		return 0;
	for (size_t i = scheme; i < len; i++)
		if (!url_char(s[i]))
			return 0;
	return 1;
}

static int parse_store(struct cursor *c, struct strata_manifest *m)
{
	struct slice w;
	int rc = one_arg(c, &w);

	if (rc)
		return rc;
	if (m->store[0])
		return fail(c, STRATA_EINVAL, "store given twice");
	if (!strata_store_url_ok(w.p, w.len))
		return fail(c, STRATA_EINVAL, "store must be an http:// or https:// URL of "
			    "[A-Za-z0-9._~:/%-], at most 200 characters, no trailing '/'");
	strata_memcpy(m->store, w.p, w.len);
	m->store[w.len] = '\0';
	return 0;
}

/* The numbers of v separated by sep, each 0..max without leading zeros, into
 * out[0..cap); *n gets how many.  0, or STRATA_EINVAL (an empty or bad number, too many). */
static int number_list(uint8_t *out, size_t cap, size_t *n, struct slice v, char sep,
		       uint64_t max)
{
	size_t start = 0;
	uint64_t num;

	*n = 0;
	for (size_t i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] != sep)
			continue;
		if (*n == cap || strata_u64_parse(&num, v.p + start, i - start, max))
			return STRATA_EINVAL;
		out[(*n)++] = (uint8_t)num;
		start = i + 1;
	}
	return 0;
}

int strata_mc_rate_parse(uint64_t *out, const char *s, size_t len)
{
	uint64_t mult = 1, n;
	char last = len ? s[len - 1] : 0;

	if (last == 'K' || last == 'M' || last == 'G') {
		mult = last == 'K' ? 1000 : last == 'M' ? 1000000 : 1000000000;
		len--;
	}
	if (strata_u64_parse(&n, s, len, STRATA_MC_RATE_MAX) || n > STRATA_MC_RATE_MAX / mult)
		return STRATA_ERANGE;
	*out = n * mult;
	return *out >= STRATA_MC_RATE_MIN ? 0 : STRATA_ERANGE;
}

/* The parts= list: partition numbers 1..128, ascending, comma-separated. */
static int parse_mc_parts(struct strata_multicast *mc, struct slice v)
{
	size_t n;

	if (number_list(mc->parts, STRATA_MAX_PARTS, &n, v, ',', STRATA_PART_NUM_MAX) ||
	    mc->parts[0] == 0)
		return STRATA_EINVAL;
	mc->nparts = (unsigned int)n;
	for (size_t i = 1; i < n; i++)
		if (mc->parts[i] <= mc->parts[i - 1])
			return STRATA_EINVAL;
	return 0;
}

/* A decimal number in min..max into *n: 0 or STRATA_EINVAL. */
static int number_in(uint64_t *n, struct slice v, uint64_t min, uint64_t max)
{
	return strata_u64_parse(n, v.p, v.len, max) || *n < min ? STRATA_EINVAL : 0;
}

/** Bits for the keys a multicast statement has given: each once, all of them. */
enum {
	MK_GROUP = 1, MK_PORT = 2, MK_SESSION = 4, MK_RATE = 8, MK_PAYLOAD = 16, MK_PARITY = 32,
	MK_PARTS = 64, MK_ALL = 127,
};

/* Apply one key=value of the multicast statement; *bit gets the key's bit. */
static int mc_key(struct strata_multicast *mc, struct slice k, struct slice v, unsigned int *bit)
{
	uint64_t n = 0;
	size_t len;
	int rc;

	if (eq(k, "group")) {
		*bit = MK_GROUP;
		return number_list(mc->group, 4, &len, v, '.', 255) || len != 4 ||
			mc->group[0] != 239 ? STRATA_EINVAL : 0;
	}
	if (eq(k, "port")) {
		*bit = MK_PORT;
		rc = number_in(&n, v, 1024, 65535);
		mc->port = (uint16_t)n;
		return rc;
	}
	if (eq(k, "session")) {
		*bit = MK_SESSION;
		return v.len == 16 ? strata_hex_decode(mc->session, v.p, 8) : STRATA_EINVAL;
	}
	if (eq(k, "rate")) {
		*bit = MK_RATE;
		return strata_mc_rate_parse(&mc->rate, v.p, v.len);
	}
	if (eq(k, "payload")) {
		*bit = MK_PAYLOAD;
		rc = number_in(&n, v, STRATA_MC_PAYLOAD_MIN, STRATA_MC_PAYLOAD_MAX);
		mc->payload = (uint16_t)n;
		return rc;
	}
	if (eq(k, "parity")) {
		*bit = MK_PARITY;
		rc = number_in(&n, v, 0, STRATA_MC_PARITY_MAX);
		mc->parity = (uint8_t)n;
		return rc;
	}
	if (eq(k, "parts")) {
		*bit = MK_PARTS;
		return parse_mc_parts(mc, v);
	}
	return STRATA_ENOENT;
}

static int parse_multicast(struct cursor *c, struct strata_manifest *m, uint64_t *line)
{
	struct slice w, k, v;
	unsigned int seen = 0, bit;
	int rc;

	if (m->mc.on)
		return fail(c, STRATA_EINVAL, "multicast given twice");
	m->mc.on = 1;
	*line = c->no;
	while (next_word(c, &w)) {
		if (!split_kv(w, &k, &v))
			return fail(c, STRATA_EINVAL, "expected key=value");
		rc = mc_key(&m->mc, k, v, &bit);
		if (rc == STRATA_ENOENT)
			return fail(c, STRATA_EINVAL, "unknown multicast key");
		if (seen & bit)
			return fail(c, STRATA_EINVAL, "multicast key given twice");
		seen |= bit;
		if (rc)
			return fail(c, STRATA_EINVAL, "bad value for a multicast key "
				    "(docs/multicast.md)");
	}
	if (seen != MK_ALL)
		return fail(c, STRATA_EINVAL, "multicast needs group, port, session, rate, "
			    "payload, parity, parts");
	return 0;
}

/* Each partition the multicast statement names is a part line with a public layer. */
static int check_multicast(struct cursor *c, const struct strata_manifest *m, uint64_t line)
{
	for (unsigned int i = 0; i < m->mc.nparts; i++) {
		const struct strata_part *p = (void *)0;

		for (unsigned int j = 0; j < m->nparts; j++)
			if (m->parts[j].num == m->mc.parts[i])
				p = &m->parts[j];
		if (!p || !p->has_layer || p->private_layer) {
			c->no = line;
			return fail(c, STRATA_EINVAL, "multicast parts= names a partition that is "
				    "not there or has no public layer");
		}
	}
	return 0;
}

static int parse_signature(struct cursor *c, struct strata_manifest *m)
{
	static const char form[] = "signature ecdsa-p256 ";
	struct slice alg, b;

	if (!next_word(c, &alg) || !eq(alg, "ecdsa-p256"))
		return fail(c, STRATA_ENOTSUP, "signature algorithm must be ecdsa-p256");
	/* One exact form: the signed text ends where this line starts, so the line itself
	 * must leave nothing to vary (a second space would be unsigned slack). */
	if (c->line.len < sizeof(form) || strata_memcmp(c->line.p, form, sizeof(form) - 1))
		return fail(c, STRATA_EINVAL, "signature line must read \"signature ecdsa-p256 "
			    "BASE64\", one space apart");
	if (one_arg(c, &b))
		return fail(c, STRATA_EINVAL, "signature needs one base64 value");
	if (strata_base64_decode(m->sig, sizeof(m->sig), &m->sig_len, b.p, b.len) ||
	    m->sig_len == 0)
		return fail(c, STRATA_EINVAL, "signature is not valid base64");
	return 0;
}

/** What the statements seen so far have given. */
struct seen {
	int version, disk, signature;
	uint64_t multicast;   /**< the multicast statement's line, for check_complete */
};

/* One statement line after the header. */
static int parse_statement(struct cursor *c, struct strata_manifest *m, struct seen *s)
{
	struct slice kw;

	if (c->line.len == 0 || c->line.p[0] == '#')
		return s->signature ? fail(c, STRATA_ETRAIL, "text after the signature") : 0;
	if (s->signature)
		return fail(c, STRATA_ETRAIL, "text after the signature");
	next_word(c, &kw);
	if (eq(kw, "version"))
		return parse_version(c, m, &s->version);
	if (eq(kw, "machine"))
		return parse_machine(c, m);
	if (eq(kw, "store"))
		return parse_store(c, m);
	if (eq(kw, "disk"))
		return parse_disk(c, m, &s->disk);
	if (eq(kw, "part"))
		return parse_part(c, m);
	if (eq(kw, "multicast"))
		return parse_multicast(c, m, &s->multicast);
	if (eq(kw, "signature")) {
		s->signature = 1;
		return parse_signature(c, m);
	}
	return fail(c, STRATA_EINVAL, "unknown statement");
}

/* Take the next LF-terminated line; checks its bytes. 0 at end, 1 with a line, <0 error. */
static int next_line(struct cursor *c, const char *buf, size_t len, size_t *off)
{
	size_t start = *off;

	if (start == len)
		return 0;
	c->no++;
	for (size_t i = start; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n') {
			c->line = (struct slice){ buf + start, i - start };
			c->pos = 0;
			*off = i + 1;
			return 1;
		}
		if (ch == '\r')
			return fail(c, STRATA_EINVAL, "CR in line ending (use LF)");
		if (ch < 0x20 || ch > 0x7e)
			return fail(c, STRATA_EINVAL, "control or non-ASCII byte");
	}
	return fail(c, STRATA_ETRUNC, "last line has no newline");
}

static int check_complete(struct cursor *c, const struct strata_manifest *m,
			  const struct seen *s)
{
	const struct strata_part *last;
	uint64_t end;

	if (!s->version)
		return fail(c, STRATA_EINVAL, "manifest has no version line");
	if (!s->disk)
		return fail(c, STRATA_EINVAL, "manifest has no disk line");
	if (m->nparts == 0)
		return fail(c, STRATA_EINVAL, "manifest has no partitions");
	last = &m->parts[m->nparts - 1];
	/* A size=rest partition needs at least one 4 KiB block. */
	end = last->start + (last->size ? last->size : 4096);
	if (m->min_disk && m->min_disk < end)
		return fail(c, STRATA_EINVAL, "disk min-size is smaller than the layout");
	return check_multicast(c, m, s->multicast);
}

int strata_manifest_parse(struct strata_manifest *m, const char *buf, size_t len,
			  struct strata_diag *diag)
{
	struct cursor c = { .diag = diag };
	struct seen s = { 0 };
	size_t off = 0;
	int rc;

	strata_memset(m, 0, sizeof(*m));
	if (len > STRATA_MANIFEST_MAX)
		return strata_fail(diag, STRATA_ERANGE, "manifest larger than 16 KiB", 1);
	rc = next_line(&c, buf, len, &off);
	if (rc <= 0)
		return rc ? rc : fail(&c, STRATA_ETRUNC, "empty manifest");
	if (!eq(c.line, "strata-manifest 1"))
		return fail(&c, STRATA_EINVAL, "first line must be 'strata-manifest 1'");
	while ((rc = next_line(&c, buf, len, &off)) > 0) {
		int was_signed = s.signature;

		rc = parse_statement(&c, m, &s);
		if (rc)
			return rc;
		if (s.signature && !was_signed)
			m->signed_len = (size_t)(c.line.p - buf);
	}
	if (rc)
		return rc;
	if (!s.signature)
		m->signed_len = len;
	return check_complete(&c, m, &s);
}

int strata_manifest_verify(const struct strata_manifest *m, const char *buf,
			   const uint8_t *pub, size_t pub_len, struct strata_diag *diag)
{
	uint8_t digest[STRATA_SHA256_LEN];
	int rc;

	if (m->sig_len == 0)
		return strata_fail(diag, STRATA_EBADSIG, "manifest is not signed", 0);
	strata_sha256(buf, m->signed_len, digest);
	rc = strata_ecdsa_verify(pub, pub_len, digest, m->sig, m->sig_len);
	if (rc == STRATA_EINVAL)
		return strata_fail(diag, rc, "public key cannot be parsed", 0);
	if (rc)
		return strata_fail(diag, STRATA_EBADSIG, "manifest signature does not verify", 0);
	return 0;
}

int strata_manifest_check_version(const struct strata_manifest *m, uint64_t last_applied,
				  struct strata_diag *diag)
{
	if (m->version < last_applied)
		return strata_fail(diag, STRATA_ESTALE,
				   "manifest version is older than the one last applied", 0);
	return 0;
}

int strata_layer_id_parse(uint8_t out[32], const char *s, size_t len)
{
	if (len != 7 + 64 || strata_memcmp(s, "sha256:", 7) != 0)
		return STRATA_EINVAL;
	return strata_hex_decode(out, s + 7, 32);
}

void strata_layer_id_format(char out[72], const uint8_t digest[32])
{
	strata_memcpy(out, "sha256:", 7);
	strata_hex_encode(out + 7, digest, 32);
}
