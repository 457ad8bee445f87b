/*
 * The one JSON writer of strata-server's dashboard API (docs/dashboard-api.md): strings
 * escaped for JSON and for a page, so no handler quotes text by hand.
 *
 * Why one: the text the API returns comes from agents (a report's message), from the
 * inventory and from the database, all of it hostile to a browser.  Every string goes
 * through json_str, which escapes '"', '\\', every control byte, and '<', '>', '&' as
 * \u003c, \u003e, \u0026 (so a reply read as HTML by mistake carries no markup), and
 * bytes 0x80..0xff as \u0080..\u00ff (the answer is then ASCII, valid whatever bytes
 * came in).  Writes go to a stdio stream (open_memstream, as /machines.json is built).
 */
#ifndef STRATA_JSON_OUT_H
#define STRATA_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/** s[0..len) as a quoted, escaped JSON string, to f. */
void json_strn(FILE *f, const char *s, size_t len);

/** The NUL-terminated s as a quoted, escaped JSON string; NULL writes null. */
void json_str(FILE *f, const char *s);

/** "key": with a comma before it unless first: an object's member name. */
void json_key(FILE *f, const char *key, int first);

/** "key": "value" (json_str), after a comma unless first. */
void json_kv_str(FILE *f, const char *key, const char *value, int first);

/** "key": N (signed 64-bit), after a comma unless first. */
void json_kv_int(FILE *f, const char *key, int64_t value, int first);

/** n bytes as a quoted lowercase hex string (layer ids), to f. */
void json_hex(FILE *f, const uint8_t *b, size_t n);

#endif /* STRATA_JSON_OUT_H */
