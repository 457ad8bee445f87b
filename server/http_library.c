/* GET /api/library (see library.h). */
#include <stdio.h>
#include <stdlib.h>
#include "http_library.h"
#include "json_out.h"
#include "library.h"

/* "per_layer":[{"id","size","stored","unique"}]. */
static void per_layer_json(FILE *f, const struct library_sizes *z)
{
	json_key(f, "per_layer", 0);
	fputc('[', f);
	for (size_t i = 0; i < z->nper; i++) {
		const struct library_layer *y = &z->per_layer[i];

		fputs(i ? ",{" : "{", f);
		json_key(f, "id", 1);
		json_hex(f, y->id, 32);
		json_kv_int(f, "size", (int64_t)y->size, 0);
		json_kv_int(f, "stored", (int64_t)y->stored, 0);
		json_kv_int(f, "unique", (int64_t)y->unique, 0);
		fputc('}', f);
	}
	fputc(']', f);
}

/* The sizes as JSON, a new string (NULL: no memory). */
static char *sizes_json(const struct library_sizes *z, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fputc('{', f);
	json_kv_int(f, "store_bytes", (int64_t)z->store_bytes, 1);
	json_kv_int(f, "logical_bytes", (int64_t)z->logical_bytes, 0);
	fprintf(f, ",\"dedup_ratio\":%.2f", z->store_bytes ?
		(double)z->logical_bytes / (double)z->store_bytes : 0.0);
	json_kv_int(f, "layers", (int64_t)z->layers, 0);
	json_kv_int(f, "computed_at", z->computed_at, 0);
	per_layer_json(f, z);
	fputs("}\n", f);
	if (fclose(f))
		return free(buf), NULL;
	return buf;
}

enum MHD_Result http_library(struct MHD_Connection *c, struct req *r, struct server *s)
{
	static const char computing[] = "{\"computing\":true}\n";
	struct library_sizes z;
	struct who by;
	const char *why;
	size_t len = 0;
	char *body;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	if (!s->library)
		return http_fail(c, r, STRATA_ENOTSUP, "the library's sizes are not served here");
	rc = library_get(s->library, &z);
	if (rc == 1)
		return http_text(c, r, 202, "application/json", computing, sizeof(computing) - 1);
	if (rc)
		return http_fail(c, r, rc, "cannot compute the library's sizes (the server's log "
				 "says why)");
	body = sizes_json(&z, &len);
	library_sizes_free(&z);
	return body ? http_owned(c, r, "application/json", body, len)
		    : http_fail(c, r, STRATA_ENOMEM, "out of memory");
}
