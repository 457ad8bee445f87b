/*
 * fetch's back-ends on the firmware: how fetch_open (fetch_open.c) starts each of them.
 * What a back-end is, and the sink it delivers into, are in fetch_sink.h.
 */
#ifndef STRATA_EFI_FETCH_IMPL_H
#define STRATA_EFI_FETCH_IMPL_H

#include <efi.h>
#include "fetch_sink.h"

/**
 * Start the iPXE back-end if iPXE's download protocol is on device or anywhere.  Fills
 * f->be and f->priv.  Returns 0, STRATA_ENOTSUP (quietly) when there is no iPXE, or an
 * rc, logged.
 */
int fetch_ipxe_open(struct fetcher *f, EFI_HANDLE device);

/**
 * Start the EFI_HTTP back-end on the NIC nearest device (by device path), bringing IPv4
 * up first.  Fills f->be and f->priv.  Returns 0, STRATA_ENOTSUP (quietly) when the
 * firmware has no HTTP service binding, or an rc, logged.
 */
int fetch_http_open(struct fetcher *f, EFI_HANDLE device);

#endif /* STRATA_EFI_FETCH_IMPL_H */
