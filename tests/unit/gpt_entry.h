/*
 * A partition table entry for the unit tests of a gold capture's layout
 * (test_capture_layout.c, the core's checks; test_efi_capture.c, the agent's steps), which
 * build reference disks' tables by hand rather than parse them: a name, blocks and an
 * entry number are what the checks read.
 */
#ifndef STRATA_TEST_GPT_ENTRY_H
#define STRATA_TEST_GPT_ENTRY_H

#include <string.h>
#include "gpt.h"

/* Add entry num to t: blocks first..last, type linux, a partition GUID of its number,
 * named name (ASCII, up to 36, into UTF-16LE). */
static inline void gpt_entry_add(struct strata_gpt_table *t, uint32_t num, uint64_t first,
				 uint64_t last, const char *name)
{
	struct strata_gpt_part *p = &t->parts[t->nparts++];

	memset(p, 0, sizeof(*p));
	p->num = num;
	p->first_lba = first;
	p->last_lba = last;
	strata_part_type_parse(p->type_guid, "linux", 5);
	p->part_guid[0] = (uint8_t)num;
	p->part_guid[15] = 0x5a;
	for (size_t i = 0; name[i] && i < STRATA_GPT_NAME_UNITS; i++)
		p->name[2 * i] = (uint8_t)name[i];
}

#endif /* STRATA_TEST_GPT_ENTRY_H */
