/*
 * Unit test of the target disk's started writes (efi/disk_io2.c) on the host: the firmware's
 * events and a Block I/O 2 device are stood in for here, and so are disk.c's synchronous
 * write and checks, and disk_io2_find (a link-time choice, as in strata.efi).  The device
 * finishes a write when its event is checked, with the status the test set for its LBA.
 */
#include <stdlib.h>
#include <string.h>
#include <efi.h>
#include <efilib.h>
#include "disk.h"
#include "harness.h"
#include "rc.h"

#define MAX_SUBMIT 64

static EFI_BLOCK_IO2_TOKEN *submitted[MAX_SUBMIT];
static unsigned int n_submitted, n_events;
static EFI_STATUS next_refusal;           /* WriteBlocksEx's answer to the next write */
static EFI_LBA failing[4];                /* writes that fail when done (LBA + 1; 0: none) */
static uint64_t sync_writes[MAX_SUBMIT];  /* offsets disk_write wrote */
static unsigned int n_sync;

static EFI_STATUS EFIAPI fake_create_event(UINT32 type, EFI_TPL tpl, EFI_EVENT_NOTIFY fn,
					   VOID *ctx, EFI_EVENT *ev)
{
	*ev = (EFI_EVENT)(uintptr_t)++n_events;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_close_event(EFI_EVENT ev)
{
	return EFI_SUCCESS;
}

/* The device finishes the write whose token holds ev, failing it when its LBA is listed. */
static EFI_STATUS EFIAPI fake_check_event(EFI_EVENT ev)
{
	for (unsigned int k = 0; k < n_submitted; k++) {
		EFI_BLOCK_IO2_TOKEN *t = submitted[k];

		if (!t || t->Event != ev)
			continue;
		submitted[k] = NULL;
		return EFI_SUCCESS;
	}
	CHECK(0);                              /* polled a write that was never submitted */
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_write_ex(EFI_BLOCK_IO2_PROTOCOL *p, UINT32 media, EFI_LBA lba,
				       EFI_BLOCK_IO2_TOKEN *t, UINTN len, VOID *buf)
{
	EFI_STATUS s = next_refusal;

	next_refusal = EFI_SUCCESS;
	if (EFI_ERROR(s))
		return s;
	for (unsigned int k = 0; k < 4; k++)
		if (failing[k] == lba + 1)
			t->TransactionStatus = EFI_DEVICE_ERROR;
	CHECK(n_submitted < MAX_SUBMIT);
	submitted[n_submitted++] = t;
	return EFI_SUCCESS;
}

static EFI_BOOT_SERVICES fake_bs = { .CreateEvent = fake_create_event,
				     .CloseEvent = fake_close_event,
				     .CheckEvent = fake_check_event };
EFI_BOOT_SERVICES *BS = &fake_bs;
static EFI_BLOCK_IO2_PROTOCOL fake_bio2 = { .WriteBlocksEx = fake_write_ex };

VOID *AllocateZeroPool(UINTN n)
{
	return calloc(1, n);
}

VOID FreePool(VOID *p)
{
	free(p);
}

EFI_BLOCK_IO2_PROTOCOL *disk_io2_find(struct disk *d, const char **why)
{
	*why = "test";
	return &fake_bio2;
}

int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len)
{
	CHECK(n_sync < MAX_SUBMIT);
	sync_writes[n_sync++] = off;
	return 0;
}

int disk_io_fail(const struct disk *d, EFI_STATUS s, const char *op, uint64_t off, size_t len)
{
	return STRATA_EIO;
}

int disk_check_io(const struct disk *d, uint64_t off, size_t len)
{
	return 0;
}

int disk_misaligned(const struct disk *d, const void *buf)
{
	return 0;
}

/* A fresh disk of 512-byte blocks and a fresh device. */
static void reset(struct disk *d)
{
	*d = (struct disk){ .block_size = 512, .bytes = 1 << 30 };
	n_submitted = n_sync = 0;
	next_refusal = EFI_SUCCESS;
	memset(failing, 0, sizeof(failing));
}

/* The slots disk_io2.c keeps for the agent's life (made by AllocateZeroPool above). */
static void done(struct disk *d)
{
	free(d->io2);
}

/* A device whose queue is full (EFI_NOT_READY) or that is out of resources for the token
 * (EFI_OUT_OF_RESOURCES) refuses the write at once: it is written synchronously instead. */
static void test_refused_then_synchronous(void)
{
	static const EFI_STATUS busy[] = { EFI_NOT_READY, EFI_OUT_OF_RESOURCES };
	static uint8_t buf[4096];
	struct disk d;

	for (unsigned int k = 0; k < 2; k++) {
		reset(&d);
		CHECK_EQ(disk_write_start(&d, 0, buf, 4096), 0);
		next_refusal = busy[k];
		CHECK_EQ(disk_write_start(&d, 8192, buf, 4096), 0);
		CHECK_EQ(n_sync, 1);
		CHECK_EQ(sync_writes[0], 8192);
		CHECK_EQ(disk_settle(&d), 0);
		done(&d);
	}
}

/* Two started writes fail: settle returns the earliest's failure and names where it was,
 * also after the slots wrapped around (the oldest slot is not slot 0 then). */
static void test_settle_names_the_earliest(void)
{
	static uint8_t buf[4096];
	struct disk d;

	for (unsigned int before = 0; before < 40; before += 13) {
		reset(&d);
		for (unsigned int k = 0; k < before; k++) {   /* fill and settle some slots */
			CHECK_EQ(disk_write_start(&d, (uint64_t)k * 4096, buf, 4096), 0);
			if (k % 8 == 7)
				CHECK_EQ(disk_settle(&d), 0);
		}
		CHECK_EQ(disk_settle(&d), 0);
		failing[0] = (3 + 2) * 8 + 1;          /* write 3 below (LBA + 1) */
		failing[1] = (7 + 2) * 8 + 1;          /* and write 7, in slot 1 after a wrap */
		for (unsigned int k = 0; k < 8; k++)
			CHECK_EQ(disk_write_start(&d, (uint64_t)(k + 2) * 4096, buf, 4096), 0);
		CHECK_EQ(disk_settle(&d), STRATA_EIO);
		CHECK_EQ(d.failed_at, (uint64_t)(3 + 2) * 4096);
		CHECK_EQ(disk_settle(&d), 0);          /* nothing left in flight */
		done(&d);
	}
}

int main(void)
{
	RUN(test_refused_then_synchronous);
	RUN(test_settle_names_the_earliest);
	return harness_summary();
}
