/*
 * Unit tests of strata-server's capture hellos (server/capture_hello.c): the table of
 * upload keys (a task's key replaced by its next hello, a replayed client point refused
 * with nothing changed, the ring of remembered points, a full table replacing the least
 * recently used, unknown tasks), and a whole hello against a real manifest key (made with
 * key_generate): the signature verifies with its .pub over strata_session_hello_digest,
 * and the client's side of the ECDH derives the key the server remembered; a point off the
 * curve is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture_hello.h"
#include "crypto.h"
#include "harness.h"
#include "host.h"
#include "keys.h"
#include "rc.h"
#include "server.h"
#include "sessions.h"

/* Task i's sid, client point j, key k: distinct bytes. */
static void sid_of(uint8_t sid[16], int i) { memset(sid, 0xa0 + i, 16); }
static void point_of(uint8_t p[65], int j) { memset(p, j, 65); p[0] = 4; p[1] = (uint8_t)(j >> 8); }
static void key_of(uint8_t k[32], int i) { memset(k, 0x30 + i, 32); }

static int has_key(struct capture_hellos *t, int task, int want)
{
	uint8_t sid[16], got[32], k[32];

	sid_of(sid, task);
	key_of(k, want);
	return capture_hello_key(t, sid, got) == 0 && !memcmp(got, k, 32);
}

static int put(struct capture_hellos *t, int task, int point, int key)
{
	uint8_t sid[16], p[65], k[32];

	sid_of(sid, task);
	point_of(p, point);
	key_of(k, key);
	return capture_hellos_put(t, sid, p, k);
}

static void test_table(void)
{
	struct capture_hellos *t;
	uint8_t sid[16], got[32];

	CHECK_EQ(capture_hellos_new(3, &t), 0);
	sid_of(sid, 0);
	CHECK_EQ(capture_hello_key(t, sid, got), STRATA_ENOENT);
	CHECK_EQ(put(t, 0, 1, 1), 0);
	CHECK(has_key(t, 0, 1));
	CHECK_EQ(put(t, 0, 1, 2), STRATA_ESTALE);          /* a replay changes nothing */
	CHECK(has_key(t, 0, 1));
	CHECK_EQ(put(t, 0, 2, 2), 0);                      /* a new hello replaces the key */
	CHECK(has_key(t, 0, 2));
	CHECK_EQ(put(t, 0, 1, 3), STRATA_ESTALE);          /* an older point is still known */
	for (int j = 3; j < 3 + HELLOS_SEEN - 1; j++)
		CHECK_EQ(put(t, 0, j, 4), 0);
	CHECK_EQ(put(t, 0, 1, 5), 0);                      /* out of the ring: taken again */
	CHECK(has_key(t, 0, 5));
	CHECK_EQ(put(t, 1, 1, 6), 0);                      /* points are per task */
	CHECK_EQ(put(t, 2, 1, 7), 0);
	CHECK(has_key(t, 0, 5) && has_key(t, 1, 6) && has_key(t, 2, 7));
	CHECK_EQ(put(t, 3, 1, 8), 0);                      /* full: one of the others goes */
	CHECK(has_key(t, 3, 8));
	CHECK_EQ(has_key(t, 0, 5) + has_key(t, 1, 6) + has_key(t, 2, 7), 2);
	capture_hellos_free(t);
	capture_hellos_free(NULL);
}

static int rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return server_rng(NULL, out, len);
}

/* A whole hello, with the manifest key at dir/server.key. */
static void hello_with(const char *dir)
{
	struct server s;
	struct strata_session_keys task;
	struct capture_hello_answer a;
	uint8_t priv[32], client[65], x[32], mine[32], theirs[32], d[32], *pub;
	char path[512], pubpath[520];
	size_t plen;

	memset(&s, 0, sizeof(s));
	memset(&task, 0x44, sizeof(task));
	snprintf(path, sizeof(path), "%s/server.key", dir);
	snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
	CHECK_EQ(key_generate(path), 0);
	CHECK_EQ(read_file(path, 1 << 16, &s.key, &s.key_len), 0);
	CHECK_EQ(read_file(pubpath, 1 << 16, &pub, &plen), 0);
	s.cfg.key = path;
	CHECK_EQ(capture_hellos_new(4, &s.hellos), 0);
	CHECK_EQ(strata_p256_keygen(rng, NULL, priv, client), 0);
	CHECK_EQ(capture_hello(&s, &task, client, &a), 0);
	strata_session_hello_digest(task.sid, client, a.eph, d);
	CHECK_EQ(strata_ecdsa_verify(pub, plen, d, a.sig, a.sig_len), 0);
	CHECK_EQ(strata_p256_ecdh(priv, a.eph, rng, NULL, x), 0);
	CHECK_EQ(strata_session_hello_derive(&task, x, client, a.eph, mine), 0);
	CHECK_EQ(capture_hello_key(s.hellos, task.sid, theirs), 0);
	CHECK(!memcmp(mine, theirs, 32));
	CHECK_EQ(capture_hello(&s, &task, client, &a), STRATA_ESTALE);
	client[64] ^= 1;                                   /* now off the curve */
	CHECK_EQ(capture_hello(&s, &task, client, &a), STRATA_EINVAL);
	capture_hellos_free(s.hellos);
	free(pub);
	free(s.key);
	unlink(pubpath);
	unlink(path);
}

static void test_hello(void)
{
	char dir[] = "/tmp/strata-test-hello.XXXXXX";

	CHECK(mkdtemp(dir) != NULL);
	hello_with(dir);
	rmdir(dir);
}

int main(void)
{
	RUN(test_table);
	RUN(test_hello);
	return harness_summary();
}
