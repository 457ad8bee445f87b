/*
 * Unit tests for strata.efi's argument parsing (efi/args.c), on the host.
 *
 * Why: the options are the server's orders to a machine about to overwrite its disk, and
 * args.h promises that anything malformed is refused while an unknown key is only
 * ignored.  Each key is checked at its limits (lengths, separators, case), with the exact
 * log line strata.efi would print, since operators and tests/e2e read those lines.  The
 * boot URI and URL joining are checked on the shapes UEFI HTTP Boot and iPXE produce.
 * Texts are heap copies of exactly len bytes with no NUL, so a read past them is an ASan
 * error.
 */
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "efi_host/efi_host.h"
#include "harness.h"
#include "rc.h"

/* A heap copy of s without its NUL (the functions take slices, not C strings); a fresh
 * *a and a fresh log for the call that reads it. */
static char *slice(const char *s, struct args *a)
{
	size_t n = strlen(s);
	char *p = malloc(n ? n : 1);

	if (!p)
		abort();
	memcpy(p, s, n);
	memset(a, 0, sizeof(*a));
	log_capture_reset();
	return p;
}

/* Parse text into a fresh *a. */
static int parse(struct args *a, const char *text)
{
	char *p = slice(text, a);
	int rc = args_parse(a, p, strlen(text));

	free(p);
	return rc;
}

/* Derive the server from uri into a fresh *a. */
static int from_uri(struct args *a, const char *uri)
{
	char *p = slice(uri, a);
	int rc = args_server_from_uri(a, p, strlen(uri));

	free(p);
	return rc;
}

/* A string of n copies of c (n < 1024). */
static const char *repeat(char c, size_t n)
{
	static char buf[1024];

	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* Checks that the last log line is want, and shows it when not. */
#define CHECK_LOG(want) CHECK_MSG(strcmp(log_capture_last(), want) == 0, "logged \"%s\"", \
				  log_capture_last())

/* Every one of texts[0..n) is refused with rc, and want is the line logged. */
static void check_refused(const char *const *texts, size_t n, int rc, const char *want)
{
	struct args a;

	for (size_t i = 0; i < n; i++) {
		CHECK_MSG(parse(&a, texts[i]) == rc, "%s", texts[i]);
		CHECK_MSG(strcmp(log_capture_last(), want) == 0, "%s logged \"%s\"", texts[i],
			  log_capture_last());
	}
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static void test_deploy_line(void)
{
	struct args a;

	/* What pxe/deploy.ipxe chains, with the image name first. */
	CHECK_EQ(parse(&a, "strata.efi server=http://10.0.0.1:8080 mac=52:54:00:12:34:56 "
		       "then=reboot"), 0);
	CHECK(strcmp(a.server, "http://10.0.0.1:8080") == 0);
	CHECK(a.server_from && strcmp(a.server_from, "options") == 0);
	CHECK(strcmp(a.mac, "52:54:00:12:34:56") == 0);
	CHECK_EQ(a.then, ARGS_THEN_REBOOT);
	CHECK(a.selftest_fetch[0] == '\0' && a.expect_sha256[0] == '\0');
	CHECK_EQ(log_capture_count(), 0);
}

static void test_words(void)
{
	char text[200], want[200];
	struct args a;

	/* A firmware boot option may start with a key: then there is no image name. */
	CHECK_EQ(parse(&a, "then=exit"), 0);
	CHECK_EQ(a.then, ARGS_THEN_EXIT);
	/* Runs of spaces, leading and trailing, separate nothing more. */
	CHECK_EQ(parse(&a, "  strata.efi   then=poweroff  "), 0);
	CHECK_EQ(a.then, ARGS_THEN_POWEROFF);
	CHECK_EQ(parse(&a, ""), 0);
	CHECK_EQ(parse(&a, "   "), 0);
	CHECK_EQ(parse(&a, "strata.efi"), 0);
	CHECK_EQ(a.then, ARGS_THEN_UNSET);
	/* Only the first word may be a name. */
	CHECK_EQ(parse(&a, "strata.efi then=exit stray"), STRATA_EINVAL);
	CHECK_LOG("error: args: \"stray\" is not key=value [malformed input]");
	CHECK_EQ(parse(&a, "strata.efi =x"), STRATA_EINVAL);
	CHECK_LOG("error: args: \"=x\" is not key=value [malformed input]");
	/* A long bad word is shown cut to 63 characters. */
	snprintf(text, sizeof(text), "name %s", repeat('w', 100));
	CHECK_EQ(parse(&a, text), STRATA_EINVAL);
	snprintf(want, sizeof(want), "error: args: \"%s\" is not key=value [malformed input]",
		 repeat('w', 63));
	CHECK_LOG(want);
}

static void test_unknown_and_repeats(void)
{
	struct args a;

	/* A newer server's key does not stop an older agent, even twice. */
	CHECK_EQ(parse(&a, "strata.efi color=blue color=red then=exit"), 0);
	CHECK(log_capture_has("args: ignoring unknown key \"color\""));
	CHECK_EQ(log_capture_count(), 2);
	CHECK_EQ(a.then, ARGS_THEN_EXIT);
	/* A known key twice is a script bug: neither value is safer to pick. */
	CHECK_EQ(parse(&a, "server=http://a server=http://b"), STRATA_EINVAL);
	CHECK_LOG("error: args: server= given twice [malformed input]");
	CHECK_EQ(parse(&a, "then=exit then=exit"), STRATA_EINVAL);
	CHECK_EQ(parse(&a, "mac="), STRATA_EINVAL);
	CHECK_LOG("error: args: mac= is empty [malformed input]");
}

static void test_server(void)
{
	static const char *const not_http[] = {
		"server=ftp://10.0.0.1", "server=HTTP://10.0.0.1", "server=http:/",
	};
	struct args a;
	char text[400];

	CHECK_EQ(parse(&a, "server=https://deploy.example/strata///"), 0);
	CHECK(strcmp(a.server, "https://deploy.example/strata") == 0);
	check_refused(not_http, COUNT(not_http), STRATA_EINVAL,
		      "error: args: server= must be an http:// or https:// URL [malformed input]");
	/* Exactly ARGS_URL_MAX - 1 characters fit; one more does not. */
	snprintf(text, sizeof(text), "server=http://%s", repeat('h', ARGS_URL_MAX - 1 - 7));
	CHECK_EQ(parse(&a, text), 0);
	CHECK_EQ(strlen(a.server), ARGS_URL_MAX - 1);
	snprintf(text, sizeof(text), "server=http://%s", repeat('h', ARGS_URL_MAX - 7));
	CHECK_EQ(parse(&a, text), STRATA_ERANGE);
	CHECK_LOG("error: args: server= is 256 characters, at most 255 allowed "
		  "[value out of range]");
}

static void test_mac(void)
{
	static const char *const bad[] = {
		"mac=52:54:00:ab:cd", "mac=52:54:00:ab:cd:ef:01", "mac=52.54.00.ab.cd.ef",
		"mac=52:54:00:ab:cd:eg", "mac=525:4:00:ab:cd:ef",
	};
	struct args a;

	CHECK_EQ(parse(&a, "mac=52-54-00-AB-cd-EF"), 0);
	CHECK(strcmp(a.mac, "52:54:00:ab:cd:ef") == 0);
	CHECK_EQ(parse(&a, "mac=52:54-00:ab-cd:ef"), 0);
	CHECK(strcmp(a.mac, "52:54:00:ab:cd:ef") == 0);
	check_refused(bad, COUNT(bad), STRATA_EINVAL,
		      "error: args: mac= is not of the form aa:bb:cc:dd:ee:ff [malformed input]");
}

/* An older server's script passes token=; reports are signed by the session now, so the
 * key is unknown, logged and ignored like any other. */
static void test_token(void)
{
	struct args a;

	CHECK_EQ(parse(&a, "token=0123abcdef mac=52:54:00:12:34:56"), 0);
	CHECK(strcmp(a.mac, "52:54:00:12:34:56") == 0);
}

static void test_then(void)
{
	static const struct { const char *text; enum args_then then; } words[] = {
		{ "then=reboot", ARGS_THEN_REBOOT },
		{ "then=poweroff", ARGS_THEN_POWEROFF },
		{ "then=exit", ARGS_THEN_EXIT },
	};
	static const char *const bad[] = { "then=Reboot", "then=rebooted", "then=reboo" };
	struct args a;

	for (size_t i = 0; i < COUNT(words); i++) {
		CHECK_EQ(parse(&a, words[i].text), 0);
		CHECK_EQ(a.then, words[i].then);
	}
	check_refused(bad, COUNT(bad), STRATA_EINVAL,
		      "error: args: then= must be reboot, poweroff or exit [malformed input]");
}

/* check=yes turns the layout check on (efi/agent_check.h); anything but yes or no is
 * refused, as a half-understood command line must not decide about a disk. */
static void test_check(void)
{
	static const char *const bad[] = { "check=Yes", "check=1", "check=yess" };
	struct args a;

	CHECK_EQ(parse(&a, "strata.efi server=http://10.0.0.1 check=yes then=reboot"), 0);
	CHECK_EQ(a.check, 1);
	CHECK_EQ(a.then, ARGS_THEN_REBOOT);
	CHECK_EQ(parse(&a, "check=no"), 0);
	CHECK_EQ(a.check, 0);
	CHECK_EQ(parse(&a, "then=exit"), 0);
	CHECK_EQ(a.check, 0);
	CHECK_EQ(parse(&a, "check=yes check=yes"), STRATA_EINVAL);
	check_refused(bad, COUNT(bad), STRATA_EINVAL,
		      "error: args: check= must be yes or no [malformed input]");
}

static void test_selftest_keys(void)
{
	struct args a;
	char text[400];

	snprintf(text, sizeof(text), "selftest-fetch=blob expect-sha256=%s", repeat('A', 64));
	CHECK_EQ(parse(&a, text), 0);
	CHECK(strcmp(a.selftest_fetch, "blob") == 0);
	CHECK(strcmp(a.expect_sha256, repeat('a', 64)) == 0);
	/* The exact line tests/e2e/efi-fetch.sh waits for. */
	CHECK_EQ(parse(&a, "selftest-fetch=blob expect-sha256=xyz"), STRATA_EINVAL);
	CHECK_LOG("error: args: expect-sha256= must be 64 hex digits [malformed input]");
	snprintf(text, sizeof(text), "expect-sha256=%s", repeat('0', 63));
	CHECK_EQ(parse(&a, text), STRATA_EINVAL);
	snprintf(text, sizeof(text), "expect-sha256=%s", repeat('0', 65));
	CHECK_EQ(parse(&a, text), STRATA_EINVAL);
	snprintf(text, sizeof(text), "expect-sha256=%sg", repeat('0', 63));
	CHECK_EQ(parse(&a, text), STRATA_EINVAL);
	snprintf(text, sizeof(text), "selftest-fetch=%s", repeat('u', ARGS_URL_MAX));
	CHECK_EQ(parse(&a, text), STRATA_ERANGE);
}

static void test_boot_uri(void)
{
	struct args a;
	char uri[400];

	CHECK_EQ(from_uri(&a, "http://10.77.0.1:8080/boot/strata.efi"), 0);
	CHECK(strcmp(a.server, "http://10.77.0.1:8080") == 0);
	CHECK(a.server_from && strcmp(a.server_from, "boot URI") == 0);
	/* A server under a path, and a query or fragment that must not count. */
	CHECK_EQ(from_uri(&a, "https://h/strata/boot/strata.efi?x=/boot/y"), 0);
	CHECK(strcmp(a.server, "https://h/strata") == 0);
	CHECK_EQ(from_uri(&a, "http://h/boot/strata.efi#/boot/z"), 0);
	CHECK(strcmp(a.server, "http://h") == 0);
	/* Shapes that name no server. */
	CHECK_EQ(from_uri(&a, "http://h/boot/"), STRATA_EINVAL);
	CHECK_LOG("error: args: boot URI \"http://h/boot/\" does not end in /boot/<file>, so it "
		  "names no server [malformed input]");
	CHECK_EQ(from_uri(&a, "http://h/strata.efi"), STRATA_EINVAL);
	CHECK_EQ(from_uri(&a, "http://h/xboot/strata.efi"), STRATA_EINVAL);
	CHECK_EQ(from_uri(&a, "/boot/strata.efi"), STRATA_EINVAL);
	CHECK_EQ(from_uri(&a, "://h/boot/strata.efi"), STRATA_EINVAL);
	CHECK_EQ(from_uri(&a, "http:///boot/strata.efi"), STRATA_EINVAL);
	CHECK_EQ(from_uri(&a, "boot/strata.efi"), STRATA_EINVAL);
	CHECK_EQ(from_uri(&a, ""), STRATA_EINVAL);
	CHECK(a.server[0] == '\0' && a.server_from == NULL);
	/* A server part longer than the room for it. */
	snprintf(uri, sizeof(uri), "http://%s/boot/s.efi", repeat('h', ARGS_URL_MAX));
	CHECK_EQ(from_uri(&a, uri), STRATA_ERANGE);
}

static void test_url(void)
{
	struct args a = { .server = "http://h:8080" };
	struct args none = { 0 };
	char out[ARGS_URL_MAX], small[20];

	CHECK_EQ(args_url(&a, "blob", out, sizeof(out)), 0);
	CHECK(strcmp(out, "http://h:8080/blob") == 0);
	CHECK_EQ(args_url(&a, "//dir/blob", out, sizeof(out)), 0);
	CHECK(strcmp(out, "http://h:8080/dir/blob") == 0);
	CHECK_EQ(args_url(&a, "https://other/x", out, sizeof(out)), 0);
	CHECK(strcmp(out, "https://other/x") == 0);
	CHECK_EQ(args_url(&none, "https://other/x", out, sizeof(out)), 0);
	log_capture_reset();
	CHECK_EQ(args_url(&none, "blob", out, sizeof(out)), STRATA_EINVAL);
	CHECK_LOG("error: args: \"blob\" is relative, and no server is known (no server= option "
		  "and no boot URI) [malformed input]");
	/* "http://h:8080/" is 14 bytes: 5 more and the NUL fill small[20] exactly. */
	CHECK_EQ(args_url(&a, "12345", small, sizeof(small)), 0);
	CHECK(strcmp(small, "http://h:8080/12345") == 0);
	CHECK_EQ(args_url(&a, "123456", small, sizeof(small)), STRATA_ERANGE);
	CHECK_EQ(args_url(&a, "http://0123456789ab", small, sizeof(small)), 0);
	CHECK_EQ(args_url(&a, "http://0123456789abc", small, sizeof(small)), STRATA_ERANGE);
}

/* A DHCP packet: the BOOTP header, the cookie, then opts[0..n).  Heap, exactly sized. */
static uint8_t *dhcp_packet(const uint8_t *opts, size_t n, size_t *len)
{
	uint8_t *p = calloc(1, 240 + n);

	if (!p)
		abort();
	p[236] = 99, p[237] = 130, p[238] = 83, p[239] = 99;
	memcpy(p + 240, opts, n);
	*len = 240 + n;
	return p;
}

/* The proxyDHCP's option 224 (strata.efi booted by firmware PXE for a capture): found past
 * pads and other options, parsed as options text; absent, cut short or in a packet that
 * is not DHCP: no arguments, nothing read past the packet. */
static void test_dhcp_option(void)
{
	static const uint8_t good[] = { 0, 53, 1, 5, 0, 224, 22, 's', 'e', 'r', 'v', 'e', 'r',
					'=', 'h', 't', 't', 'p', ':', '/', '/', '1', '0', '.',
					'0', '.', '0', '.', '1', 255 };
	static const uint8_t none[] = { 53, 1, 5, 255 };
	static const uint8_t cut[] = { 53, 1, 5, 224, 30, 's', 'e' };
	static const uint8_t runs[] = { 53, 9, 5 };
	static const uint8_t nul[] = { 224, 16, 's', 'e', 'r', 'v', 'e', 'r', '=', 'h', 't', 't',
				       'p', ':', '/', '/', 0, 'x', 255 };
	const uint8_t *v;
	size_t len, n;
	struct args a;
	uint8_t *p = dhcp_packet(good, sizeof(good), &len);

	memset(&a, 0, sizeof(a));
	CHECK_EQ(args_from_dhcp(&a, p, len), 0);
	CHECK(!strcmp(a.server, "http://10.0.0.1"));
	p[236] = 0;
	CHECK_EQ(args_dhcp_option(p, len, ARGS_DHCP_OPTION, &v, &n), STRATA_EINVAL);
	free(p);
	p = dhcp_packet(none, sizeof(none), &len);
	CHECK_EQ(args_from_dhcp(&a, p, len), STRATA_ENOENT);
	free(p);
	p = dhcp_packet(cut, sizeof(cut), &len);
	CHECK_EQ(args_dhcp_option(p, len, ARGS_DHCP_OPTION, &v, &n), STRATA_EINVAL);
	free(p);
	p = dhcp_packet(nul, sizeof(nul), &len);
	CHECK_EQ(args_from_dhcp(&a, p, len), STRATA_EINVAL);  /* fuzz_efi_args found it */
	free(p);
	p = dhcp_packet(runs, sizeof(runs), &len);
	CHECK_EQ(args_dhcp_option(p, len, ARGS_DHCP_OPTION, &v, &n), STRATA_EINVAL);
	free(p);
	p = dhcp_packet(none, 0, &len);                 /* no END: the packet's end ends it */
	CHECK_EQ(args_dhcp_option(p, len, ARGS_DHCP_OPTION, &v, &n), STRATA_ENOENT);
	CHECK_EQ(args_dhcp_option(p, 100, ARGS_DHCP_OPTION, &v, &n), STRATA_EINVAL);
	free(p);
}

int main(void)
{
	RUN(test_dhcp_option);
	RUN(test_deploy_line);
	RUN(test_words);
	RUN(test_unknown_and_repeats);
	RUN(test_server);
	RUN(test_mac);
	RUN(test_token);
	RUN(test_then);
	RUN(test_check);
	RUN(test_selftest_keys);
	RUN(test_boot_uri);
	RUN(test_url);
	return harness_summary();
}
