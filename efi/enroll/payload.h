/*
 * Where strata-enroll.efi finds the signed variable payloads (db.auth, KEK.auth, PK.auth
 * that `strata-image sb keygen` makes): from strata-server's boot folder when it was
 * network-booted (UEFI HTTP Boot's boot URI, or iPXE's server=), else in the folder it was
 * started from (a USB stick, an ESP).
 */
#ifndef STRATA_EFI_ENROLL_PAYLOAD_H
#define STRATA_EFI_ENROLL_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <efi.h>

/** Largest payload read: a db with many certificates stays far below it. */
#define PAYLOAD_MAX (256u * 1024)

/** Open the source for image (logs which).  0 or an rc (logged). */
int payload_open(EFI_HANDLE image);

/**
 * Read payload name ("db.auth") into a new buffer *buf (the caller's; strata_free), of
 * *len bytes.  0 or an rc, logged naming the file or URL.
 */
int payload_read(const char *name, uint8_t **buf, size_t *len);

/** Release what payload_open took. */
void payload_close(void);

#endif /* STRATA_EFI_ENROLL_PAYLOAD_H */
