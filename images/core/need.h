/*
 * The have/need exchange of a capture task (POST /capture/need, docs/capture.md): a client
 * names the chunks it holds, the server answers the ones it lacks.
 *
 * Why in core: strata-server parses the request, and both clients (strata-image on Linux,
 * strata.efi) write it and parse the answer; one file keeps the three sides on one format.
 *
 *     request body   1..STRATA_NEED_MAX lines, each a chunk's name (SHA-256 of its bytes)
 *                    as 64 lowercase hex digits ending in '\n', nothing else
 *     answer body    the names the server lacks, in the order asked, same lines;
 *                    empty when it lacks none
 *
 * A request may name one chunk twice (the server answers it twice when missing); the
 * capture engine never does.
 *
 * The commit's answer (POST /capture/commit) is read here too: its word
 * layer=sha256:<hex> is the layer the server committed, which both clients name in a gold
 * capture's layout.
 */
#ifndef STRATA_NEED_H
#define STRATA_NEED_H

#include <stddef.h>
#include <stdint.h>

/** Most names one have/need request asks about. */
#define STRATA_NEED_MAX 1024
/** Bytes of one line: 64 hex digits and '\n'. */
#define STRATA_NEED_LINE 65
/** Largest request (and answer) body: 66,560 bytes. */
#define STRATA_NEED_BODY_MAX (STRATA_NEED_MAX * STRATA_NEED_LINE)

/**
 * Read a request body (the server's side): 1..cap lines (cap <= STRATA_NEED_MAX) as above.
 * body is hostile (len bytes, borrowed, need not end in NUL); nothing is read past len.
 * 0 with *n names in out (cap entries, the caller's), or STRATA_EINVAL naming the 1-based
 * bad line in *line (0: the body as a whole: empty, cut short, or more than cap lines).
 */
int strata_need_parse(const char *body, size_t len, uint8_t (*out)[32], size_t cap,
		      size_t *n, size_t *line);

/**
 * Write the lines of the names d[i] (0 <= i < n) for which pick is NULL or pick[i] is
 * non-zero into out, which holds n * STRATA_NEED_LINE bytes (the caller's; no NUL is
 * written).  Returns the bytes written.  A client writes its request with pick NULL; the
 * server writes its answer with pick = the missing flags.
 */
size_t strata_need_write(char *out, const uint8_t (*d)[32], size_t n, const uint8_t *pick);

/**
 * Read an answer (the client's side) to a request for d[0..n): set missing[i] to 1 for each
 * name it lists and 0 for the others (missing is the caller's, n entries).  The answer is
 * hostile: it must be a subsequence of the names asked, in their order, each as a full
 * line; anything else (a name not asked, out of order, a cut line, trailing bytes) is
 * STRATA_EINVAL with *line the 1-based line at fault, and missing then means nothing.
 * Borrows every buffer.
 */
int strata_need_answer_parse(const char *body, size_t len, const uint8_t (*d)[32], size_t n,
			     uint8_t *missing, size_t *line);

/**
 * The layer id a commit's answer names: the word layer=sha256:<64 hex digits> of its
 * first line (line[0..len), hostile, borrowed; the line ends at len or its first '\n';
 * words are separated by single spaces), into id.  Why clients read it: a server whose
 * store holds a chunk deflated at another level rewrites the index's stored sizes to its
 * files, so the committed layer is not the one the client hashed (docs/capture.md,
 * "Commit").  0, or STRATA_EINVAL (no such word, or a malformed id).
 */
int strata_commit_answer_layer(const char *line, size_t len, uint8_t id[32]);

#endif /* STRATA_NEED_H */
