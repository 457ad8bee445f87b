/*
 * Manifest writing (see manifest.h): the server's and strata-image's side of the format.
 * A file of its own so that strata.efi, which only reads manifests, links without it.
 */
#include "manifest.h"
#include "mem.h"
#include "text.h"

/** Text being written: bytes past cap are counted but not stored, so one check at the
 *  end says whether it fitted.  put and put_str are never inlined: strata.efi links this
 *  file, and a call per piece instead of an inlined copy per piece keeps the writer 1.3
 *  KiB smaller there (measured with the multicast statement); writing is never hot. */
struct out {
	char *p;
	size_t cap, len;
};

__attribute__((noinline)) static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n < o->cap)
		strata_memcpy(o->p + o->len, s, n);
	o->len += n;
}

__attribute__((noinline)) static void put_str(struct out *o, const char *s)
{
	put(o, s, __builtin_strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char num[STRATA_U64_TEXT];

	put(o, num, strata_u64_format(num, v));
}

static void put_guid(struct out *o, const uint8_t guid[16])
{
	char text[37];

	strata_guid_format(text, guid);
	put(o, text, 36);
}

/* A partition type: its alias when it has one, else its GUID. */
static void put_type(struct out *o, const uint8_t guid[16])
{
	const char *alias = strata_part_type_name(guid);

	if (alias)
		put_str(o, alias);
	else
		put_guid(o, guid);
}

static void put_part(struct out *o, const struct strata_part *p)
{
	char id[72];

	put_str(o, "part ");
	put_u64(o, p->num);
	put_str(o, " label=");
	put_str(o, p->label);
	put_str(o, " type=");
	put_type(o, p->type_guid);
	put_str(o, " guid=");
	put_guid(o, p->part_guid);
	put_str(o, " start=");
	put_u64(o, p->start);
	put_str(o, " size=");
	if (p->size)
		put_u64(o, p->size);
	else
		put_str(o, "rest");
	put_str(o, " policy=");
	put_str(o, strata_policy_name(p->policy) ? strata_policy_name(p->policy) : "?");
	if (p->has_layer) {
		strata_layer_id_format(id, p->layer);
		put_str(o, " layer=");
		put(o, id, 71);
	}
	if (p->has_layer && p->private_layer)
		put_str(o, " store=private");
	if (p->wipe)
		put_str(o, " wipe=yes");
	put_str(o, "\n");
}

/* A rate in bits/s, with the largest of G, M, K that divides it. */
static void put_rate(struct out *o, uint64_t rate)
{
	static const char units[] = "GMK";
	uint64_t mult = 1000000000;

	for (int u = 0; u < 3; u++, mult /= 1000) {
		if (rate && rate % mult == 0) {
			put_u64(o, rate / mult);
			put(o, &units[u], 1);
			return;
		}
	}
	put_u64(o, rate);
}

static void put_multicast(struct out *o, const struct strata_multicast *mc)
{
	char hex[17];

	put_str(o, "multicast group=");
	for (int i = 0; i < 4; i++) {
		put_u64(o, mc->group[i]);
		put_str(o, i < 3 ? "." : " port=");
	}
	put_u64(o, mc->port);
	strata_hex_encode(hex, mc->session, 8);
	put_str(o, " session=");
	put(o, hex, 16);
	put_str(o, " rate=");
	put_rate(o, mc->rate);
	put_str(o, " payload=");
	put_u64(o, mc->payload);
	put_str(o, " parity=");
	put_u64(o, mc->parity);
	put_str(o, " parts=");
	for (unsigned int i = 0; i < mc->nparts && i < STRATA_MAX_PARTS; i++) {
		put_str(o, i ? "," : "");
		put_u64(o, mc->parts[i]);
	}
	put_str(o, "\n");
}

int strata_manifest_write(const struct strata_manifest *m, char *out, size_t cap, size_t *len)
{
	struct out o = { out, cap, 0 };

	put_str(&o, "strata-manifest 1\nversion ");
	put_u64(&o, m->version);
	if (m->machine[0]) {
		put_str(&o, "\nmachine ");
		put_str(&o, m->machine);
	}
	if (m->store[0]) {
		put_str(&o, "\nstore ");
		put_str(&o, m->store);
	}
	put_str(&o, "\ndisk guid=");
	put_guid(&o, m->disk_guid);
	if (m->min_disk) {
		put_str(&o, " min-size=");
		put_u64(&o, m->min_disk);
	}
	put_str(&o, "\n");
	for (unsigned int i = 0; i < m->nparts && i < STRATA_MAX_PARTS; i++)
		put_part(&o, &m->parts[i]);
	if (m->mc.on)
		put_multicast(&o, &m->mc);
	if (o.len >= cap)
		return STRATA_ERANGE;
	out[o.len] = '\0';
	*len = o.len;
	return 0;
}

int strata_manifest_renumber(char *text, size_t *len, size_t cap, uint64_t version)
{
	static const char head[] = "strata-manifest 1\nversion ";
	const size_t h = sizeof(head) - 1;
	char num[STRATA_U64_TEXT];
	size_t end = h, n, rest;

	if (*len < h || strata_memcmp(text, head, h) != 0)
		return STRATA_EINVAL;
	while (end < *len && text[end] != '\n')
		end++;
	if (end == *len)
		return STRATA_EINVAL;
	n = strata_u64_format(num, version);
	rest = *len - end;
	if (h + n + rest >= cap)
		return STRATA_ERANGE;
	strata_memmove(text + h + n, text + end, rest);
	strata_memcpy(text + h, num, n);
	*len = h + n + rest;
	text[*len] = '\0';
	return 0;
}

_Static_assert(21 + 4 * ((STRATA_SIG_MAX + 2) / 3) + 2 <= STRATA_SIG_LINE_MAX,
	       "a signature line of STRATA_SIG_MAX bytes fits STRATA_SIG_LINE_MAX");

size_t strata_manifest_sig_line(char out[STRATA_SIG_LINE_MAX], const uint8_t *sig,
				size_t sig_len)
{
	static const char head[] = "signature ecdsa-p256 ";
	const size_t h = sizeof(head) - 1;
	size_t n;

	if (sig_len == 0 || sig_len > STRATA_SIG_MAX)
		return 0;
	strata_memcpy(out, head, h);
	strata_base64_encode(out + h, sig, sig_len);
	n = h + 4 * ((sig_len + 2) / 3);
	out[n] = '\n';
	out[n + 1] = '\0';
	return n + 1;
}
