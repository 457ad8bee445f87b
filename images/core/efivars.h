/*
 * UEFI Secure Boot data read from files: EFI signature lists, and the variable store of an
 * EDK II firmware's NVRAM file (OVMF_VARS_*.fd).
 *
 * Why here: `strata-image sb keygen` keeps Microsoft's certificates in the lab's db, and
 * the only copy a Debian machine has is inside Debian's OVMF_VARS_4M.ms.fd.  So we read
 * that file's `db` variable and take its signature lists as they are.  Both layouts are
 * foreign formats, read through le.h; the parsers accept any bytes.
 *
 * ## EFI_SIGNATURE_LIST (UEFI 2.10, 32.4.1)
 * A variable such as db is a sequence of lists, each:
 *
 *     type[16]             GUID of what each entry holds (EFI_CERT_X509_GUID: a DER cert)
 *     list_size (le32)     bytes of this list, header included
 *     header_size (le32)   bytes of a type-specific header after these 28 (0 for X509)
 *     sig_size (le32)      bytes of each entry: owner GUID[16] then the data
 *     header[header_size]
 *     entries[(list_size - 28 - header_size) / sig_size]
 *
 * list_size - 28 - header_size must be a whole number of entries, at least one.
 *
 * ## EDK II's authenticated variable store
 * The NVRAM file is a firmware volume whose first store header carries
 * STRATA_VARSTORE_GUID (gEfiAuthenticatedVariableGuid):
 *
 *     guid[16] size (le32) format (0x5A) state (0xFE) reserved[6]      28 bytes
 *
 * Variables follow it, each starting at a 4-byte boundary from the file's start:
 *
 *     start_id (le16, 0x55AA) state attributes(le32) monotonic(le64) time[16]
 *     pubkey_index(le32) name_size(le32) data_size(le32) vendor_guid[16]   60 bytes
 *     name[name_size] (UTF-16LE, NUL-terminated) data[data_size]  (no padding on x86)
 *
 * The list ends at the first header whose start_id is not 0x55AA.  A variable is live when
 * its state is STRATA_VAR_ADDED; an update leaves the old copy behind with a state that
 * has more bits cleared, so the last live copy is the value.
 */
#ifndef STRATA_EFIVARS_H
#define STRATA_EFIVARS_H

#include <stddef.h>
#include <stdint.h>
#include "rc.h"

/** Bytes of an EFI_SIGNATURE_LIST header before its type-specific header. */
#define STRATA_ESL_HEADER 28
/** Bytes of an entry's owner GUID, before its data. */
#define STRATA_ESL_OWNER 16
/** The store header and a variable header, as laid out above. */
#define STRATA_VARSTORE_HEADER 28
#define STRATA_VAR_HEADER 60
#define STRATA_VAR_START_ID 0x55AA
#define STRATA_VAR_ADDED 0x3F

/** A GUID's 16 bytes as stored (the first three fields little-endian). */
typedef uint8_t strata_guid_bytes[16];

/** EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072. */
extern const strata_guid_bytes strata_guid_cert_x509;
/** EFI_IMAGE_SECURITY_DATABASE_GUID d719b2cb-3d3a-4596-a3bc-dad00e67656f: db's vendor. */
extern const strata_guid_bytes strata_guid_image_security_db;
/** gEfiAuthenticatedVariableGuid aaf32c78-947b-439a-a180-2e144ec37792: the store header. */
extern const strata_guid_bytes strata_guid_varstore;

/** One signature list, pointing into the caller's buffer (nothing is copied). */
struct strata_esl {
	const uint8_t *list;   /**< the list's first byte (its type GUID) */
	uint32_t list_size;    /**< bytes of the whole list */
	uint32_t sig_size;     /**< bytes of each entry, owner GUID included */
	uint32_t count;        /**< entries, at least 1 */
	const uint8_t *first;  /**< the first entry (owner GUID, then data) */
};

/**
 * Parse the signature list at buf[*pos..len) into *out and move *pos past it.  Returns 0,
 * STRATA_ENOENT when *pos == len (no more lists), or STRATA_ETRUNC / STRATA_EINVAL with
 * diag naming the fault and diag->where the list's offset.  Borrows buf; out points into it.
 */
int strata_esl_next(const uint8_t *buf, size_t len, size_t *pos, struct strata_esl *out,
		    struct strata_diag *diag);

/** Entry i (< esl->count) of a parsed list: its owner GUID, then sig_size - 16 data bytes. */
const uint8_t *strata_esl_entry(const struct strata_esl *esl, uint32_t i);

/**
 * Find the live value of variable name (ASCII; compared to the stored UTF-16LE) of vendor
 * guid in an EDK II NVRAM file image.  On success *data and *data_len point into buf.
 * STRATA_ENOENT when the store has no live copy, STRATA_EINVAL when buf holds no store
 * header, STRATA_ETRUNC when a variable runs past the store (diag->where: its offset).
 */
int strata_varstore_find(const uint8_t *buf, size_t len, const char *name,
			 const strata_guid_bytes guid, const uint8_t **data, size_t *data_len,
			 struct strata_diag *diag);

#endif /* STRATA_EFIVARS_H */
