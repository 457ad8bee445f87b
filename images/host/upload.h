/*
 * Uploading a built layer to strata-server under a capture task (docs/capture.md): what
 * `strata-image build --store URL --token TOKEN` does after building into a staging
 * folder.  The token never crosses the wire: every request is signed with the task's
 * session (strata_session_task_derive, strata_session_sign_method).  A hello agrees an
 * upload key with the server (strata_session_hello_derive), and every chunk and the index
 * travel sealed under it (strata_upload_seal).
 */
#ifndef STRATA_UPLOAD_H
#define STRATA_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

/** What an upload sent. */
struct upload_stats {
	uint64_t bytes_uploaded;   /**< bytes of chunk files sent */
	uint64_t chunks_uploaded;
	uint64_t chunks_present;   /**< chunks the server already held */
	int server_key_checked;    /**< the hello's signature was checked with --pubkey */
};

/** One upload: where to, with which task, from which staging store. */
struct upload_job {
	const char *base;          /**< strata-server's base URL, no trailing '/' (borrowed) */
	const char *token;         /**< the task's token, 64 hex digits (borrowed) */
	const char *staging;       /**< the folder store the layer was built into (borrowed) */
	const uint8_t *id;         /**< the layer id (32 bytes, borrowed) */
	const char *part;          /**< partition label for a machine capture, or NULL */
	const char *pubkey;        /**< the server's manifest public key file, or NULL: the
				        hello's signature is then not checked (borrowed) */
};

/**
 * Check the token with the server, say hello (checking the server's signature when
 * job->pubkey names its key), upload the chunks of layer job->id that the server
 * lacks (asked in batches), then commit the index when job->part is given.  Progress on
 * stderr.  Errors are printed, saying what to do (a refused token: ask for a new one).
 * 0 with *st, or STRATA_EREPORTED.  The commit's answer line goes into answer (cap bytes).
 */
int upload_layer(const struct upload_job *job, struct upload_stats *st, char *answer,
		 size_t cap);

#endif /* STRATA_UPLOAD_H */
