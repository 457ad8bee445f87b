/* A whole deployment against the target disk, and the words for it (see disk_fit.h). */
#include <stdarg.h>
#include "disk_fit.h"
#include "mem.h"
#include "text.h"

/* Bytes after the last usable block: the backup entry array and the backup header. */
static uint64_t backup_bytes(uint32_t bs)
{
	return STRATA_GPT_ARRAY_BYTES + (uint64_t)bs;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* v rounded up to a multiple of bs (a power of two), saturating. */
static uint64_t round_up(uint64_t v, uint32_t bs)
{
	uint64_t r = add_sat(v, bs - 1);

	return r == UINT64_MAX ? r : r & ~(uint64_t)(bs - 1);
}

/* Partition i's needs, what it gets below usable_end (the end of the last usable block),
 * and its fault. */
static void fit_part(struct strata_fit_part *f, const struct strata_part *p, uint64_t layer,
		     uint32_t bs, uint64_t usable_end)
{
	uint64_t room = p->start < usable_end ? usable_end - p->start : 0;

	f->start = p->start;
	f->layer_bytes = layer;
	f->needs = p->size ? p->size : round_up(layer ? layer : 1, bs);
	f->gets = p->size && p->size < room ? p->size : room;
	if (p->size && layer > p->size)
		f->fault = STRATA_FIT_OVER_SIZE;
	else if (f->needs > f->gets)
		f->fault = STRATA_FIT_SHORT;
}

/* Fill *fit; the first partition at fault, or 0. */
static uint32_t fit_all(struct strata_fit *fit, const struct strata_manifest *m,
			const uint64_t *layer_bytes, uint64_t disk_bytes, uint32_t bs)
{
	uint64_t back = backup_bytes(bs), end = 0;
	uint64_t usable_end = disk_bytes > back ? disk_bytes - back : 0;
	uint32_t first = 0;

	fit->disk_bytes = disk_bytes;
	fit->nparts = m->nparts;
	for (unsigned int i = 0; i < m->nparts; i++) {
		struct strata_fit_part *f = &fit->parts[i];
		uint64_t e;

		fit_part(f, &m->parts[i], layer_bytes[i], bs, usable_end);
		e = round_up(add_sat(f->start, f->needs), bs);
		end = e > end ? e : end;
		if (f->fault && !fit->nfaults++)
			first = m->parts[i].num;
	}
	fit->needs = add_sat(end, back);
	if (m->min_disk > fit->needs) {
		fit->needs = m->min_disk;
		fit->by_min_size = 1;
	}
	return first;
}

/* The first partition whose layer is over its fixed size, or 0. */
static uint32_t over_size(const struct strata_fit *fit, const struct strata_manifest *m)
{
	for (unsigned int i = 0; i < fit->nparts; i++)
		if (fit->parts[i].fault == STRATA_FIT_OVER_SIZE)
			return m->parts[i].num;
	return 0;
}

int strata_disk_fit(const struct strata_manifest *m, const uint64_t layer_bytes[STRATA_MAX_PARTS],
		    uint64_t disk_bytes, uint32_t block_size, struct strata_fit *fit,
		    struct strata_gpt_plan *plan, struct strata_diag *diag)
{
	uint32_t first;
	int rc;

	strata_memset(fit, 0, sizeof(*fit));
	rc = strata_gpt_plan(m, disk_bytes, block_size, plan, diag);
	if (rc && rc != STRATA_ENOSPC)
		return rc;       /* a manifest or block size error: no sizes to weigh */
	first = fit_all(fit, m, layer_bytes, disk_bytes, block_size);
	if (over_size(fit, m))
		return strata_fail(diag, STRATA_EINVAL, "a layer is larger than its partition's "
				   "size (Strata never shrinks a filesystem)", over_size(fit, m));
	if (fit->needs > disk_bytes)
		return strata_fail(diag, STRATA_ENOSPC, "the disk is smaller than the deployment "
				   "needs", first);
	return rc;       /* 0, or the plan's own ENOSPC (with its diag) */
}

int strata_fit_writes(const struct strata_manifest *m, unsigned int i,
		      const struct strata_gpt_table *have, const struct strata_gpt_plan *plan)
{
	const struct strata_part *p = &m->parts[i];

	if (!p->has_layer || p->policy == STRATA_POLICY_PRESERVE)
		return 0;
	if (p->policy == STRATA_POLICY_WRITE || !have || !plan)
		return 1;
	return !strata_gpt_part_exists(have, &plan->parts[i]);
}

/* v in decimal units, three digits: "512 bytes", "16.0 GB", "3.00 GB", "240 GB". */
static void put_human(struct strata_out *o, uint64_t v)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB", "PB", "EB" };
	uint64_t u = 1000, scale = 1, n;
	unsigned int k = 0, d = 2;

	if (v < 1000) {
		strata_out_u64(o, v);
		strata_out_str(o, " bytes");
		return;
	}
	while (k < 5 && v / u >= 1000) {
		u *= 1000;
		k++;
	}
	for (n = v / u; n >= 10 && d; n /= 10)
		d--;
	for (unsigned int j = 0; j < d; j++)
		scale *= 10;
	n = add_sat(v, u / scale / 2) / (u / scale);
	strata_out_u64(o, n / scale);
	if (d) {
		char frac[3] = { (char)('0' + n % scale / (scale / 10)), (char)('0' + n % 10), 0 };

		strata_out_put(o, ".", 1);
		strata_out_put(o, frac, d);
	}
	strata_out_put(o, " ", 1);
	strata_out_str(o, unit[k]);
}

/*
 * Append tmpl: '$' takes the next argument (a string), '#' the next uint64_t in decimal,
 * '~' the next uint64_t in decimal units, '@' the next uint64_t as "N bytes (H)"; any
 * other character stands for itself.  Why not a chain of appends: one template a line
 * reads as the message it writes, and strata.efi has a size budget.
 */
static void put_fmt(struct strata_out *o, const char *tmpl, ...)
{
	va_list ap;

	va_start(ap, tmpl);
	for (const char *c = tmpl; *c; c++) {
		uint64_t v;

		if (*c == '$') {
			strata_out_str(o, va_arg(ap, const char *));
			continue;
		}
		if (*c != '#' && *c != '~' && *c != '@') {
			strata_out_put(o, c, 1);
			continue;
		}
		v = va_arg(ap, uint64_t);
		if (*c != '~')
			strata_out_u64(o, v);
		if (*c == '@')
			strata_out_str(o, " bytes (");
		if (*c != '#')
			put_human(o, v);
		if (*c == '@')
			strata_out_put(o, ")", 1);
	}
	va_end(ap);
}

/* What a layer is: a captured generation (restore) or a gold layer. */
static const char *kind(const struct strata_part *p)
{
	return p->policy == STRATA_POLICY_RESTORE ? "capture" : "layer";
}

/* One partition at fault, its line after who. */
static void put_part(struct strata_out *o, const struct strata_fit_part *f,
		     const struct strata_part *p)
{
	uint64_t num = p->num;

	if (f->fault == STRATA_FIT_OVER_SIZE)
		put_fmt(o, ": partition # ($) holds a ~ $ (# bytes), @ more than its size=#: the "
			"manifest is wrong (Strata never shrinks a filesystem): give it a size of "
			"at least #", num, p->label, f->layer_bytes, kind(p), f->layer_bytes,
			f->layer_bytes - p->size, p->size, f->layer_bytes);
	else if (f->layer_bytes && !p->size)
		put_fmt(o, ": partition # ($) holds a ~ $ (# bytes)", num, p->label, f->layer_bytes,
			kind(p), f->layer_bytes);
	else
		put_fmt(o, ": partition # ($) is @", num, p->label, f->needs);
	if (f->fault == STRATA_FIT_SHORT)
		put_fmt(o, " from byte # (~); it gets @ on this disk, @ short", f->start, f->start,
			f->gets, f->needs - f->gets);
}

size_t strata_fit_message(const struct strata_fit *fit, const struct strata_manifest *m,
			  const char *who, const char *sep, char *out, size_t cap)
{
	struct strata_out o = { out, cap, 0 };
	int over = 0;

	for (unsigned int i = 0; i < fit->nparts; i++)
		over |= fit->parts[i].fault == STRATA_FIT_OVER_SIZE;
	if (!over && fit->needs > fit->disk_bytes)
		put_fmt(&o, "$: disk is @; $@, @ more", who, fit->disk_bytes, fit->by_min_size ?
			"the manifest's min-size is " : "the layout needs ", fit->needs,
			fit->needs - fit->disk_bytes);
	for (unsigned int i = 0; i < fit->nparts && i < STRATA_MAX_PARTS; i++) {
		enum strata_fit_fault fault = fit->parts[i].fault;

		if (fault != (over ? STRATA_FIT_OVER_SIZE : STRATA_FIT_SHORT))
			continue;
		put_fmt(&o, o.len ? "$$" : "$", o.len ? sep : who, who);
		put_part(&o, &fit->parts[i], &m->parts[i]);
	}
	if (cap)
		out[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len;
}
