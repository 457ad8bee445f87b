/*
 * Unit tests of strata-server's session table (server/sessions.c): requests signed as the
 * agent signs them (core/session.c) checked against the table, with the clock passed in:
 * the replay window, repeats of reads, single use of reports, another machine's session,
 * idle expiry, the per-machine quota and the total cap.
 */
#include <string.h>
#include "harness.h"
#include "rc.h"
#include "session.h"
#include "sessions.h"

static const uint8_t mac1[6] = { 0x52, 0x54, 0, 0, 0, 1 }, mac2[6] = { 0x52, 0x54, 0, 0, 0, 2 };
static const uint8_t pub[STRATA_KEY_PUB_LEN] = { 4 };

/* Session number i's keys: distinct sids and request keys. */
static struct strata_session_keys keys(unsigned int i)
{
	struct strata_session_keys k;

	memset(&k, (int)i, sizeof(k));
	k.sid[0] = (uint8_t)(i >> 8);
	return k;
}

/* Check request n of session k for path pq as a machine of mac would send it. */
static int ask(struct sessions *t, const struct strata_session_keys *k, const uint8_t mac[6],
	       const char *pq, uint64_t n, enum session_use use, int64_t now)
{
	char url[256];
	struct strata_session_keys got;
	uint64_t gn = 0;
	int rc;

	snprintf(url, sizeof(url), "%s", pq);
	if (strata_session_sign(k, n, url, sizeof(url)))
		abort();
	rc = sessions_check(t, mac, "GET", url, strlen(url), use, now, &got, &gn);
	if (rc == 0 && (gn != n || memcmp(&got, k, sizeof(got))))
		return -1;
	return rc;
}

static void test_window(void)
{
	struct strata_session_keys k = keys(1);
	struct sessions *t;

	CHECK_EQ(sessions_new(16, 4, 3600, &t), 0);
	sessions_add(t, mac1, pub, &k, 100);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=progress", 1, SESSION_ONCE, 100), 0);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=progress", 1, SESSION_ONCE, 100), STRATA_ESTALE);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 5, SESSION_ONCE, 100), 0);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 3, SESSION_ONCE, 100), 0);  /* late */
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 3, SESSION_ONCE, 100), STRATA_ESTALE);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 5, SESSION_ONCE, 100), STRATA_ESTALE);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 200, SESSION_ONCE, 100), 0);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 137, SESSION_ONCE, 100), 0);   /* in */
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 136, SESSION_ONCE, 100), STRATA_ESTALE);
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 6, SESSION_ONCE, 100), STRATA_ESTALE);
	sessions_free(t);
}

static void test_reads_repeat(void)
{
	struct strata_session_keys k = keys(2);
	struct sessions *t;

	CHECK_EQ(sessions_new(16, 4, 3600, &t), 0);
	sessions_add(t, mac1, pub, &k, 100);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 1, SESSION_READ, 100), 0);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 1, SESSION_READ, 101), 0);   /* resumed */
	CHECK_EQ(ask(t, &k, mac1, "/agent/x", 2, SESSION_READ, 102), 0);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 1, SESSION_READ, 103), 0);
	/* A read's number cannot then be spent on a report: the tag names the path. */
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 2, SESSION_ONCE, 104), STRATA_ESTALE);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 100, SESSION_READ, 105), 0);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 1, SESSION_READ, 106), STRATA_ESTALE); /* old */
	sessions_free(t);
}

static void test_refusals(void)
{
	struct strata_session_keys k = keys(3), forged = keys(3);
	struct sessions *t;
	char url[256];

	CHECK_EQ(sessions_new(16, 4, 3600, &t), 0);
	sessions_add(t, mac1, pub, &k, 100);
	CHECK_EQ(sessions_check(t, mac1, "GET", "/manifest/x", 11, SESSION_READ, 100, NULL, NULL),
		 STRATA_EAUTH);                              /* unsigned */
	CHECK_EQ(ask(t, &k, mac2, "/manifest/y", 1, SESSION_READ, 100), STRATA_EACCES);
	forged.req[5] ^= 1;                                 /* right sid, wrong key */
	CHECK_EQ(ask(t, &forged, mac1, "/manifest/x", 1, SESSION_READ, 100), STRATA_EBADSIG);
	snprintf(url, sizeof(url), "/manifest/x");          /* signed for GET, sent as HEAD */
	strata_session_sign(&k, 2, url, sizeof(url));
	CHECK_EQ(sessions_check(t, mac1, "HEAD", url, strlen(url), SESSION_READ, 100, NULL, NULL),
		 STRATA_EBADSIG);
	CHECK_EQ(sessions_check(t, mac1, "GET", "/m?s=zz&n=1&h=00", 17, SESSION_READ, 100, NULL,
				NULL), STRATA_EAUTH);       /* no well-formed suffix: unsigned */
	/* The refusals used up nothing: n = 1 and 2 still pass. */
	CHECK_EQ(ask(t, &k, mac1, "/report/x?phase=ok", 1, SESSION_ONCE, 100), 0);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 2, SESSION_READ, 100), 0);
	sessions_free(t);
}

static void test_expiry(void)
{
	struct strata_session_keys k = keys(4);
	struct sessions *t;

	CHECK_EQ(sessions_new(16, 4, 3600, &t), 0);
	sessions_add(t, mac1, pub, &k, 1000);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 1, SESSION_READ, 1000 + 3599), 0);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 2, SESSION_READ, 1000 + 3599 + 3599), 0);
	CHECK_EQ(ask(t, &k, mac1, "/manifest/x", 3, SESSION_READ, 1000 + 3599 * 3 + 1),
		 STRATA_EAUTH);                              /* idle an hour: gone */
	CHECK_EQ(sessions_count(t, 1000 + 3599 * 3 + 1), 0);
	sessions_free(t);
}

static void test_caps(void)
{
	struct strata_session_keys k[8];
	struct sessions *t;

	for (unsigned int i = 0; i < 8; i++)
		k[i] = keys(10 + i);
	CHECK_EQ(sessions_new(6, 4, 3600, &t), 0);
	for (int i = 0; i < 5; i++)                       /* mac1's fifth replaces its first */
		sessions_add(t, mac1, pub, &k[i], 100 + i);
	CHECK_EQ(sessions_count(t, 200), 4);
	CHECK_EQ(ask(t, &k[0], mac1, "/m", 1, SESSION_READ, 200), STRATA_EAUTH);
	CHECK_EQ(ask(t, &k[4], mac1, "/m", 1, SESSION_READ, 200), 0);
	sessions_add(t, mac2, pub, &k[5], 300);
	sessions_add(t, mac2, pub, &k[6], 301);            /* table full (6) */
	sessions_add(t, mac2, pub, &k[7], 302);            /* the least recently used goes */
	CHECK_EQ(sessions_count(t, 400), 6);
	CHECK_EQ(ask(t, &k[1], mac1, "/m", 1, SESSION_READ, 400), STRATA_EAUTH);
	CHECK_EQ(ask(t, &k[4], mac1, "/m", 2, SESSION_READ, 400), 0);   /* used at 200: kept */
	CHECK_EQ(ask(t, &k[7], mac2, "/m", 1, SESSION_READ, 400), 0);
	sessions_drop_machine(t, mac1);                    /* a new key accepted for mac1 */
	CHECK_EQ(ask(t, &k[4], mac1, "/m", 3, SESSION_READ, 400), STRATA_EAUTH);
	CHECK_EQ(sessions_count(t, 400), 3);
	sessions_free(t);
}

int main(void)
{
	RUN(test_window);
	RUN(test_reads_repeat);
	RUN(test_refusals);
	RUN(test_expiry);
	RUN(test_caps);
	return harness_summary();
}
