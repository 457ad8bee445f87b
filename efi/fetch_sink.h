/*
 * Between fetch.c and its back-ends (fetch_ipxe.c, fetch_http.c): the operations a
 * back-end provides and the sink it delivers body bytes into.  No firmware types here, so
 * the host unit tests drive fetch.c with a back-end of their own; the back-ends' open
 * functions, which take firmware handles, are in fetch_impl.h.
 *
 * Why a sink: the byte-once contract of fetch.h is the same for every back-end, so it is
 * kept in one place.  A back-end reports each piece at its offset in the body; the sink
 * drops what an earlier attempt already delivered, checks that pieces are contiguous and
 * that the size agrees with earlier attempts, and calls the user's callback.  A back-end
 * that can resume (HTTP Range) starts at sink->delivered; one that cannot starts at 0.
 */
#ifndef STRATA_EFI_FETCH_SINK_H
#define STRATA_EFI_FETCH_SINK_H

#include <stddef.h>
#include <stdint.h>
#include "fetch.h"

/** One fetch_get's progress, over all its attempts. */
struct fetch_sink {
	fetch_data_fn *cb;   /**< the caller's callback */
	void *ctx;           /**< and its context */
	uint64_t delivered;  /**< bytes the callback took, over all attempts: where to resume */
	uint64_t size;       /**< body size once an attempt learned it, else FETCH_SIZE_UNKNOWN */
	uint64_t next;       /**< offset the current attempt's next piece must start at */
	int cb_rc;           /**< non-zero once the callback refused: never retried */
};

/** What a back-end does.  priv is the back-end's own state, from its open function. */
struct fetch_backend {
	const char *name;  /**< "ipxe", "efi-http": for messages */
	/**
	 * One attempt to GET url.  Calls fetch_sink_begin first (at sink->delivered when it can
	 * resume there, else at 0), then fetch_sink_size once the size is known and
	 * fetch_sink_data for each piece, in order.  Returns 0 when the body ended (fetch.c
	 * checks it against the size), else an rc, logged.  A failed attempt leaves the
	 * back-end ready for the next one (a half-read connection is dropped before return).
	 */
	int (*get)(void *priv, const char *url, struct fetch_sink *sink);
	/** Stop and free priv. */
	void (*close)(void *priv);
	/**
	 * One POST of b to url, its answer's body into the sink from offset 0 (as get
	 * delivers; fetch.c checks it ended at its size).  NULL: the back-end cannot upload
	 * (fetch_post says so).  0 for a 2xx answer, else an rc, logged; the back-end is left
	 * ready for the next request either way.
	 */
	int (*post)(void *priv, const char *url, const struct fetch_body *b,
		    struct fetch_sink *sink);
};

/** An open back-end (fetch.h's opaque struct). */
struct fetcher {
	const struct fetch_backend *be;
	void *priv;
};

/** An attempt starts delivering at body offset start (0, or sink->delivered to resume). */
void fetch_sink_begin(struct fetch_sink *s, uint64_t start);

/**
 * The attempt learned the body's size.  Returns 0, or STRATA_ECORRUPT (logged) when an
 * earlier attempt saw another size or more bytes were already delivered.
 */
int fetch_sink_size(struct fetch_sink *s, uint64_t size);

/**
 * A piece of the body at offset.  Bytes before sink->delivered are dropped, the rest go
 * to the callback.  Returns 0; STRATA_EINVAL when the piece does not start where the last
 * ended; STRATA_ETRAIL when it runs past the size; or the callback's rc (also kept in
 * s->cb_rc).  data is borrowed.
 */
int fetch_sink_data(struct fetch_sink *s, uint64_t offset, const void *data, size_t len);

#endif /* STRATA_EFI_FETCH_SINK_H */
