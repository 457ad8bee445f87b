/*
 * The public key strata.efi trusts manifests from, built in at compile time (mk/efi.mk
 * turns the PEM file given as STRATA_PUBKEY into these two symbols), so nothing the
 * network or the disk holds can change whom the agent believes.
 */
#ifndef STRATA_EFI_PUBKEY_H
#define STRATA_EFI_PUBKEY_H

#include <stddef.h>

extern const unsigned char strata_pubkey[];
extern const size_t strata_pubkey_len;

#endif /* STRATA_EFI_PUBKEY_H */
