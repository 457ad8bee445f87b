/*
 * strata.efi's arguments (see args.h): the text of the options split into words, each
 * key=value word handed to the setter its key names; the server from a boot URI; URLs
 * relative to the server.  No firmware call here (args_load.c reads the firmware), so the
 * host unit tests run this file.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "args.h"
#include "log.h"
#include "rc.h"
#include "text.h"

/* Whether s[0..n) holds c.  (The libc shim has no memchr.) */
static int has_char(const char *s, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == c)
			return 1;
	return 0;
}

/** One key: its name and the function that checks and stores its value. */
struct args_key {
	const char *name;
	int (*set)(struct args *a, const char *v, size_t n);
};

/* Copy v[0..n) into dst (cap bytes) as a C string; the value must fit. */
static int copy_value(char *dst, size_t cap, const char *key, const char *v, size_t n)
{
	if (n >= cap)
		return log_fail(STRATA_ERANGE, "args: %s= is %zu characters, at most %zu allowed",
				key, n, cap - 1);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* Whether s[0..n) starts with prefix (a C string). */
static int starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* server=: an http(s) base URL; a trailing '/' is dropped so paths join with one. */
static int set_server(struct args *a, const char *v, size_t n)
{
	if (!starts_with(v, n, "http://") && !starts_with(v, n, "https://"))
		return log_fail(STRATA_EINVAL, "args: server= must be an http:// or https:// URL");
	while (n && v[n - 1] == '/')
		n--;
	a->server_from = "options";
	return copy_value(a->server, sizeof(a->server), "server", v, n);
}

/* Character classes by hand: the core and the shim have no ctype.h. */
static int hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* ASCII lowercase; other bytes unchanged. */
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* mac=: six hex pairs separated by ':' or '-' (the core's MAC codec), stored lowercase
 * with ':' as the server writes it. */
_Static_assert(ARGS_MAC_MAX == 18, "args.mac holds strata_mac_format's 17 characters and NUL");

static int set_mac(struct args *a, const char *v, size_t n)
{
	uint8_t mac[6];

	if (strata_mac_parse(mac, v, n))
		return log_fail(STRATA_EINVAL, "args: mac= is not of the form aa:bb:cc:dd:ee:ff");
	strata_mac_format(a->mac, mac);
	return 0;
}

/* then=: one of the words enum args_then names. */
static int set_then(struct args *a, const char *v, size_t n)
{
	static const struct { const char *word; enum args_then then; } words[] = {
		{ "reboot", ARGS_THEN_REBOOT },
		{ "poweroff", ARGS_THEN_POWEROFF },
		{ "exit", ARGS_THEN_EXIT },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) == n && memcmp(words[i].word, v, n) == 0) {
			a->then = words[i].then;
			return 0;
		}
	}
	return log_fail(STRATA_EINVAL, "args: then= must be reboot, poweroff or exit");
}

/* check=: yes or no. */
static int set_check(struct args *a, const char *v, size_t n)
{
	if (n == 3 && !memcmp(v, "yes", 3))
		a->check = 1;
	else if (n == 2 && !memcmp(v, "no", 2))
		a->check = 0;
	else
		return log_fail(STRATA_EINVAL, "args: check= must be yes or no");
	return 0;
}

/* selftest-fetch=: a URL, or a path relative to the server (resolved later by args_url,
 * once the server may have come from the boot URI). */
static int set_selftest_fetch(struct args *a, const char *v, size_t n)
{
	return copy_value(a->selftest_fetch, sizeof(a->selftest_fetch), "selftest-fetch", v, n);
}

/* expect-sha256=: 64 hex digits, stored lowercase to compare with strata_hex_encode. */
static int set_expect_sha256(struct args *a, const char *v, size_t n)
{
	if (n != ARGS_SHA256_HEX_MAX - 1)
		goto err_form;
	for (size_t i = 0; i < n; i++) {
		if (!hex_digit(v[i]))
			goto err_form;
		a->expect_sha256[i] = lower(v[i]);
	}
	a->expect_sha256[n] = '\0';
	return 0;
err_form:
	return log_fail(STRATA_EINVAL, "args: expect-sha256= must be 64 hex digits");
}

/** Every key this build knows, with its setter. */
static const struct args_key args_keys[] = {
	{ "server", set_server },
	{ "mac", set_mac },
	{ "then", set_then },
	{ "check", set_check },
	{ "selftest-fetch", set_selftest_fetch },
	{ "expect-sha256", set_expect_sha256 },
};

/* One key=value word.  seen has a bit per key in args_keys, to refuse repeats: two
 * server= words mean a script bug, and neither is safer to pick. */
static int parse_word(struct args *a, const char *w, size_t n, unsigned int *seen)
{
	char shown[64];
	size_t klen = 0, vlen;
	const char *eq;

	while (klen < n && w[klen] != '=')
		klen++;
	if (klen == n || klen == 0)
		return log_fail(STRATA_EINVAL, "args: \"%s\" is not key=value",
				log_slice(shown, sizeof(shown), w, n));
	eq = w + klen;
	vlen = n - klen - 1;
	for (size_t i = 0; i < sizeof(args_keys) / sizeof(args_keys[0]); i++) {
		if (strlen(args_keys[i].name) != klen || memcmp(args_keys[i].name, w, klen))
			continue;
		if (*seen & 1u << i)
			return log_fail(STRATA_EINVAL, "args: %s= given twice", args_keys[i].name);
		*seen |= 1u << i;
		if (!vlen)
			return log_fail(STRATA_EINVAL, "args: %s= is empty", args_keys[i].name);
		return args_keys[i].set(a, eq + 1, vlen);
	}
	log_msg("args: ignoring unknown key \"%s\"", log_slice(shown, sizeof(shown), w, klen));
	return 0;
}

int args_parse(struct args *a, const char *text, size_t len)
{
	unsigned int seen = 0;
	size_t i = 0, start;
	int first = 1, rc;

	while (i < len) {
		while (i < len && text[i] == ' ')
			i++;
		start = i;
		while (i < len && text[i] != ' ')
			i++;
		if (i == start)
			break;
		/* iPXE puts the image name first; a firmware boot option may not. */
		if (first && !has_char(text + start, i - start, '=')) {
			first = 0;
			continue;
		}
		first = 0;
		rc = parse_word(a, text + start, i - start, &seen);
		if (rc)
			return rc;
	}
	return 0;
}

int args_server_from_uri(struct args *a, const char *uri, size_t len)
{
	static const char boot_dir[] = "/boot/";
	const size_t dir_len = sizeof(boot_dir) - 1;
	char shown[ARGS_URL_MAX];
	size_t end = 0, name, host;

	/* Drop a query or fragment: they belong to the file, not the server. */
	while (end < len && uri[end] != '?' && uri[end] != '#')
		end++;
	/* The file name starts after the last '/' and must not be empty. */
	for (name = end; name > 0 && uri[name - 1] != '/'; name--)
		;
	if (name == end || name < dir_len || memcmp(uri + name - dir_len, boot_dir, dir_len))
		goto err_shape;
	/* What is left must still be scheme://host: find "://" inside it (uri is not
	 * NUL-terminated, so no strstr). */
	for (host = 0; host + 3 <= name - dir_len && memcmp(uri + host, "://", 3); host++)
		;
	if (host == 0 || host + 3 >= name - dir_len)
		goto err_shape;
	a->server_from = "boot URI";
	return copy_value(a->server, sizeof(a->server), "server (from the boot URI)", uri,
			  name - dir_len);
err_shape:
	return log_fail(STRATA_EINVAL, "args: boot URI \"%s\" does not end in /boot/<file>, "
			"so it names no server", log_slice(shown, sizeof(shown), uri, len));
}

int args_url(const struct args *a, const char *ref, char *out, size_t cap)
{
	size_t n = strlen(ref), s = strlen(a->server);

	if (strstr(ref, "://")) {
		if (n >= cap)
			return log_fail(STRATA_ERANGE, "args: URL \"%s\" too long", ref);
		memcpy(out, ref, n + 1);
		return 0;
	}
	if (!s)
		return log_fail(STRATA_EINVAL, "args: \"%s\" is relative, and no server is known "
				"(no server= option and no boot URI)", ref);
	while (*ref == '/')
		ref++, n--;
	if (s + 1 + n >= cap)
		return log_fail(STRATA_ERANGE, "args: URL %s/%s too long", a->server, ref);
	memcpy(out, a->server, s);
	out[s] = '/';
	memcpy(out + s + 1, ref, n + 1);
	return 0;
}

/* The BOOTP header's size and the DHCP magic cookie after it (RFC 2131, 2132). */
#define DHCP_OPTIONS_AT 240
static const uint8_t dhcp_magic[4] = { 99, 130, 83, 99 };

int args_dhcp_option(const uint8_t *pkt, size_t len, uint8_t code, const uint8_t **val,
		     size_t *vlen)
{
	size_t i = DHCP_OPTIONS_AT;

	if (len < DHCP_OPTIONS_AT || memcmp(pkt + DHCP_OPTIONS_AT - 4, dhcp_magic, 4))
		return STRATA_EINVAL;
	while (i < len && pkt[i] != 255) {
		if (pkt[i] == 0) {                /* pad: one byte, no length */
			i++;
			continue;
		}
		if (len - i < 2 || pkt[i + 1] > len - i - 2)
			return STRATA_EINVAL;
		if (pkt[i] == code) {
			*val = pkt + i + 2;
			*vlen = pkt[i + 1];
			return 0;
		}
		i += 2 + (size_t)pkt[i + 1];
	}
	return STRATA_ENOENT;
}

int args_from_dhcp(struct args *a, const uint8_t *pkt, size_t len)
{
	const uint8_t *v;
	size_t n;
	int rc = args_dhcp_option(pkt, len, ARGS_DHCP_OPTION, &v, &n);

	if (rc)
		return rc;
	/* Text only, as the load options are: a NUL would end a value early (fuzz_efi_args). */
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return log_fail(STRATA_EINVAL, "args: the DHCP option %u holds a byte that is "
					"not text (0x%02x at %zu)", ARGS_DHCP_OPTION, v[i], i);
	return args_parse(a, (const char *)v, n);
}
