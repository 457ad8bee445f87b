/* Wake-on-LAN's pure parts: the magic packet and the --wol-broadcast list (see wol.h). */
#include <string.h>
#include "http_parse.h"
#include "rc.h"
#include "wol.h"

void wol_packet(uint8_t out[WOL_PACKET_LEN], const uint8_t mac[6])
{
	memset(out, 0xff, 6);
	for (int i = 0; i < 16; i++)
		memcpy(out + 6 + 6 * i, mac, 6);
}

/* The list is --trusted-proxies' syntax (http_cidr_list_parse), limited to single
 * addresses: a broadcast address with /N would read as a network. */
int wol_targets_parse(const char *s, uint32_t *out, size_t cap, size_t *n)
{
	struct http_cidr list[WOL_TARGETS_MAX];
	int rc;

	if (strchr(s, '/'))
		return STRATA_EINVAL;
	rc = http_cidr_list_parse(s, list, cap < WOL_TARGETS_MAX ? cap : WOL_TARGETS_MAX, n);
	if (rc)
		return rc;
	for (size_t i = 0; i < *n; i++)
		out[i] = list[i].net;
	return *n ? 0 : STRATA_EINVAL;
}
