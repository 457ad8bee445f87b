/*
 * Store path parsing (see store_path.h): the server's router reads URL paths with it.  A
 * file of its own so that strata.efi, which only builds store paths, links without it.
 */
#include "store_path.h"
#include "mem.h"
#include "rc.h"
#include "text.h"

#define HEX_LEN 64

/** The unread rest of a path being parsed. */
struct cut {
	const char *p;
	size_t len;
};

/* Take the next '/'-separated segment into *seg; it must not be empty.  0 or -1. */
static int take(struct cut *c, struct cut *seg)
{
	size_t n = 0;

	while (n < c->len && c->p[n] != '/')
		n++;
	if (n == 0)
		return -1;
	*seg = (struct cut){ c->p, n };
	c->p += n;
	c->len -= n;
	if (c->len) {              /* skip the '/', which must be followed by more */
		c->p++;
		c->len--;
		return c->len ? 0 : -1;
	}
	return 0;
}

static int is(struct cut s, const char *lit, size_t n)
{
	return s.len == n && strata_memcmp(s.p, lit, n) == 0;
}

static int hex64(uint8_t out[32], struct cut s)
{
	return s.len == HEX_LEN && strata_hex_decode(out, s.p, 32) == 0 ? 0 : -1;
}

/* "FIRST-LAST": decimal chunk numbers, FIRST <= LAST. */
static int run_range(struct strata_store_ref *ref, struct cut s)
{
	size_t dash = 0;

	while (dash < s.len && s.p[dash] != '-')
		dash++;
	if (dash == s.len ||
	    strata_u64_parse(&ref->first, s.p, dash, STRATA_RUN_INDEX_MAX) ||
	    strata_u64_parse(&ref->last, s.p + dash + 1, s.len - dash - 1, STRATA_RUN_INDEX_MAX))
		return -1;
	return ref->first <= ref->last ? 0 : -1;
}

/* The kind and fields of a path whose segments are a/b[/c]; has_c says whether c exists. */
static enum strata_store_kind decode(struct strata_store_ref *ref, struct cut a, struct cut b,
				     struct cut c, int has_c)
{
	if (!has_c && is(a, STRATA_STORE_LAYERS, 6) && b.len == HEX_LEN + 4 &&
	    strata_memcmp(b.p + HEX_LEN, ".idx", 4) == 0 &&
	    !hex64(ref->digest, (struct cut){ b.p, HEX_LEN }))
		return STRATA_STORE_INDEX;
	if (!has_c)
		return STRATA_STORE_NONE;
	if (is(a, STRATA_STORE_CHUNKS, 6) && b.len == 2 && !hex64(ref->digest, c) &&
	    strata_memcmp(b.p, c.p, 2) == 0)
		return STRATA_STORE_CHUNK;
	if (is(a, "runs", 4) && !hex64(ref->digest, b) && !run_range(ref, c))
		return STRATA_STORE_RUN;
	return STRATA_STORE_NONE;
}

int strata_store_rel_parse(struct strata_store_ref *ref, const char *s, size_t len)
{
	struct cut rest = { s, len }, a, b, c = { s, 0 };
	int has_c;

	strata_memset(ref, 0, sizeof(*ref));
	if (take(&rest, &a) || take(&rest, &b))
		return STRATA_EINVAL;
	has_c = rest.len != 0;
	if (has_c && (take(&rest, &c) || rest.len))
		return STRATA_EINVAL;
	ref->kind = decode(ref, a, b, c, has_c);
	return ref->kind == STRATA_STORE_NONE ? STRATA_EINVAL : 0;
}
