/*
 * `strata-image sb keygen DIR`: the lab's Secure Boot keys (PK, KEK, db) and the signed
 * EFI variable payloads that enroll them (docs/secure-boot.md).
 *
 * Keys and certificates come from OpenSSL (images/host/sb_keys.c), the signature lists and
 * the signed payloads from efitools' cert-to-efi-sig-list and sign-efi-sig-list, so the
 * PKCS#7 is a well-kept tool's.  By default db also keeps the signature lists of the db
 * that Debian's OVMF_VARS_4M.ms.fd ships (Microsoft's UEFI CA and Windows Production PCA):
 * on real PCs the option ROMs of network and graphics cards are signed by Microsoft's UEFI
 * CA, and a db without it can leave a PC with no display and no network boot.
 */
#include <errno.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "efivars.h"
#include "sb_keys.h"
#include "text.h"

#define MS_VARS_DEFAULT "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
#define VARS_MAX (64u << 20)
#define PATH_CAP 4096

/** What the command was asked: every string borrowed from argv. */
struct sb_opts {
	const char *dir;       /**< the output folder, made here (must not hold keys yet) */
	const char *ms_vars;   /**< the NVRAM file whose db lists are kept, or NULL */
	const char *name;      /**< the certificates' common name prefix */
	unsigned int years;    /**< validity of the certificates */
};

static void usage(FILE *f)
{
	fputs("usage: strata-image sb keygen DIR [--own-keys-only] [--ms-vars FILE]\n"
	      "                                  [--name NAME] [--years N]\n\n"
	      "Make the lab's Secure Boot keys in the new folder DIR:\n"
	      "  PK.key KEK.key db.key       RSA-2048 private keys (PEM, 0600): keep them offline\n"
	      "  PK.crt KEK.crt db.crt       self-signed certificates (PEM); .cer: the same in DER\n"
	      "  PK.esl KEK.esl db.esl       EFI signature lists (db.esl: the lab's db certificate\n"
	      "                              and, unless --own-keys-only, ms-db.esl)\n"
	      "  PK.auth KEK.auth db.auth    signed variable payloads that enroll them (PK and\n"
	      "                              KEK signed by PK, db by KEK); noPK.auth clears PK\n"
	      "  GUID                        the owner GUID of the lab's entries\n"
	      "strata-enroll.efi writes db.auth, KEK.auth and PK.auth on a PC in setup mode;\n"
	      "build with `make SB_KEY=DIR/db.key SB_CERT=DIR/db.crt` to sign what PCs boot.\n\n"
	      "  --ms-vars FILE   take Microsoft's db certificates from this EDK II NVRAM file\n"
	      "                   (default " MS_VARS_DEFAULT ", Debian's ovmf)\n"
	      "  --own-keys-only  db holds the lab's certificate only.  WARNING: on real PCs the\n"
	      "                   option ROMs of network and graphics cards are signed by\n"
	      "                   Microsoft's UEFI CA; without it in db a PC can come up with no\n"
	      "                   display and no network boot.  Only for PCs known to need none.\n"
	      "  --name NAME      certificates are \"NAME PK\", \"NAME KEK\", \"NAME db\"\n"
	      "                   (default \"Strata lab\")\n"
	      "  --years N        certificate validity (default 30; firmware ignores dates)\n", f);
}

/* DIR/leaf into out (PATH_CAP bytes). */
static const char *path_in(char *out, const char *dir, const char *leaf)
{
	snprintf(out, PATH_CAP, "%s/%s", dir, leaf);
	return out;
}

/* Make DIR, or take an existing empty one; never overwrite keys already there. */
static int make_dir(const char *dir)
{
	char p[PATH_CAP];

	if (strlen(dir) > PATH_CAP - 32)
		return errorf("%s: path too long", dir);
	if (access(path_in(p, dir, "PK.key"), F_OK) == 0)
		return errorf("%s: already holds keys (PK.key): a lab's keys are made once; "
			      "choose a new folder", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return errorf("%s: %s", dir, strerror(errno));
	return 0;
}

/* A random owner GUID (version 4) as text into DIR/GUID and guid (37 bytes). */
static int make_guid(const char *dir, char guid[37])
{
	uint8_t b[16];
	char p[PATH_CAP], line[38];
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(b, 1, sizeof(b), f) != sizeof(b)) {
		if (f)
			fclose(f);
		return errorf("/dev/urandom: cannot read");
	}
	fclose(f);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(guid, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
	snprintf(line, sizeof(line), "%s\n", guid);
	return write_file_atomic(path_in(p, dir, "GUID"), line, strlen(line), 0644, 1);
}

/* One key: NAME.key, .crt, .cer and the signature list NAME.esl. */
static int make_key(const struct sb_opts *o, const char *guid, const char *which)
{
	char key[PATH_CAP], crt[PATH_CAP], cer[PATH_CAP], esl[PATH_CAP], cn[256], leaf[16];
	char *argv[] = { "cert-to-efi-sig-list", "-g", (char *)guid, crt, esl, NULL };
	int rc;

	snprintf(cn, sizeof(cn), "%s %s", o->name, which);
	snprintf(leaf, sizeof(leaf), "%s.key", which);
	path_in(key, o->dir, leaf);
	snprintf(leaf, sizeof(leaf), "%s.crt", which);
	path_in(crt, o->dir, leaf);
	snprintf(leaf, sizeof(leaf), "%s.cer", which);
	path_in(cer, o->dir, leaf);
	snprintf(leaf, sizeof(leaf), "%s.esl", which);
	path_in(esl, o->dir, leaf);
	rc = sb_cert_make(key, crt, cer, cn, o->years);
	if (!rc)
		rc = sb_run("efitools", argv);
	return rc;
}

/* Print one kept certificate's subject and end date, so the user sees what db trusts. */
static void print_cert(const char *vars, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	char subj[512];
	BIO *b;

	if (!x) {
		fprintf(stderr, "  (an entry of %s's db that OpenSSL cannot read: kept as is)\n",
			vars);
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
	fprintf(stderr, "  kept in db: %s, valid to ", subj);
	b = BIO_new_fp(stderr, BIO_NOCLOSE);
	ASN1_TIME_print(b, X509_get0_notAfter(x));
	BIO_free(b);
	fputc('\n', stderr);
	X509_free(x);
}

/* Copy the X.509 lists of vars' db into out (a new buffer the caller frees). */
static int ms_lists(const char *vars, uint8_t **out, size_t *out_len)
{
	struct strata_diag diag = { 0 };
	struct strata_esl esl;
	const uint8_t *db;
	uint8_t *buf;
	size_t len, db_len, pos = 0;
	int rc;

	rc = read_file(vars, VARS_MAX, &buf, &len);
	if (rc)
		return rc;
	rc = strata_varstore_find(buf, len, "db", strata_guid_image_security_db, &db, &db_len,
				  &diag);
	if (rc) {
		errorf("%s: db: %s (offset %llu): give another NVRAM file with --ms-vars, or "
		       "--own-keys-only", vars, diag.msg, (unsigned long long)diag.where);
		goto err_buf;
	}
	*out = malloc(db_len ? db_len : 1);
	*out_len = 0;
	if (!*out) {
		rc = errorf("out of memory");
		goto err_buf;
	}
	while ((rc = strata_esl_next(db, db_len, &pos, &esl, &diag)) == 0) {
		if (memcmp(esl.list, strata_guid_cert_x509, 16))
			continue;
		for (uint32_t i = 0; i < esl.count; i++)
			print_cert(vars, strata_esl_entry(&esl, i) + STRATA_ESL_OWNER,
				   esl.sig_size - STRATA_ESL_OWNER);
		memcpy(*out + *out_len, esl.list, esl.list_size);
		*out_len += esl.list_size;
	}
	if (rc != STRATA_ENOENT) {
		rc = errorf("%s: db: %s (signature list at offset %llu)", vars, diag.msg,
			    (unsigned long long)diag.where);
		goto err_out;
	}
	if (*out_len == 0) {
		rc = errorf("%s: db holds no X.509 certificate: give another NVRAM file with "
			    "--ms-vars, or --own-keys-only", vars);
		goto err_out;
	}
	free(buf);
	return 0;
err_out:
	free(*out);
	*out = NULL;
err_buf:
	free(buf);
	return rc;
}

/* db.esl = the lab's db list followed by ms-db.esl's lists. */
static int add_ms(const struct sb_opts *o)
{
	char p[PATH_CAP];
	uint8_t *ms, *own, *all;
	size_t ms_len, own_len;
	int rc;

	rc = ms_lists(o->ms_vars, &ms, &ms_len);
	if (rc)
		return rc;
	rc = write_file_atomic(path_in(p, o->dir, "ms-db.esl"), ms, ms_len, 0644, 1);
	if (rc)
		goto err_ms;
	rc = read_file(path_in(p, o->dir, "db.esl"), 1u << 20, &own, &own_len);
	if (rc)
		goto err_ms;
	all = malloc(own_len + ms_len);
	if (!all) {
		rc = errorf("out of memory");
		goto err_own;
	}
	memcpy(all, own, own_len);
	memcpy(all + own_len, ms, ms_len);
	rc = write_file_atomic(p, all, own_len + ms_len, 0644, 1);
	free(all);
err_own:
	free(own);
err_ms:
	free(ms);
	return rc;
}

/* sign-efi-sig-list: VAR's payload out from in, signed with signer's key. */
static int sign_var(const struct sb_opts *o, const char *guid, const char *var,
		    const char *in, const char *out, const char *signer)
{
	char key[PATH_CAP], crt[PATH_CAP], inp[PATH_CAP], outp[PATH_CAP], leaf[16];
	char *argv[] = { "sign-efi-sig-list", "-g", (char *)guid, "-k", key, "-c", crt,
			 (char *)var, inp, outp, NULL };

	snprintf(leaf, sizeof(leaf), "%s.key", signer);
	path_in(key, o->dir, leaf);
	snprintf(leaf, sizeof(leaf), "%s.crt", signer);
	path_in(crt, o->dir, leaf);
	if (in[0] == '/')
		snprintf(inp, sizeof(inp), "%s", in);
	else
		path_in(inp, o->dir, in);
	path_in(outp, o->dir, out);
	if (sb_run("efitools", argv))
		return STRATA_EREPORTED;
	/* Public (the server serves them): sign-efi-sig-list makes them 0600. */
	if (chmod(outp, 0644) < 0)
		return errorf("%s: %s", outp, strerror(errno));
	return 0;
}

static int keygen(const struct sb_opts *o)
{
	char guid[37];
	int rc;

	rc = make_dir(o->dir);
	if (!rc)
		rc = make_guid(o->dir, guid);
	if (!rc)
		rc = make_key(o, guid, "PK");
	if (!rc)
		rc = make_key(o, guid, "KEK");
	if (!rc)
		rc = make_key(o, guid, "db");
	if (!rc && o->ms_vars)
		rc = add_ms(o);
	if (!rc)
		rc = sign_var(o, guid, "db", "db.esl", "db.auth", "KEK");
	if (!rc)
		rc = sign_var(o, guid, "KEK", "KEK.esl", "KEK.auth", "PK");
	if (!rc)
		rc = sign_var(o, guid, "PK", "PK.esl", "PK.auth", "PK");
	if (!rc)
		rc = sign_var(o, guid, "PK", "/dev/null", "noPK.auth", "PK");
	return rc;
}

/* Parse keygen's options into *o.  0, or 2 (usage error, printed). */
static int parse(int argc, char **argv, struct sb_opts *o)
{
	const char *v;
	uint64_t years;

	*o = (struct sb_opts){ .ms_vars = MS_VARS_DEFAULT, .name = "Strata lab", .years = 30 };
	for (int i = 1; i < argc; i++) {
		v = "";
		if (!strcmp(argv[i], "--own-keys-only"))
			o->ms_vars = NULL;
		else if (opt_value(argc, argv, &i, "--ms-vars", &v))
			o->ms_vars = v;
		else if (opt_value(argc, argv, &i, "--name", &v))
			o->name = v;
		else if (opt_value(argc, argv, &i, "--years", &v)) {
			if (v && strata_u64_parse(&years, v, strlen(v), 100) == 0 && years)
				o->years = (unsigned int)years;
			else
				return v ? errorf("--years: a number from 1 to 100"), 2 : 2;
		} else if (argv[i][0] == '-' || o->dir)
			return errorf("unexpected argument '%s'", argv[i]), 2;
		else
			o->dir = argv[i];
		if (!v)
			return 2;
	}
	return o->dir ? 0 : 2;
}

int cmd_sb(int argc, char **argv)
{
	struct sb_opts o;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "keygen")) {
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	if (parse(argc - 1, argv + 1, &o)) {
		usage(stderr);
		return 2;
	}
	if (!o.ms_vars)
		fputs("strata-image: WARNING: --own-keys-only: db will not hold Microsoft's UEFI "
		      "CA.  On real PCs the option ROMs of network and graphics cards are signed "
		      "by it: such a PC may come up with no display and no network boot.\n",
		      stderr);
	if (keygen(&o))
		return 1;
	fprintf(stderr, "wrote the lab's Secure Boot keys and payloads in %s (db: %s)\n", o.dir,
		o.ms_vars ? "the lab's key and Microsoft's, from --ms-vars" : "the lab's key only");
	return 0;
}
