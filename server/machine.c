/* Machine layers and manifests (see machine.h). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cidata.h"
#include "crypto.h"
#include "host.h"
#include "keys.h"
#include "layer_build.h"
#include "machine.h"
#include "manifest.h"
#include "text.h"

#define MIB (1ULL << 20)

void machine_guid(uint8_t guid[16], const uint8_t mac[6], const char *what, unsigned int n)
{
	char seed[96];
	uint8_t d[32];
	int len;

	len = snprintf(seed, sizeof(seed), "strata:%s:%02x%02x%02x%02x%02x%02x:%u", what, mac[0],
		       mac[1], mac[2], mac[3], mac[4], mac[5], n);
	strata_sha256(seed, (size_t)len, d);
	memcpy(guid, d, 16);
	guid[7] = (uint8_t)((guid[7] & 0x0f) | 0x40);  /* version 4 (stored little-endian) */
	guid[8] = (uint8_t)((guid[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
}

/* The user-data file's bytes, or the built-in default; *buf is the caller's. */
static int user_data(const struct machine_spec *m, uint8_t **buf, size_t *len)
{
	char *s;

	if (m->user_data_path)
		return read_file(m->user_data_path, CIDATA_FILE_MAX, buf, len);
	if (asprintf(&s, "#cloud-config\nhostname: %s\n", m->name) < 0)
		return errorf("out of memory");
	*buf = (uint8_t *)s;
	*len = strlen(s);
	return 0;
}

/* Write the CIDATA volume for m into img. */
static int cidata_for(const struct machine_spec *m, uint8_t *img)
{
	char meta[256], hex[13];
	struct cidata_file f[2];
	uint8_t *ud;
	size_t ud_len;
	int rc;

	if (user_data(m, &ud, &ud_len))
		return -1;
	strata_hex_encode(hex, m->mac, 6);
	snprintf(meta, sizeof(meta), "instance-id: strata-%s\nlocal-hostname: %s\n", hex,
		 m->name);
	f[0] = (struct cidata_file){ "meta-data", meta, strlen(meta) };
	f[1] = (struct cidata_file){ "user-data", ud, ud_len };
	rc = cidata_build(img, f, 2, (uint32_t)m->mac[2] << 24 | (uint32_t)m->mac[3] << 16 |
			  (uint32_t)m->mac[4] << 8 | m->mac[5]);
	free(ud);
	return rc;
}

int machine_layer_build(const struct machine_spec *m, struct store *store, const char *tmp_dir,
			const uint8_t *known_image, const uint8_t *known_layer,
			uint8_t image_sum[32], uint8_t layer[32])
{
	struct layer_build_stats st;
	char path[4096];
	uint8_t *img = malloc(CIDATA_SIZE);
	int rc = -1;

	if (!img)
		return errorf("out of memory");
	if (cidata_for(m, img))
		goto out;
	strata_sha256(img, CIDATA_SIZE, image_sum);
	if (known_image && known_layer && !memcmp(image_sum, known_image, 32)) {
		memcpy(layer, known_layer, 32);
		rc = 0;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/cidata-%s.img", tmp_dir, m->name);
	if (write_file_atomic(path, img, CIDATA_SIZE, 0600, 0))
		goto out;
	rc = layer_build(store, path, 12, 6, layer, &st);
	unlink(path);
out:
	free(img);
	return rc;
}

/* Append printf-formatted text to a growing buffer. */
static int append(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s, *nb;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	nb = realloc(*buf, *len + (size_t)n + 1);
	if (!nb)
		return free(s), -1;
	memcpy(nb + *len, s, (size_t)n + 1);
	*buf = nb;
	*len += (size_t)n;
	free(s);
	return 0;
}

static const char *policy_name(enum strata_policy p)
{
	return p == STRATA_POLICY_WRITE ? "write" : p == STRATA_POLICY_PRESERVE ? "preserve"
									     : "restore";
}

/* One part line; *start advances past the partition. */
static int part_line(char **t, size_t *len, const struct machine_spec *m, unsigned int i,
		     uint64_t *start, const uint8_t machine_layer[32])
{
	const struct inv_part *p = &m->profile->parts[i];
	char guid[37], layer[80] = "", size[32] = "rest";
	uint8_t g[16];

	machine_guid(g, m->mac, "part", i + 1);
	strata_guid_format(guid, g);
	if (p->layer_kind != INV_LAYER_NONE) {
		strcpy(layer, " layer=");
		strata_layer_id_format(layer + 7,
				       p->layer_kind == INV_LAYER_ID ? p->layer : machine_layer);
	}
	if (p->size)
		snprintf(size, sizeof(size), "%llu", (unsigned long long)p->size);
	if (append(t, len, "part %u label=%s type=%s guid=%s start=%llu size=%s policy=%s%s\n",
		   i + 1, p->label, p->type, guid, (unsigned long long)*start, size,
		   policy_name(p->policy), layer))
		return -1;
	*start += (p->size + MIB - 1) / MIB * MIB;
	return 0;
}

/* Parse the generated text back with the core's parser: it must be valid. */
static int self_check(const char *text, size_t len, const char *name)
{
	struct strata_manifest mf;
	struct strata_diag diag = { 0 };

	if (strata_manifest_parse(&mf, text, len, &diag))
		return errorf("manifest for %s: line %llu: %s (inventory layout invalid)", name,
			      (unsigned long long)diag.where, diag.msg);
	return 0;
}

int machine_manifest(const struct machine_spec *m, uint64_t version,
		     const uint8_t machine_layer[32], char **text, size_t *len)
{
	char dguid[37], minsz[48] = "";
	uint64_t start = MIB;
	uint8_t g[16];
	int rc;

	*text = NULL;
	*len = 0;
	machine_guid(g, m->mac, "disk", 0);
	strata_guid_format(dguid, g);
	if (m->profile->min_disk)
		snprintf(minsz, sizeof(minsz), " min-size=%llu",
			 (unsigned long long)m->profile->min_disk);
	rc = append(text, len, "strata-manifest 1\nversion %llu\nmachine %s\ndisk guid=%s%s\n",
		    (unsigned long long)version, m->name, dguid, minsz);
	for (unsigned int i = 0; rc == 0 && i < m->profile->nparts; i++)
		rc = part_line(text, len, m, i, &start, machine_layer);
	if (rc == 0)
		rc = self_check(*text, *len, m->name);
	if (rc) {
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

int manifest_sign_buffer(const uint8_t *key, size_t key_len, const char *key_name,
			 char **text, size_t *len)
{
	uint8_t digest[32], sig[STRATA_SIG_MAX];
	char b64[4 * ((STRATA_SIG_MAX + 2) / 3) + 1];
	size_t sig_len;

	strata_sha256(*text, *len, digest);
	if (key_sign_mem(key, key_len, key_name, digest, sig, sizeof(sig), &sig_len))
		return -1;
	strata_base64_encode(b64, sig, sig_len);
	return append(text, len, "signature ecdsa-p256 %s\n", b64) ? errorf("out of memory") : 0;
}
