/* Chunk runs (see http_run.h). */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host.h"
#include "http_run.h"
#include "index.h"
#include "rc.h"
#include "store_path.h"

/** One chunk file of the run. */
struct run_item {
	uint8_t digest[32];
	uint32_t size;
	int also;               /**< in the run's second folder (a private layer's public
				     chunk), not its own */
};

/** Reading state of one run response, owned by the response. */
struct run {
	char dir[4096];
	char also[4096];        /**< the folder a chunk missing from dir may be in, or "" */
	size_t n, cur;
	int fd;                 /**< open file of item cur, or -1 */
	uint32_t left;          /**< bytes of item cur still to send */
	struct run_item item[]; /**< n items */
};

/* Open the chunk file of item cur.  0, or STRATA_ENOENT when it went away since collect. */
static int open_item(struct run *r)
{
	char path[4096 + 100], rel[STRATA_STORE_FILE_MAX];

	strata_store_chunk_rel(rel, r->item[r->cur].digest);
	snprintf(path, sizeof(path), "%s/%s", r->item[r->cur].also ? r->also : r->dir, rel);
	r->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	r->left = r->item[r->cur].size;
	return r->fd < 0 ? STRATA_ENOENT : 0;
}

ssize_t http_run_read(struct run *r, void *buf, size_t max)
{
	ssize_t got;

	while (r->cur < r->n && r->fd < 0) {
		if (open_item(r))
			return -1;
		if (r->left == 0) {
			close(r->fd);
			r->fd = -1;
			r->cur++;
		}
	}
	if (r->cur == r->n)
		return 0;
	got = read(r->fd, buf, max < r->left ? max : r->left);
	if (got <= 0)
		return -1;  /* the file changed under us */
	r->left -= (uint32_t)got;
	if (r->left == 0) {
		close(r->fd);
		r->fd = -1;
		r->cur++;
	}
	return got;
}

/* libmicrohttpd pulls the body through here, in order. */
static ssize_t run_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t got = http_run_read(cls, buf, max);

	(void)pos;
	return got > 0 ? got : got == 0 ? MHD_CONTENT_READER_END_OF_STREAM
		: MHD_CONTENT_READER_END_WITH_ERROR;
}

void http_run_free(struct run *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

static void run_free(void *cls)
{
	http_run_free(cls);
}

/* Whether chunk c's file is in folder dir with the size the index gives. */
static int chunk_there(const char *dir, const struct strata_chunk *c)
{
	char path[4096 + 100], rel[STRATA_STORE_FILE_MAX];
	struct stat st;

	strata_store_chunk_rel(rel, c->digest);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0 && (uint64_t)st.st_size == c->stored_size;
}

/* The run's items (*out, the caller's) and total size; every chunk file must be there
 * with its size, in dir or else in also (NULL: dir only). */
static int collect(const char *dir, const char *also, const struct strata_index *idx,
		   uint64_t first, uint64_t last, struct run **out, uint64_t *len,
		   const char **why)
{
	struct run *r = calloc(1, sizeof(*r) + (last - first + 1) * sizeof(struct run_item));
	struct strata_chunk c;
	int other;

	if (!r)
		return *why = "out of memory", STRATA_ENOMEM;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	snprintf(r->also, sizeof(r->also), "%s", also ? also : "");
	r->fd = -1;
	*len = 0;
	for (uint64_t i = first; i <= last; i++) {
		strata_index_chunk(idx, i, &c);
		if (c.flags & STRATA_ENTRY_NOFILE)
			continue;
		other = !chunk_there(dir, &c);
		if (other && !(also && chunk_there(also, &c))) {
			free(r);
			return *why = "a chunk of the run is missing from the store", STRATA_ENOENT;
		}
		memcpy(r->item[r->n].digest, c.digest, 32);
		r->item[r->n].also = other;
		r->item[r->n++].size = c.stored_size;
		*len += c.stored_size;
	}
	*out = r;
	return 0;
}

int http_run_open(const char *dir, const char *also, const struct strata_index *idx,
		  uint64_t first, uint64_t last, struct run **out, uint64_t *len,
		  const char **why)
{
	int rc;

	if (last - first >= RUN_MAX_CHUNKS)
		return *why = "run longer than 4096 chunks", STRATA_ERANGE;
	if (last >= idx->chunk_count)
		return *why = "run past the layer's last chunk", STRATA_ERANGE;
	rc = collect(dir, also, idx, first, last, out, len, why);
	if (rc)
		return rc;
	if (*len > RUN_MAX_BYTES) {
		free(*out);
		return *why = "run larger than 256 MiB", STRATA_ERANGE;
	}
	return 0;
}

int http_run_response(const char *dir, const char *also, const struct strata_index *idx,
		      uint64_t first, uint64_t last, struct MHD_Response **out, uint64_t *len,
		      const char **why)
{
	struct run *r;
	int rc = http_run_open(dir, also, idx, first, last, &r, len, why);

	if (rc)
		return rc;
	*out = MHD_create_response_from_callback(*len, 65536, run_read, r, run_free);
	if (!*out) {
		free(r);
		return *why = "out of memory", STRATA_ENOMEM;
	}
	return 0;
}
