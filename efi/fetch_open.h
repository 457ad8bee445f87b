/* Opening a fetcher (fetch.h) on the firmware's network, for the image we were started as. */
#ifndef STRATA_EFI_FETCH_OPEN_H
#define STRATA_EFI_FETCH_OPEN_H

#include <efi.h>
#include "fetch.h"

/**
 * Pick and start a back-end for the network the image was started from: iPXE's download
 * protocol if it is on the image's device handle or anywhere (LocateProtocol), else
 * EFI_HTTP (which may first wait for a DHCP address: up to fetch_http.c's timeout).
 * On success *f is the caller's, released with fetch_close.  Returns 0, STRATA_ENOTSUP
 * when neither back-end exists, or the failing step's rc; every failure is logged.
 */
int fetch_open(struct fetcher **f, EFI_HANDLE image);

#endif /* STRATA_EFI_FETCH_OPEN_H */
