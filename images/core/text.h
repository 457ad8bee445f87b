/*
 * Small text codecs the formats need: hex, base64, GUIDs and sizes, and the escaping of
 * hostile text for logs.  All of them work on (pointer, length) slices, never rely on NUL
 * termination, and reject anything malformed, because their input is a manifest or URL
 * path that may be hostile.
 */
#ifndef STRATA_TEXT_H
#define STRATA_TEXT_H

#include <stddef.h>
#include <stdint.h>

/** Decode exactly 2*n hex digits (either case) into n bytes.  0 or STRATA_EINVAL. */
int strata_hex_decode(uint8_t *out, const char *s, size_t n);

/** Encode n bytes as 2*n lowercase hex digits plus a NUL. */
void strata_hex_encode(char *out, const uint8_t *in, size_t n);

/** Buffer size for strata_escape to take n bytes whole: each as "\xNN", and the NUL. */
#define STRATA_ESCAPE_SIZE(n) ((n) * 4 + 1)

/**
 * Copy s[0..len) into out (cap bytes, always NUL-terminated when cap > 0) for a log line:
 * printable ASCII stays as it is; control bytes, DEL, every non-ASCII byte, both quote
 * characters and the backslash become "\xNN" (lowercase hex).
 *
 * Why: a string a client sent (a file name, an option, a header) must not be able to
 * break a log line, forge a new one, drive the reader's terminal with escape sequences or
 * close the quotes around it; and "\xNN" reads back to the exact bytes, so nothing is
 * lost.  Never writes part of an escape: when out is too small it stops after the last
 * byte that fits whole.  Returns how many bytes of s were written (len when all of s
 * fit); STRATA_ESCAPE_SIZE(len) bytes always suffice.
 */
size_t strata_escape(char *out, size_t cap, const char *s, size_t len);

/**
 * Decode padded base64 (RFC 4648) of s[0..len) into out (cap bytes).  Sets *out_len.
 * STRATA_EINVAL on bad characters or padding, STRATA_ERANGE when it does not fit.
 */
int strata_base64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s, size_t len);

/** Encode n bytes as padded base64 plus a NUL; out needs 4*((n+2)/3)+1 bytes. */
void strata_base64_encode(char *out, const uint8_t *in, size_t n);

/**
 * Parse a GUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into the 16-byte mixed-endian form
 * GPT stores (first three groups little-endian).  0 or STRATA_EINVAL.
 */
int strata_guid_parse(uint8_t out[16], const char *s, size_t len);

/** Format a GPT-order GUID as 36 uppercase characters plus a NUL. */
void strata_guid_format(char out[37], const uint8_t guid[16]);

/** Parse a decimal byte count with an optional K/M/G/T (binary) suffix.  Rejects overflow. */
int strata_size_parse(uint64_t *out, const char *s, size_t len);

/** Parse a plain decimal number up to max.  Rejects leading zeros, signs and overflow. */
int strata_u64_parse(uint64_t *out, const char *s, size_t len, uint64_t max);

/** Longest decimal text of a uint64_t plus its NUL. */
#define STRATA_U64_TEXT 21

/**
 * Format v in decimal plus a NUL into out; returns the digits written.  The core has no
 * printf, and store paths and manifests need numbers.
 */
size_t strata_u64_format(char out[STRATA_U64_TEXT], uint64_t v);

/**
 * Text being written into a buffer of cap bytes (the caller's): what fits is stored, bytes
 * past cap are only counted in len, so one check at the end (len < cap) says whether it
 * all fitted, and the first min(len, cap) bytes are always the text's.
 * Why in the core: it has no printf, and the manifest writer and the disk-fit message
 * (disk_fit.h) both build text a piece at a time.  Nothing is NUL-terminated here.
 */
struct strata_out {
	char *p;
	size_t cap, len;
};

/** Append s[0..n), or count it when it does not fit (see struct strata_out). */
void strata_out_put(struct strata_out *o, const char *s, size_t n);
/** Append the NUL-terminated s. */
void strata_out_str(struct strata_out *o, const char *s);
/** Append v in decimal. */
void strata_out_u64(struct strata_out *o, uint64_t v);

/**
 * Parse a MAC "52:54:00:12:34:56" (or with '-'; either case) into 6 bytes.  In the core
 * because URL paths, the inventory and the server's state all name machines by it, and a
 * parser of hostile text belongs beside the other codecs.  0 or STRATA_EINVAL.
 */
int strata_mac_parse(uint8_t mac[6], const char *s, size_t len);

/** Format a MAC as "52:54:00:12:34:56" (lowercase) plus a NUL, the form the server logs. */
void strata_mac_format(char out[18], const uint8_t mac[6]);

#endif /* STRATA_TEXT_H */
