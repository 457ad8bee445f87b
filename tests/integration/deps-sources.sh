#!/bin/bash
# Source fetching as a fresh machine does it (mk/deps.sh, mk/apt-fetch.sh).
#
# 1. The fallback rule, against stand-in apt-cache/apt-get commands whose "mirror" lists
#    three versions of a package but holds files only for the oldest: the newest two must
#    be tried and named, the oldest used and recorded; with no version held, the failure
#    names every version tried.  An install whose newest .deb is missing is pinned to the
#    next older version, and so on until none is left.
# 2. The real thing: `mk/deps.sh --sources-only DIR` into an empty folder, through the
#    machine's Debian mirror with a private apt configuration; both source trees must
#    unpack and build/src/versions-style records must name what was used.  CI starts from
#    a clean clone, so this runs on every CI run (about 10 s, a 5 MB download).
# Usage: tests/integration/deps-sources.sh
. "$(dirname "$0")/../lib/common.sh"
W=$(mktemp -d /tmp/strata-deps.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"; rm -f "$T_OUT"' EXIT

# Stand-ins: apt-cache lists $FAKE_VERSIONS; apt-get "downloads" only $FAKE_HELD.
fake_apt() {
	mkdir -p "$W/bin"
	cat > "$W/bin/apt-cache" <<'SH'
#!/bin/sh
for v in $FAKE_VERSIONS; do
	case $1 in
	madison) printf ' demo | %s | http://mirror.invalid bookworm/main amd64 Packages\n' "$v" ;;
	*) printf 'Package: demo\nVersion: %s\n\n' "$v" ;;
	esac
done
SH
	cat > "$W/bin/apt-get" <<'SH'
#!/bin/sh
case " $* " in
*" install "*)
	want=$FAKE_NEWEST
	for a; do case $a in demo=*) want=${a#demo=} ;; esac; done
	[ "$want" = "$FAKE_HELD" ] && { echo installed; exit 0; }
	echo "E: Failed to fetch http://mirror.invalid/pool/main/d/demo/demo_${want#*:}_amd64.deb  404  Not Found"
	exit 100 ;;
esac
for a; do last=$a; done
v=${last#demo=}
if [ "$v" = "$FAKE_HELD" ]; then mkdir demo-src && echo "$v" > demo-src/VERSION; exit 0; fi
echo "E: Failed to fetch http://mirror.invalid/pool/demo_$v.dsc  404  Not Found"
exit 100
SH
	chmod +x "$W/bin/apt-cache" "$W/bin/apt-get"
}

# run_fetch OUT: apt_fetch source demo into $W/OUT with the stand-ins; log in $W/OUT.log.
run_fetch() {
	mkdir -p "$W/$1"
	PATH="$W/bin:$PATH" sh -c '. mk/apt-fetch.sh; apt_fetch source demo "$1" && echo "used=$APT_FETCHED"' \
		sh "$W/$1" > "$W/$1.log" 2>&1
}

fake_apt
export FAKE_VERSIONS="1.0-1 1.0-1+deb12u2 1.0-1+deb12u1" FAKE_HELD=1.0-1
check "fallback: a version the pool holds is found" run_fetch ok
check "fallback: newest first (+deb12u2 tried before +deb12u1)" \
	awk '/deb12u2 failed/ { a = NR } /deb12u1 failed/ { b = NR } END { exit !(a && b && a < b) }' "$W/ok.log"
check "fallback: the failed files are named" grep -qF "http://mirror.invalid/pool/demo_1.0-1+deb12u2.dsc (404)" "$W/ok.log"
check "fallback: the oldest, held version is used and logged" grep -qx "used=1.0-1" "$W/ok.log"
check "fallback: its tree is in place" grep -qx "1.0-1" "$W/ok/demo-src/VERSION"
check "fallback: no attempt folder left behind" test -z "$(ls -A "$W/ok" | grep -v '^demo-src$')"
export FAKE_HELD=none
check_not "nothing held: the fetch fails" run_fetch none
check "nothing held: every version is named" \
	grep -qE "tried, newest first:.*" "$W/none.log"
for v in 1.0-1+deb12u2 1.0-1+deb12u1 1.0-1; do
	check "nothing held: names demo=$v" grep -qF "demo=$v:" "$W/none.log"
done

# An install whose newest .deb the pool lacks: pinned to the next older version.
run_install() {
	PATH="$W/bin:$PATH" sh -c '. mk/apt-fetch.sh; apt_install demo' > "$W/install.log" 2>&1
}
export FAKE_VERSIONS="2:1.0-1+deb12u2 2:1.0-1+deb12u1 2:1.0-1" FAKE_NEWEST=2:1.0-1+deb12u2 FAKE_HELD=2:1.0-1+deb12u1
check "install: succeeds with the newest .deb missing from the pool" run_install
check "install: names the missing version and the one tried" \
	grep -qF "demo: version 1.0-1+deb12u2 is not in the mirror's pool; trying 2:1.0-1+deb12u1" "$W/install.log"
export FAKE_HELD=none
check_not "install: fails when no version is held" run_install
check "install: tries each older version in turn" grep -qF "version 1.0-1+deb12u1 is not in the mirror's pool; trying 2:1.0-1" "$W/install.log"
check "install: says when none is left" grep -qF "version 1.0-1 is not in the mirror's pool and no older one is indexed" "$W/install.log"

check "real mirror: mk/deps.sh --sources-only into an empty folder" \
	sh mk/deps.sh --sources-only "$W/real"
check "real mirror: zlib tree unpacked" test -f "$(ls -d "$W"/real/src/zlib-*/ | head -1)inflate.c"
check "real mirror: mbedTLS tree unpacked" \
	test -f "$(ls -d "$W"/real/src/mbedtls-*/ | head -1)library/sha256.c"
two_lines() { [ "$(grep -c . "$1")" = 2 ]; }
check "real mirror: versions file has one line each" two_lines "$W/real/src/versions"
check "real mirror: versions file names zlib" grep -qE '^zlib [0-9]' "$W/real/src/versions"
check "real mirror: versions file names mbedtls" grep -qE '^mbedtls [0-9]' "$W/real/src/versions"
sed 's/^/     used: /' "$W/real/src/versions" 2>/dev/null
finish
