/*
 * A captured layout (see strata_layout_parse in manifest.h): manifest text with the rules
 * of a profile.  A file of its own so that strata.efi's reading of manifests stays as it is.
 */
#include "manifest.h"
#include "mem.h"

/* The index of the first partition after i whose label is that of partition i, or 0. */
static unsigned int label_again(const struct strata_manifest *m, unsigned int i)
{
	for (unsigned int j = i + 1; j < m->nparts; j++)
		if (!strata_memcmp(m->parts[i].label, m->parts[j].label, STRATA_LABEL_MAX + 1))
			return j;
	return 0;
}

int strata_layout_parse(struct strata_manifest *m, const char *buf, size_t len,
			struct strata_diag *diag)
{
	int rc = strata_manifest_parse(m, buf, len, diag);

	if (rc)
		return rc;
	if (m->sig_len)
		return strata_fail(diag, STRATA_EINVAL, "a layout is unsigned: remove the "
				   "signature line", 0);
	for (unsigned int i = 0; i < m->nparts; i++) {
		if (m->parts[i].private_layer)
			return strata_fail(diag, STRATA_EINVAL, "a layout is public: a private "
					   "partition is policy=preserve with no layer, not "
					   "store=private", m->parts[i].num);
		if (label_again(m, i))
			return strata_fail(diag, STRATA_EINVAL, "two partitions have one label: a "
					   "profile names its partitions by label",
					   m->parts[label_again(m, i)].num);
	}
	return 0;
}
