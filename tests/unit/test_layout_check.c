/*
 * Unit tests for the layout check (images/core/layout_check.c).
 *
 * Why: strata.efi asks it at every boot with nothing pending, and "restore" writes a
 * table with no admin in the loop.  A check that says restore for a disk with someone's
 * data on it (an MBR, another machine's GPT, a table with an extra partition, a damaged
 * GPT) would destroy it; one that says restore for the machine's own intact disk would
 * rewrite it at every boot; one that says held for a blank disk leaves the PC unusable.
 * The tests pin each kind of disk, and the zero head's edges (a byte set at its end, a
 * head shorter than a MiB).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "layout_check.h"
#include "harness.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static uint8_t head[STRATA_BLANK_HEAD_BYTES];
static struct strata_gpt_table have;

static void add_part(struct strata_manifest *m, uint32_t num, const char *label,
		     uint64_t start, uint64_t size, enum strata_policy policy)
{
	struct strata_part *p = &m->parts[m->nparts++];

	memset(p, 0, sizeof(*p));
	p->num = num;
	snprintf(p->label, sizeof(p->label), "%s", label);
	memset(p->type_guid, 0x0F, 16);
	memset(p->part_guid, (int)num * 17, 16);
	p->start = start;
	p->size = size;
	p->policy = policy;
	p->has_layer = policy != STRATA_POLICY_PRESERVE;
}

/* ESP, root (write), CIDATA (preserve, no layer), data (restore, the rest); planned on a
 * 4 GiB disk into *p, and have set to that plan's table as a deployment writes it. */
static void pc(struct strata_manifest *m, struct strata_gpt_plan *p)
{
	struct strata_diag d;

	memset(m, 0, sizeof(*m));
	m->version = 1;
	memset(m->disk_guid, 0x5A, 16);
	add_part(m, 1, "ESP", 1 * MiB, 16 * MiB, STRATA_POLICY_WRITE);
	add_part(m, 2, "root", 17 * MiB, 1 * GiB, STRATA_POLICY_WRITE);
	add_part(m, 3, "CIDATA", 17 * MiB + 1 * GiB, 4 * MiB, STRATA_POLICY_PRESERVE);
	add_part(m, 4, "data", 21 * MiB + 1 * GiB, 0, STRATA_POLICY_RESTORE);
	CHECK_EQ(strata_gpt_plan(m, 4 * GiB, 512, p, &d), 0);
	memset(&have, 0, sizeof(have));
	memcpy(have.hdr.disk_guid, m->disk_guid, 16);
	for (unsigned int i = 0; i < p->nparts; i++)
		have.parts[have.nparts++] = p->parts[i];
}

/* The machine's own disk as its deployment left it: held. */
static void test_held(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;

	pc(&m, &p);
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_HELD);
	/* A preserve partition the disk lacks is created empty by a deployment: no reason
	 * to run one. */
	have.parts[2] = have.parts[3];
	have.nparts--;
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_HELD);
	CHECK(!strcmp(strata_layout_name(STRATA_LAYOUT_HELD), "holds its layout"));
}

/* The own table lacking the restore partition, or a write one: missing. */
static void test_missing(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;

	pc(&m, &p);
	have.nparts = 3;                                   /* data gone */
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_MISSING);
	pc(&m, &p);
	have.parts[1] = have.parts[3];                     /* root gone */
	have.nparts = 3;
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_MISSING);
	pc(&m, &p);
	have.nparts = 0;                                   /* the own GPT, emptied */
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_MISSING);
}

/* Anything not wholly the layout: foreign, never restored. */
static void test_foreign(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;

	pc(&m, &p);
	have.hdr.disk_guid[0] ^= 1;                        /* another machine's GUID */
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_FOREIGN);
	have.nparts = 3;                                   /* ... missing data too */
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_FOREIGN);
	pc(&m, &p);
	have.nparts = 3;                                   /* data gone, a stranger there */
	have.parts[3] = p.parts[3];
	have.parts[3].part_guid[0] ^= 1;
	have.nparts = 4;
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_FOREIGN);
	pc(&m, &p);
	have.parts[3].first_lba += 8;                      /* data moved: not the layout's */
	CHECK_EQ(strata_layout_check(&m, &p, &have, 0, NULL, 0), STRATA_LAYOUT_FOREIGN);
	pc(&m, &p);                                        /* the layout does not fit */
	CHECK_EQ(strata_layout_check(&m, NULL, &have, 0, NULL, 0), STRATA_LAYOUT_FOREIGN);
	/* A GPT there but unreadable (bad CRC, say), whatever the head holds. */
	memset(head, 0, sizeof(head));
	CHECK_EQ(strata_layout_check(&m, &p, NULL, STRATA_EINVAL, head, sizeof(head)),
		 STRATA_LAYOUT_FOREIGN);
	CHECK(!strcmp(strata_layout_name(STRATA_LAYOUT_FOREIGN), "holds another layout"));
}

/* No GPT: blank only when the whole first MiB is zero. */
static void test_blank(void)
{
	struct strata_manifest m;
	struct strata_gpt_plan p;

	pc(&m, &p);
	memset(head, 0, sizeof(head));
	CHECK_EQ(strata_layout_check(&m, &p, NULL, STRATA_ENOENT, head, sizeof(head)),
		 STRATA_LAYOUT_BLANK);
	CHECK_EQ(strata_layout_check(&m, NULL, NULL, STRATA_ENOENT, head, sizeof(head)),
		 STRATA_LAYOUT_BLANK);
	head[510] = 0x55;                                  /* an MBR's signature */
	CHECK_EQ(strata_layout_check(&m, &p, NULL, STRATA_ENOENT, head, sizeof(head)),
		 STRATA_LAYOUT_FOREIGN);
	head[510] = 0;
	head[sizeof(head) - 1] = 1;                        /* the MiB's last byte */
	CHECK_EQ(strata_layout_check(&m, &p, NULL, STRATA_ENOENT, head, sizeof(head)),
		 STRATA_LAYOUT_FOREIGN);
	head[sizeof(head) - 1] = 0;
	CHECK_EQ(strata_layout_check(&m, &p, NULL, STRATA_ENOENT, head, sizeof(head) - 1),
		 STRATA_LAYOUT_FOREIGN);
	CHECK_EQ(strata_layout_check(&m, &p, NULL, STRATA_ENOENT, NULL, 0),
		 STRATA_LAYOUT_FOREIGN);
}

int main(void)
{
	RUN(test_held);
	RUN(test_missing);
	RUN(test_foreign);
	RUN(test_blank);
	return harness_summary();
}
