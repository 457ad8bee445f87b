/*
 * EFI signature lists and EDK II variable stores, read in place (efivars.h gives the
 * layouts).  Every length is checked against what is left before it is used, in 64-bit
 * arithmetic, so no field value can make an offset wrap.
 */
#include "efivars.h"
#include "le.h"
#include "mem.h"

const strata_guid_bytes strata_guid_cert_x509 = {
	0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
	0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72 };
const strata_guid_bytes strata_guid_image_security_db = {
	0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
	0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f };
const strata_guid_bytes strata_guid_varstore = {
	0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
	0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92 };

/* Variable header field offsets (efivars.h). */
enum {
	VAR_STATE = 2,
	VAR_NAME_SIZE = 36,
	VAR_DATA_SIZE = 40,
	VAR_GUID = 44,
	STORE_SIZE = 16,
};

int strata_esl_next(const uint8_t *buf, size_t len, size_t *pos, struct strata_esl *out,
		    struct strata_diag *diag)
{
	const uint8_t *p = buf + *pos;
	uint64_t left = len - *pos, body;
	uint32_t list_size, hdr_size, sig_size;

	if (left == 0)
		return STRATA_ENOENT;
	if (left < STRATA_ESL_HEADER)
		return strata_fail(diag, STRATA_ETRUNC, "signature list header cut short", *pos);
	list_size = le32_get(p + 16);
	hdr_size = le32_get(p + 20);
	sig_size = le32_get(p + 24);
	if (list_size > left)
		return strata_fail(diag, STRATA_ETRUNC, "signature list runs past the end", *pos);
	if ((uint64_t)STRATA_ESL_HEADER + hdr_size > list_size)
		return strata_fail(diag, STRATA_EINVAL, "signature list header too large", *pos);
	body = list_size - STRATA_ESL_HEADER - (uint64_t)hdr_size;
	if (sig_size <= STRATA_ESL_OWNER || body == 0 || body % sig_size)
		return strata_fail(diag, STRATA_EINVAL,
				   "signature list is not a whole number of entries", *pos);
	out->list = p;
	out->list_size = list_size;
	out->sig_size = sig_size;
	out->count = (uint32_t)(body / sig_size);
	out->first = p + STRATA_ESL_HEADER + hdr_size;
	*pos += list_size;
	return 0;
}

const uint8_t *strata_esl_entry(const struct strata_esl *esl, uint32_t i)
{
	return esl->first + (size_t)i * esl->sig_size;
}

/* Whether the UTF-16LE name[0..size) is the ASCII string want followed by a NUL. */
static int name_is(const uint8_t *name, uint64_t size, const char *want)
{
	uint64_t n = 0;

	while (want[n])
		n++;
	if (size != (n + 1) * 2)
		return 0;
	for (uint64_t i = 0; i <= n; i++)
		if (le16_get(name + 2 * i) != (uint8_t)want[i])
			return 0;
	return 1;
}

/* The store header's offset in buf, or -1: it sits at a 4-byte boundary in the volume. */
static int64_t store_offset(const uint8_t *buf, size_t len)
{
	for (size_t off = 0; off + STRATA_VARSTORE_HEADER <= len; off += 4)
		if (!strata_memcmp(buf + off, strata_guid_varstore, 16))
			return (int64_t)off;
	return -1;
}

int strata_varstore_find(const uint8_t *buf, size_t len, const char *name,
			 const strata_guid_bytes guid, const uint8_t **data, size_t *data_len,
			 struct strata_diag *diag)
{
	int64_t start = store_offset(buf, len);
	uint64_t end, off, name_size, data_size;
	int found = 0;

	if (start < 0)
		return strata_fail(diag, STRATA_EINVAL, "no EDK II variable store header", 0);
	end = (uint64_t)start + le32_get(buf + start + STORE_SIZE);
	if (end > len)
		end = len;
	for (off = (uint64_t)start + STRATA_VARSTORE_HEADER; off + STRATA_VAR_HEADER <= end;
	     off = (off + name_size + data_size + 3) & ~(uint64_t)3) {
		const uint8_t *v = buf + off;

		if (le16_get(v) != STRATA_VAR_START_ID)
			break;
		off += STRATA_VAR_HEADER;
		name_size = le32_get(v + VAR_NAME_SIZE);
		data_size = le32_get(v + VAR_DATA_SIZE);
		if (name_size + data_size > end - off)
			return strata_fail(diag, STRATA_ETRUNC, "variable runs past the store",
					   off - STRATA_VAR_HEADER);
		if (v[VAR_STATE] != STRATA_VAR_ADDED || strata_memcmp(v + VAR_GUID, guid, 16) ||
		    !name_is(buf + off, name_size, name))
			continue;
		*data = buf + off + name_size;
		*data_len = (size_t)data_size;
		found = 1;
	}
	return found ? 0 : strata_fail(diag, STRATA_ENOENT, "no such variable", 0);
}
