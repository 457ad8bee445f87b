/*
 * The target disk's started writes (disk.h, disk_write_start): EFI_BLOCK_IO2_PROTOCOL
 * where the disk offers it (OVMF: NVMe and SATA, not virtio-blk), so that the boot
 * processor receives and decodes the next batch while the disk writes this one.  No
 * callbacks: each write's token carries a plain event, polled with CheckEvent.
 *
 * Who owns what: a started write's buffer is its caller's, lent to the device until the
 * token's event signals and to this file until disk_settle returns (the caller's promise,
 * disk.h); the tokens and their events are this file's, made at the first started write
 * and kept for the agent's life (a few hundred bytes; the agent ends in a reboot or the
 * OS).  Writes take the slots in turn, so the next slot holds the oldest write: when every
 * slot is busy a new write waits for that one, which bounds what is in flight.
 *
 * Whether the disk has Block I/O 2 is disk_io2_find's answer, chosen at link time (the
 * bench copy strata-blkio1.efi links one that says no; mk/efi.mk).
 */
#include <efi.h>
#include <efilib.h>
#include "disk.h"
#include "efi_rc.h"
#include "log.h"
#include "rc.h"

/** Writes in flight at most: two of the deploy engine's batches (STRATA_BATCH each). */
#define DISK_IN_FLIGHT 32

/** One write the device may still be doing. */
struct disk_write_slot {
	EFI_BLOCK_IO2_TOKEN token;   /**< Event: ours; TransactionStatus: the device's answer */
	uint64_t off;
	size_t len;
	int busy;
};

struct disk_io2 {
	struct disk_write_slot w[DISK_IN_FLIGHT];
	uint32_t next;               /**< the slot the next write takes: the oldest */
};

/* Free io2 and the events made so far (n of them). */
static void io2_free(struct disk_io2 *io2, uint32_t n)
{
	while (n-- > 0)
		BS->CloseEvent(io2->w[n].token.Event);
	FreePool(io2);
}

/* The slots and their events, or NULL (then writes are synchronous). */
static struct disk_io2 *io2_make(void)
{
	struct disk_io2 *io2 = AllocateZeroPool(sizeof(*io2));

	for (uint32_t k = 0; io2 && k < DISK_IN_FLIGHT; k++)
		if (EFI_ERROR(BS->CreateEvent(0, 0, NULL, NULL, &io2->w[k].token.Event))) {
			io2_free(io2, k);
			return NULL;
		}
	return io2;
}

/* Take Block I/O 2 when the disk offers it, and log which interface writes. */
static void io2_open(struct disk *d)
{
	const char *why;
	EFI_BLOCK_IO2_PROTOCOL *bio2 = disk_io2_find(d, &why);

	d->io2_tried = 1;
	if (bio2) {
		why = "no memory or events for Block I/O 2";
		d->io2 = io2_make();
	}
	if (!d->io2) {
		log_msg("disk: Block I/O (%s)", why);
		return;
	}
	d->bio2 = bio2;
	log_msg("disk: Block I/O 2, up to %u writes in flight", DISK_IN_FLIGHT);
}

/* Wait until slot w's write is done; 0, or its failure logged with where it was. */
static int wait_slot(struct disk *d, struct disk_write_slot *w)
{
	EFI_STATUS s;

	while ((s = BS->CheckEvent(w->token.Event)) == EFI_NOT_READY)
		;
	w->busy = 0;
	if (EFI_ERROR(s) || EFI_ERROR(w->token.TransactionStatus)) {
		d->failed_at = w->off;
		return disk_io_fail(d, EFI_ERROR(s) ? s : w->token.TransactionStatus,
				    "WriteBlocksEx", w->off, w->len);
	}
	return 0;
}

/* From the oldest slot on, so that the first failure is the earliest started write's
 * (what the engine's settle names, deploy.h). */
int disk_io2_wait(struct disk *d, uint64_t off, size_t len)
{
	uint64_t at = 0;
	int rc = 0, wrc;

	for (uint32_t k = 0; d->io2 && k < DISK_IN_FLIGHT; k++) {
		struct disk_write_slot *w = &d->io2->w[(d->io2->next + k) % DISK_IN_FLIGHT];

		if (!w->busy || (len && (w->off + w->len <= off || off + len <= w->off)))
			continue;
		wrc = wait_slot(d, w);
		if (wrc && !rc)
			at = d->failed_at;
		rc = rc ? rc : wrc;
	}
	if (rc)
		d->failed_at = at;      /* the first failure's, as rc is */
	return rc;
}

int disk_settle(struct disk *d)
{
	return disk_io2_wait(d, 0, 0);
}

/* Hand slot w's write of buf (borrowed until it signals) to the device; its status. */
static EFI_STATUS submit(struct disk *d, struct disk_write_slot *w, uint64_t off,
			 const void *buf, size_t len)
{
	EFI_STATUS s;

	w->token.TransactionStatus = EFI_SUCCESS;
	s = d->bio2->WriteBlocksEx(d->bio2, d->media_id, off / d->block_size, &w->token, len,
				   (void *)buf);
	if (EFI_ERROR(s))               /* refused at once: the event will not signal */
		return s;
	/* Field by field: the device may be writing TransactionStatus already. */
	w->off = off;
	w->len = len;
	w->busy = 1;
	return s;
}

int disk_write_start(struct disk *d, uint64_t off, const void *buf, size_t len)
{
	struct disk_write_slot *w;
	EFI_STATUS s;
	int rc;

	if (!d->io2_tried)
		io2_open(d);
	if (!d->io2 || disk_misaligned(d, buf))
		return disk_write(d, off, buf, len);
	d->failed_at = off;     /* where a failure below is; wait_slot sets its own */
	if ((rc = disk_check_io(d, off, len)))
		return rc;
	w = &d->io2->w[d->io2->next];
	if ((rc = disk_io2_wait(d, off, len)) || (w->busy && (rc = wait_slot(d, w))))
		return rc;
	d->io2->next = (d->io2->next + 1) % DISK_IN_FLIGHT;
	s = submit(d, w, off, buf, len);
	/* The device's own queue is full (NVMe's async queue, EFI_NOT_READY) or it has no
	 * resources for another request (EFI_OUT_OF_RESOURCES): let it drain, and write this
	 * one at once. */
	if (s == EFI_NOT_READY || s == EFI_OUT_OF_RESOURCES)
		return (rc = disk_settle(d)) ? rc : disk_write(d, off, buf, len);
	return EFI_ERROR(s) ? disk_io_fail(d, s, "WriteBlocksEx", off, len) : 0;
}
