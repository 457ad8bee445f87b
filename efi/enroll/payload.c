/*
 * strata-enroll.efi's payload sources (payload.h): strata.efi's network layer (args_load,
 * fetch_open, fetch_buffer) when a server is known, else the image's own folder through
 * the firmware's file system protocol.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include <stdio.h>
#include "alloc.h"
#include "args_load.h"
#include "efi_rc.h"
#include "fetch_buf.h"
#include "fetch_open.h"
#include "log.h"
#include "payload.h"
#include "rc.h"

/** The open source: a fetcher and its arguments, or a folder on the image's volume. */
static struct {
	struct args args;
	struct fetcher *f;
	EFI_FILE_HANDLE root;
	CHAR16 dir[256];     /**< the image's folder, "\EFI\BOOT\" */
} src;

/* The folder of the image's file path, with its trailing backslash, into src.dir. */
static void image_dir(EFI_LOADED_IMAGE *li)
{
	CHAR16 *path = DevicePathToStr(li->FilePath);
	UINTN n = 0, cut = 0;

	for (; path && path[n] && n + 1 < sizeof(src.dir) / sizeof(src.dir[0]); n++) {
		src.dir[n] = path[n] == '/' ? '\\' : path[n];
		if (src.dir[n] == '\\')
			cut = n + 1;
	}
	src.dir[cut] = 0;
	FreePool(path);
}

/* The image's own volume and folder. */
static int open_folder(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	EFI_STATUS s = BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li);

	if (EFI_ERROR(s))
		return efi_fail(s, "strata-enroll.efi: LoadedImage");
	src.root = LibOpenRoot(li->DeviceHandle);
	if (!src.root)
		return log_fail(STRATA_ENOENT, "strata-enroll.efi: not network-booted and no file "
				"system where it was started from: nothing to enroll");
	image_dir(li);
	log_msg("strata-enroll.efi: reading the payloads next to it");
	return 0;
}

int payload_open(EFI_HANDLE image)
{
	int rc = args_load(&src.args, image);

	if (rc)
		return rc;
	if (!src.args.server[0])
		return open_folder(image);
	log_msg("strata-enroll.efi: fetching the payloads from %s/boot/", src.args.server);
	return fetch_open(&src.f, image);
}

/* name from the image's folder. */
static int read_local(const char *name, uint8_t **buf, size_t *len)
{
	CHAR16 path[300];
	EFI_FILE_HANDLE fh;
	EFI_FILE_INFO *info;
	UINTN n = 0, size;
	EFI_STATUS s;

	for (UINTN i = 0; src.dir[i]; i++)
		path[n++] = src.dir[i];
	for (UINTN i = 0; name[i] && n + 1 < 300; i++)
		path[n++] = (CHAR16)name[i];
	path[n] = 0;
	s = src.root->Open(src.root, &fh, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s))
		return log_fail(efi_rc(s), "strata-enroll.efi: %s: cannot open it (%s)", name,
				efi_status_name(s));
	info = LibFileInfo(fh);
	size = info ? (UINTN)info->FileSize : 0;
	FreePool(info);
	*buf = size && size <= PAYLOAD_MAX ? strata_alloc(size) : NULL;
	s = *buf ? fh->Read(fh, &size, *buf) : EFI_BAD_BUFFER_SIZE;
	fh->Close(fh);
	if (EFI_ERROR(s)) {
		strata_free(*buf);
		return log_fail(efi_rc(s), "strata-enroll.efi: %s: cannot read it (%s)", name,
				efi_status_name(s));
	}
	*len = size;
	return 0;
}

int payload_read(const char *name, uint8_t **buf, size_t *len)
{
	char url[ARGS_URL_MAX + 32];
	int rc;

	if (!src.f)
		return read_local(name, buf, len);
	snprintf(url, sizeof(url), "%s/boot/%s", src.args.server, name);
	rc = fetch_buffer(src.f, url, PAYLOAD_MAX, buf, len);
	return rc ? log_fail(rc, "strata-enroll.efi: cannot fetch %s", url) : 0;
}

void payload_close(void)
{
	if (src.f)
		fetch_close(src.f);
	if (src.root)
		src.root->Close(src.root);
}
