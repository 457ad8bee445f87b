/*
 * Does a whole deployment fit the target disk?  Planned before a byte is written, by
 * strata.efi (efi/agent.c) and `strata-image apply --manifest` alike: the manifest's GPT
 * on this disk (gpt.h) and every layer that will be written inside the extent its
 * partition gets there.
 *
 * Why more than strata_gpt_plan: a layout that fits may still hold a layer that does not.
 * A captured generation of a size=rest partition is as large as that partition was on the
 * old disk, so on a smaller new disk it is larger than the rest; and Strata never shrinks
 * a filesystem (a layer larger than its partition is refused, never cut).  Why the exact
 * bytes: the admin buying the replacement disk needs to know by how much this one falls
 * short, per partition, not only that it does.
 *
 * On a larger disk a size=rest partition grows to the last usable block (gpt.h), and the
 * filesystem inside grows at the OS's first boot by its own tools (docs/restore.md).
 *
 * Sizes in the messages come twice: exact bytes, and in decimal units (1 GB = 10^9 bytes,
 * as disks are sold) rounded to three digits, e.g. "240057409536 bytes (240 GB)".
 */
#ifndef STRATA_DISK_FIT_H
#define STRATA_DISK_FIT_H

#include <stddef.h>
#include <stdint.h>
#include "gpt.h"
#include "manifest.h"
#include "rc.h"

/** Why a partition is at fault. */
enum strata_fit_fault {
	STRATA_FIT_OK = 0,
	STRATA_FIT_SHORT,        /**< the disk ends before the partition (or its layer) does */
	STRATA_FIT_OVER_SIZE,    /**< its layer is larger than its fixed size: the manifest's fault */
};

/** One partition against one disk, in bytes from the start of the disk. */
struct strata_fit_part {
	uint64_t start;
	uint64_t layer_bytes;    /**< image size of the layer that will be written; 0: none */
	/** Bytes from start it needs: its size, or for size=rest its layer's bytes rounded up
	 *  to a block (at least one block, the least a GPT entry holds). */
	uint64_t needs;
	/** Bytes from start it gets on this disk: its size, or for size=rest everything up to
	 *  the last usable block; less when the disk's usable blocks end first, 0 when they
	 *  end before start. */
	uint64_t gets;
	enum strata_fit_fault fault;
};

/** The whole deployment against one disk. */
struct strata_fit {
	uint64_t disk_bytes;
	/** Bytes the disk must hold: the furthest partition end rounded up to a block, plus
	 *  the backup GPT after it (the entry array and a header block), or the manifest's
	 *  min-size when that is more. */
	uint64_t needs;
	int by_min_size;         /**< needs is the manifest's min-size */
	unsigned int nparts;     /**< as the manifest's, in its order */
	unsigned int nfaults;
	struct strata_fit_part parts[STRATA_MAX_PARTS];
};

/**
 * Check manifest m on a disk of disk_bytes in blocks of block_size, then plan its GPT.
 * layer_bytes[i] is the image size (the layer index's) of partition i's layer when the
 * deployment will write it (a write partition; a restore partition the disk lacks), else
 * 0; strata_fit_writes says which.  Fills *fit always, and *plan (strata_gpt_plan) when
 * 0 is returned.  Fails, writing nothing anywhere:
 *   - STRATA_EINVAL: a layer is larger than its partition's fixed size (a manifest error,
 *     whatever the disk), or strata_gpt_plan's other manifest errors;
 *   - STRATA_ENOSPC: the disk is smaller than the layout, its min-size, or what a layer
 *     of a size=rest partition needs.
 * diag->where is the entry number of the first partition at fault, 0 for the disk as a
 * whole.  Borrows m and layer_bytes.  strata_fit_message says it all in words.
 */
int strata_disk_fit(const struct strata_manifest *m, const uint64_t layer_bytes[STRATA_MAX_PARTS],
		    uint64_t disk_bytes, uint32_t block_size, struct strata_fit *fit,
		    struct strata_gpt_plan *plan, struct strata_diag *diag);

/**
 * 1 when the deployment writes partition i's layer on a disk whose table is have: a write
 * partition, or a restore partition have does not hold at its planned extent.  plan is
 * the disk's plan, or NULL when there is none (the layout does not fit: nothing there is
 * at its planned extent); have NULL means the disk has no readable table.  Why here: the
 * layers whose sizes strata_disk_fit checks are exactly the ones the deployment writes.
 */
int strata_fit_writes(const struct strata_manifest *m, unsigned int i,
		      const struct strata_gpt_table *have, const struct strata_gpt_plan *plan);

/**
 * Say what strata_disk_fit found, one line per fact, lines joined by sep ("\n" for a
 * terminal, "; " for a one-line report), each starting with who (the machine's name, or
 * its MAC).  For a disk too small:
 *   WHO: disk is D bytes (240 GB); the layout needs N bytes (256 GB), S bytes (16.0 GB) more
 * then per partition at fault:
 *   WHO: partition 4 (home) holds a 193 GB capture (193273528320 bytes) from byte B (62.9
 *   GB); it gets G bytes (177 GB) on this disk, S bytes (16.0 GB) short
 * ("holds a ... layer" for a write partition; "is P bytes (...)" for one without a layer or
 * of fixed size), and for a layer over its fixed size:
 *   WHO: partition 2 (root) holds a 3.00 GB layer (2999975936 bytes), S bytes (852 MB) more
 *   than its size=2147483648 (2.15 GB): the manifest is wrong (Strata never shrinks a
 *   filesystem): give it a size of at least 2999975936
 * Writes at most cap bytes into out, NUL-terminated when cap > 0 (cut short when it does
 * not fit); returns the length of the whole text.  Borrows everything.
 */
size_t strata_fit_message(const struct strata_fit *fit, const struct strata_manifest *m,
			  const char *who, const char *sep, char *out, size_t cap);

#endif /* STRATA_DISK_FIT_H */
