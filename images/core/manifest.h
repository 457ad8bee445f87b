/*
 * Machine manifests: what one machine's disk must hold, signed by the server.
 *
 * A manifest is short ASCII text a person can read and diff, one statement per line:
 *
 *     strata-manifest 1
 *     version 7
 *     machine pc01
 *     store http://cache-b.example/store
 *     disk guid=8A1C37E2-5B0D-4C4B-9D3E-0A1B2C3D4E5F
 *     part 1 label=ESP type=esp guid=... start=1M size=64M policy=write layer=sha256:<hex>
 *     part 2 label=root type=linux guid=... start=65M size=1G policy=write layer=sha256:<hex>
 *     part 3 label=cidata type=basic guid=... start=1089M size=1M policy=write layer=sha256:<hex> store=private
 *     part 4 label=data type=linux guid=... start=1090M size=rest policy=preserve
 *     signature ecdsa-p256 <base64 DER signature>
 *
 * - The first line names the format and its version.  `version` is the manifest's own
 *   number: it only grows, and a client refuses one lower than the last it applied, so an
 *   old signed manifest cannot be replayed to roll a machine back.
 * - `store URL` (optional, at most once) is the public store this machine fetches its
 *   public layers from: its site's store (a branch cache, an object store's HTTP endpoint;
 *   docs/sites.md), the folder that holds layers/ and chunks/.  Without it the agent uses
 *   the server's own /store/.  The layer ids stay in the signed parts, so a store can only
 *   serve the right bytes or fail their verification, and an agent falls back to the
 *   server's /store/ when it fails.  The URL is http:// or https://, at most
 *   STRATA_STORE_URL_MAX characters of [A-Za-z0-9._~:/%-] with no trailing '/'.  A reader
 *   older than this statement refuses the manifest ("unknown statement").
 * - `disk` gives the GPT disk GUID and optionally `min-size=SIZE`.
 * - `part N` lines, N ascending from 1, give each GPT partition: label (1..36 characters of
 *   [A-Za-z0-9._-]), type (esp, linux, basic, swap or a GUID), guid, start and size (bytes,
 *   suffix K/M/G/T for binary multiples; multiples of 4 KiB; start at 1 MiB or more; the
 *   last partition may say size=rest), the policy, and for write/restore the layer id.
 *   A partition with a layer may add `store=private`: the layer is the machine's own (its
 *   CIDATA, its captured data), kept in the machine's private store on the server and
 *   fetched from /private/MAC/ with signed requests, its bytes sealed (seal.h), never from
 *   the public /store/.  Without it the layer is public.  Older manifests have no such
 *   key and read as before.
 *   Policies: `write` makes the partition hold the layer; `preserve` never touches its
 *   contents; `restore` writes the (captured) layer only when the disk lacks the partition
 *   (no table, or no entry with its GUID at its extent) and never touches one it has, so
 *   a machine's latest generation comes back on a new disk and never over its own data
 *   (docs/restore.md).
 * - A write/restore partition may add `wipe=yes` (the only value; no key means no wipe):
 *   the layer's free chunks, which are otherwise left as the disk holds them, are made
 *   zero and read back to check, so no earlier user's data stays in the free space.  A
 *   reader older than this key refuses such a manifest ("unknown partition key") rather
 *   than deploying without the wipe.
 * - `multicast group=A.B.C.D port=P session=HEX rate=R payload=F parity=M parts=N,N`
 *   (optional, at most once; docs/multicast.md) announces the multicast session that
 *   carries the public layers of partitions N: the group (in 239.0.0.0/8, administratively
 *   scoped), the UDP port (1024..65535), the session id (16 hex digits) every datagram
 *   carries, the server's rate in bits/s (a decimal number with an optional K, M or G,
 *   powers of 1000; 1M..100G), the fragment payload F (512..1432) and the parity fragments
 *   per block M (0..8) of mcast.h, and the partitions, ascending, each a `part` line with a
 *   public layer (not store=private).  Every key once, none missing.  Nothing received
 *   by multicast is trusted for more than this statement and the layers' indexes say
 *   (mcast.h).  A reader older than the statement refuses the manifest ("unknown
 *   statement"): server and strata.efi ship together.
 * - Blank lines and lines starting with `#` are allowed before the signature.
 * - `signature ecdsa-p256 B64` is the last line: an ECDSA P-256 signature (DER) over the
 *   SHA-256 of every byte before that line.  Nothing may follow it.
 *
 * Lines end with LF; CR, NUL, tabs and non-ASCII bytes are rejected, as are unknown
 * statements and keys, so a typo can never be silently ignored.
 */
#ifndef STRATA_MANIFEST_H
#define STRATA_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "rc.h"

#define STRATA_MANIFEST_FORMAT 1
#define STRATA_MAX_PARTS 16
#define STRATA_LABEL_MAX 36
#define STRATA_MACHINE_MAX 63
/** A partition's grain, earliest start and largest start or size, in bytes (the rule
 *  above): every start and size is a whole number of STRATA_PART_GRAIN.  Named so that a
 *  capture checks a reference disk by the numbers the parser holds a layout to. */
#define STRATA_PART_GRAIN 4096u
#define STRATA_PART_START_MIN (1u << 20)
#define STRATA_PART_BYTES_MAX (1ULL << 60)
/** A manifest larger than this is refused before parsing: it is a few hundred bytes. */
#define STRATA_MANIFEST_MAX 16384
#define STRATA_SIG_MAX 80
/** Longest `store` URL a manifest may give: with a chunk's path it fits the agent's URLs. */
#define STRATA_STORE_URL_MAX 200
/** Highest partition number a `part N` line may give: a GPT has 128 entries. */
#define STRATA_PART_NUM_MAX 128
/** The rates a `multicast` statement may give, bits per second. */
#define STRATA_MC_RATE_MIN 1000000ULL
#define STRATA_MC_RATE_MAX 100000000000ULL

/**
 * A `rate=` value s[0..len) (borrowed): a decimal number with an optional K, M or G
 * (powers of 1000), STRATA_MC_RATE_MIN..MAX bits/s, into *out.  Shared by the manifest's
 * parser and strata-server's inventory, so both take exactly the same rates.  0 or
 * STRATA_ERANGE.
 */
int strata_mc_rate_parse(uint64_t *out, const char *s, size_t len);

enum strata_policy {
	STRATA_POLICY_WRITE = 1,
	STRATA_POLICY_PRESERVE = 2,
	STRATA_POLICY_RESTORE = 3,
};

/** One partition of the layout. */
struct strata_part {
	uint32_t num;                      /**< GPT entry number, 1-based */
	char label[STRATA_LABEL_MAX + 1];  /**< NUL-terminated ASCII */
	uint8_t type_guid[16];             /**< GPT byte order */
	uint8_t part_guid[16];             /**< GPT byte order */
	uint64_t start;                    /**< bytes from the start of the disk */
	uint64_t size;                     /**< bytes; 0 means "rest of the disk" */
	enum strata_policy policy;
	int has_layer;
	uint8_t layer[32];                 /**< layer id digest when has_layer */
	int wipe;                          /**< wipe=yes: zero the layer's free chunks */
	int private_layer;                 /**< store=private: fetch it from the private route */
};

/** The `multicast` statement: the session that carries some partitions' public layers. */
struct strata_multicast {
	int on;                            /**< the statement is there */
	uint8_t group[4];                  /**< IPv4 group, network order, 239.0.0.0/8 */
	uint16_t port;                     /**< UDP port, 1024..65535 */
	uint8_t session[8];                /**< every datagram's session id (mcast.h) */
	uint64_t rate;                     /**< the server's rate, bits per second */
	uint16_t payload;                  /**< F, the fragment payload (mcast.h) */
	uint8_t parity;                    /**< M, parity fragments per block (mcast.h) */
	unsigned int nparts;               /**< partitions it carries, 1..STRATA_MAX_PARTS */
	uint8_t parts[STRATA_MAX_PARTS];   /**< their numbers (`part N`), ascending */
};

/** A parsed manifest.  Holds no pointers into the text except the signature. */
struct strata_manifest {
	uint64_t version;
	char machine[STRATA_MACHINE_MAX + 1];
	char store[STRATA_STORE_URL_MAX + 1]; /**< the site's store URL; "" = the server's */
	uint8_t disk_guid[16];
	uint64_t min_disk;                 /**< 0 when not given */
	unsigned int nparts;
	struct strata_part parts[STRATA_MAX_PARTS];
	struct strata_multicast mc;        /**< mc.on 0 without a multicast statement */
	size_t signed_len;                 /**< bytes the signature covers (all before it) */
	uint8_t sig[STRATA_SIG_MAX];       /**< decoded DER signature */
	size_t sig_len;                    /**< 0 when the manifest is unsigned */
};

/**
 * Parse and validate manifest text.  An unsigned manifest parses (sig_len = 0) so that it
 * can be signed; use strata_manifest_verify before trusting one.  On failure diag->where
 * is the 1-based line at fault.  Allocates nothing; borrows buf only during the call.
 */
int strata_manifest_parse(struct strata_manifest *m, const char *buf, size_t len,
			  struct strata_diag *diag);

/**
 * Parse a captured layout (docs/capture.md, "Done"): what a gold capture's agent sends as
 * the reference disk's partitions, in this format, to become a profile.  It is held to the
 * rules of a profile rather than of one machine's deployment: no signature line (the
 * server signs what it serves, never what a client sends), no multicast statement (the
 * server announces its sessions), no store=private (a gold image
 * is public: a private partition says policy=preserve and no layer), and no label given to
 * two partitions (a profile names its partitions by label).  The GUIDs, starts and machine
 * line are read as the parser reads them, but belong to the reference disk: a profile made
 * from the layout gives every machine its own (machine_guid on the server).  On failure
 * diag->where is the 1-based line at fault.  Allocates nothing; borrows buf only during the call.
 */
int strata_layout_parse(struct strata_manifest *m, const char *buf, size_t len,
			struct strata_diag *diag);

/**
 * The index of the first partition after i whose label is partition i's, or 0: the rule
 * of a profile (it names its partitions by label) that strata_layout_parse holds a layout
 * to, and a capture holds a reference disk to before it uploads (capture_layout.h).
 * Borrows m.
 */
unsigned int strata_layout_label_again(const struct strata_manifest *m, unsigned int i);

/**
 * Check the signature of a parsed manifest against pub (PEM or DER public key) over
 * buf[0..m->signed_len).  STRATA_EBADSIG when unsigned or invalid.  Borrows everything.
 */
int strata_manifest_verify(const struct strata_manifest *m, const char *buf,
			   const uint8_t *pub, size_t pub_len, struct strata_diag *diag);

/** Refuse a manifest older than the last one applied (rollback protection). */
int strata_manifest_check_version(const struct strata_manifest *m, uint64_t last_applied,
				  struct strata_diag *diag);

/** Room for a signature line plus its NUL: "signature ecdsa-p256 " and base64 of 80 bytes. */
#define STRATA_SIG_LINE_MAX 136

/**
 * Write m as manifest text, unsigned (no signature line), plus a NUL into out (cap bytes);
 * *len gets its length without the NUL.  The inverse of strata_manifest_parse: partition
 * types known by an alias are written as the alias, sizes in bytes, and a size of 0 as
 * "rest"; the machine line only when m->machine is set; the multicast statement (when
 * m->mc.on) after the parts, its rate with the largest of G, M, K that divides it.  m is
 * not validated: parse the
 * result before serving it.  STRATA_ERANGE when it does not fit.  Borrows everything.
 * The writers (this, renumber, the signature line) are in manifest_write.c; strata.efi
 * links it for the one manifest it writes, a gold capture's layout (capture_layout.h).
 */
int strata_manifest_write(const struct strata_manifest *m, char *out, size_t cap, size_t *len);

/**
 * Change the version of text written by strata_manifest_write (unsigned; the version is
 * its second line) to version, in place: the one field that differs between a manifest's
 * renderings, so a server can write a manifest once, hash it at version 0, and number it
 * after.  *len is updated; text keeps a NUL.  STRATA_EINVAL when text does not start with
 * the header and a version line, STRATA_ERANGE when the result plus NUL exceeds cap.
 */
int strata_manifest_renumber(char *text, size_t *len, size_t cap, uint64_t version);

/**
 * Write the signature line for a DER signature sig[0..sig_len) (at most STRATA_SIG_MAX
 * bytes): "signature ecdsa-p256 <base64>\n" plus a NUL, into out; returns its length
 * without the NUL, or 0 when sig_len is 0 or too large.  Signers sign the SHA-256 of
 * every byte before this line (strata_manifest_verify's rule).
 */
size_t strata_manifest_sig_line(char out[STRATA_SIG_LINE_MAX], const uint8_t *sig,
				size_t sig_len);

/** The alias of a partition type GUID (esp, linux, basic, swap), or NULL.  Static text. */
const char *strata_part_type_name(const uint8_t guid[16]);

/** The manifest word for a policy, or NULL for a value outside the enum.  Static text. */
const char *strata_policy_name(enum strata_policy p);

/**
 * Parse a partition type: an alias (esp, linux, basic, swap) or a GUID, into the GPT-order
 * GUID.  0 or STRATA_EINVAL.  Borrows s only during the call.
 */
int strata_part_type_parse(uint8_t out[16], const char *s, size_t len);

/**
 * Whether s[0..len) is a URL the manifest's `store` statement takes (the rule above):
 * the inventory checks a site's store= with it, so the server never writes a manifest its
 * agents refuse.  1 or 0.  Borrows s only during the call.
 */
int strata_store_url_ok(const char *s, size_t len);

/**
 * Whether s[0..len) is a partition label: 1..STRATA_LABEL_MAX characters of
 * [A-Za-z0-9._-], the rule the parser holds `label=` to.  One function for every place
 * that takes a label from elsewhere (a gold commit's part=, a reference disk's GPT names),
 * so none of them accepts a label a manifest cannot hold.  1 or 0.  Borrows s.
 */
int strata_label_ok(const char *s, size_t len);

/** Parse "sha256:<64 hex>" into a 32-byte digest.  Returns 0 or STRATA_EINVAL. */
int strata_layer_id_parse(uint8_t out[32], const char *s, size_t len);

/** Format a digest as "sha256:<64 hex>" plus NUL into out (72 bytes). */
void strata_layer_id_format(char out[72], const uint8_t digest[32]);

#endif /* STRATA_MANIFEST_H */
