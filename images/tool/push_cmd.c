/*
 * `strata-image push`: copy a store to an S3-compatible bucket (--to) or layers from one
 * (--from), sending only what the other side lacks (s3.h; docs/sites.md).
 *
 * To a bucket: for each layer, every chunk file the bucket does not have (a HEAD per
 * chunk) is sent, then the index, last, so a reader never finds an index whose chunks are
 * missing.  From a bucket: each named layer's index (hashed against its id), then every
 * chunk the folder lacks, each decoded and verified before it is kept, then the index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chunk.h"
#include "cli.h"
#include "index.h"
#include "manifest.h"
#include "s3.h"
#include "store.h"
#include "store_path.h"
#include "text.h"

/** One push or pull: both ends, the buffers, and what was done. */
struct push {
	struct store *dir;
	struct store_reader *r;
	struct s3 *s3;
	int pull;                    /**< --from: bucket to folder */
	uint8_t *stored, *data;      /**< a chunk's store file and its bytes (pull checks) */
	uint64_t chunks, sent, bytes, present;
	struct progress prog;
};

static const char usage[] =
	"usage: strata-image push --store DIR --to s3://BUCKET[/PREFIX] [--endpoint URL] [LAYER...]\n"
	"       strata-image push --store DIR --from s3://BUCKET[/PREFIX] [--endpoint URL] LAYER...\n\n"
	"Copy a store's layers to an S3-compatible bucket (--to; every layer of DIR when none\n"
	"is named), or named layers from one into DIR (--from).  Only objects the other side\n"
	"lacks are sent: a HEAD per chunk in the bucket, the folder's own files.  Chunks go\n"
	"first and each layer's index last; chunks fetched from a bucket are verified.\n\n"
	"  --endpoint URL   the service (default AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else\n"
	"                   https://s3.REGION.amazonaws.com); requests are path-style\n"
	"Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN], else\n"
	"~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).  Region: AWS_REGION,\n"
	"AWS_DEFAULT_REGION, ~/.aws/config, else us-east-1.  The bucket's HTTP endpoint,\n"
	"ENDPOINT/BUCKET/PREFIX, is then a store for strata-image apply and for a site's\n"
	"store= in the inventory.\n";

/* One chunk to the bucket, unless it has it. */
static int push_chunk(struct push *p, const struct strata_chunk *c)
{
	char rel[STRATA_STORE_FILE_MAX], hex[65];
	const char *why = NULL;
	int rc;

	strata_store_chunk_rel(rel, c->digest);
	if ((rc = s3_exists(p->s3, rel)) != 0)
		return rc < 0 ? rc : (p->present++, 0);
	rc = store_get_chunk(p->r, c->digest, p->stored, c->stored_size, &why);
	if (rc) {
		strata_hex_encode(hex, c->digest, 32);
		return errorf("%s: chunk %llu (sha256:%s): %s", store_name(p->dir),
			      (unsigned long long)c->index, hex, why ? why : "cannot read it");
	}
	rc = s3_put(p->s3, rel, p->stored, c->stored_size);
	if (rc == 0) {
		p->sent++;
		p->bytes += c->stored_size;
	}
	return rc;
}

/* One chunk from the bucket, unless the folder has it: verified before it is kept. */
static int pull_chunk(struct push *p, const struct strata_chunk *c)
{
	struct strata_diag diag = { 0 };
	char rel[STRATA_STORE_FILE_MAX];
	uint64_t have;
	uint8_t *buf;
	size_t len;
	int rc;

	if (store_chunk_size(p->dir, c->digest, &have) == 0 && have == c->stored_size)
		return p->present++, 0;
	strata_store_chunk_rel(rel, c->digest);
	rc = s3_get(p->s3, rel, c->stored_size, &buf, &len);
	if (rc == STRATA_ENOENT)
		return errorf("%s/%s: chunk %llu is not in the bucket", s3_base(p->s3), rel,
			      (unsigned long long)c->index);
	if (rc)
		return rc;
	rc = strata_chunk_decode(c, buf, len, p->data, &diag);
	if (rc)
		errorf("%s/%s: chunk %llu: %s: not kept", s3_base(p->s3), rel,
		       (unsigned long long)c->index, diag.msg);
	else if ((rc = store_put_chunk(p->dir, c->digest, buf, len)) == 0) {
		p->sent++;
		p->bytes += len;
	}
	free(buf);
	return rc;
}

/* Every chunk with a file of idx, one way or the other, with the progress line. */
static int copy_chunks(struct push *p, const struct strata_index *idx)
{
	struct strata_chunk c;
	int rc = 0;

	progress_init(&p->prog, p->pull ? "pull" : "push", idx->chunk_count);
	for (uint64_t i = 0; i < idx->chunk_count && rc == 0; i++) {
		strata_index_chunk(idx, i, &c);
		if (!(c.flags & STRATA_ENTRY_NOFILE)) {
			p->chunks++;
			rc = p->pull ? pull_chunk(p, &c) : push_chunk(p, &c);
		}
		progress_add(&p->prog, 1);
		progress_tick(&p->prog);
	}
	progress_done(&p->prog);
	return rc;
}

/* Room for idx's largest chunk, its store file and its bytes. */
static int buffers(struct push *p, const struct strata_index *idx)
{
	free(p->stored);
	free(p->data);
	p->stored = malloc(idx->chunk_size + 1);
	p->data = malloc(idx->chunk_size + 1);
	return p->stored && p->data ? 0 : errorf("out of memory");
}

/* One layer to the bucket: its chunks, then its index (if the bucket lacks it). */
static int push_layer(void *ctx, const uint8_t id[32])
{
	struct push *p = ctx;
	struct strata_index idx;
	char rel[STRATA_STORE_FILE_MAX];
	uint8_t *buf = NULL;
	size_t len;
	int rc = store_get_layer(p->r, id, &buf, &len, &idx);

	if (rc == 0)
		rc = buffers(p, &idx);
	if (rc == 0)
		rc = copy_chunks(p, &idx);
	strata_store_index_rel(rel, id);
	if (rc == 0 && (rc = s3_exists(p->s3, rel)) == 0)
		rc = s3_put(p->s3, rel, buf, len);
	free(buf);
	return rc < 0 ? rc : 0;
}

/* One layer from the bucket: its index, checked, then its chunks, then the index. */
static int pull_layer(struct push *p, const uint8_t id[32])
{
	struct strata_diag diag = { 0 };
	struct strata_index idx;
	char rel[STRATA_STORE_FILE_MAX];
	uint8_t *buf, got[32];
	size_t len;
	int rc;

	strata_store_index_rel(rel, id);
	rc = s3_get(p->s3, rel, (size_t)1 << 32, &buf, &len);
	if (rc == STRATA_ENOENT)
		return errorf("%s/%s: the layer is not in the bucket", s3_base(p->s3), rel);
	if (rc)
		return rc;
	rc = strata_layer_open(&idx, id, buf, len, &diag);
	if (rc)
		errorf("%s/%s: %s", s3_base(p->s3), rel, diag.msg);
	if (rc == 0)
		rc = buffers(p, &idx);
	if (rc == 0)
		rc = copy_chunks(p, &idx);
	if (rc == 0)
		rc = store_put_index(p->dir, buf, len, got);
	free(buf);
	return rc;
}

/* The layers named on the command line, or (push) every layer of the folder. */
static int run(struct push *p, int nids, char **ids)
{
	uint8_t id[32];
	int rc = 0;

	if (nids == 0 && !p->pull)
		return store_each_layer(p->dir, push_layer, p);
	for (int i = 0; i < nids && rc == 0; i++) {
		if (strata_layer_id_parse(id, ids[i], strlen(ids[i])))
			return errorf("push: '%s' is not a layer id (sha256:<64 hex digits>)", ids[i]);
		rc = p->pull ? pull_layer(p, id) : push_layer(p, id);
	}
	return rc;
}

/* Options into the arguments; 0, or 2 after a usage error (printed). */
static int options(int argc, char **argv, const char **dir, const char **to,
		   const char **from, const char **endpoint, int *first_id)
{
	const char *v;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return fputs(usage, stdout), 1;
		if (opt_value(argc, argv, &i, "--store", &v))
			*dir = v;
		else if (opt_value(argc, argv, &i, "--to", &v))
			*to = v;
		else if (opt_value(argc, argv, &i, "--from", &v))
			*from = v;
		else if (opt_value(argc, argv, &i, "--endpoint", &v))
			*endpoint = v;
		else
			return errorf("push: unknown option '%s'", argv[i]), 2;
		if (!v)
			return 2;
	}
	*first_id = i;
	if (!*dir || !*to == !*from)
		return errorf("push: needs --store DIR and one of --to or --from (--help)"), 2;
	if (*from && i == argc)
		return errorf("push --from: name the layers to fetch (a bucket is not listed)"), 2;
	return 0;
}

int cmd_push(int argc, char **argv)
{
	struct push p = { 0 };
	const char *dir = NULL, *to = NULL, *from = NULL, *endpoint = NULL;
	int first, rc = options(argc, argv, &dir, &to, &from, &endpoint, &first);

	if (rc)
		return rc == 1 ? 0 : 2;
	p.pull = from != NULL;
	if (store_open(dir, p.pull, &p.dir))
		return 1;
	rc = store_reader_open(p.dir, &p.r);
	if (rc == 0)
		rc = s3_open(p.pull ? from : to, endpoint, &p.s3);
	if (rc == 0)
		rc = run(&p, argc - first, argv + first);
	if (rc == 0)
		fprintf(stderr, "push: %llu chunks: %llu sent (%llu bytes), %llu already there\n",
			(unsigned long long)p.chunks, (unsigned long long)p.sent,
			(unsigned long long)p.bytes, (unsigned long long)p.present);
	s3_close(p.s3);
	if (p.r)
		store_reader_close(p.r);
	store_close(p.dir);
	free(p.stored);
	free(p.data);
	return rc ? 1 : 0;
}
