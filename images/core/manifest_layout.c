/*
 * A captured layout (see strata_layout_parse in manifest.h): manifest text with the rules
 * of a profile.  A file of its own so that strata.efi's reading of manifests stays as it is.
 */
#include "manifest.h"
#include "mem.h"
#include "text.h"

unsigned int strata_layout_label_again(const struct strata_manifest *m, unsigned int i)
{
	for (unsigned int j = i + 1; j < m->nparts; j++)
		if (!strata_memcmp(m->parts[i].label, m->parts[j].label, STRATA_LABEL_MAX + 1))
			return j;
	return 0;
}

/* The 1-based line of buf[0..len) where offset off falls. */
static uint64_t line_at(const char *buf, size_t off)
{
	uint64_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += buf[i] == '\n';
	return line;
}

/* The line of the first statement that starts with head (NUL-terminated, ending in a
 * space), or 0 (the parser took it, so it is there). */
static uint64_t statement_line(const char *buf, size_t len, const char *head)
{
	size_t n = __builtin_strlen(head), start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && buf[i] != '\n')
			continue;
		if (i - start > n && !strata_memcmp(buf + start, head, n))
			return line_at(buf, start);
		start = i + 1;
	}
	return 0;
}

/* The line of the part statement numbered num. */
static uint64_t part_line(const char *buf, size_t len, uint32_t num)
{
	char head[8 + STRATA_U64_TEXT] = "part ";
	size_t n = 5 + strata_u64_format(head + 5, num);

	head[n++] = ' ';
	head[n] = '\0';
	return statement_line(buf, len, head);
}

int strata_layout_parse(struct strata_manifest *m, const char *buf, size_t len,
			struct strata_diag *diag)
{
	int rc = strata_manifest_parse(m, buf, len, diag);

	if (rc)
		return rc;
	if (m->sig_len)
		return strata_fail(diag, STRATA_EINVAL, "a layout is unsigned: remove the "
				   "signature line", line_at(buf, m->signed_len));
	if (m->mc.on)
		return strata_fail(diag, STRATA_EINVAL, "a layout announces no multicast session: "
				   "remove the multicast line", statement_line(buf, len, "multicast "));
	for (unsigned int i = 0, again; i < m->nparts; i++) {
		if (m->parts[i].private_layer)
			return strata_fail(diag, STRATA_EINVAL, "a layout is public: a private "
					   "partition is policy=preserve with no layer, not "
					   "store=private", part_line(buf, len, m->parts[i].num));
		if ((again = strata_layout_label_again(m, i)))
			return strata_fail(diag, STRATA_EINVAL, "two partitions have one label: a "
					   "profile names its partitions by label",
					   part_line(buf, len, m->parts[again].num));
	}
	return 0;
}
