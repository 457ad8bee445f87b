/* Sites in the inventory (inventory_site.h): the `site` line and lookups. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"
#include "inventory_site.h"

static int sfail(const char *path, unsigned int no, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sfail(const char *path, unsigned int no, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errorf("%s:%u: %s", path, no, msg);
}

/* "A.B.C.D/N" (s[0..len)), strict: N decimal 0..32 without leading zeros, no host bits. */
static int parse_cidr(struct inv_subnet *sn, const char *s, size_t len)
{
	char addr[16];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : 0, plen = slash ? len - alen - 1 : 0;
	struct in_addr a;
	unsigned int bits = 0;

	if (!slash || alen == 0 || alen >= sizeof(addr) || plen == 0 || plen > 2 ||
	    (plen == 2 && slash[1] == '0'))
		return -1;
	for (size_t i = 0; i < plen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			return -1;
		bits = bits * 10 + (unsigned int)(slash[1 + i] - '0');
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (bits > 32 || inet_pton(AF_INET, addr, &a) != 1)
		return -1;
	sn->mask = bits ? 0xffffffffu << (32 - bits) : 0;
	sn->net = ntohl(a.s_addr);
	return (sn->net & ~sn->mask) ? -1 : 0;
}

/* subnet=CIDR[,CIDR...] into st. */
static int parse_subnets(struct inv_site *st, const char *path, unsigned int no,
			 const char *v)
{
	const char *p = v, *comma;
	size_t len;

	if (st->nsubnets)
		return sfail(path, no, "subnet= given twice");
	do {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (st->nsubnets == INV_SITE_SUBNETS)
			return sfail(path, no, "more than %d subnets", INV_SITE_SUBNETS);
		if (parse_cidr(&st->subnet[st->nsubnets++], p, len))
			return sfail(path, no, "subnet must be A.B.C.D/N (N 0..32, no host bits "
				     "set), not '%.*s'", (int)len, p);
		p = comma ? comma + 1 : NULL;
	} while (p);
	return 0;
}

/* store= or boot=: one URL, the manifest's rule (manifest.h). */
static int parse_url(char out[STRATA_STORE_URL_MAX + 1], const char *path, unsigned int no,
		     const char *key, const char *v)
{
	if (out[0])
		return sfail(path, no, "%s= given twice", key);
	if (!strata_store_url_ok(v, strlen(v)))
		return sfail(path, no, "%s= must be an http:// or https:// URL of "
			     "[A-Za-z0-9._~:/%%-], at most %d characters, no trailing '/'", key,
			     STRATA_STORE_URL_MAX);
	strcpy(out, v);
	return 0;
}

/* wol=A.B.C.D: one IPv4 address, the site's directed broadcast. */
static int parse_wol(struct inv_site *st, const char *path, unsigned int no, const char *v)
{
	struct in_addr a;

	if (st->wol)
		return sfail(path, no, "wol= given twice");
	if (inet_pton(AF_INET, v, &a) != 1 || !a.s_addr)
		return sfail(path, no, "wol= must be an IPv4 address A.B.C.D (the site's "
			     "broadcast address), not '%s'", v);
	st->wol = ntohl(a.s_addr);
	return 0;
}

/* One key=value word of a site line. */
static int site_key(struct inv_site *st, const char *path, unsigned int no, const char *w)
{
	if (!strncmp(w, "subnet=", 7))
		return parse_subnets(st, path, no, w + 7);
	if (!strncmp(w, "store=", 6))
		return parse_url(st->store, path, no, "store", w + 6);
	if (!strncmp(w, "boot=", 5))
		return parse_url(st->boot, path, no, "boot", w + 5);
	if (!strncmp(w, "wol=", 4))
		return parse_wol(st, path, no, w + 4);
	return sfail(path, no, "unknown site key '%s' (subnet=, store=, boot=, wol=)", w);
}

static int overlaps(const struct inv_subnet *a, const struct inv_subnet *b)
{
	uint32_t mask = a->mask & b->mask;   /* the wider of the two */

	return (a->net & mask) == (b->net & mask);
}

/* A new site's subnets must not overlap any other site's: an address has one site. */
static int site_check(const struct inventory *inv, const struct inv_site *st,
		      const char *path, unsigned int no)
{
	if (!st->nsubnets || !st->store[0])
		return sfail(path, no, "site needs subnet= and store=");
	for (size_t i = 0; i < inv->nsites; i++)
		for (unsigned int a = 0; a < st->nsubnets; a++)
			for (unsigned int b = 0; b < inv->sites[i].nsubnets; b++)
				if (overlaps(&st->subnet[a], &inv->sites[i].subnet[b]))
					return sfail(path, no, "a subnet overlaps one of site '%s' "
						     "(line %u): an address has one site",
						     inv->sites[i].name, inv->sites[i].line);
	return 0;
}

int inv_site_parse(struct inventory *inv, const char *path, unsigned int no,
		   char *const *word, int n)
{
	struct inv_site st = { .line = no }, *ns;

	if (n < 2 || !inv_name_ok(word[1]))
		return sfail(path, no, "expected 'site NAME subnet=CIDR[,CIDR] store=URL "
			     "[boot=URL]' (NAME: letters, digits, '-')");
	if (inv_site_find(inv, word[1]))
		return sfail(path, no, "site '%s' defined twice", word[1]);
	if (inv->nsites == INV_SITES_MAX)
		return sfail(path, no, "more than %d sites", INV_SITES_MAX);
	strcpy(st.name, word[1]);
	for (int i = 2; i < n; i++)
		if (site_key(&st, path, no, word[i]))
			return STRATA_EREPORTED;
	if (site_check(inv, &st, path, no))
		return STRATA_EREPORTED;
	ns = realloc(inv->sites, (inv->nsites + 1) * sizeof(*ns));
	if (!ns)
		return sfail(path, no, "out of memory");
	inv->sites = ns;
	ns[inv->nsites++] = st;
	return 0;
}

unsigned int inv_site_find(const struct inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->nsites; i++)
		if (!strcasecmp(inv->sites[i].name, name))
			return (unsigned int)i + 1;
	return 0;
}

unsigned int inv_site_of_addr(const struct inventory *inv, uint32_t addr)
{
	for (size_t i = 0; i < inv->nsites; i++)
		for (unsigned int k = 0; k < inv->sites[i].nsubnets; k++)
			if ((addr & inv->sites[i].subnet[k].mask) == inv->sites[i].subnet[k].net)
				return (unsigned int)i + 1;
	return 0;
}

const struct inv_site *inv_site_get(const struct inventory *inv, unsigned int site)
{
	return site && site <= inv->nsites ? &inv->sites[site - 1] : NULL;
}
