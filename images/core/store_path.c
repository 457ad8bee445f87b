/* Store file names and server URLs (see store_path.h). */
#include "store_path.h"
#include "mem.h"
#include "rc.h"
#include "text.h"

#define HEX_LEN 64

/* Append n bytes of s at out[*pos]; the caller sized out for what it appends. */
static void put(char *out, size_t *pos, const char *s, size_t n)
{
	strata_memcpy(out + *pos, s, n);
	*pos += n;
}

/* strata_store_rel, on a plain pointer: the public builders size out by what they write. */
static size_t write_rel(char *out, const struct strata_store_ref *ref)
{
	char hex[HEX_LEN + 1], num[STRATA_U64_TEXT];
	size_t pos = 0;

	strata_hex_encode(hex, ref->digest, 32);
	if (ref->kind == STRATA_STORE_INDEX) {
		put(out, &pos, STRATA_STORE_LAYERS "/", 7);
		put(out, &pos, hex, HEX_LEN);
		put(out, &pos, ".idx", 4);
	} else if (ref->kind == STRATA_STORE_CHUNK) {
		put(out, &pos, STRATA_STORE_CHUNKS "/", 7);
		put(out, &pos, hex, 2);
		put(out, &pos, "/", 1);
		put(out, &pos, hex, HEX_LEN);
	} else if (ref->kind == STRATA_STORE_RUN) {
		put(out, &pos, "runs/", 5);
		put(out, &pos, hex, HEX_LEN);
		put(out, &pos, "/", 1);
		put(out, &pos, num, strata_u64_format(num, ref->first));
		put(out, &pos, "-", 1);
		put(out, &pos, num, strata_u64_format(num, ref->last));
	}
	out[pos] = '\0';
	return pos;
}

size_t strata_store_rel(char out[STRATA_STORE_REL_MAX], const struct strata_store_ref *ref)
{
	return write_rel(out, ref);
}

size_t strata_store_index_rel(char out[STRATA_STORE_FILE_MAX], const uint8_t id[32])
{
	struct strata_store_ref ref = { .kind = STRATA_STORE_INDEX };

	strata_memcpy(ref.digest, id, 32);
	return write_rel(out, &ref);
}

size_t strata_store_chunk_rel(char out[STRATA_STORE_FILE_MAX], const uint8_t digest[32])
{
	struct strata_store_ref ref = { .kind = STRATA_STORE_CHUNK };

	strata_memcpy(ref.digest, digest, 32);
	return write_rel(out, &ref);
}

/* base, mid and ref's relative path, NUL-terminated, into out (cap bytes). */
static int join_url(char *out, size_t cap, const char *base, const char *mid,
		    const struct strata_store_ref *ref)
{
	char rel[STRATA_STORE_REL_MAX];
	size_t blen = __builtin_strlen(base), mlen = __builtin_strlen(mid);
	size_t rlen = write_rel(rel, ref), pos = 0;

	if (blen + mlen + rlen + 1 > cap)
		return STRATA_ERANGE;
	put(out, &pos, base, blen);
	put(out, &pos, mid, mlen);
	put(out, &pos, rel, rlen + 1);
	return 0;
}

int strata_store_url(char *out, size_t cap, const char *base,
		     const struct strata_store_ref *ref)
{
	return join_url(out, cap, base, "/store/", ref);
}

int strata_store_root_url(char *out, size_t cap, const char *root,
			  const struct strata_store_ref *ref)
{
	return join_url(out, cap, root, "/", ref);
}

size_t strata_private_path(char out[STRATA_PRIVATE_PATH_MAX], const uint8_t mac[6],
			   const struct strata_store_ref *ref)
{
	char m[18];
	size_t pos = 0;

	if (ref->kind == STRATA_STORE_NONE) {
		out[0] = '\0';
		return 0;
	}
	/* Dashes, not colons: iPXE escapes ':' in a URL's path, and the path must reach the
	 * server as it was signed. */
	strata_mac_format(m, mac);
	for (int i = 2; i < 17; i += 3)
		m[i] = '-';
	put(out, &pos, "/private/", 9);
	put(out, &pos, m, 17);
	put(out, &pos, "/", 1);
	return pos + write_rel(out + pos, ref);
}

int strata_private_url(char *out, size_t cap, const char *base, const uint8_t mac[6],
		       const struct strata_store_ref *ref)
{
	char path[STRATA_PRIVATE_PATH_MAX];
	size_t blen = __builtin_strlen(base), plen = strata_private_path(path, mac, ref);

	if (blen + plen + 1 > cap)
		return STRATA_ERANGE;
	strata_memcpy(out, base, blen);
	strata_memcpy(out + blen, path, plen + 1);
	return 0;
}
