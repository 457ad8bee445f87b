/*
 * EFI_STATUS to Strata rc and back (see efi_rc.h): the only place the two meet.
 *
 * The mapping follows what a status means for a deployment, not its literal name: every
 * network-layer failure is STRATA_ENET so callers can retry or fall back to another path,
 * and media or device trouble is STRATA_EIO so they can stop before writing more.
 */
#include <stddef.h>
#include <efi.h>
#include "efi_rc.h"
#include "log.h"
#include "rc.h"

/** One row: a firmware status, the rc it becomes, and its name for messages. */
struct efi_rc_map {
	EFI_STATUS status;
	int rc;
	const char *name;
};

#define ROW(s, rc) { s, rc, #s }
/* Spec 2.10 appendix D; gnu-efi 3.0.15 lacks the two newest codes, so they are spelled out. */
#define EFI_IP_ADDRESS_CONFLICT_ EFIERR(34)
#define EFI_HTTP_ERROR_ EFIERR(35)

static const struct efi_rc_map efi_rc_table[] = {
	ROW(EFI_LOAD_ERROR, STRATA_EIO),
	ROW(EFI_INVALID_PARAMETER, STRATA_EINVAL),
	ROW(EFI_UNSUPPORTED, STRATA_ENOTSUP),
	ROW(EFI_BAD_BUFFER_SIZE, STRATA_ERANGE),
	ROW(EFI_BUFFER_TOO_SMALL, STRATA_ERANGE),
	ROW(EFI_NOT_READY, STRATA_EIO),
	ROW(EFI_DEVICE_ERROR, STRATA_EIO),
	ROW(EFI_WRITE_PROTECTED, STRATA_EIO),
	ROW(EFI_OUT_OF_RESOURCES, STRATA_ENOMEM),
	ROW(EFI_VOLUME_CORRUPTED, STRATA_ECORRUPT),
	ROW(EFI_VOLUME_FULL, STRATA_ENOSPC),
	ROW(EFI_NO_MEDIA, STRATA_EIO),
	ROW(EFI_MEDIA_CHANGED, STRATA_EIO),
	ROW(EFI_NOT_FOUND, STRATA_ENOENT),
	ROW(EFI_ACCESS_DENIED, STRATA_EIO),
	ROW(EFI_NO_RESPONSE, STRATA_ENET),
	ROW(EFI_NO_MAPPING, STRATA_ENET),
	ROW(EFI_TIMEOUT, STRATA_ENET),
	ROW(EFI_NOT_STARTED, STRATA_EIO),
	ROW(EFI_ALREADY_STARTED, STRATA_EIO),
	ROW(EFI_ABORTED, STRATA_EIO),
	ROW(EFI_ICMP_ERROR, STRATA_ENET),
	ROW(EFI_TFTP_ERROR, STRATA_ENET),
	ROW(EFI_PROTOCOL_ERROR, STRATA_ENET),
	ROW(EFI_INCOMPATIBLE_VERSION, STRATA_ENOTSUP),
	ROW(EFI_SECURITY_VIOLATION, STRATA_EBADSIG),
	ROW(EFI_CRC_ERROR, STRATA_ECORRUPT),
	ROW(EFI_END_OF_MEDIA, STRATA_ENOSPC),
	ROW(EFI_END_OF_FILE, STRATA_ETRUNC),
	ROW(EFI_INVALID_LANGUAGE, STRATA_EINVAL),
	ROW(EFI_COMPROMISED_DATA, STRATA_ECORRUPT),
	{ EFI_IP_ADDRESS_CONFLICT_, STRATA_ENET, "EFI_IP_ADDRESS_CONFLICT" },
	{ EFI_HTTP_ERROR_, STRATA_ENET, "EFI_HTTP_ERROR" },
};

static const struct efi_rc_map *efi_rc_find(EFI_STATUS status)
{
	for (size_t i = 0; i < sizeof(efi_rc_table) / sizeof(efi_rc_table[0]); i++)
		if (efi_rc_table[i].status == status)
			return &efi_rc_table[i];
	return NULL;
}

int efi_rc(EFI_STATUS status)
{
	const struct efi_rc_map *m;

	if (!EFI_ERROR(status))
		return 0;
	m = efi_rc_find(status);
	return m ? m->rc : STRATA_EIO;
}

EFI_STATUS efi_status_from_rc(int rc)
{
	switch (rc) {
	case 0: return EFI_SUCCESS;
	case STRATA_EINVAL: return EFI_INVALID_PARAMETER;
	case STRATA_ERANGE: return EFI_BAD_BUFFER_SIZE;
	case STRATA_ETRUNC: return EFI_END_OF_FILE;
	case STRATA_ETRAIL: return EFI_INVALID_PARAMETER;
	case STRATA_EBADSIG: return EFI_SECURITY_VIOLATION;
	case STRATA_ECORRUPT: return EFI_COMPROMISED_DATA;
	case STRATA_ENOMEM: return EFI_OUT_OF_RESOURCES;
	case STRATA_EIO: return EFI_DEVICE_ERROR;
	case STRATA_ENOENT: return EFI_NOT_FOUND;
	/* A replayed older manifest is a refusal on security grounds. */
	case STRATA_ESTALE: return EFI_SECURITY_VIOLATION;
	case STRATA_ENOSPC: return EFI_VOLUME_FULL;
	case STRATA_ENOTSUP: return EFI_UNSUPPORTED;
	case STRATA_ENET: return EFI_NO_RESPONSE;
	default: return EFI_ABORTED;
	}
}

const char *efi_status_name(EFI_STATUS status)
{
	const struct efi_rc_map *m;

	if (status == EFI_SUCCESS)
		return "EFI_SUCCESS";
	if (!EFI_ERROR(status))
		return "EFI warning";
	m = efi_rc_find(status);
	return m ? m->name : "unknown EFI error";
}

int efi_fail(EFI_STATUS status, const char *what)
{
	return log_fail(efi_rc(status), "%s: %s (0x%llx)", what, efi_status_name(status),
			(unsigned long long)status);
}
