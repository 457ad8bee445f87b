/*
 * fetch_open (see fetch_open.h): the back-end for the network strata.efi was started
 * from, iPXE's when iPXE chained us, else the firmware's EFI_HTTP.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include "alloc.h"
#include "efi_rc.h"
#include "fetch_impl.h"
#include "fetch_open.h"
#include "log.h"
#include "rc.h"

int fetch_open(struct fetcher **out, EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	struct fetcher *f;
	EFI_STATUS s;
	int rc;

	s = BS->HandleProtocol(image, &gEfiLoadedImageProtocolGuid, (void **)&li);
	if (EFI_ERROR(s))
		return efi_fail(s, "fetch: HandleProtocol(LoadedImage)");
	f = strata_alloc(sizeof(*f));
	if (!f)
		return log_fail(STRATA_ENOMEM, "fetch: no memory for the fetcher");
	rc = fetch_ipxe_open(f, li->DeviceHandle);
	if (rc == STRATA_ENOTSUP)
		rc = fetch_http_open(f, li->DeviceHandle);
	if (rc == STRATA_ENOTSUP)
		log_fail(rc, "fetch: no network: neither iPXE's download protocol nor the "
			 "firmware's HTTP service is present");
	if (rc)
		goto err_open;
	log_msg("fetch: using the %s back-end", f->be->name);
	*out = f;
	return 0;

err_open:
	strata_free(f);
	return rc;
}
