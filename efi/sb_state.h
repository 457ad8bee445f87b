/*
 * The PC's Secure Boot state, read from the firmware's global variables SecureBoot and
 * SetupMode (UEFI 2.10, 3.3), for strata.efi's report and strata-enroll.efi's checks.
 *
 * Why three states: "enforcing" (a PK is enrolled and SecureBoot is 1: the firmware runs
 * only images db allows), "setup" (no PK: anything runs, and db, KEK and PK can be written
 * without a signature from a PK, which is how strata-enroll.efi enrolls the lab's keys),
 * "off" (a PK is enrolled but the user turned Secure Boot off in the firmware menu, or the
 * firmware has no Secure Boot at all).  The server shows it per machine.
 */
#ifndef STRATA_EFI_SB_STATE_H
#define STRATA_EFI_SB_STATE_H

enum sb_state {
	SB_OFF = 0,
	SB_SETUP = 1,
	SB_ENFORCING = 2,
};

/** Read the state now.  A variable the firmware lacks counts as 0. */
enum sb_state sb_state_read(void);

/** "enforcing", "setup" or "off": the words of the report's sb= field. */
const char *sb_state_name(enum sb_state s);

#endif /* STRATA_EFI_SB_STATE_H */
