/* Machine layers and manifests (see machine.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cidata.h"
#include "codec.h"
#include "crypto.h"
#include "host.h"
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

/* Room for meta-data: both keys, a name in each, the id's digest and the newlines. */
#define META_MAX (64 + 2 * INV_NAME_MAX + MACHINE_INSTANCE_HEX)

void machine_instance_id(char out[MACHINE_INSTANCE_ID_MAX], const char *name,
			 const uint8_t mac[6], const char *hostname, const uint8_t *ud,
			 size_t ud_len)
{
	static const char domain[] = "strata:instance-id";
	struct strata_sha256 ctx;
	uint8_t d[32];
	char hex[2 * sizeof(d) + 1];

	/* Each text field ends with its NUL, so no two machines' fields run together into one
	 * input; the user-data comes last and needs no end. */
	strata_sha256_init(&ctx);
	strata_sha256_update(&ctx, domain, sizeof(domain));
	strata_sha256_update(&ctx, name, strlen(name) + 1);
	strata_sha256_update(&ctx, mac, 6);
	strata_sha256_update(&ctx, hostname, strlen(hostname) + 1);
	strata_sha256_update(&ctx, ud, ud_len);
	strata_sha256_final(&ctx, d);
	strata_hex_encode(hex, d, sizeof(d));
	snprintf(out, MACHINE_INSTANCE_ID_MAX, "strata-%s-%.*s", name, MACHINE_INSTANCE_HEX, hex);
}

/* Write the CIDATA volume for m into img: meta-data names the host (the machine's name)
 * and the instance (machine_instance_id over that meta-data's own inputs and the
 * user-data), user-data the inventory's. */
static int cidata_for(const struct machine_spec *m, uint8_t *img)
{
	char meta[META_MAX], id[MACHINE_INSTANCE_ID_MAX];
	struct cidata_file f[2];
	uint8_t *ud;
	size_t ud_len;
	int rc;

	if (user_data(m, &ud, &ud_len))
		return STRATA_EREPORTED;
	machine_instance_id(id, m->name, m->mac, m->name, ud, ud_len);
	snprintf(meta, sizeof(meta), "instance-id: %s\nlocal-hostname: %s\n", id, m->name);
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
	int rc = STRATA_EREPORTED;

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
	rc = layer_build(store, path, 12, STRATA_DEFLATE_LEVEL, 0, layer, &st);
	unlink(path);
out:
	free(img);
	return rc;
}

/* A captured partition with a generation: the agent writes the generation only when the
 * disk lacks the partition (a new or blank disk), never over one it has, unless an admin's
 * restore order (overwrite) says so once its capture kept what is there (docs/restore.md). */
static void restore_part(struct strata_part *p, const uint8_t gen[32], int overwrite)
{
	p->policy = overwrite ? STRATA_POLICY_WRITE : STRATA_POLICY_RESTORE;
	p->has_layer = 1;
	p->private_layer = 1;
	memcpy(p->layer, gen, 32);
}

/* Partition i of m's profile, starting at *start, which advances past it (1 MiB aligned). */
static void fill_part(struct strata_part *p, const struct machine_spec *m, unsigned int i,
		      uint64_t *start, const uint8_t machine_layer[32])
{
	const struct inv_part *ip = &m->profile->parts[i];

	memset(p, 0, sizeof(*p));
	p->num = i + 1;
	snprintf(p->label, sizeof(p->label), "%s", ip->label);
	strata_part_type_parse(p->type_guid, ip->type, strlen(ip->type)); /* inventory checked */
	machine_guid(p->part_guid, m->mac, "part", i + 1);
	p->start = *start;
	p->size = ip->size;
	p->policy = ip->policy;
	p->has_layer = ip->layer_kind != INV_LAYER_NONE;
	p->wipe = ip->wipe;
	/* The machine layer is the machine's own: fetched from its private store. */
	p->private_layer = ip->layer_kind == INV_LAYER_MACHINE;
	if (p->has_layer)
		memcpy(p->layer, ip->layer_kind == INV_LAYER_ID ? ip->layer : machine_layer, 32);
	if (ip->capture && m->has_gen[i])
		restore_part(p, m->gen[i], m->overwrite);
	*start += (ip->size + MIB - 1) / MIB * MIB;
}

/* m's layout as the core describes a manifest, at version 0. */
static void fill_manifest(struct strata_manifest *mf, const struct machine_spec *m,
			  const uint8_t machine_layer[32])
{
	uint64_t start = MIB;

	memset(mf, 0, sizeof(*mf));
	snprintf(mf->machine, sizeof(mf->machine), "%s", m->name);
	snprintf(mf->store, sizeof(mf->store), "%s", m->store ? m->store : "");
	machine_guid(mf->disk_guid, m->mac, "disk", 0);
	mf->min_disk = m->profile->min_disk;
	for (; mf->nparts < m->profile->nparts && mf->nparts < STRATA_MAX_PARTS; mf->nparts++)
		fill_part(&mf->parts[mf->nparts], m, mf->nparts, &start, machine_layer);
	if (m->mc)
		mf->mc = *m->mc;
}

/* Parse the written text back with the core's parser: it must be valid. */
static int self_check(const char *text, size_t len, const char *name)
{
	struct strata_manifest mf;
	struct strata_diag diag = { 0 };

	if (strata_manifest_parse(&mf, text, len, &diag))
		return errorf("manifest for %s: line %llu: %s (inventory layout invalid)", name,
			      (unsigned long long)diag.where, diag.msg);
	return 0;
}

int machine_manifest(const struct machine_spec *m, const uint8_t machine_layer[32],
		     char **text, size_t *len)
{
	struct strata_manifest mf;
	int rc;

	fill_manifest(&mf, m, machine_layer);
	*text = malloc(MACHINE_MANIFEST_CAP);
	if (!*text)
		return errorf("out of memory");
	rc = strata_manifest_write(&mf, *text, MACHINE_MANIFEST_CAP, len);
	if (rc)
		rc = errorf("manifest for %s: larger than %d bytes", m->name, STRATA_MANIFEST_MAX);
	else
		rc = self_check(*text, *len, m->name);
	if (rc) {
		free(*text);
		*text = NULL;
	}
	return rc;
}
