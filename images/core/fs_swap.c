/*
 * Linux swap: only the header page is used.  The signature sits in the last 10 bytes of
 * the first page, whose size is the machine's page size (4 KiB on x86, up to 64 KiB
 * elsewhere).  A hibernation image written into swap replaces that signature; such a
 * partition holds a suspended system, so it is refused rather than emptied.
 */
#include "fs_scan.h"
#include "mem.h"

/** Bytes of the signature at the end of the header page. */
#define SWAP_SIG_LEN 10u

/** Page sizes a swap header may have been written for, smallest first. */
static const uint32_t swap_pages[] = { 4096, 8192, 16384, 65536 };

/** What a header page's signature says. */
enum swap_kind { SWAP_NONE = 0, SWAP_AREA, SWAP_HIBERNATED };

/* The kind of the signature sig[0..10). */
static enum swap_kind sig_kind(const uint8_t *sig)
{
	static const char *const area[] = { "SWAPSPACE2", "SWAP-SPACE" };
	static const char *const hib[] = { "S1SUSPEND", "S2SUSPEND", "ULSUSPEND", "LINHIB0001" };

	for (unsigned int i = 0; i < 2; i++)
		if (!strata_memcmp(sig, area[i], SWAP_SIG_LEN))
			return SWAP_AREA;
	for (unsigned int i = 0; i < 4; i++)
		if (!strata_memcmp(sig, hib[i], 9))
			return SWAP_HIBERNATED;
	return SWAP_NONE;
}

/* Find the header page: its size in *page and its kind, or SWAP_NONE.  Reads 10 bytes per
 * page size the partition can hold; <0 only for a failed read. */
static int find_header(struct fs_scan *s, uint32_t *page, enum swap_kind *kind)
{
	uint8_t sig[SWAP_SIG_LEN];
	int rc;

	*kind = SWAP_NONE;
	for (unsigned int i = 0; i < sizeof(swap_pages) / sizeof(swap_pages[0]); i++) {
		if (swap_pages[i] > s->r->size)
			break;
		rc = fs_read(s, swap_pages[i] - SWAP_SIG_LEN, sig, SWAP_SIG_LEN);
		if (rc)
			return rc;
		*page = swap_pages[i];
		*kind = sig_kind(sig);
		if (*kind != SWAP_NONE)
			break;
	}
	return 0;
}

int fs_swap_probe(struct fs_scan *s, const uint8_t *page, size_t len)
{
	enum swap_kind kind;
	uint32_t size;
	int rc;

	if (len >= 4096 && sig_kind(page + 4096 - SWAP_SIG_LEN) != SWAP_NONE)
		return 1;
	rc = find_header(s, &size, &kind);
	if (rc == STRATA_EIO)
		return rc;
	return !rc && kind != SWAP_NONE;
}

int fs_swap_scan(struct fs_scan *s)
{
	enum swap_kind kind;
	uint32_t page = 0;
	int rc;

	rc = find_header(s, &page, &kind);
	if (rc)
		return rc;
	if (kind == SWAP_NONE)
		return strata_fail(s->diag, STRATA_EINVAL, "no swap signature", 0);
	s->m->block_size = page;
	s->m->fs_bytes = s->r->size;
	if (kind == SWAP_HIBERNATED) {
		fs_verdict(s->m, STRATA_FS_REFUSE,
			   "swap holds a hibernated Linux system; boot it (resume) and shut "
			   "down, then capture again");
		fs_mark(s->m, 0, s->r->size);
		return 0;
	}
	fs_mark(s->m, 0, page);
	return 0;
}
