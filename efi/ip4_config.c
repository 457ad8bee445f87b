/* IPv4 bring-up through EFI_IP4_CONFIG2 (see ip4_config.h). */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include "alloc.h"
#include "clock.h"
#include "efi_http.h"
#include "efi_rc.h"
#include "ip4_config.h"
#include "log.h"
#include "rc.h"

/** How often to look for the address while DHCP runs (the firmware's timers run it). */
#define IP4_POLL_MS 100

static EFI_GUID ip4_config2_guid = EFI_IP4_CONFIG2_PROTOCOL_GUID;

/* The policy's name, for the log. */
static const char *policy_name(EFI_IP4_CONFIG2_POLICY p)
{
	return p == Ip4Config2PolicyStatic ? "static" : p == Ip4Config2PolicyDhcp ? "dhcp" : "?";
}

/* The interface's current policy. */
static int ip4_policy(EFI_IP4_CONFIG2_PROTOCOL *cfg, EFI_IP4_CONFIG2_POLICY *policy)
{
	UINTN size = sizeof(*policy);
	EFI_STATUS s = cfg->GetData(cfg, Ip4Config2DataTypePolicy, &size, policy);

	return EFI_ERROR(s) ? efi_fail(s, "ip4: GetData(Policy)") : 0;
}

/*
 * The interface's station address (0.0.0.0 when it has none).  The interface info carries
 * its route table in the same buffer, so its size is asked first; the buffer is ours and
 * freed here.
 */
static int ip4_address(EFI_IP4_CONFIG2_PROTOCOL *cfg, EFI_IPv4_ADDRESS *addr)
{
	EFI_IP4_CONFIG2_INTERFACE_INFO *info;
	UINTN size = 0;
	EFI_STATUS s;

	s = cfg->GetData(cfg, Ip4Config2DataTypeInterfaceInfo, &size, NULL);
	if (s != EFI_BUFFER_TOO_SMALL || size < sizeof(*info))
		return efi_fail(EFI_ERROR(s) ? s : EFI_PROTOCOL_ERROR,
				"ip4: GetData(InterfaceInfo) size");
	info = strata_alloc(size);
	if (!info)
		return log_fail(STRATA_ENOMEM, "ip4: no memory for the interface info");
	s = cfg->GetData(cfg, Ip4Config2DataTypeInterfaceInfo, &size, info);
	if (!EFI_ERROR(s))
		*addr = info->StationAddress;
	strata_free(info);
	return EFI_ERROR(s) ? efi_fail(s, "ip4: GetData(InterfaceInfo)") : 0;
}

/* Whether an address is configured (edk2 reports 0.0.0.0 until one is). */
static int ip4_is_set(const EFI_IPv4_ADDRESS *a)
{
	return a->Addr[0] | a->Addr[1] | a->Addr[2] | a->Addr[3];
}

/* Set the policy.  EFI_ABORTED means "already that policy" (edk2), which is fine. */
static int ip4_set_policy(EFI_IP4_CONFIG2_PROTOCOL *cfg, EFI_IP4_CONFIG2_POLICY policy)
{
	EFI_STATUS s = cfg->SetData(cfg, Ip4Config2DataTypePolicy, sizeof(policy), &policy);

	if (EFI_ERROR(s) && s != EFI_ABORTED)
		return efi_fail(s, policy == Ip4Config2PolicyDhcp ? "ip4: SetData(Policy = DHCP)"
								   : "ip4: SetData(Policy = static)");
	return 0;
}

/* EFI_IP4_CONFIG2 on the NIC's handle, where edk2's Ip4Dxe installs it. */
static int ip4_protocol(EFI_HANDLE nic, EFI_IP4_CONFIG2_PROTOCOL **cfg)
{
	EFI_STATUS s = BS->HandleProtocol(nic, &ip4_config2_guid, (void **)cfg);

	return EFI_ERROR(s) ? efi_fail(s, "ip4: HandleProtocol(EFI_IP4_CONFIG2)") : 0;
}

/* Look for an address every IP4_POLL_MS until one appears or timeout_ms pass. */
static int ip4_wait(EFI_IP4_CONFIG2_PROTOCOL *cfg, uint32_t timeout_ms, EFI_IPv4_ADDRESS *addr)
{
	uint64_t start = clock_ms();
	int rc;

	for (;;) {
		rc = ip4_address(cfg, addr);
		if (rc || ip4_is_set(addr))
			return rc;
		if (clock_ms() - start >= timeout_ms)
			return log_fail(STRATA_ENET, "ip4: no DHCP address after %u s",
					timeout_ms / 1000);
		clock_sleep_ms(IP4_POLL_MS);
	}
}

int ip4_config_dhcp(EFI_HANDLE nic, uint32_t timeout_ms, int *changed)
{
	EFI_IP4_CONFIG2_PROTOCOL *cfg;
	EFI_IP4_CONFIG2_POLICY policy;
	EFI_IPv4_ADDRESS addr = { { 0 } };
	uint64_t start = clock_ms();
	int rc;

	*changed = 0;
	rc = ip4_protocol(nic, &cfg);
	if (!rc)
		rc = ip4_policy(cfg, &policy);
	if (!rc)
		rc = ip4_address(cfg, &addr);
	if (rc)
		return rc;
	log_msg("ip4: policy %s, address %u.%u.%u.%u", policy_name(policy), addr.Addr[0],
		addr.Addr[1], addr.Addr[2], addr.Addr[3]);
	if (policy == Ip4Config2PolicyDhcp && ip4_is_set(&addr))
		return 0;
	rc = ip4_set_policy(cfg, Ip4Config2PolicyDhcp);
	if (rc)
		return rc;
	*changed = policy != Ip4Config2PolicyDhcp;
	rc = ip4_wait(cfg, timeout_ms, &addr);
	if (rc)
		return rc;
	log_msg("ip4: DHCP address %u.%u.%u.%u after %llu ms", addr.Addr[0], addr.Addr[1],
		addr.Addr[2], addr.Addr[3], (unsigned long long)(clock_ms() - start));
	return 0;
}

void ip4_config_static(EFI_HANDLE nic)
{
	EFI_IP4_CONFIG2_PROTOCOL *cfg;

	if (!ip4_protocol(nic, &cfg) && !ip4_set_policy(cfg, Ip4Config2PolicyStatic))
		log_msg("ip4: policy back to static");
}
