/*
 * The iPXE back-end of fetch.h: iPXE's download protocol, present when iPXE chained us.
 *
 * The protocol (iPXE's include/ipxe/efi/efi_download.h; declared here from its published
 * interface) is three EFIAPI functions: Start opens a URL and returns at once, Poll runs
 * iPXE's main loop once, Abort stops a download.  Data and the end of the download reach
 * us only inside Poll, through EFIAPI callbacks.  Quirks handled here, all seen with
 * Debian's iPXE 1.0.0+git-20190125:
 *   - the size hint is two zero-length data callbacks, offset = size then offset = 0;
 *   - no request headers can be sent, so no Range: a retry re-reads from byte 0 and the
 *     sink (fetch.c) drops what was already delivered;
 *   - after a download the app is left at TPL_CALLBACK (fixed upstream in 2020), where
 *     WaitForEvent fails: ipxe_restore_tpl puts it back.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "clock.h"
#include "efi_rc.h"
#include "fetch_impl.h"
#include "log.h"
#include "rc.h"

/** Give up on a download that delivered nothing for this long.  iPXE's own TCP gives up
 *  on a dead peer too, but not on a live server that stalls. */
#define IPXE_IDLE_TIMEOUT_MS 60000

#define IPXE_DOWNLOAD_PROTOCOL_GUID \
	{ 0x3eaeaebd, 0xdecf, 0x493b, { 0x9b, 0xd1, 0xcd, 0xb2, 0xde, 0xca, 0xe7, 0x19 } }

struct ipxe_download_protocol;
/** iPXE's token for an open download, for Abort. */
typedef VOID *IPXE_DOWNLOAD_FILE;

/** Data arrived: Length bytes at FileOffset.  Anything but EFI_SUCCESS aborts. */
typedef EFI_STATUS(EFIAPI *IPXE_DOWNLOAD_DATA_CALLBACK)(VOID *Context, VOID *Buffer,
							UINTN BufferLength, UINTN FileOffset);
/** The download ended, with Status (EFI_NOT_FOUND for a 404). */
typedef VOID(EFIAPI *IPXE_DOWNLOAD_FINISH_CALLBACK)(VOID *Context, EFI_STATUS Status);

/** iPXE's download protocol: the three functions, in this order. */
struct ipxe_download_protocol {
	EFI_STATUS(EFIAPI *Start)(struct ipxe_download_protocol *This, CHAR8 *Url,
				  IPXE_DOWNLOAD_DATA_CALLBACK DataCallback,
				  IPXE_DOWNLOAD_FINISH_CALLBACK FinishCallback, VOID *Context,
				  IPXE_DOWNLOAD_FILE *File);
	EFI_STATUS(EFIAPI *Abort)(struct ipxe_download_protocol *This, IPXE_DOWNLOAD_FILE File,
				  EFI_STATUS Status);
	EFI_STATUS(EFIAPI *Poll)(struct ipxe_download_protocol *This);
};

/** The back-end's state.  Owned by the fetcher. */
struct ipxe_fetcher {
	struct ipxe_download_protocol *dl;
	EFI_HANDLE device;        /**< the image's device: where uploads find their NIC */
	struct fetcher up;        /**< EFI_HTTP for uploads, opened at the first POST */
	int up_open;              /**< up is open */
};

/** One attempt, shared with the callbacks (on ipxe_get's stack). */
struct ipxe_download {
	struct fetch_sink *sink;
	uint64_t size_hint;     /**< largest offset of a zero-length callback; 0: none */
	int size_reported;      /**< whether fetch_sink_size has been told */
	int finished;           /**< the finish callback ran */
	EFI_STATUS status;      /**< its status */
	int rc;                 /**< the first failure on our side (sink or callback) */
	uint64_t last_data_ms;  /**< clock_ms of the last callback, for the idle timeout */
};

/*
 * Debian's iPXE leaves the app at TPL_CALLBACK after a download (efi_snp_claim/release
 * imbalance, fixed upstream in 2020).  Raising to TPL_HIGH_LEVEL returns the current level;
 * restoring to TPL_APPLICATION then lowers it whatever it was.  Harmless when iPXE behaved.
 */
static void ipxe_restore_tpl(void)
{
	static int reported;
	EFI_TPL was = BS->RaiseTPL(TPL_HIGH_LEVEL);

	BS->RestoreTPL(TPL_APPLICATION);
	if (was != TPL_APPLICATION && !reported) {
		reported = 1;
		log_msg("fetch: iPXE left the TPL at %u after a download; restored to %u",
			(unsigned int)was, (unsigned int)TPL_APPLICATION);
	}
}

/* Tell the sink the size, once, before the first byte (0: iPXE gave no hint). */
static int ipxe_report_size(struct ipxe_download *d)
{
	if (d->size_reported)
		return 0;
	d->size_reported = 1;
	return d->size_hint ? fetch_sink_size(d->sink, d->size_hint) : 0;
}

/* iPXE's data callback (runs inside Poll). */
static EFI_STATUS EFIAPI ipxe_on_data(VOID *ctx, VOID *buf, UINTN len, UINTN offset)
{
	struct ipxe_download *d = ctx;
	int rc;

	d->last_data_ms = clock_ms();
	if (!len) {
		/* The size hint: offset = size, then offset = 0.  Keep the larger. */
		if (offset > d->size_hint)
			d->size_hint = offset;
		return EFI_SUCCESS;
	}
	rc = ipxe_report_size(d);
	if (!rc)
		rc = fetch_sink_data(d->sink, offset, buf, len);
	if (rc) {
		d->rc = rc;
		return EFI_ABORTED;
	}
	return EFI_SUCCESS;
}

/* iPXE's finish callback (runs inside Poll, or inside Abort). */
static VOID EFIAPI ipxe_on_finish(VOID *ctx, EFI_STATUS status)
{
	struct ipxe_download *d = ctx;

	d->finished = 1;
	d->status = status;
}

/* Poll until the download finishes; abort it when it goes quiet for too long. */
static void ipxe_wait(struct ipxe_fetcher *x, struct ipxe_download *d,
		      IPXE_DOWNLOAD_FILE file, const char *url)
{
	while (!d->finished) {
		x->dl->Poll(x->dl);
		if (d->finished || clock_ms() - d->last_data_ms < IPXE_IDLE_TIMEOUT_MS)
			continue;
		d->rc = log_fail(STRATA_ENET, "fetch: %s: no data for %u s", url,
				 IPXE_IDLE_TIMEOUT_MS / 1000);
		/* Abort calls the finish callback before it returns (iPXE efi_download_close). */
		x->dl->Abort(x->dl, file, EFI_TIMEOUT);
		d->finished = 1;
	}
}

/* The attempt's rc from how it finished.  A 404 is STRATA_ENOENT, never retried. */
static int ipxe_outcome(struct ipxe_download *d, const char *url)
{
	char what[160];

	if (d->rc)
		return d->rc;
	if (d->status == EFI_NOT_FOUND)
		return log_fail(STRATA_ENOENT, "fetch: %s: not found (HTTP 404)", url);
	if (EFI_ERROR(d->status)) {
		snprintf(what, sizeof(what), "fetch: %s: iPXE download", url);
		return efi_fail(d->status, what);
	}
	return ipxe_report_size(d);
}

/* One attempt (fetch_backend.get).  Always from byte 0: iPXE cannot send Range. */
static int ipxe_get(void *priv, const char *url, struct fetch_sink *sink)
{
	struct ipxe_fetcher *x = priv;
	struct ipxe_download d = { .sink = sink, .last_data_ms = clock_ms() };
	IPXE_DOWNLOAD_FILE file = NULL;
	char what[160];
	EFI_STATUS s;

	fetch_sink_begin(sink, 0);
	/* iPXE copies the URL; its prototype just lacks the const. */
	s = x->dl->Start(x->dl, (CHAR8 *)url, ipxe_on_data, ipxe_on_finish, &d, &file);
	if (EFI_ERROR(s)) {
		ipxe_restore_tpl();
		snprintf(what, sizeof(what), "fetch: %s: iPXE Start", url);
		return efi_fail(s, what);
	}
	ipxe_wait(x, &d, file, url);
	ipxe_restore_tpl();
	return ipxe_outcome(&d, url);
}

/*
 * fetch_backend.post: iPXE's download protocol has no other method than GET, so an upload
 * goes through the firmware's EFI_HTTP on the same NIC (fetch_http.c), opened at the first
 * POST and kept.  Never while an iPXE download is open: ipxe_get returns only once its
 * download finished, and fetch runs one request at a time.  After firmware PXE loaded
 * snponly.efi, iPXE holds the NIC exclusively and the firmware's HTTP stack is gone: the
 * open fails with STRATA_ENOTSUP, and Strata's proxyDHCP avoids that path for a capture
 * (it hands firmware PXE strata.efi itself, docs/capture.md).
 */
static int ipxe_post(void *priv, const char *url, const struct fetch_body *b,
		     struct fetch_sink *sink)
{
	struct ipxe_fetcher *x = priv;
	int rc;

	if (!x->up_open) {
		rc = fetch_http_open(&x->up, x->device);
		if (rc == STRATA_ENOTSUP)
			return log_fail(rc, "fetch: POST %s: iPXE cannot upload, and the firmware's "
					"HTTP service is not on this NIC (iPXE loaded by firmware "
					"PXE holds it): network-boot the PC from strata-server's "
					"proxyDHCP, which hands it strata.efi itself", url);
		if (rc)
			return rc;
		x->up_open = 1;
		log_msg("fetch: uploads go through the firmware's HTTP service beside iPXE");
	}
	return x->up.be->post(x->up.priv, url, b, sink);
}

/* fetch_backend.close: the protocol is iPXE's; our upload path and state are freed. */
static void ipxe_close(void *priv)
{
	struct ipxe_fetcher *x = priv;

	if (x->up_open)
		x->up.be->close(x->up.priv);
	strata_free(x);
}

/** The iPXE back-end's operations. */
static const struct fetch_backend ipxe_backend = {
	.name = "ipxe",
	.get = ipxe_get,
	.close = ipxe_close,
	.post = ipxe_post,
};

int fetch_ipxe_open(struct fetcher *f, EFI_HANDLE device)
{
	static EFI_GUID guid = IPXE_DOWNLOAD_PROTOCOL_GUID;
	struct ipxe_download_protocol *dl = NULL;
	struct ipxe_fetcher *x;
	const char *where = "on the image's device";

	/* iPXE installs it on the handle it chained us from; LocateProtocol covers a loader
	 * in between (a shim, a boot manager) that hides that handle. */
	if (!device || EFI_ERROR(BS->HandleProtocol(device, &guid, (void **)&dl))) {
		where = "by LocateProtocol";
		if (EFI_ERROR(BS->LocateProtocol(&guid, NULL, (void **)&dl)))
			return STRATA_ENOTSUP;
	}
	x = strata_alloc(sizeof(*x));
	if (!x)
		return log_fail(STRATA_ENOMEM, "fetch: no memory for the iPXE back-end");
	memset(x, 0, sizeof(*x));
	x->dl = dl;
	x->device = device;
	f->be = &ipxe_backend;
	f->priv = x;
	log_msg("fetch: iPXE download protocol found %s", where);
	return 0;
}
