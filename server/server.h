/*
 * strata-server's shared state: its configuration, the catalog of what each machine gets,
 * and the machines' state.  The HTTP threads read it; the main loop rebuilds the catalog on
 * SIGHUP.
 *
 * Why a catalog: everything a machine is served (its machine layer and signed manifest) is
 * computed once per inventory load, not per request, so a request never signs or builds.
 * A reload builds a new catalog off to the side and swaps it in under a write lock; a
 * request holds the read lock only while it copies what it needs.  Unknown machines under
 * the default profile cannot be prepared at load (their MACs are not known yet): a
 * request only queues one, and the server's preparer thread builds and signs its product,
 * so that work stays off the request path too.
 *
 * Lock order everywhere: the catalog (rwlock), then extra_lock, then the state lock, then
 * the database's (db.h).  The multicast sessions' lock (mcast.h) is taken alone.
 */
#ifndef STRATA_SERVER_H
#define STRATA_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "who.h"
#include "api_tokens.h"
#include "inventory.h"
#include "layer_cache.h"
#include "log_limit.h"
#include "state.h"
#include "store.h"

struct sessions;
struct capture_hellos;
struct mcast;
struct login;
struct events;
struct wol;
struct unknown;
struct library;

/** Command-line configuration.  Strings borrowed from argv or static. */
struct server_config {
	const char *root;        /**< folder holding boot/ and, by default, store/ and state/ */
	const char *boot_dir;    /**< ROOT/boot: boot files (iPXE binaries, strata.efi) */
	const char *store_dir;   /**< the administrator's chunk store; written only by a gold
				      capture's chunk uploads (capture_store.h) */
	const char *private_dir; /**< STATE/private: machines' private stores (private_store.h) */
	const char *old_machine_store_dir; /**< STATE/store: where an older server kept them */
	const char *state_dir;   /**< versions, actions, reports, keys */
	const char *inventory;   /**< the inventory file */
	const char *api_tokens;  /**< NAME TOKEN pairs for /api and lab-wide views; NULL: none */
	const char *admins;      /**< NAME:HASH lines: the dashboard's logins (admins.h); NULL:
				      none */
	const char *tls_cert, *tls_key; /**< PEM files: HTTPS on https_port (both, or neither) */
	const char *tls_url;     /**< the public https base URL, the admins' Origin under TLS */
	int https_port;
	int max_https;           /**< concurrent HTTPS connections */
	const char *key;         /**< manifest signing key (created when missing) */
	const char *addr;        /**< listen address */
	const char *url;         /**< the public base URL clients are given */
	const char *user;        /**< drop privileges to this user when started as root */
	int http_port, tftp_port, dhcp_port, dhcp_alt_port;
	int dhcp;                /**< 0 off, 1 proxy */
	int max_http;            /**< concurrent HTTP connections */
	int max_http_per_addr;   /**< of which from one address (outside trusted_proxies) */
	int max_http_request_time; /**< seconds a connection has to deliver a whole request */
	uint64_t capture_reserve; /**< bytes a capture upload leaves free where it writes */
	uint64_t gc_grace;       /**< seconds: files younger than this survive a GC (gc.h) */
	const char *clock_file;  /**< test only: the clock's offset file (clock.h), or NULL */
	int gc_once;             /**< --gc: 1 collect, 2 dry run, then exit */
	const char *trusted_proxies; /**< site caches' networks "A.B.C.D[/N],...", or NULL */
	int max_unknown;         /**< unknown machines remembered per inventory load */
	int max_tftp;            /**< concurrent TFTP transfers */
	int max_tftp_per_addr;   /**< of which from one client; 0: TFTP's default */
	int max_tftp_timeout;    /**< largest TFTP timeout option granted (s); 0: default */
	int max_tftp_time;       /**< total deadline of a TFTP transfer (s); 0: default */
	const char *wol_broadcast; /**< Wake-on-LAN's targets "A.B.C.D,..." (wol.h), or NULL:
				        --addr's directed broadcast */
};

/** Where a product stands.  Inventory machines' products are ready when the catalog is. */
enum product_state {
	PRODUCT_READY = 0,       /**< manifest and layer made */
	PRODUCT_QUEUED,          /**< a default-profile machine waiting for the preparer */
	PRODUCT_FAILED,          /**< the preparer could not make it (logged); served as unknown */
	PRODUCT_MAKING,          /**< queued, and the preparer is making it now */
};

/**
 * How far an unknown machine has gone with its deployment: what decides which entry of a
 * full unknown-machine table is forgotten first (catalog.c says the rule).
 */
enum product_use {
	PRODUCT_ASKED = 0,       /**< only asked what to boot */
	PRODUCT_DEPLOYING,       /**< fetched its manifest or reported progress */
	PRODUCT_DONE,            /**< reported that its deployment ended (ok or failed) */
};

/** What one known machine is served. */
struct product {
	struct inv_machine *m;   /**< borrowed from the catalog's inventory */
	enum product_state state; /**< for default-profile products, guarded by extra_lock */
	enum product_use use;    /**< default-profile products, guarded by extra_lock */
	uint64_t seen_ms;        /**< their last request (loop_now), guarded by extra_lock */
	uint8_t layer[32];       /**< its machine (CIDATA) layer */
	uint8_t cidata_sum[32];  /**< SHA-256 of that layer's volume, to skip rebuilding it */
	char *manifest;          /**< signed manifest text, owned */
	size_t manifest_len;
	uint64_t version;
	int capture_due;         /**< its line's action became capture at this load */
};

/** Unknown machines remembered under the default profile by default (--max-unknown). */
#define CATALOG_EXTRA_MAX 256

/**
 * One inventory's worth of products.  The inventory's machines' products are made when
 * the catalog is built and never change; unknown machines under the default profile are
 * queued on first contact into a fixed array of cfg.max_unknown slots under extra_lock,
 * made by the preparer thread, and dropped with the catalog on reload.  A full array
 * forgets one entry for a new machine (catalog.c), so an unknown machine's product is
 * read only under extra_lock, never through a pointer kept after it is released.
 */
struct catalog {
	struct inventory *inv;   /**< owned */
	struct product *p;       /**< one per inventory machine, same order */
	size_t n;
	pthread_mutex_t extra_lock;
	pthread_cond_t extra_done; /**< broadcast (extra_lock) when a queued product is settled */
	struct product *extra;   /**< cfg.max_unknown slots, owned */
	struct inv_machine *extra_m;
	size_t nextra, extra_cap;
	uint64_t gen;            /**< 1 for the first catalog, one more at each reload: what
				      tells the dashboard its tiles' indexes changed (lab_view.h) */
};

struct server {
	struct server_config cfg;
	struct state *state;
	struct sessions *sessions; /**< machines' sessions (sessions.h), owned */
	struct sessions *task_sessions; /**< capture task sessions' replay windows
					     (capture_task_verify), owned */
	struct capture_hellos *hellos; /**< capture tasks' upload keys (capture_hello.h), owned */
	uint8_t *key;            /**< the signing key's bytes, read once at start (owned) */
	size_t key_len;
	pthread_rwlock_t lock;   /**< guards cat and tokens */
	struct catalog *cat;
	struct api_tokens *tokens; /**< from cfg.api_tokens, or NULL (owned) */
	struct login *login;     /**< admins' logins and sessions (login.h), owned */
	struct events *events;   /**< GET /api/events' hub (http_events.h), owned by the
				      HTTP service */
	struct layer_cache layers; /**< opened layers of the public store, for runs requests */
	struct layer_cache private_layers; /**< of machines' private stores (layer_cache_get_in) */
	pthread_t preparer;      /**< makes queued default-profile products */
	int preparer_running;
	pthread_mutex_t prep_lock; /**< guards prep_wake and prep_stop */
	pthread_cond_t prep_cond;
	int prep_wake, prep_stop;
	struct log_limit unknown_log; /**< the unknown-machine table's churn and refusals */
	struct mcast *mc;        /**< multicast sessions (mcast.h), owned by services.c while
				      the services run; NULL otherwise */
	struct wol *wol;         /**< Wake-on-LAN's sender (wol.h), owned by services.c while
				      the services run; NULL otherwise */
	struct unknown *unknown; /**< PCs seen, not in the inventory (unknown.h), owned by
				      services.c while the services run; NULL otherwise */
	struct library *library; /**< GET /api/library's sizes (library.h), owned by
				      services.c while the services run; NULL otherwise */
	uint8_t capture_key[32]; /**< STATE/capture.key: capture tokens are made with it
				      (capture_task.h); read once at start, wiped at close */
};

/** Open the store, state, key and session table, load the first catalog, start the preparer. */
int server_open(struct server *s);
void server_close(struct server *s);

/** Re-read the inventory and swap in a new catalog; on error the old one stays. */
int server_reload(struct server *s);

/**
 * Read cfg.api_tokens (when given) and swap its credentials in; on error the old ones
 * stay.  0 or STRATA_EREPORTED.
 */
int server_load_tokens(struct server *s);

/**
 * Who presents bearer (the Authorization header's value, or NULL): 0 with the credential's
 * name copied into name, STRATA_EAUTH when it names no credential, STRATA_EACCES when
 * the server was started without --api-tokens (nobody may order).
 */
int server_api_auth(struct server *s, const char *bearer, char name[API_TOKEN_NAME_MAX + 1]);

/**
 * The iPXE script for mac, as a new string the caller frees.  Logs the boot decision.
 * addr is the request's IPv4 address (host order; 0 unknown): a new unknown machine is
 * placed at the site whose subnet holds it (inventory_site.h), and a machine at a site
 * with boot= fetches strata.efi there, falling back to the server's.
 * Takes the read lock and the state lock itself.
 */
char *server_script(struct server *s, const uint8_t mac[6], uint32_t addr);

/**
 * An agent's orders: "action=deploy then=reboot", "action=none", or for a machine with an
 * open capture task "action=capture kind=gold profile=NAME then=reboot" or "action=capture
 * kind=machine then=reboot" (a capture comes first), one line, as a new string.  Logs the boot decision like a script does.  The caller has checked that the
 * request is signed by a session of mac (or comes from an admin).
 */
char *server_agent_orders(struct server *s, const uint8_t mac[6]);

/**
 * Whether mac has an open capture task: the proxyDHCP then hands its firmware PXE
 * strata.efi itself instead of snponly.efi (docs/capture.md, "Boot paths"), so that the
 * agent has the firmware's HTTP stack to upload with.  1 or 0.
 */
int server_capture_pending(struct server *s, const uint8_t mac[6]);

/** The generic entry script (/ipxe/boot.ipxe), a new string. */
char *server_entry_script(struct server *s);

/**
 * A copy of mac's signed manifest (caller frees), or NULL when the machine is unknown.
 * For a default-profile machine seen for the first time, waits for the preparer to make
 * it (it never makes it itself).
 */
char *server_manifest(struct server *s, const uint8_t mac[6], size_t *len);

/** The JSON view of every machine, a new string. */
char *server_machines_json(struct server *s);

/**
 * Apply an agent's report, whose request the caller has checked (server_session_once).
 * Returns 0, STRATA_ENOENT for an unknown machine, STRATA_EINVAL for an unknown phase, STRATA_EREPORTED when it could not
 * be stored.  phase: "progress", "ok" or "failed"; done/total in bytes, at most
 * STATE_BYTES_MAX; msg free text (sanitised).  An outcome (ok, failed) is also written to
 * the audit log's open orders of the machine.
 */
int server_report(struct server *s, const uint8_t mac[6], const char *phase, uint64_t done,
		  uint64_t total, const char *msg);

/**
 * The inventory machines that who names (a name, a MAC or "all"): their MACs into macs
 * and, when names is not NULL, their names into names (each with room for s->cat->n).
 * Call with the catalog read lock.  Returns how many.
 */
size_t server_match(struct server *s, const char *who, uint8_t (*macs)[6],
		    char (*names)[INV_NAME_MAX + 1]);

/**
 * The one inventory machine who names (a name or a MAC): its MAC into mac and its name
 * into name.  For the orders that take one machine (generations, restore, replace).
 * 0, STRATA_ENOENT (none), STRATA_EINVAL ("all", or several).  Takes the read lock.
 */
int server_match_one(struct server *s, const char *who, uint8_t mac[6],
		     char name[INV_NAME_MAX + 1]);

/**
 * Set a pending order what (INV_ACTION_DEPLOY, or INV_ACTION_ENROLL: enroll.h) for a
 * machine by name or MAC, or "all", ordered by the credential named by.  The machines'
 * state and the order's audit row commit together before this returns.  Returns how many
 * machines it marked (0: none matched, nothing recorded), or STRATA_EREPORTED when the
 * database refused the write.
 */
int server_mark(struct server *s, const char *who, const struct who *by, enum inv_action what);

/**
 * server_mark for a list the caller resolved (orders.h): the n machines of macs (borrowed)
 * get the pending order what, with one audit row naming target (borrowed: "room:B",
 * "all", a list) and action word ("deploy", "boot-local", "cancel").  Why a list: a room
 * is one order, so it is one audit row.  Takes the state lock; call with no lock held
 * but, at most, the catalog's read lock.  Returns n, or STRATA_EREPORTED.
 */
int server_mark_list(struct server *s, const char *target, const char *word,
		     const uint8_t (*macs)[6], size_t n, const struct who *by, enum inv_action what);

/** An order's word, as the audit log and /machines.json's "pending" say it (static). */
const char *server_action_name(enum inv_action a);

#endif /* STRATA_SERVER_H */
