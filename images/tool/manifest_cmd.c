/* `strata-image keygen` and `strata-image manifest sign|verify`. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "keys.h"
#include "manifest.h"

static int help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int cmd_keygen(int argc, char **argv)
{
	if (help_asked(argc, argv) || argc != 2) {
		fputs("usage: strata-image keygen KEY\n\n"
		      "Write a new ECDSA P-256 key pair: KEY (private, PEM, mode 0600) and\n"
		      "KEY.pub (public, PEM).  The server signs manifests with KEY; strata.efi\n"
		      "and `manifest verify` trust KEY.pub.\n", argc == 2 ? stdout : stderr);
		return argc == 2 ? 0 : 2;
	}
	if (key_generate(argv[1]))
		return 1;
	fprintf(stderr, "wrote %s and %s.pub\n", argv[1], argv[1]);
	return 0;
}

/* Read and parse a manifest, printing FILE:LINE: errors.  *buf is the caller's. */
static int load_manifest(const char *path, struct strata_manifest *m, uint8_t **buf,
			 size_t *len)
{
	struct strata_diag diag = { 0 };
	int rc;

	rc = read_file(path, STRATA_MANIFEST_MAX, buf, len);
	if (rc)
		return rc;
	rc = strata_manifest_parse(m, (const char *)*buf, *len, &diag);
	if (rc) {
		errorf("%s:%llu: %s", path, (unsigned long long)diag.where, diag.msg);
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static int sign_file(const char *key, const char *path)
{
	struct strata_manifest m;
	uint8_t *buf, *kbuf;
	size_t len, klen, out_len;
	char *out;
	int rc;

	rc = read_file(key, 65536, &kbuf, &klen);
	if (rc)
		return rc;
	rc = load_manifest(path, &m, &buf, &len);
	if (rc)
		goto err_manifest;
	rc = manifest_sign_mem(kbuf, klen, key, (const char *)buf, m.signed_len, &out, &out_len);
	if (rc)
		goto err_sign;
	rc = write_file_atomic(path, out, out_len, 0644, 1);
	free(out);
	if (!rc)
		fprintf(stderr, "%s: signed (version %llu)\n", path,
			(unsigned long long)m.version);
err_sign:
	free(buf);
err_manifest:
	free(kbuf);
	return rc;
}

static int verify_file(const char *pub_path, const char *path)
{
	struct strata_diag diag = { 0 };
	struct strata_manifest m;
	uint8_t *buf, *pub;
	size_t len, pub_len;
	int rc;

	if (read_file(pub_path, 65536, &pub, &pub_len))
		return -1;
	rc = load_manifest(path, &m, &buf, &len);
	if (rc)
		goto err_manifest;
	rc = strata_manifest_verify(&m, (const char *)buf, pub, pub_len, &diag);
	if (rc)
		errorf("%s: %s (key %s)", path, diag.msg, pub_path);
	else
		printf("%s: signature valid; version %llu, machine %s, %u partitions\n", path,
		       (unsigned long long)m.version, m.machine[0] ? m.machine : "-", m.nparts);
	free(buf);
err_manifest:
	free(pub);
	return rc;
}

static void manifest_usage(FILE *f)
{
	fputs("usage: strata-image manifest sign --key KEY FILE\n"
	      "       strata-image manifest verify --pub KEY.pub FILE\n\n"
	      "sign checks FILE's syntax and (re)writes its signature line: ECDSA P-256 over\n"
	      "every byte before it.  verify exits 0 only for a well-formed manifest whose\n"
	      "signature is valid for KEY.pub.\n", f);
}

int cmd_manifest(int argc, char **argv)
{
	const char *key = NULL, *file = NULL, *val;
	int sign;

	if (help_asked(argc, argv)) {
		manifest_usage(stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "sign") && strcmp(argv[1], "verify"))) {
		manifest_usage(stderr);
		return 2;
	}
	sign = !strcmp(argv[1], "sign");
	for (int i = 2; i < argc; i++) {
		if (opt_value(argc, argv, &i, sign ? "--key" : "--pub", &val)) {
			if (!(key = val))
				return 2;
		} else if (argv[i][0] == '-' || file) {
			return errorf("manifest: unexpected argument '%s'", argv[i]), 2;
		} else {
			file = argv[i];
		}
	}
	if (!key || !file) {
		manifest_usage(stderr);
		return 2;
	}
	return (sign ? sign_file(key, file) : verify_file(key, file)) ? 1 : 0;
}
