/*
 * The lab inventory: which machines exist, what each one's disk should hold, and what is
 * pending for it.  An administrator writes it and diffs it; strata-server reads it at start
 * and on SIGHUP.
 *
 *     # unknown machines boot their local disk (or: default profile=lab action=deploy)
 *     default local
 *
 *     profile lab
 *     disk min-size=8G
 *     part label=ESP type=esp size=64M layer=sha256:<hex>
 *     part label=root type=linux size=2G layer=sha256:<hex>
 *     part label=CIDATA type=basic size=8M layer=machine
 *     part label=data type=linux size=rest policy=preserve
 *     user-data lab-user-data.yaml
 *
 *     site branch-b subnet=10.2.0.0/16 store=http://cache-b/store
 *     machine 52:54:00:12:34:01 name=pc01 profile=lab action=deploy
 *     machine 52:54:00:12:34:03 name=pc03 profile=lab site=branch-b
 *     machine 52:54:00:12:34:02 name=pc02 profile=lab
 *
 * - `profile NAME` starts a profile; the `disk`, `part` and `user-data` lines after it
 *   belong to it.  Partitions are laid out in order from 1 MiB, each start aligned to
 *   1 MiB; only the last may be `size=rest`.  `layer=machine` is the machine layer the
 *   server generates per machine (a FAT volume labelled CIDATA with cloud-init NoCloud
 *   meta-data and user-data).  A part with a layer has policy write unless it says
 *   `policy=restore`; a part without one must say `policy=preserve`.
 *   `wipe=yes` (or `wipe=no`, the default) on a part with a layer makes the agent zero
 *   the layer's free chunks and read them back (the manifest's wipe=yes, manifest.h).
 *   `capture=yes` (or `capture=no`, the default) marks a part as the machine's own (the
 *   user's data, whatever makes the PC itself): a machine capture (docs/capture.md) takes
 *   these parts, and a gold capture leaves them out.  Not on `layer=machine`.
 * - `user-data FILE` (relative to the inventory's folder) is the cloud-init user-data of
 *   every machine of the profile; a machine may give its own with `user-data=FILE`.
 * - `machine MAC` gives a name (a hostname: [A-Za-z0-9-], 1..63), a profile, and optionally
 *   `action=deploy` or `action=enroll`.  The inventory's action is an order: it is applied
 *   when it changes, and an agent's success clears it (see state.h), so a reload does not
 *   redeploy a lab; an enroll order is cleared when the enroller is handed out (enroll.h).
 *   `action=capture [as=PROFILE prepared=yes] [force=yes]` orders a capture the way POST
 *   /api/capture/NAME does (capture_parse.h has the rules): the task opens once when the
 *   line's action becomes capture, never again on a reload (docs/capture.md).
 * - `replaces=OLDMAC` on a machine line: this new PC takes over the machine the server
 *   knew as OLDMAC (its generations, private store, restore orders; replace.h), once, at
 *   the first load that has the key.  OLDMAC may be on no line (the new line replaces its
 *   line), is not the line's own MAC, and only one line replaces it.
 * - `keep=N keep-daily=D quota=SIZE capture-every=DURATION` on a `profile` line or a
 *   `machine` line (the machine's wins, key by key): what retention keeps of the machine's
 *   generations, its private store's quota, and its interval capture (keep.h,
 *   docs/retention.md).
 * - `room=ROOM` on a machine line (1..32 of [A-Za-z0-9._-]) groups machines on the
 *   dashboard (docs/dashboard-api.md); it is in no manifest and no CIDATA.
 * - `multicast=yes group=239.A.B.C rate=R [port=P] [payload=F] [parity=0]` on a
 *   `profile` line: its machines' manifests announce a multicast session carrying the
 *   profile's public layers, which the server sends at the fixed rate R
 *   (inventory_mcast.h, docs/multicast.md).  Each multicast profile has its own group
 *   and port, and at least one part with a layer from the store (not capture=yes).
 * - `default local` or `default profile=NAME [action=deploy|enroll]` says what unknown
 *   machines get.
 * - `site NAME subnet=CIDR[,CIDR] store=URL [boot=URL]` and a machine's `site=NAME`: where
 *   a site's machines fetch layers and boot files (inventory_site.h, docs/sites.md).
 * - `registered FILE` (once; relative to the inventory's folder, e.g.
 *   `state/registered.conf`): FILE's `machine` lines are read as if they followed the
 *   inventory's last line (so they may name any profile or site); it holds nothing else.
 *   POST /api/register appends to it (register.h); a missing FILE holds no machine.
 *
 * Every error names the file and line.
 */
#ifndef STRATA_INVENTORY_H
#define STRATA_INVENTORY_H

#include <stddef.h>
#include <stdint.h>
#include "inventory_mcast.h"
#include "keep.h"
#include "manifest.h"

#define INV_NAME_MAX 63

/** Whether s is a name the inventory takes for a machine or profile: [A-Za-z0-9-],
 *  1..INV_NAME_MAX, not starting with '-'.  One rule, so a name from elsewhere (a capture
 *  order's as=PROFILE) is one the inventory can name. */
int inv_name_ok(const char *s);

/** Longest room= of a machine line. */
#define INV_ROOM_MAX 32

/** Whether s is a room name: 1..INV_ROOM_MAX of [A-Za-z0-9._-] (ASCII, whatever the
 *  locale).  Rooms group machines on the dashboard and in orders (room=R); they are in
 *  no manifest and no CIDATA, so moving a machine to another room re-signs nothing. */
int inv_room_ok(const char *s);

/** Where a partition's layer comes from. */
enum inv_layer {
	INV_LAYER_NONE = 0,   /**< preserve: no layer */
	INV_LAYER_ID = 1,     /**< a layer id from the store */
	INV_LAYER_MACHINE = 2,/**< the generated per-machine CIDATA layer */
};

/** One partition of a profile's layout. */
struct inv_part {
	char label[STRATA_LABEL_MAX + 1];
	char type[40];                 /**< alias or GUID text, as the manifest takes it */
	uint64_t size;                 /**< bytes; 0 = rest of the disk */
	enum strata_policy policy;
	enum inv_layer layer_kind;
	uint8_t layer[32];             /**< when layer_kind == INV_LAYER_ID */
	int wipe;                      /**< wipe=yes: zero the layer's free chunks */
	int capture;                   /**< capture=yes: the machine's own, captured as its
					    generations (docs/capture.md); private */
};

struct inv_profile {
	char name[INV_NAME_MAX + 1];
	uint64_t min_disk;
	unsigned int nparts;
	struct inv_part parts[STRATA_MAX_PARTS];
	char *user_data;               /**< path, owned; NULL for the built-in default */
	unsigned int line;             /**< where it was defined, for messages */
	struct keep_policy keep;       /**< keep=, keep-daily=, quota=, capture-every= (keep.h) */
	struct inv_mcast mc;           /**< multicast=yes group= rate= ... (inventory_mcast.h) */
	char *captured;                /**< a captured profile: where its layout is kept
					    (STATE/profiles/NAME.layout), owned; NULL for one
					    the inventory defines */
};

/** A machine's pending order.  Stored (state.h's pending column): never renumber. */
enum inv_action {
	INV_ACTION_NONE = 0,
	INV_ACTION_DEPLOY = 1,
	INV_ACTION_CAPTURE = 2,        /**< a machine line only: open a capture task once */
	/** Its next network boot runs strata-enroll.efi instead of strata.efi, once
	 *  (enroll.h, docs/secure-boot.md). */
	INV_ACTION_ENROLL = 3,
};

/** A pending order's word, as the audit log, /machines.json and the dashboard say it:
 *  "deploy", "enroll" or "none" (a capture order is a task, not a pending boot). */
const char *inv_action_name(enum inv_action a);

struct inv_machine {
	uint8_t mac[6];
	char name[INV_NAME_MAX + 1];
	int profile;                   /**< index into profiles */
	enum inv_action action;
	char capture_as[INV_NAME_MAX + 1]; /**< action=capture as=PROFILE: a gold capture's
					    profile; "" for the machine's own layers */
	int capture_prepared;          /**< prepared=yes: the admin generalized the PC */
	int capture_force;             /**< force=yes (capture_parse.h) */
	char *user_data;               /**< path, owned; NULL: the profile's */
	unsigned int line;
	unsigned int site;             /**< 1 + index into the inventory's sites; 0: none
					    (everything from the server) */
	struct keep_policy keep;       /**< its own keep keys; each one set wins (keep.h) */
	int has_replaces;              /**< replaces=OLD: this PC takes over the machine
					    OLD was (replace.h) */
	uint8_t replaces[6];           /**< OLD, when has_replaces */
	char room[INV_ROOM_MAX + 1];   /**< room=: the dashboard's group; "" for none */
};

struct inv_site;

/** A parsed inventory.  Owns everything it points to; free with inventory_free. */
struct inventory {
	char *path;                    /**< the file it was read from */
	struct inv_profile *profiles;
	size_t nprofiles;
	struct inv_machine *machines;
	size_t nmachines;
	struct inv_site *sites;        /**< inventory_site.h; owned */
	size_t nsites;
	int default_profile;           /**< -1: unknown machines boot locally */
	char *registered;              /**< `registered FILE`'s path (relative to the
					    inventory's folder resolved), owned; NULL: none */
	unsigned int registered_line;  /**< its line */
	enum inv_action default_action;
};

/** How many partitions of pr say capture=yes: what a machine capture of it takes. */
unsigned int inv_profile_captured(const struct inv_profile *pr);

/**
 * The profile name for a captured layout m (strata_layout_parse): each partition's label,
 * type, size, policy, layer and wipe, in order; min-size from its disk line (raised to
 * where the partitions end when laid out, if less).  The layout's GUIDs and starts are the
 * reference disk's and are not kept: partitions are laid out as an inventory profile's,
 * and each machine gets its own GUIDs (machine.h).  origin (copied)
 * says where the layout is kept, for messages.  0 with *out filled (out->captured owned:
 * inventory_free or inv_profile_done frees it), or STRATA_EINVAL with *why (static) when
 * the layout breaks a profile's rule, STRATA_ENOMEM.
 */
int inv_profile_from_layout(const struct strata_manifest *m, const char *name,
			    const char *origin, struct inv_profile *out, const char **why);

/** Free what a profile owns (not the profile itself). */
void inv_profile_done(struct inv_profile *pr);

/**
 * Read and validate the inventory at path.  On success *out is a new inventory the caller
 * owns; on failure it prints "path:line: why" and returns a negative rc.
 */
int inventory_load(const char *path, struct inventory **out);

/**
 * Add the machine lines of a registered file (text, len bytes, read from inv->registered)
 * to inv, checked as the inventory's own; any other statement is refused.  Errors print
 * "FILE:LINE: why".  0 or STRATA_EREPORTED (inv then holds some of them: free it).
 */
int inventory_parse_registered(struct inventory *inv, const char *text, size_t len);

/** Parse inventory text (len bytes) as if read from path (for messages and relative paths). */
int inventory_parse(const char *path, const char *text, size_t len, struct inventory **out);

/**
 * inventory_load with the captured profiles pre[0..npre) (copied; see
 * inv_profile_from_layout) defined before its first line, so `machine ... profile=NAME`
 * names one like any other.  A `profile` line with a captured profile's name is an error
 * naming both: a capture never overwrites, and the inventory cannot shadow a capture.
 */
int inventory_load_with(const char *path, const struct inv_profile *pre, size_t npre,
			struct inventory **out);

/** inventory_parse with captured profiles, as inventory_load_with. */
int inventory_parse_with(const char *path, const char *text, size_t len,
			 const struct inv_profile *pre, size_t npre, struct inventory **out);

void inventory_free(struct inventory *inv);

/** The machine with this MAC, or NULL.  Borrowed from inv. */
const struct inv_machine *inventory_find(const struct inventory *inv, const uint8_t mac[6]);

#endif /* STRATA_INVENTORY_H */
