/*
 * The deployment, as a list of steps (agent_run):
 *   key       -> load or make the machine key, prove it to the server and open this
 *                boot's session; a PC whose key differs from the pinned one stops here
 *                until an admin accepts it, and one with no key pinned has no order
 *   orders    -> ask /agent/MAC (signed) whether anything is pending
 *   check     -> nothing pending, check=yes: the manifest, and does the disk hold its
 *                layout (agent_check.h)?  A blank disk, or the machine's own table
 *                lacking a partition, goes on to restore; any other disk is left alone
 *   manifest  -> fetch (signed), verify the signature with the built-in key, refuse an
 *                old version
 *   disk      -> the first fixed disk large enough for the layout, else the largest
 *   plan      -> the whole deployment against that disk (core/disk_fit.h): the GPT, and
 *                every layer it will write (their indexes fetched now) inside the extent
 *                its partition gets; a disk too small says by how much, per partition
 *   table     -> make the GPT match, never moving or overwriting a preserved partition
 *   layers    -> each write partition, and each restore partition that is missing
 *   done      -> flush, remember the version, report success
 * Every per-machine request (orders, manifest, reports) carries the session's tag
 * (agent_session.c).  Nothing is written before the manifest is verified and the layout is
 * known to be safe.
 */
#include <efi.h>
#include <efilib.h>
#include <stdio.h>
#include <string.h>
#include "agent.h"
#include "agent_check.h"
#include "alloc.h"
#include "capture_agent.h"
#include "clock.h"
#include "crypto.h"
#include "disk_fit.h"
#include "fetch_buf.h"
#include "fetch_open.h"
#include "gpt_disk.h"
#include "log.h"
#include "nvram.h"
#include "pubkey.h"
#include "rc.h"
#include "sb_state.h"
#include "text.h"
#include "url.h"

static struct strata_gpt_table have;   /* ~17 KiB: static, not on the stack */

/* Record why the run failed (first reason wins) and return rc. */
static int fail(struct agent *a, int rc, const char *why)
{
	if (!a->why[0])
		snprintf(a->why, sizeof(a->why), "%s", why);
	return rc;
}

int agent_fail(struct agent *a, int rc, const char *why)
{
	return fail(a, rc, why);
}

static int discard(void *ctx, uint64_t offset, const void *data, size_t len, uint64_t size)
{
	return 0;
}

/* msg for a report, into out (cap bytes): '&', '=' and '+' become spaces.  iPXE decodes
 * the URL it sends, so an encoded one would arrive as a separator; a signed request may
 * not hold one encoded (core/session.h). */
static const char *report_text(char *out, size_t cap, const char *msg)
{
	size_t i = 0;

	for (; msg && msg[i] && i + 1 < cap; i++)
		out[i] = msg[i] == '&' || msg[i] == '=' || msg[i] == '+' ? ' ' : msg[i];
	out[i] = '\0';
	return out;
}

void agent_report(struct agent *a, const char *phase, uint64_t done, uint64_t total,
		  const char *msg)
{
	char url[ARGS_URL_MAX + 3 * sizeof(a->why) + 200 + STRATA_SESSION_SUFFIX_MAX];
	char m[3 * sizeof(a->why)], plain[sizeof(a->why)];
	int n;

	if (!a->has_session)
		return;
	url_encode(m, sizeof(m), report_text(plain, sizeof(plain), msg));
	n = snprintf(url, sizeof(url), "%s/report/%s?phase=%s&done=%llu&total=%llu&sb=%s&msg=%s",
		     a->args.server, a->mac, phase, (unsigned long long)done,
		     (unsigned long long)total, a->secure_boot ? a->secure_boot : "off", m);
	/* a multicast deployment: how its store bytes came so far (docs/multicast.md) */
	if (a->m.mc.on && n > 0 && (size_t)n < sizeof(url))
		snprintf(url + n, sizeof(url) - (size_t)n, "&mc=%llu&rep=%llu",
			 (unsigned long long)a->bytes_mc,
			 (unsigned long long)(a->bytes_fetched + a->fetching));
	if (agent_signed_get(a, url, sizeof(url), discard, NULL))
		log_msg("report: the server did not take our %s report", phase);
}

/* Ask the server for our orders (signed).  1 = nothing to do. */
static int orders(struct agent *a)
{
	char url[ARGS_URL_MAX + 64 + STRATA_SESSION_SUFFIX_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	snprintf(url, sizeof(url), "%s/agent/%s", a->args.server, a->mac);
	rc = agent_signed_buffer(a, url, sizeof(url), 512, &buf, &len);
	if (rc)
		return fail(a, rc, "cannot ask the server for this machine's orders");
	rc = orders_parse(&a->orders, (char *)buf);
	strata_free(buf);
	if (rc < 0)
		return fail(a, rc, "unknown capture kind");
	if (rc == 1)
		log_msg("strata.efi: nothing pending for %s", a->mac);
	return rc;
}

/* Prove the machine key to the server and open the session.  A key the server has not
 * pinned means no pending order (trust on first use needs one): nothing to do.  A key that
 * differs from the pinned one ends the run before any write. */
static int machine_key(struct agent *a)
{
	static const char *const said[] = {
		[KEY_PINNED] = "pinned by the server (first use)", [KEY_KNOWN] = "known to the server",
		[KEY_UNPINNED] = "not pinned (no pending order)", [KEY_DIFFERS] = "differs",
	};
	enum key_verdict v;
	char name[KEY_NAME_MAX];
	int rc = agent_register(a, &v, name, sizeof(name));

	if (rc == STRATA_ENOENT) {
		/* The nonce's 404: no machine has this MAC (a retired one, or an unknown one
		 * under `default local`).  Nothing can be pending, so hand the PC to its disk as
		 * the server's boot script does; a reboot would come back here for ever. */
		log_msg("strata.efi: the server knows no machine %s: nothing pending", a->mac);
		return 1;
	}
	if (rc)
		return rc;
	log_msg("machine key: %s", said[v]);
	if (v == KEY_UNPINNED) {
		log_msg("strata.efi: nothing pending for %s", a->mac);
		return 1;
	}
	if (v != KEY_DIFFERS)
		return 0;
	log_msg("%s: this PC's key differs from the one the server pinned; an admin must accept "
		"it: POST /api/accept-key/%s", name, name);
	return fail(a, STRATA_EACCES, "this PC's key differs from the pinned one; an admin must "
		    "accept it");
}

/* Fetch, parse and verify the manifest; refuse one older than the last applied. */
static int manifest(struct agent *a)
{
	struct strata_diag diag = { 0 };
	char url[ARGS_URL_MAX + 64 + STRATA_SESSION_SUFFIX_MAX];
	uint8_t *buf;
	size_t len;
	uint64_t last;
	int rc;

	snprintf(url, sizeof(url), "%s/manifest/%s", a->args.server, a->mac);
	rc = agent_signed_buffer(a, url, sizeof(url), STRATA_MANIFEST_MAX, &buf, &len);
	if (rc)
		return fail(a, log_fail(rc, "manifest: cannot fetch %s/manifest/%s", a->args.server,
					a->mac), "cannot fetch the manifest");
	rc = strata_manifest_parse(&a->m, (char *)buf, len, &diag);
	if (rc == 0)
		rc = strata_manifest_verify(&a->m, (char *)buf, strata_pubkey, strata_pubkey_len,
					    &diag);
	strata_free(buf);
	if (rc)
		return fail(a, log_fail(rc, "manifest: line %llu: %s", (unsigned long long)diag.where,
					diag.msg), diag.msg);
	last = nvram_last_version();
	rc = strata_manifest_check_version(&a->m, last, &diag);
	if (rc)
		return fail(a, log_fail(rc, "manifest: version %llu for %s is older than version "
					"%llu, the last applied here; refusing it",
					(unsigned long long)a->m.version, a->m.machine,
					(unsigned long long)last), diag.msg);
	log_msg("manifest: version %llu for %s verified (%u partitions)",
		(unsigned long long)a->m.version, a->m.machine, a->m.nparts);
	return 0;
}

/* The store public layers come from: the manifest's site store, else the server's. */
static int choose_store(struct agent *a)
{
	const char *root = a->m.store[0] ? a->m.store : a->args.server;
	const char *tail = a->m.store[0] ? "" : "/store";

	if ((size_t)snprintf(a->store, sizeof(a->store), "%s%s", root, tail) >= sizeof(a->store))
		return fail(a, log_fail(STRATA_ERANGE, "store: URL %s%s too long", root, tail),
			    "store URL too long");
	if (a->m.store[0])
		log_msg("store: this machine's site store %s (the server's if it fails)", a->store);
	return 0;
}

int agent_store_fallback(struct agent *a, const char *why)
{
	char msg[ARGS_URL_MAX + 160];

	if (!a->m.store[0] || a->site_failed)
		return 0;
	a->site_failed = 1;
	snprintf(a->store, sizeof(a->store), "%s/store", a->args.server);
	snprintf(msg, sizeof(msg), "site store %s failed (%s): falling back to the central "
		 "server %s", a->m.store, why, a->store);
	log_msg("store: %s", msg);
	agent_report(a, "progress", 0, 0, msg);
	return 1;
}

/* The layout's minimum disk: the manifest's min-size, or the end of its last partition. */
static uint64_t min_disk(const struct strata_manifest *m)
{
	const struct strata_part *last = &m->parts[m->nparts - 1];
	uint64_t end = last->start + (last->size ? last->size : 4096) + (1u << 20);

	return m->min_disk > end ? m->min_disk : end;
}

/* The plan failed for the disk's size or a layer's: say it all, line by line on screen,
 * in one line for the report (who: the manifest's machine, else the MAC). */
static int misfit(struct agent *a, int rc, const struct strata_fit *fit)
{
	char text[1024];
	const char *who = a->m.machine[0] ? a->m.machine : a->mac;
	char *line = text;

	strata_fit_message(fit, &a->m, who, "\n", text, sizeof(text));
	for (char *c = text;; c++) {
		if (*c && *c != '\n')
			continue;
		if (!*c) {
			log_msg("plan: %s", line);
			break;
		}
		*c = '\0';
		log_msg("plan: %s", line);
		line = c + 1;
	}
	log_msg("plan: nothing was written to %s", a->disk.name);
	strata_fit_message(fit, &a->m, who, "; ", text, sizeof(text));
	return fail(a, rc, text);
}

/* The whole deployment against the disk before any write: plan the layout, fetch the index
 * of every layer it will write (a restore partition only when the disk lacks it), and
 * check them all together (disk_fit.h).  Fills a->plan. */
static int plan(struct agent *a)
{
	struct strata_fit fit;
	uint64_t bytes[STRATA_MAX_PARTS] = { 0 };
	struct strata_diag diag = { 0 };
	int rc = strata_gpt_plan(&a->m, a->disk.bytes, a->disk.block_size, &a->plan, &diag);
	int planned = rc == 0, mrc;

	for (unsigned int i = 0; i < a->m.nparts && (!rc || rc == STRATA_ENOSPC); i++)
		if (strata_fit_writes(&a->m, i, &have, planned ? &a->plan : NULL) &&
		    (mrc = layer_measure(a, i, &bytes[i])))
			return fail(a, mrc, "a layer's index could not be fetched (see the log)");
	rc = strata_disk_fit(&a->m, bytes, a->disk.bytes, a->disk.block_size, &fit, &a->plan,
			     &diag);
	if (rc && (fit.nfaults || fit.needs > fit.disk_bytes))
		return misfit(a, rc, &fit);
	if (rc)
		return fail(a, log_fail(rc, "gpt: partition %llu: %s", (unsigned long long)diag.where,
					diag.msg), diag.msg);
	return 0;
}

/* Find the disk, plan the deployment on it and make the disk hold its table. */
static int table(struct agent *a, EFI_HANDLE image)
{
	int rc, have_rc;

	rc = disk_find(&a->disk, min_disk(&a->m), image);
	if (rc)
		return fail(a, rc, "no suitable disk");
	have_rc = gpt_disk_read(&a->disk, &have);
	if (have_rc)
		have.nparts = 0;          /* no usable old table: every partition is new */
	rc = plan(a);
	if (rc)
		return rc;
	rc = gpt_disk_apply(&a->disk, &a->m, &a->plan, &have, have_rc);
	if (rc)
		return fail(a, rc, "the partition layout would touch preserved data");
	return 0;
}

/* A restore partition the disk already has: never overwritten, whatever it holds (an
 * encrypted, unknown or damaged filesystem too; docs/restore.md), and said to the server
 * so the admin sees it in the machine's reports. */
static void left_alone(struct agent *a, const struct strata_part *p)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "part %u (%s): present; not restored (left as it is)",
		 p->num, p->label);
	log_msg("%s", msg);
	agent_report(a, "progress", 0, 0, msg);
}

/* Every layer, with the machine's cores started for their hashing and inflating. */
static int layers(struct agent *a)
{
	int rc = 0;

	mp_start(&a->cores);
	for (unsigned int i = 0; i < a->m.nparts; i++) {
		const struct strata_part *p = &a->m.parts[i];

		if (p->policy == STRATA_POLICY_PRESERVE) {
			log_msg("part %u (%s): preserved", p->num, p->label);
			continue;
		}
		if (p->policy == STRATA_POLICY_RESTORE &&
		    strata_gpt_part_exists(&have, &a->plan.parts[i])) {
			left_alone(a, p);
			continue;
		}
		log_msg("part %u (%s): deploying its layer", p->num, p->label);
		rc = layer_deploy(a, i);
		if (rc)
			break;
	}
	mp_stop(&a->cores);
	return rc ? fail(a, rc, "a layer could not be deployed (see the log)") : 0;
}

/* check=yes with nothing pending: fetch the manifest and check the disk (agent_check.h).
 * 0 when the deployment must run (a->restoring), else 1: a check that fails hands the PC
 * to its disk as it is, logged, since a reboot would only run the same check again. */
static int check(struct agent *a, EFI_HANDLE image)
{
	int rc = manifest(a);

	if (rc == 0)
		rc = agent_check(a, image, min_disk(&a->m), &have);
	if (rc < 0) {
		log_msg("strata.efi: the layout check failed [%s]; booting the local disk as it is",
			strata_strerror(rc));
		a->why[0] = '\0';
		return 1;
	}
	a->restoring = rc == 0;
	return rc;
}

/* Without a mac= argument (UEFI HTTP Boot), the NIC we were booted from names us. */
static void mac_from_device(struct agent *a, EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	EFI_DEVICE_PATH *dp;

	if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li)))
		return;
	for (dp = DevicePathFromHandle(li->DeviceHandle); dp && !IsDevicePathEnd(dp);
	     dp = NextDevicePathNode(dp)) {
		if (DevicePathType(dp) == MESSAGING_DEVICE_PATH &&
		    DevicePathSubType(dp) == MSG_MAC_ADDR_DP) {
			const UINT8 *m = ((MAC_ADDR_DEVICE_PATH *)dp)->MacAddress.Addr;

			snprintf(a->mac, sizeof(a->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0],
				 m[1], m[2], m[3], m[4], m[5]);
			return;
		}
	}
}

/* The SMBIOS system UUID (type 1), the machine's identity besides its MAC, for the log
 * and the server's report: it survives a NIC swap.  Left empty when absent. */
static void smbios_uuid(struct agent *a)
{
	EFI_GUID g;
	CHAR8 *serial = NULL;

	if (EFI_ERROR(LibGetSmbiosSystemGuidAndSerialNumber(&g, &serial)))
		return;
	snprintf(a->uuid, sizeof(a->uuid), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 g.Data1, g.Data2, g.Data3, g.Data4[0], g.Data4[1], g.Data4[2], g.Data4[3],
		 g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7]);
}

int agent_run(struct agent *a, EFI_HANDLE image)
{
	int rc;

	a->image = image;
	snprintf(a->mac, sizeof(a->mac), "%s", a->args.mac);
	if (!a->mac[0])
		mac_from_device(a, image);
	if (!a->mac[0])
		return fail(a, log_fail(STRATA_EINVAL, "strata.efi: no MAC address to ask for"),
			    "no MAC address");
	smbios_uuid(a);
	log_msg("identity: MAC %s, SMBIOS UUID %s", a->mac, a->uuid[0] ? a->uuid : "(none)");
	a->secure_boot = sb_state_name(sb_state_read());   /* logged by main.c's banner */
	rc = fetch_open(&a->f, image);
	if (rc)
		return fail(a, rc, "no network");
	rc = machine_key(a);
	if (rc == 0)
		rc = orders(a);
	if (rc == 1 && a->args.check)
		rc = check(a, image);
	if (rc)
		return rc;
	a->start_ms = clock_ms();
	{
		char msg[64];

		snprintf(msg, sizeof(msg), "started uuid=%s", a->uuid[0] ? a->uuid : "none");
		agent_report(a, "progress", 0, 0, msg);
	}
	if (a->orders.capture)
		return capture_run(a, image);
	rc = a->restoring ? 0 : manifest(a);
	if (rc == 0 && (rc = choose_store(a)) == 0 && (rc = table(a, image)) == 0)
		rc = layers(a);
	layers_forget(a);
	if (rc)
		return rc;
	rc = disk_flush(&a->disk);
	if (rc)
		return fail(a, rc, "the disk did not flush");
	nvram_set_last_version(a->m.version);
	return 0;
}
