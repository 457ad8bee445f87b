/*
 * The iPXE scripts of pxe/, compiled in (the build turns each pxe/NAME.ipxe into the string
 * pxe_NAME_ipxe), so a deployed strata-server cannot serve scripts out of step with itself.
 */
#ifndef STRATA_PXE_SCRIPTS_H
#define STRATA_PXE_SCRIPTS_H

extern const char pxe_boot_ipxe[];
extern const char pxe_deploy_ipxe[];
extern const char pxe_local_ipxe[];
extern const char pxe_check_ipxe[];
extern const char pxe_enroll_ipxe[];

#endif /* STRATA_PXE_SCRIPTS_H */
