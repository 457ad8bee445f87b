/* Registering the machine key with the server (see key_register.h). */
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "args.h"
#include "fetch_buf.h"
#include "key_register.h"
#include "log.h"
#include "machine_key.h"
#include "rc.h"
#include "text.h"

/** Longest answer of either request; both are one short line. */
#define ANSWER_MAX 256
/** Room for the registration URL: the server, the MAC and the three hex values. */
#define REG_URL_MAX (ARGS_URL_MAX + 64 + 2 * (STRATA_KEY_PUB_LEN + STRATA_KEY_NONCE_LEN + \
					      STRATA_KEY_SIG_MAX))

/* GET url; the one-line answer into out (cap bytes, NUL-terminated). */
static int ask(struct fetcher *f, const char *url, char *out, size_t cap)
{
	char path[ARGS_URL_MAX + 64];
	uint8_t *buf;
	size_t len;
	int rc = fetch_buffer(f, url, ANSWER_MAX, &buf, &len);

	if (rc) {
		return log_fail(rc, "key: the server refused %s",
				log_slice(path, sizeof(path), url, strcspn(url, "?")));
	}
	log_slice(out, cap, (char *)buf, strcspn((char *)buf, "\r\n"));
	strata_free(buf);
	return 0;
}

/* The nonce of "nonce=HEX expires=N". */
static int get_nonce(struct fetcher *f, const char *server, const char *mac,
		     uint8_t nonce[STRATA_KEY_NONCE_LEN])
{
	char url[ARGS_URL_MAX + 64], line[ANSWER_MAX];
	int rc;

	snprintf(url, sizeof(url), "%s/key/%s/nonce", server, mac);
	rc = ask(f, url, line, sizeof(line));
	if (rc)
		return rc;
	if (strncmp(line, "nonce=", 6) || strspn(line + 6, "0123456789abcdef") !=
	    2 * STRATA_KEY_NONCE_LEN || strata_hex_decode(nonce, line + 6, STRATA_KEY_NONCE_LEN))
		return log_fail(STRATA_EINVAL, "key: the server's nonce is malformed");
	return 0;
}

/* The registration URL: pub, nonce and a signature over them, in hex. */
static int reg_url(char *url, size_t cap, const char *server, const char *mac,
		   const uint8_t pub[STRATA_KEY_PUB_LEN], const uint8_t nonce[STRATA_KEY_NONCE_LEN])
{
	char hp[2 * STRATA_KEY_PUB_LEN + 1], hn[2 * STRATA_KEY_NONCE_LEN + 1];
	char hs[2 * STRATA_KEY_SIG_MAX + 1];
	uint8_t m[6], digest[32], sig[STRATA_KEY_SIG_MAX];
	size_t len;
	int rc = strata_mac_parse(m, mac, strlen(mac));

	if (rc)
		return log_fail(rc, "key: %s is not a MAC address", mac);
	strata_key_reg_digest(nonce, m, pub, digest);
	rc = machine_key_sign(digest, sig, &len);
	if (rc)
		return rc;
	strata_hex_encode(hp, pub, STRATA_KEY_PUB_LEN);
	strata_hex_encode(hn, nonce, STRATA_KEY_NONCE_LEN);
	strata_hex_encode(hs, sig, len);
	snprintf(url, cap, "%s/key/%s?pub=%s&nonce=%s&sig=%s", server, mac, hp, hn, hs);
	return 0;
}

/* "key=VERDICT name=NAME fingerprint=HEX" into *v and name. */
static int parse_verdict(const char *line, enum key_verdict *v, char *name, size_t cap)
{
	static const char *const words[] = {
		[KEY_PINNED] = "pinned", [KEY_KNOWN] = "known", [KEY_UNPINNED] = "unpinned",
		[KEY_DIFFERS] = "differs",
	};
	const char *n = strstr(line, " name=");

	for (size_t i = 0; n && i < sizeof(words) / sizeof(words[0]); i++) {
		size_t k = strlen(words[i]);

		if (!strncmp(line, "key=", 4) && !strncmp(line + 4, words[i], k) && line[4 + k] == ' ') {
			*v = (enum key_verdict)i;
			log_slice(name, cap, n + 6, strcspn(n + 6, " "));
			return 0;
		}
	}
	return log_fail(STRATA_EINVAL, "key: the server's verdict is malformed");
}

int key_register(struct fetcher *f, const char *server, const char *mac,
		 const uint8_t pub[STRATA_KEY_PUB_LEN], enum key_verdict *v, char *name,
		 size_t cap)
{
	static char url[REG_URL_MAX];   /* ~800 bytes: off the firmware's small stack */
	uint8_t nonce[STRATA_KEY_NONCE_LEN];
	char line[ANSWER_MAX];
	int rc = get_nonce(f, server, mac, nonce);

	if (rc == 0)
		rc = reg_url(url, sizeof(url), server, mac, pub, nonce);
	if (rc == 0)
		rc = ask(f, url, line, sizeof(line));
	return rc ? rc : parse_verdict(line, v, name, cap);
}
