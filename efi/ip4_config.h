/*
 * Bring a NIC's IPv4 up through the firmware's EFI_IP4_CONFIG2_PROTOCOL, for the EFI_HTTP
 * back-end (fetch_http.c).
 *
 * Why: EFI_HTTP configured with UseDefaultAddress uses the address IP4_CONFIG2 holds, and
 * edk2 starts every NIC with the static policy and no address.  UEFI HTTP Boot does its
 * DHCP on a private DHCP4 child and gives its own HTTP instance explicit addresses, so the
 * interface may still have none when the booted app starts.  The DHCP policy makes the
 * firmware acquire (and keep renewing) an address for the interface.
 */
#ifndef STRATA_EFI_IP4_CONFIG_H
#define STRATA_EFI_IP4_CONFIG_H

#include <stdint.h>
#include <efi.h>

/**
 * Make sure the IPv4 interface on nic has an address: keep it if the policy is already
 * DHCP and an address is there, else set the DHCP policy and wait up to timeout_ms for
 * one.  Logs the address it ends with.  *changed tells whether the policy was switched:
 * edk2 stores the policy in a non-volatile variable, so the caller puts it back with
 * ip4_config_static when done.  Returns 0, STRATA_ENET on timeout, or the failing call's
 * rc (logged); *changed is set on every path.
 */
int ip4_config_dhcp(EFI_HANDLE nic, uint32_t timeout_ms, int *changed);

/**
 * Set the static policy again (edk2's default), undoing ip4_config_dhcp's change to the
 * firmware's stored settings so the machine keeps the configuration it had.  The
 * interface loses its DHCP address.  Failures are logged, not returned: nothing can be
 * done about them at that point.
 */
void ip4_config_static(EFI_HANDLE nic);

#endif /* STRATA_EFI_IP4_CONFIG_H */
