/*
 * Secure Boot key material on OpenSSL's libcrypto, and efitools run as child processes
 * (sb_keys.h).  We write no PKCS#7 ourselves: the signed variable payloads come from
 * efitools' sign-efi-sig-list, which firmware vendors and distributions use.
 */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include "host.h"
#include "sb_keys.h"

extern char **environ;

/* Add extension nid with value (OpenSSL's config syntax) to the self-signed x. */
static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Fill in and sign x for key: a random serial, CN cn, from now for years. */
static int cert_fill(X509 *x, EVP_PKEY *key, const char *cn, unsigned int years)
{
	unsigned char serial[16];
	BIGNUM *bn;
	X509_NAME *name = X509_get_subject_name(x);
	int ok;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return 0;
	serial[0] &= 0x7f;   /* a positive INTEGER */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok && X509_set_version(x, 2) &&
	       X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	       X509_gmtime_adj(X509_getm_notAfter(x), (long)years * 365 * 86400) &&
	       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					  (const unsigned char *)cn, -1, -1, 0) &&
	       X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
	       add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_ext(x, NID_subject_key_identifier, "hash") &&
	       X509_sign(x, key, EVP_sha256()) > 0;
}

/* Write what bio holds to path with mode, atomically. */
static int bio_save(BIO *bio, const char *path, int mode)
{
	char *p;
	long n = BIO_get_mem_data(bio, &p);

	return write_file_atomic(path, p, (size_t)n, mode, 1);
}

/* Write key (PEM), x (PEM) and x (DER) to their files. */
static int cert_save(EVP_PKEY *key, X509 *x, const char *key_path, const char *crt_path,
		     const char *cer_path)
{
	BIO *k = BIO_new(BIO_s_mem()), *c = BIO_new(BIO_s_mem()), *d = BIO_new(BIO_s_mem());
	int rc;

	if (!k || !c || !d || !PEM_write_bio_PrivateKey(k, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(c, x) || !i2d_X509_bio(d, x))
		rc = errorf("%s: cannot encode the key or certificate", crt_path);
	else
		rc = bio_save(k, key_path, 0600);
	if (!rc)
		rc = bio_save(c, crt_path, 0644);
	if (!rc)
		rc = bio_save(d, cer_path, 0644);
	BIO_free(k);
	BIO_free(c);
	BIO_free(d);
	return rc;
}

int sb_cert_make(const char *key_path, const char *crt_path, const char *cer_path,
		 const char *cn, unsigned int years)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	int rc;

	if (!key || !x || !cert_fill(x, key, cn, years)) {
		rc = errorf("%s: cannot make the key and certificate for \"%s\" (OpenSSL)",
			    crt_path, cn);
		goto out;
	}
	rc = cert_save(key, x, key_path, crt_path, cer_path);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int sb_run(const char *pkg, char *const argv[])
{
	pid_t pid;
	int status, err, last = 0;

	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (err == ENOENT)
		return errorf("%s: not found: install Debian's %s package (make deps)", argv[0],
			      pkg);
	if (err)
		return errorf("%s: cannot start: %s", argv[0], strerror(err));
	if (waitpid(pid, &status, 0) < 0)
		return errorf("%s: wait: %s", argv[0], strerror(errno));
	while (argv[last + 1])
		last++;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return errorf("%s failed (status %d) making %s", argv[0],
			      WIFEXITED(status) ? WEXITSTATUS(status) : -1, argv[last]);
	return 0;
}
