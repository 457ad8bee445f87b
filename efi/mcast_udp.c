/* The multicast receiver's UDP4 child (see mcast_udp.h). */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include <string.h>
#include "alloc.h"
#include "clock.h"
#include "efi_rc.h"
#include "ip4_config.h"
#include "log.h"
#include "mcast.h"
#include "mcast_udp.h"
#include "rc.h"

/** Receive tokens posted at once: the firmware queues datagrams behind them anyway. */
#define MCAST_TOKENS 32
/** The largest datagram taken: one Ethernet frame's UDP payload. */
#define MCAST_DGRAM_MAX (STRATA_MC_HDR + STRATA_MC_PAYLOAD_MAX)
/** How long the interface may take to get an address. */
#define MCAST_DHCP_MS 30000
/** How long Configure may answer EFI_NO_MAPPING (no address yet). */
#define MCAST_MAPPING_MS 30000

static EFI_GUID udp_sb_guid = EFI_UDP4_SERVICE_BINDING_PROTOCOL;
static EFI_GUID udp_guid = EFI_UDP4_PROTOCOL;

/** One receive token and its completion flag. */
struct mcast_token {
	EFI_UDP4_COMPLETION_TOKEN tok;
	volatile BOOLEAN done;
	BOOLEAN posted;
};

struct mcast_udp {
	EFI_HANDLE nic, child;
	EFI_SERVICE_BINDING *sb;
	EFI_UDP4 *udp;
	EFI_UDP4_CONFIG_DATA cfg;
	EFI_IPv4_ADDRESS group;
	int joined, policy_changed;
	struct mcast_token t[MCAST_TOKENS];
	uint8_t buf[MCAST_DGRAM_MAX];
};

int mcast_udp_find(EFI_HANDLE image, EFI_HANDLE *nic)
{
	EFI_LOADED_IMAGE *li;
	EFI_DEVICE_PATH *dp;

	if (EFI_ERROR(BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&li)) ||
	    !li->DeviceHandle ||
	    EFI_ERROR(BS->HandleProtocol(li->DeviceHandle, &gEfiDevicePathProtocolGuid,
					 (void **)&dp)) ||
	    EFI_ERROR(BS->LocateDevicePath(&udp_sb_guid, &dp, nic)))
		return STRATA_ENOTSUP;
	return 0;
}

/* A token's notify function: runs at TPL_CALLBACK when the firmware completes it. */
static VOID EFIAPI on_token(EFI_EVENT event, VOID *ctx)
{
	struct mcast_token *t = ctx;

	t->done = TRUE;
}

/* Post token t for the next datagram. */
static int post_token(struct mcast_udp *u, struct mcast_token *t)
{
	EFI_STATUS s;

	t->done = FALSE;
	t->tok.Packet.RxData = NULL;
	s = u->udp->Receive(u->udp, &t->tok);
	t->posted = !EFI_ERROR(s);
	return EFI_ERROR(s) ? efi_fail(s, "mcast: UDP4 Receive") : 0;
}

/* Create the tokens' events and post them all. */
static int post_tokens(struct mcast_udp *u)
{
	for (int i = 0; i < MCAST_TOKENS; i++) {
		struct mcast_token *t = &u->t[i];
		EFI_STATUS s = BS->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, on_token, t,
					       &t->tok.Event);
		int rc;

		if (EFI_ERROR(s))
			return efi_fail(s, "mcast: CreateEvent for a UDP4 token");
		if ((rc = post_token(u, t)))
			return rc;
	}
	return 0;
}

/* Configure the child, waiting while the interface has no address yet. */
static int configure(struct mcast_udp *u)
{
	uint64_t start = clock_ms();
	EFI_STATUS s;

	while ((s = u->udp->Configure(u->udp, &u->cfg)) == EFI_NO_MAPPING &&
	       clock_ms() - start < MCAST_MAPPING_MS)
		clock_sleep_ms(100);
	return EFI_ERROR(s) ? efi_fail(s, "mcast: UDP4 Configure") : 0;
}

/* The child's settings: the session's port on the interface's own address, only the
 * server's datagrams from its port, no broadcast or promiscuous receive, no timeouts
 * (queued datagrams wait for us while a status report is under way). */
static void set_config(struct mcast_udp *u, const struct strata_multicast *mc,
		       const uint8_t server[4])
{
	u->cfg.AllowDuplicatePort = TRUE;
	u->cfg.TimeToLive = 1;
	u->cfg.DoNotFragment = TRUE;
	u->cfg.UseDefaultAddress = TRUE;
	u->cfg.StationPort = mc->port;
	memcpy(u->cfg.RemoteAddress.Addr, server, 4);
	u->cfg.RemotePort = (server[0] | server[1] | server[2] | server[3]) ? mc->port : 0;
	memcpy(u->group.Addr, mc->group, 4);
}

/* The child: created, configured, joined, its tokens posted.  On failure the caller's
 * mcast_udp_close undoes what was done. */
static int open_child(struct mcast_udp *u)
{
	EFI_STATUS s = u->sb->CreateChild(u->sb, &u->child);
	int rc;

	if (EFI_ERROR(s)) {
		u->child = NULL;
		return efi_fail(s, "mcast: UDP4 CreateChild");
	}
	s = BS->HandleProtocol(u->child, &udp_guid, (void **)&u->udp);
	if (EFI_ERROR(s))
		return efi_fail(s, "mcast: HandleProtocol(UDP4)");
	if ((rc = configure(u)))
		return rc;
	s = u->udp->Groups(u->udp, TRUE, &u->group);
	if (EFI_ERROR(s) && s != EFI_ALREADY_STARTED)
		return efi_fail(s, "mcast: UDP4 Groups (join)");
	u->joined = 1;
	return post_tokens(u);
}

int mcast_udp_open(struct mcast_udp **out, EFI_HANDLE nic, const struct strata_multicast *mc,
		   const uint8_t server[4])
{
	struct mcast_udp *u = strata_alloc(sizeof(*u));
	EFI_STATUS s;
	int rc;

	if (!u)
		return log_fail(STRATA_ENOMEM, "mcast: no memory for the UDP4 receiver");
	memset(u, 0, sizeof(*u));
	u->nic = nic;
	set_config(u, mc, server);
	s = BS->HandleProtocol(nic, &udp_sb_guid, (void **)&u->sb);
	if (EFI_ERROR(s)) {
		rc = efi_fail(s, "mcast: HandleProtocol(UDP4 service binding)");
		goto err_open;
	}
	rc = ip4_config_dhcp(nic, MCAST_DHCP_MS, &u->policy_changed);
	if (rc == 0)
		rc = open_child(u);
	if (rc)
		goto err_open;
	*out = u;
	return 0;

err_open:
	mcast_udp_close(u);
	return rc;
}

/* Copy a received datagram (possibly several fragments) into u->buf; its length, or 0
 * when it is longer than any datagram of a session (then it is dropped). */
static size_t gather(struct mcast_udp *u, const EFI_UDP4_RECEIVE_DATA *rx)
{
	size_t len = 0;

	if (rx->DataLength > sizeof(u->buf))
		return 0;
	for (UINT32 i = 0; i < rx->FragmentCount; i++) {
		const EFI_UDP4_FRAGMENT_DATA *f = &rx->FragmentTable[i];

		if (f->FragmentLength > sizeof(u->buf) - len)
			return 0;
		memcpy(u->buf + len, f->FragmentBuffer, f->FragmentLength);
		len += f->FragmentLength;
	}
	return len;
}

/* A completed token: its datagram to fn, its buffers back to the firmware, posted again. */
static int take(struct mcast_udp *u, struct mcast_token *t, mcast_dgram_fn *fn, void *ctx,
		uint32_t *got)
{
	EFI_UDP4_RECEIVE_DATA *rx = t->tok.Packet.RxData;
	size_t len = 0;
	int rc = 0;

	t->posted = FALSE;
	if (t->tok.Status == EFI_SUCCESS && rx) {
		len = gather(u, rx);
		BS->SignalEvent(rx->RecycleSignal);
	}
	if (len) {
		(*got)++;
		rc = fn(ctx, u->buf, len);
	}
	if (post_token(u, t) && rc == 0)
		rc = STRATA_ENET;
	return rc;
}

int mcast_udp_poll(struct mcast_udp *u, mcast_dgram_fn *fn, void *ctx, uint32_t budget,
		   uint32_t *got)
{
	int rc = 0;

	*got = 0;
	while (budget-- && rc == 0) {
		u->udp->Poll(u->udp);
		for (int i = 0; i < MCAST_TOKENS && rc == 0; i++)
			if (u->t[i].done)
				rc = take(u, &u->t[i], fn, ctx, got);
	}
	return rc;
}

void mcast_udp_close(struct mcast_udp *u)
{
	if (!u)
		return;
	if (u->udp) {
		u->udp->Cancel(u->udp, NULL);
		for (int i = 0; i < MCAST_TOKENS; i++)   /* arrived, never taken */
			if (u->t[i].done && u->t[i].tok.Status == EFI_SUCCESS &&
			    u->t[i].tok.Packet.RxData)
				BS->SignalEvent(u->t[i].tok.Packet.RxData->RecycleSignal);
		if (u->joined)
			u->udp->Groups(u->udp, FALSE, NULL);
		u->udp->Configure(u->udp, NULL);
	}
	if (u->child)
		u->sb->DestroyChild(u->sb, u->child);
	for (int i = 0; i < MCAST_TOKENS; i++)
		if (u->t[i].tok.Event)
			BS->CloseEvent(u->t[i].tok.Event);
	if (u->policy_changed)
		ip4_config_static(u->nic);
	strata_free(u);
}
