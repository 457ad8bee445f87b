/*
 * strata.efi's entry point: a short list of named steps.
 *
 * The agent proves its own build (selftest.c) and reads its arguments (args_load.c);
 * then it deploys the machine's manifest (agent.c), or, when the arguments ask for it
 * (selftest-fetch=), only proves its network layer (fetch_selftest.c).  Started with no
 * server at all (from a USB stick or a disk entry) it says so and returns to the firmware,
 * having written nothing.  finish() ends the run as then= says.
 */
#include <stddef.h>
#include <stdio.h>
#include <efi.h>
#include <efilib.h>
#include "agent.h"
#include "args_load.h"
#include "build_info.h"
#include "clock.h"
#include "efi_rc.h"
#include "fetch_selftest.h"
#include "log.h"
#include "rc.h"
#include "sb_state.h"
#include "selftest.h"

/* Copy a UCS-2 firmware string into ASCII for the log; anything else becomes '?'. */
static void ascii_from_ucs2(char *out, size_t cap, const CHAR16 *in)
{
	size_t n = 0;

	while (in && in[n] && n + 1 < cap) {
		out[n] = in[n] >= 0x20 && in[n] < 0x7f ? (char)in[n] : '?';
		n++;
	}
	out[n] = '\0';
}

/* Who we are and what we run on (Secure Boot included): the first lines of every log. */
static void banner(void)
{
	char vendor[64];

	ascii_from_ucs2(vendor, sizeof(vendor), ST->FirmwareVendor);
	log_msg("strata.efi: Strata UEFI agent on %s firmware rev 0x%x, UEFI %u.%u", vendor,
		ST->FirmwareRevision, ST->Hdr.Revision >> 16, ST->Hdr.Revision & 0xffff);
	log_msg("strata.efi: secure boot: %s", sb_state_name(sb_state_read()));
}

/*
 * The firmware arms a 5-minute watchdog before it starts a boot option (UEFI spec,
 * SetWatchdogTimer), and iPXE re-arms it only while its own loop runs: a long deployment
 * would reset the machine mid-write.  Failing to disarm is logged, not fatal.
 */
static void watchdog_disable(void)
{
	EFI_STATUS s = BS->SetWatchdogTimer(0, 0, 0, NULL);

	if (EFI_ERROR(s))
		efi_fail(s, "SetWatchdogTimer (disable)");
}

/** How long a failure stays on screen before the machine restarts (ms). */
#define FAIL_WAIT_MS 10000

/* End the run.  EfiResetShutdown makes QEMU exit with status 0, which tests rely on. */
static void power_off(int rc)
{
	log_msg("strata.efi: powering off");
	RT->ResetSystem(EfiResetShutdown, efi_status_from_rc(rc), 0, NULL);
}

/* The build's own check, first: a broken build must not touch the network or a disk. */
static int self_test(void)
{
	int rc = selftest_run();

	if (rc)
		log_msg("strata.efi: self-test FAILED [%s]", strata_strerror(rc));
	else
		log_msg("strata.efi: self-test ok (zlib %s, mbedtls %s)", strata_zlib_version,
			strata_mbedtls_version);
	return rc;
}

/* The network self-test, when the arguments ask for it (tests/e2e/efi-fetch.sh). */
static int network_self_test(const struct args *args, EFI_HANDLE image)
{
	int rc = fetch_selftest_run(args, image);

	if (rc)
		log_msg("strata.efi: fetch FAILED [%s]", strata_strerror(rc));
	return rc;
}

/* Wait so a person at the screen can read why, then hand back (see finish). */
static void show_failure(const struct agent *a, int rc)
{
	log_msg("strata.efi: FAILED: %s [%s]", a->why[0] ? a->why : "see above",
		strata_strerror(rc));
	log_msg("strata.efi: nothing unverified was written; the next network boot retries");
	clock_sleep_ms(FAIL_WAIT_MS);
}

/*
 * Started with no server: from a USB stick, a disk's boot entry, or a network boot that
 * passed nothing.  Say what was looked for, leave it on screen, and hand the PC back to the
 * firmware (its boot menu) unless the arguments asked for another ending.
 */
static int no_server(const struct args *args, enum args_then *then)
{
	log_msg("strata.efi: no Strata server: not started by a network boot and no server= "
		"given; nothing was written");
	log_msg("strata.efi: to deploy, network-boot this PC from strata-server (PXE, iPXE or "
		"UEFI HTTP Boot), or start strata.efi with server=URL");
	*then = args->then == ARGS_THEN_UNSET ? ARGS_THEN_EXIT : args->then;
	if (*then == ARGS_THEN_EXIT)
		clock_sleep_ms(FAIL_WAIT_MS);
	return 0;
}

/*
 * An interval capture's orders say then=local: the PC was on its way to its own disk, so
 * after the capture (done or failed: a failure is reported and ends the task, and the user
 * still gets the PC) it goes there, the way a run with nothing pending does: back to the
 * firmware's next boot option, with a failure status (see deploy).  Returns the status.
 */
static int local_disk(int rc, enum args_then *then)
{
	log_msg("strata.efi: the orders say then=local: booting the local disk");
	*then = ARGS_THEN_EXIT;
	return rc ? rc : STRATA_ENOENT;
}

/*
 * A restore the layout check started (check=yes, nothing pending) failed: hand the PC to
 * the firmware's next boot option, as a run with nothing pending does, rather than reboot
 * into the same check and fail again for ever.  The failure is reported; the next network
 * boot tries again.  Returns the status.
 */
static int restore_failed(int rc, enum args_then *then)
{
	log_msg("strata.efi: the restore failed: handing the PC to the firmware");
	*then = ARGS_THEN_EXIT;
	return rc;
}

/* Deploy, report the outcome, and say it in one clear final line. */
/* The final report's text: the site store's failure, and how much came by multicast
 * (mc= and rep=, MB) or why multicast was unavailable.  Into buf (cap bytes, the
 * caller's), returned. */
static const char *deployed_msg(const struct agent *a, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "deployed%s", a->site_failed ? "; the site store failed, "
			 "the central server's store was used" : "");

	if (n > 0 && (size_t)n < cap && a->bytes_mc)
		snprintf(buf + n, cap - (size_t)n, "; mc=%llu rep=%llu",
			 (unsigned long long)(a->bytes_mc >> 20),
			 (unsigned long long)(a->bytes_fetched >> 20));
	else if (n > 0 && (size_t)n < cap && a->mc_off)
		snprintf(buf + n, cap - (size_t)n, "; %s", a->mc_off);
	return buf;
}

static int deploy(const struct args *args, EFI_HANDLE image, enum args_then *then)
{
	static struct agent a;
	char msg[160];
	int rc;

	a.args = *args;
	rc = agent_run(&a, image);
	if (rc == 1) {
		agent_done(&a);
		log_msg("strata.efi: nothing to do; booting the local disk");
		*then = ARGS_THEN_EXIT;     /* the firmware's next boot option: the disk */
		/* Not success: a boot manager whose option succeeds stops there and shows its
		 * menu (EDK II does); a failed option makes it try the next one, the disk. */
		return STRATA_ENOENT;
	}
	if (rc == 0 && a.orders.capture) {
		agent_report(&a, "ok", a.bytes_fetched, a.bytes_fetched, "captured");
		log_msg("strata.efi: capture complete: %llu bytes uploaded, %llu ms",
			(unsigned long long)a.bytes_fetched,
			(unsigned long long)(clock_ms() - a.start_ms));
	} else if (rc == 0) {
		agent_report(&a, "ok", a.bytes_fetched, a.bytes_fetched, deployed_msg(&a, msg, sizeof(msg)));
		if (a.bytes_mc || a.mc_off)
			log_msg("strata.efi: %llu MB by multicast, %llu MB by repair or unicast%s%s",
				(unsigned long long)(a.bytes_mc >> 20),
				(unsigned long long)(a.bytes_fetched >> 20), a.mc_off ? "; " : "",
				a.mc_off ? a.mc_off : "");
		log_msg("strata.efi: deployment complete: manifest version %llu, %llu chunks "
			"fetched (%llu bytes), %llu already in place, %llu ms",
			(unsigned long long)a.m.version, (unsigned long long)a.chunks_fetched,
			(unsigned long long)a.bytes_fetched, (unsigned long long)a.chunks_kept,
			(unsigned long long)(clock_ms() - a.start_ms));
	} else {
		if (a.f)
			agent_report(&a, "failed", a.bytes_fetched, 0, a.why);
		show_failure(&a, rc);
	}
	agent_done(&a);
	fetch_close(a.f);
	if (rc && a.restoring)
		return restore_failed(rc, then);
	return a.orders.then_local ? local_disk(rc, then) : rc;
}

/* Every step in order; the first failure ends the run.  *then says how to end it. */
static int run(EFI_HANDLE image, enum args_then *then)
{
	struct args args;
	int rc;

	*then = ARGS_THEN_EXIT;         /* until the arguments say otherwise */
	rc = self_test();
	if (rc)
		return rc;
	rc = args_load(&args, image);
	if (rc)
		return rc;
	if (args.selftest_fetch[0]) {
		/* A test asked for it: power off after, unless then= says otherwise. */
		*then = args.then == ARGS_THEN_UNSET ? ARGS_THEN_POWEROFF : args.then;
		return network_self_test(&args, image);
	}
	if (!args.server[0])
		return no_server(&args, then);
	*then = args.then == ARGS_THEN_UNSET ? ARGS_THEN_REBOOT : args.then;
	return deploy(&args, image, then);
}

/*
 * How the run ends: a cold reset boots what was written (or, after a failure, retries
 * from the network once the server is mended); exit hands back to iPXE's script or the
 * boot manager (a success shows EDK II's boot menu); power-off is for tests that ask for
 * it with then=poweroff.
 */
static EFI_STATUS finish(int rc, enum args_then then)
{
	if (then == ARGS_THEN_EXIT) {
		log_msg("strata.efi: returning to the firmware");
		return efi_status_from_rc(rc);
	}
	if (then == ARGS_THEN_REBOOT) {
		log_msg("strata.efi: rebooting");
		RT->ResetSystem(EfiResetCold, efi_status_from_rc(rc), 0, NULL);
	}
	power_off(rc);
	return efi_status_from_rc(rc);
}

/* No gnu-efi header declares the entry point; crt0 calls it by name. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

/*
 * Called by gnu-efi's crt0 after relocation, with the SysV calling convention: it must not
 * be EFIAPI.  Returns (the outcome, as a status) only if the firmware ignores the shutdown.
 */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	enum args_then then;
	int rc;

	InitializeLib(image, systab);
	log_init();
	clock_init();
	watchdog_disable();
	banner();
	rc = run(image, &then);
	return finish(rc, then);
}
