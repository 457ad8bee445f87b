/*
 * Manifest writing (see manifest.h): the server's and strata-image's side of the format.
 * A file of its own so that strata.efi, which only reads manifests, links without it.
 */
#include "manifest.h"
#include "mem.h"
#include "text.h"

static void put_guid(struct strata_out *o, const uint8_t guid[16])
{
	char text[37];

	strata_guid_format(text, guid);
	strata_out_put(o, text, 36);
}

/* A partition type: its alias when it has one, else its GUID. */
static void put_type(struct strata_out *o, const uint8_t guid[16])
{
	const char *alias = strata_part_type_name(guid);

	if (alias)
		strata_out_str(o, alias);
	else
		put_guid(o, guid);
}

static void put_part(struct strata_out *o, const struct strata_part *p)
{
	char id[72];

	strata_out_str(o, "part ");
	strata_out_u64(o, p->num);
	strata_out_str(o, " label=");
	strata_out_str(o, p->label);
	strata_out_str(o, " type=");
	put_type(o, p->type_guid);
	strata_out_str(o, " guid=");
	put_guid(o, p->part_guid);
	strata_out_str(o, " start=");
	strata_out_u64(o, p->start);
	strata_out_str(o, " size=");
	if (p->size)
		strata_out_u64(o, p->size);
	else
		strata_out_str(o, "rest");
	strata_out_str(o, " policy=");
	strata_out_str(o, strata_policy_name(p->policy) ? strata_policy_name(p->policy) : "?");
	if (p->has_layer) {
		strata_layer_id_format(id, p->layer);
		strata_out_str(o, " layer=");
		strata_out_put(o, id, 71);
	}
	if (p->has_layer && p->private_layer)
		strata_out_str(o, " store=private");
	if (p->wipe)
		strata_out_str(o, " wipe=yes");
	strata_out_str(o, "\n");
}

/* A rate in bits/s, with the largest of G, M, K that divides it. */
static void put_rate(struct strata_out *o, uint64_t rate)
{
	static const char units[] = "GMK";
	uint64_t mult = 1000000000;

	for (int u = 0; u < 3; u++, mult /= 1000) {
		if (rate && rate % mult == 0) {
			strata_out_u64(o, rate / mult);
			strata_out_put(o, &units[u], 1);
			return;
		}
	}
	strata_out_u64(o, rate);
}

static void put_multicast(struct strata_out *o, const struct strata_multicast *mc)
{
	char hex[17];

	strata_out_str(o, "multicast group=");
	for (int i = 0; i < 4; i++) {
		strata_out_u64(o, mc->group[i]);
		strata_out_str(o, i < 3 ? "." : " port=");
	}
	strata_out_u64(o, mc->port);
	strata_hex_encode(hex, mc->session, 8);
	strata_out_str(o, " session=");
	strata_out_put(o, hex, 16);
	strata_out_str(o, " rate=");
	put_rate(o, mc->rate);
	strata_out_str(o, " payload=");
	strata_out_u64(o, mc->payload);
	strata_out_str(o, " parity=");
	strata_out_u64(o, mc->parity);
	strata_out_str(o, " parts=");
	for (unsigned int i = 0; i < mc->nparts && i < STRATA_MAX_PARTS; i++) {
		strata_out_str(o, i ? "," : "");
		strata_out_u64(o, mc->parts[i]);
	}
	strata_out_str(o, "\n");
}

int strata_manifest_write(const struct strata_manifest *m, char *out, size_t cap, size_t *len)
{
	struct strata_out o = { out, cap, 0 };

	strata_out_str(&o, "strata-manifest 1\nversion ");
	strata_out_u64(&o, m->version);
	if (m->machine[0]) {
		strata_out_str(&o, "\nmachine ");
		strata_out_str(&o, m->machine);
	}
	if (m->store[0]) {
		strata_out_str(&o, "\nstore ");
		strata_out_str(&o, m->store);
	}
	strata_out_str(&o, "\ndisk guid=");
	put_guid(&o, m->disk_guid);
	if (m->min_disk) {
		strata_out_str(&o, " min-size=");
		strata_out_u64(&o, m->min_disk);
	}
	strata_out_str(&o, "\n");
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
