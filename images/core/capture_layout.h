/*
 * A gold capture's layout (docs/capture.md, "Done"): the reference disk's partitions as the
 * unsigned manifest text the capture ends its task with, and the checks that make it one
 * the server takes.
 *
 * Why in the core: both clients of a gold capture, strata-image capture-disk and
 * strata.efi's agent, read the reference disk's GPT and send its layout.  The server holds
 * the layout to a profile's rules at done (strata_layout_parse), after every partition has
 * been uploaded; a client that checked nothing first would upload a whole disk to be told
 * a partition's name is not a label.  One pair of functions serves both clients, so they
 * refuse the same disks, before any upload, with the same words.
 *
 * In order, for a gold capture:
 *
 *     strata_capture_layout(table)      -> the layout, every partition preserve; or the
 *                                          partition at fault and what to do
 *     per partition the capture takes   -> its layer, then policy=write and the layer id
 *     strata_capture_layout_write(m)    -> the text for POST /capture/done, checked
 */
#ifndef STRATA_CAPTURE_LAYOUT_H
#define STRATA_CAPTURE_LAYOUT_H

#include <stddef.h>
#include "gpt.h"
#include "manifest.h"
#include "rc.h"

/**
 * The layout of the disk whose table is t, checked before a gold capture uploads anything.
 *
 * Fills *m (zeroed first): the disk's GUID; its partitions in disk order (by first LBA,
 * whatever their entry numbers), numbered from 1 in that order, since a manifest's
 * numbers and starts both ascend; each labelled by its GPT name (strata_gpt_label), with
 * its type and partition GUIDs, start and size in bytes, policy=preserve and no layer;
 * min-size the end of the last.  order[i] gets the entry of t that m->parts[i] was made
 * from (pointers into t, borrowed).  The caller makes each partition it captures
 * policy=write with its layer.
 *
 * Refused (STRATA_EINVAL or STRATA_ERANGE) when a profile could not hold the disk: no
 * partition or more than STRATA_MAX_PARTS (diag->where 0, the disk as a whole); a GPT name
 * that is not a label, or the label of another partition; a partition that starts before
 * 1 MiB, whose start or size is not a whole number of 4 KiB, or that ends past
 * STRATA_PART_BYTES_MAX.  Then diag->where is the GPT entry number of the partition at
 * fault (the later one of two with one name) and diag->msg says what to do; front ends
 * print "DISK: partition N: MSG".  A layout this returns, given layers, writes as text the
 * server takes (tests/fuzz/fuzz_gpt.c checks it).  Borrows t; allocates nothing.
 */
int strata_capture_layout(const struct strata_gpt_table *t, struct strata_manifest *m,
			  const struct strata_gpt_part *order[STRATA_MAX_PARTS],
			  struct strata_diag *diag);

/**
 * Write layout m as text (strata_manifest_write) plus a NUL into out (cap bytes), *len its
 * length without the NUL, and parse it back as the server will (strata_layout_parse), so a
 * client never sends a layout the server refuses.  0; STRATA_ERANGE when it does not fit
 * (diag->where 0); or the parser's rc with diag->where the line at fault.  Borrows m; out
 * is the caller's.  Uses about 3 KiB of stack for the parse.
 */
int strata_capture_layout_write(const struct strata_manifest *m, char *out, size_t cap,
				size_t *len, struct strata_diag *diag);

#endif /* STRATA_CAPTURE_LAYOUT_H */
