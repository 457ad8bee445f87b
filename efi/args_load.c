/*
 * strata.efi's arguments from the firmware (see args_load.h): the image's LoadOptions as
 * ASCII text, parsed by args.c; then, if no server was named, the boot URI from the image's
 * device paths.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include <stdio.h>
#include <string.h>
#include "args_load.h"
#include "efi_rc.h"
#include "log.h"
#include "rc.h"

/** Longest options text accepted, in characters: a deploy line is about 150. */
#define ARGS_TEXT_MAX 1024
/** Most device path nodes walked: a network boot path has about six; this only bounds a
 *  path whose end node is missing. */
#define ARGS_DP_NODES_MAX 64

/*
 * Options compiled in for builds whose firmware passes none (UEFI HTTP Boot cannot pass
 * any): mk/efi.mk builds strata-fetchtest.efi with -DSTRATA_ARGS_FALLBACK='"..."'.  The
 * production strata.efi has none ("").
 */
#ifndef STRATA_ARGS_FALLBACK
#define STRATA_ARGS_FALLBACK ""
#endif
static const char args_fallback[] = STRATA_ARGS_FALLBACK;

/*
 * The LoadOptions as ASCII in text (ARGS_TEXT_MAX + 1 bytes), up to the first NUL.
 * Options that are not printable text (a firmware boot option may carry binary data there)
 * are ignored with a log line: they were not written for us.  Sets *len (0: none).
 */
static int options_text(const EFI_LOADED_IMAGE *li, char *text, size_t *len)
{
	const CHAR16 *w = li->LoadOptions;
	size_t n = li->LoadOptions ? li->LoadOptionsSize / sizeof(CHAR16) : 0, i;

	*len = 0;
	for (i = 0; i < n && w[i]; i++) {
		if (w[i] < 0x20 || w[i] > 0x7e) {
			log_msg("args: ignoring %u bytes of load options that are not text",
				li->LoadOptionsSize);
			return 0;
		}
		if (i == ARGS_TEXT_MAX)
			return log_fail(STRATA_ERANGE, "args: load options longer than %u characters",
					ARGS_TEXT_MAX);
		text[i] = (char)w[i];
	}
	text[i] = '\0';
	*len = i;
	return 0;
}

/* The text of the last non-empty URI node on dp, or NULL; *len gets its length. */
static const char *dp_uri(EFI_DEVICE_PATH *dp, size_t *len)
{
	const char *uri = NULL;

	for (int k = 0; dp && k < ARGS_DP_NODES_MAX && !IsDevicePathEnd(dp); k++) {
		size_t n = DevicePathNodeLength(dp);

		if (n < sizeof(EFI_DEVICE_PATH))
			break;
		if (DevicePathType(dp) == MESSAGING_DEVICE_PATH &&
		    DevicePathSubType(dp) == MSG_URI_DP && n > sizeof(EFI_DEVICE_PATH)) {
			uri = (const char *)dp + sizeof(EFI_DEVICE_PATH);
			/* The text is not always NUL-terminated: the node length bounds it. */
			for (*len = 0; *len < n - sizeof(EFI_DEVICE_PATH) && uri[*len]; (*len)++)
				;
		}
		dp = NextDevicePathNode(dp);
	}
	return uri && *len ? uri : NULL;
}

/* The boot URI from the image's own full device path (UEFI 2.x LoadedImageDevicePath) or,
 * failing that, from its device's path, where edk2's HTTP Boot records the URI it used. */
static const char *boot_uri(EFI_HANDLE image, const EFI_LOADED_IMAGE *li, size_t *len)
{
	static EFI_GUID loaded_image_dp_guid = EFI_LOADED_IMAGE_DEVICE_PATH_PROTOCOL_GUID;
	EFI_DEVICE_PATH *dp;
	const char *uri = NULL;

	char shown[ARGS_URL_MAX];
	const char *from = "the image's device path";

	if (!EFI_ERROR(BS->HandleProtocol(image, &loaded_image_dp_guid, (void **)&dp)))
		uri = dp_uri(dp, len);
	if (!uri && li->DeviceHandle &&
	    !EFI_ERROR(BS->HandleProtocol(li->DeviceHandle, &gEfiDevicePathProtocolGuid,
					  (void **)&dp))) {
		from = "its device's path";
		uri = dp_uri(dp, len);
	}
	if (uri)
		log_msg("args: boot URI %s (from %s)", log_slice(shown, sizeof(shown), uri, *len), from);
	return uri;
}

/* The option codes of a DHCP packet kept by the PXE base code, for the log when none of
 * them is ours (a proxy that is not strata-server's, or firmware that keeps less). */
static void log_codes(const char *what, const uint8_t *pkt, size_t len)
{
	char codes[128];
	size_t i = 240, n = 0;

	codes[0] = '\0';
	while (i + 1 < len && pkt[i] != 255 && n + 5 < sizeof(codes)) {
		if (pkt[i] == 0) {
			i++;
			continue;
		}
		n += (size_t)snprintf(codes + n, sizeof(codes) - n, "%s%u", n ? "," : "", pkt[i]);
		i += 2 + (size_t)pkt[i + 1];
	}
	log_msg("args: the %s carries DHCP options %s (file \"%s\"), not %u", what, codes,
		log_slice((char[130]){ 0 }, 130, (const char *)pkt + 108, 127), ARGS_DHCP_OPTION);
}

/* The arguments in one PXE base code's packets: the port-4011 reply first (it is the
 * one that named us), then the proxy offer, then the lease.  0 or STRATA_ENOENT. */
static int pxe_mode_args(struct args *a, EFI_PXE_BASE_CODE_PROTOCOL *pxe)
{
	EFI_PXE_BASE_CODE_MODE *m = pxe->Mode;
	int rc = STRATA_ENOENT;

	if (!m)
		return STRATA_ENOENT;
	log_msg("args: PXE base code: lease %s, proxy offer %s, PXE reply %s",
		m->DhcpAckReceived ? "yes" : "no", m->ProxyOfferReceived ? "yes" : "no",
		m->PxeReplyReceived ? "yes" : "no");
	if (m->PxeReplyReceived)
		rc = args_from_dhcp(a, m->PxeReply.Raw, sizeof(m->PxeReply.Raw));
	if (rc == STRATA_ENOENT && m->ProxyOfferReceived)
		rc = args_from_dhcp(a, m->ProxyOffer.Raw, sizeof(m->ProxyOffer.Raw));
	if (rc == STRATA_ENOENT && m->DhcpAckReceived)
		rc = args_from_dhcp(a, m->DhcpAck.Raw, sizeof(m->DhcpAck.Raw));
	if (rc && m->ProxyOfferReceived)
		log_codes("proxy offer", m->ProxyOffer.Raw, sizeof(m->ProxyOffer.Raw));
	return rc ? STRATA_ENOENT : 0;       /* a packet that is not ours says nothing */
}

/*
 * Firmware PXE loaded us (strata-server's proxyDHCP does that for a capture): the
 * arguments are in the proxy's reply, which the PXE base code keeps in its mode, on our
 * device or, failing that, on any handle (edk2 installs one per IP version).  Then stop
 * that PXE base code: the firmware's HTTP stack (fetch_http.c) takes the NIC from here
 * on.  0 with a->server set, STRATA_ENOENT when no packet carries them.
 */
static int pxe_args(struct args *a, const EFI_LOADED_IMAGE *li)
{
	EFI_PXE_BASE_CODE_PROTOCOL *pxe = NULL;
	EFI_HANDLE *all = NULL;
	UINTN n = 0, i;
	int rc = STRATA_ENOENT;

	if (li->DeviceHandle && !EFI_ERROR(BS->HandleProtocol(li->DeviceHandle,
							      &gEfiPxeBaseCodeProtocolGuid,
							      (void **)&pxe)))
		rc = pxe_mode_args(a, pxe);
	if (rc && !EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &gEfiPxeBaseCodeProtocolGuid,
						    NULL, &n, &all))) {
		for (i = 0; i < n && rc; i++)
			if (!EFI_ERROR(BS->HandleProtocol(all[i], &gEfiPxeBaseCodeProtocolGuid,
							  (void **)&pxe)))
				rc = pxe_mode_args(a, pxe);
		BS->FreePool(all);
	}
	if (rc)
		return rc;
	a->server_from = "the PXE reply";
	if (pxe->Mode->Started && EFI_ERROR(pxe->Stop(pxe)))
		log_msg("args: the PXE base code did not stop; going on");
	return 0;
}

/* then= as the word that sets it, for the log. */
static const char *then_name(enum args_then then)
{
	switch (then) {
	case ARGS_THEN_REBOOT: return "reboot";
	case ARGS_THEN_POWEROFF: return "poweroff";
	case ARGS_THEN_EXIT: return "exit";
	default: return "(default)";
	}
}

/* One line saying what the agent was told. */
static void args_log(const struct args *a)
{
	log_msg("args: server=%s (from %s) mac=%s then=%s",
		a->server[0] ? a->server : "(none)", a->server_from ? a->server_from : "nowhere",
		a->mac[0] ? a->mac : "(none)", then_name(a->then));
}

int args_load(struct args *a, EFI_HANDLE image)
{
	char text[ARGS_TEXT_MAX + 1];
	const char *uri;
	EFI_LOADED_IMAGE *li;
	EFI_STATUS s;
	size_t len;
	int rc;

	memset(a, 0, sizeof(*a));
	s = BS->HandleProtocol(image, &gEfiLoadedImageProtocolGuid, (void **)&li);
	if (EFI_ERROR(s))
		return efi_fail(s, "args: HandleProtocol(LoadedImage)");
	rc = options_text(li, text, &len);
	if (rc)
		return rc;
	if (!len && args_fallback[0]) {
		log_msg("args: no load options; using the built-in ones: %s", args_fallback);
		rc = args_parse(a, args_fallback, strlen(args_fallback));
	} else {
		rc = args_parse(a, text, len);
	}
	if (rc)
		return rc;
	if (!a->server[0] && (uri = boot_uri(image, li, &len)) != NULL) {
		rc = args_server_from_uri(a, uri, len);
		if (rc)
			return rc;
	}
	if (!a->server[0]) {
		rc = pxe_args(a, li);
		if (rc && rc != STRATA_ENOENT)
			return rc;
	}
	args_log(a);
	return 0;
}
