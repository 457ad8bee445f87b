/*
 * libFuzzer target for the DHCP packet strata.efi reads its arguments from when firmware
 * PXE loaded it for a capture (efi/args.c args_dhcp_option, args_from_dhcp: the bytes are
 * whoever answered the PC's DHCP).  Invariants: a found option lies wholly inside the
 * packet, after the 240-byte header; accepted arguments name a server that args.c's own
 * rules allow (an http(s) URL, no trailing '/').
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *v;
	size_t n, len;
	struct args a;

	if (args_dhcp_option(data, size, ARGS_DHCP_OPTION, &v, &n) == 0 &&
	    (v < data + 242 || v + n > data + size))
		abort();
	memset(&a, 0, sizeof(a));
	if (args_from_dhcp(&a, data, size) || !a.server[0])
		return 0;
	len = strlen(a.server);
	if (strncmp(a.server, "http", 4))
		abort();
	if (a.server[len - 1] == '/')
		abort();
	return 0;
}
