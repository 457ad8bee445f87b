/* Finding and using the target disk (see disk.h). */
#include <efi.h>
#include <efilib.h>
#include <stdio.h>
#include <string.h>
#include "disk.h"
#include "efi_rc.h"
#include "log.h"
#include "rc.h"

/** iPXE's dummy BlockIo on the NIC handle carries this MediaId ("iPXE"). */
#define IPXE_DUMMY_MEDIA_ID 0x69505845u

/* Bytes of dp up to its first messaging node (the NIC's PCI path), or 0. */
static size_t pci_prefix(EFI_DEVICE_PATH *dp)
{
	EFI_DEVICE_PATH *n = dp;

	for (; n && !IsDevicePathEnd(n); n = NextDevicePathNode(n))
		if (DevicePathType(n) == MESSAGING_DEVICE_PATH)
			return (size_t)((UINT8 *)n - (UINT8 *)dp);
	return 0;
}

/*
 * Firmware that booted from the network connected only the boot devices; connect the rest
 * so the disks appear.  The NIC we were loaded from and everything under it are left
 * alone: connecting more drivers to it (MNP on the firmware's SNP) takes the network away
 * from the iPXE that is serving our downloads (seen with OVMF PXE + snponly.efi).
 */
static void connect_all(EFI_HANDLE image)
{
	EFI_HANDLE *handles = NULL;
	EFI_LOADED_IMAGE *li = NULL;
	EFI_DEVICE_PATH *nic = NULL, *dp;
	size_t skip = 0;
	UINTN n = 0;

	if (!EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li)) && li)
		nic = DevicePathFromHandle(li->DeviceHandle);
	if (nic)
		skip = pci_prefix(nic);
	if (EFI_ERROR(BS->LocateHandleBuffer(AllHandles, NULL, NULL, &n, &handles)))
		return;
	for (UINTN i = 0; i < n; i++) {
		dp = DevicePathFromHandle(handles[i]);
		if (skip && dp && DevicePathSize(dp) >= skip && !memcmp(dp, nic, skip))
			continue;
		BS->ConnectController(handles[i], NULL, NULL, TRUE);
	}
	FreePool(handles);
}

/* Why a block device is not a deployment target, or NULL when it is one. */
static const char *unsuitable(const EFI_BLOCK_IO_MEDIA *m)
{
	if (m->MediaId == IPXE_DUMMY_MEDIA_ID && m->BlockSize == 1)
		return "iPXE's dummy disk";
	if (m->LogicalPartition)
		return "a partition";
	if (!m->MediaPresent)
		return "no media";
	if (m->ReadOnly)
		return "read-only";
	if (m->RemovableMedia)
		return "removable";
	if (m->BlockSize < 512 || (m->BlockSize & (m->BlockSize - 1)) || m->BlockSize > 65536)
		return "unusual block size";
	return NULL;
}

static void describe(struct disk *d)
{
	EFI_DEVICE_PATH *dp = DevicePathFromHandle(d->handle);
	CHAR16 *s = dp ? DevicePathToStr(dp) : NULL;
	size_t i = 0;

	for (; s && s[i] && i + 1 < sizeof(d->name); i++)
		d->name[i] = s[i] < 0x7f ? (char)s[i] : '?';
	d->name[i] = '\0';
	if (s)
		FreePool(s);
}

/* Consider one handle: 0 when it can be a target (*d describes it). */
static int try_handle(struct disk *d, EFI_HANDLE h)
{
	EFI_BLOCK_IO *bio;
	const char *why;

	if (EFI_ERROR(BS->HandleProtocol(h, &BlockIoProtocol, (void **)&bio)))
		return -1;
	why = unsuitable(bio->Media);
	*d = (struct disk){ .handle = h, .bio = bio, .media_id = bio->Media->MediaId,
			    .block_size = bio->Media->BlockSize, .io_align = bio->Media->IoAlign,
			    .bytes = (bio->Media->LastBlock + 1) * (uint64_t)bio->Media->BlockSize };
	describe(d);
	if (why) {
		log_msg("disk: skipping %s (%llu bytes): %s", d->name, (unsigned long long)d->bytes,
			why);
		return -1;
	}
	return 0;
}

int disk_find(struct disk *d, uint64_t min_bytes, EFI_HANDLE image)
{
	EFI_HANDLE *handles = NULL;
	struct disk c;
	UINTN n = 0;
	int found = 0;

	connect_all(image);
	if (EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &BlockIoProtocol, NULL, &n, &handles)))
		return log_fail(STRATA_ENOENT, "disk: the firmware reports no block devices");
	for (UINTN i = 0; i < n && !(found && d->bytes >= min_bytes); i++) {
		if (try_handle(&c, handles[i]) || (found && c.bytes <= d->bytes))
			continue;
		*d = c;
		found = 1;
	}
	FreePool(handles);
	if (!found)
		return log_fail(STRATA_ENOENT, "disk: no fixed writable disk");
	log_msg("disk: target %s, %llu bytes, %u-byte blocks%s", d->name,
		(unsigned long long)d->bytes, d->block_size,
		d->bytes < min_bytes ? " (the largest; smaller than the layout)" : "");
	return 0;
}

int disk_check_io(const struct disk *d, uint64_t off, size_t len)
{
	if (off % d->block_size || len % d->block_size || off > d->bytes || len > d->bytes - off)
		return log_fail(STRATA_ERANGE, "disk: unaligned or out-of-range I/O at %llu+%llu",
				(unsigned long long)off, (unsigned long long)len);
	return 0;
}

/* Page-aligned buffers satisfy any IoAlign up to 4096; the spec allows no more here. */
int disk_misaligned(const struct disk *d, const void *buf)
{
	return d->io_align > 1 && ((uintptr_t)buf & (d->io_align - 1));
}

/*
 * A transfer the device refused, named by its first block and length: whoever replaces or
 * tests the disk needs to know where it failed, not only that it did.
 */
int disk_io_fail(const struct disk *d, EFI_STATUS s, const char *op, uint64_t off, size_t len)
{
	char what[80];

	snprintf(what, sizeof(what), "disk: %s at LBA %llu (%llu blocks)", op,
		 (unsigned long long)(off / d->block_size),
		 (unsigned long long)(len / d->block_size));
	return efi_fail(s, what);
}

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len)
{
	void *io = buf;
	EFI_STATUS s;
	int rc = disk_check_io(d, off, len);

	d->failed_at = DISK_NOT_A_WRITE;        /* disk_io2_wait sets a started write's */
	if (rc || (rc = disk_io2_wait(d, off, len)))
		return rc;
	if (disk_misaligned(d, buf) && !(io = disk_buf_alloc(len)))
		return log_fail(STRATA_ENOMEM, "disk: no memory for an aligned buffer");
	s = d->bio->ReadBlocks(d->bio, d->media_id, off / d->block_size, len, io);
	if (io != buf) {
		memcpy(buf, io, len);
		disk_buf_free(io, len);
	}
	return EFI_ERROR(s) ? disk_io_fail(d, s, "ReadBlocks", off, len) : 0;
}

int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len)
{
	void *io = (void *)buf;
	EFI_STATUS s;
	int rc = disk_check_io(d, off, len);

	d->failed_at = off;     /* where any failure below is; disk_io2_wait sets its own */
	if (rc || (rc = disk_io2_wait(d, off, len)))
		return rc;
	if (disk_misaligned(d, buf)) {
		if (!(io = disk_buf_alloc(len)))
			return log_fail(STRATA_ENOMEM, "disk: no memory for an aligned buffer");
		memcpy(io, buf, len);
	}
	s = d->bio->WriteBlocks(d->bio, d->media_id, off / d->block_size, len, io);
	if (io != buf)
		disk_buf_free(io, len);
	return EFI_ERROR(s) ? disk_io_fail(d, s, "WriteBlocks", off, len) : 0;
}

int disk_flush(struct disk *d)
{
	int rc = disk_settle(d);
	EFI_STATUS s;

	if (rc)
		return rc;
	s = d->bio->FlushBlocks(d->bio);
	return EFI_ERROR(s) ? efi_fail(s, "disk: FlushBlocks") : 0;
}

void *disk_buf_alloc(size_t len)
{
	EFI_PHYSICAL_ADDRESS a = 0;

	if (EFI_ERROR(BS->AllocatePages(AllocateAnyPages, EfiLoaderData,
					(len + 4095) / 4096, &a)))
		return NULL;
	memset((void *)(uintptr_t)a, 0, len);
	return (void *)(uintptr_t)a;
}

void disk_buf_free(void *buf, size_t len)
{
	if (buf)
		BS->FreePages((EFI_PHYSICAL_ADDRESS)(uintptr_t)buf, (len + 4095) / 4096);
}
