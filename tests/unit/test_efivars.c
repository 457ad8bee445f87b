/*
 * Unit tests for images/core/efivars.c: EFI signature lists and EDK II variable stores.
 * Synthetic stores and lists built here, byte by byte, cover every refusal; Debian's
 * OVMF_VARS_4M.ms.fd, when installed, is the real store `strata-image sb keygen` reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "efivars.h"
#include "harness.h"
#include "le.h"

static const strata_guid_bytes vendor = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* Append an X509 signature list of n entries of sig bytes each to buf at *len. */
static void put_esl(uint8_t *buf, size_t *len, uint32_t n, uint32_t sig, uint8_t fill)
{
	uint8_t *p = buf + *len;

	memcpy(p, strata_guid_cert_x509, 16);
	le32_put(p + 16, 28 + n * sig);
	le32_put(p + 20, 0);
	le32_put(p + 24, sig);
	memset(p + 28, fill, (size_t)n * sig);
	*len += 28 + (size_t)n * sig;
}

static void test_esl_good(void)
{
	uint8_t buf[512];
	size_t len = 0, pos = 0;
	struct strata_esl e;
	struct strata_diag d;

	put_esl(buf, &len, 2, 40, 0xaa);
	put_esl(buf, &len, 1, 17, 0xbb);
	CHECK_EQ(strata_esl_next(buf, len, &pos, &e, &d), 0);
	CHECK_EQ(e.count, 2);
	CHECK_EQ(e.sig_size, 40);
	CHECK(strata_esl_entry(&e, 1) == buf + 28 + 40);
	CHECK_EQ(strata_esl_next(buf, len, &pos, &e, &d), 0);
	CHECK_EQ(e.count, 1);
	CHECK(e.list == buf + 28 + 80);
	CHECK_EQ(strata_esl_next(buf, len, &pos, &e, &d), STRATA_ENOENT);
}

/* One list at the start of buf, then a field patched: rc expected. */
static void esl_patch(size_t field, uint32_t value, size_t cut, int want)
{
	uint8_t buf[256];
	size_t len = 0, pos = 0;
	struct strata_esl e;
	struct strata_diag d = { 0 };

	put_esl(buf, &len, 3, 32, 1);
	if (field)
		le32_put(buf + field, value);
	CHECK_MSG(strata_esl_next(buf, len - cut, &pos, &e, &d) == want,
		  "field %zu = %u, cut %zu", field, value, cut);
	if (want && want != STRATA_ENOENT)
		CHECK(d.msg != NULL && pos == 0);
}

static void test_esl_refused(void)
{
	esl_patch(0, 0, 124, STRATA_ENOENT);         /* nothing left */
	esl_patch(0, 0, 1, STRATA_ETRUNC);              /* list runs past the end */
	esl_patch(0, 0, 28 + 96 - 27, STRATA_ETRUNC);   /* header cut */
	esl_patch(20, 0xffffffff, 0, STRATA_EINVAL);    /* header size overflows */
	esl_patch(20, 4, 0, STRATA_EINVAL);             /* entries no longer whole */
	esl_patch(24, 0, 0, STRATA_EINVAL);             /* zero-sized entries */
	esl_patch(24, 16, 0, STRATA_EINVAL);            /* entries with only an owner */
	esl_patch(24, 33, 0, STRATA_EINVAL);            /* not a whole number */
	esl_patch(16, 28, 0, STRATA_EINVAL);            /* no entry at all */
	esl_patch(16, 0, 0, STRATA_EINVAL);             /* smaller than its header */
}

/* Append a variable (state, name, data of n bytes of fill) to a store in buf at *len. */
static void put_var(uint8_t *buf, size_t *len, uint8_t state, const char *name, size_t n,
		    uint8_t fill)
{
	uint8_t *v = buf + *len;
	size_t nl = strlen(name) + 1;

	memset(v, 0, 60);
	le16_put(v, STRATA_VAR_START_ID);
	v[2] = state;
	le32_put(v + 36, (uint32_t)(nl * 2));
	le32_put(v + 40, (uint32_t)n);
	memcpy(v + 44, vendor, 16);
	for (size_t i = 0; i < nl; i++)
		le16_put(v + 60 + 2 * i, (uint16_t)(uint8_t)name[i]);
	memset(v + 60 + nl * 2, fill, n);
	*len = (*len + 60 + nl * 2 + n + 3) & ~(size_t)3;
}

/* A store at offset 8 of buf (after 8 bytes of a volume header), size fixed at the end. */
static size_t store_begin(uint8_t *buf)
{
	memset(buf, 0xff, 4096);
	memset(buf, 0, 8);
	memcpy(buf + 8, strata_guid_varstore, 16);
	buf[8 + 20] = 0x5a;
	buf[8 + 21] = 0xfe;
	return 8 + 28;
}

static void test_store_find(void)
{
	static uint8_t buf[4096];
	size_t len = store_begin(buf), dlen;
	const uint8_t *data;
	struct strata_diag d;

	put_var(buf, &len, 0x3c, "db", 10, 1);            /* an old, deleted copy */
	put_var(buf, &len, STRATA_VAR_ADDED, "dbx", 5, 2);
	put_var(buf, &len, STRATA_VAR_ADDED, "db", 7, 3);  /* the live one */
	put_var(buf, &len, STRATA_VAR_ADDED, "d", 3, 4);
	le32_put(buf + 8 + 16, 4096 - 8);
	CHECK_EQ(strata_varstore_find(buf, 4096, "db", vendor, &data, &dlen, &d), 0);
	CHECK_EQ(dlen, 7);
	CHECK(data[0] == 3 && data[6] == 3);
	CHECK_EQ(strata_varstore_find(buf, 4096, "dbx", vendor, &data, &dlen, &d), 0);
	CHECK_EQ(dlen, 5);
	CHECK_EQ(strata_varstore_find(buf, 4096, "KEK", vendor, &data, &dlen, &d), STRATA_ENOENT);
	CHECK_EQ(strata_varstore_find(buf, 4096, "db", strata_guid_cert_x509, &data, &dlen, &d),
		 STRATA_ENOENT);
	/* The store's size cuts the last variable: refused, naming its offset. */
	le32_put(buf + 8 + 16, (uint32_t)(len - 8 - 2));
	CHECK_EQ(strata_varstore_find(buf, 4096, "db", vendor, &data, &dlen, &d), STRATA_ETRUNC);
	CHECK(d.where > 36);
	/* A store size past the buffer is held to the buffer. */
	le32_put(buf + 8 + 16, 0xffffffff);
	CHECK_EQ(strata_varstore_find(buf, len, "db", vendor, &data, &dlen, &d), 0);
	CHECK_EQ(strata_varstore_find(buf, len - 2, "db", vendor, &data, &dlen, &d),
		 STRATA_ETRUNC);
	memset(buf + 8, 0, 16);
	CHECK_EQ(strata_varstore_find(buf, 4096, "db", vendor, &data, &dlen, &d), STRATA_EINVAL);
	CHECK_EQ(strata_varstore_find(buf, 3, "db", vendor, &data, &dlen, &d), STRATA_EINVAL);
}

/* Debian's Microsoft-keyed NVRAM file: db holds two X.509 lists of one entry each. */
static void test_ovmf_ms(void)
{
	const char *path = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	size_t len, dlen, pos = 0, lists = 0;
	const uint8_t *data;
	struct strata_esl e;
	struct strata_diag d;

	if (!f) {
		printf("note: %s not installed (Debian's ovmf): skipped\n", path);
		return;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	CHECK_EQ(strata_varstore_find(buf, len, "db", strata_guid_image_security_db, &data,
				      &dlen, &d), 0);
	while (strata_esl_next(data, dlen, &pos, &e, &d) == 0) {
		CHECK(!memcmp(e.list, strata_guid_cert_x509, 16));
		CHECK_EQ(e.count, 1);
		/* A DER certificate: a SEQUENCE with a two-byte length. */
		CHECK(strata_esl_entry(&e, 0)[16] == 0x30 && strata_esl_entry(&e, 0)[17] == 0x82);
		lists++;
	}
	CHECK_EQ(pos, dlen);
	CHECK_EQ(lists, 2);
}

int main(void)
{
	RUN(test_esl_good);
	RUN(test_esl_refused);
	RUN(test_store_find);
	RUN(test_ovmf_ms);
	return harness_summary();
}
