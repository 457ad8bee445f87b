#!/bin/sh
# Install everything Strata's build and tests need on Debian 12, idempotently, as root,
# and fetch the zlib and mbedTLS *source* packages that strata.efi compiles freestanding.
#
# Why a private apt configuration for sources: the machine's own apt setup must stay as the
# administrator left it.  We derive a deb-src entry from the machine's Debian sources into
# BUILD/apt and point apt-get at that folder only for `apt-get source`.
#
# Usage: mk/deps.sh [BUILD_DIR]      (default: build)
#        mk/deps.sh --sources-only DIR  fetch and unpack the two source packages into DIR
#        (tests/deps/sources.sh runs it into an empty folder)
set -eu

if [ "${1:-}" = --sources-only ]; then
	[ -n "${2:-}" ] || { echo "usage: mk/deps.sh --sources-only DIR" >&2; exit 2; }
	SOURCES_ONLY=$2
	mkdir -p "$SOURCES_ONLY"
	[ -z "$(ls -A "$SOURCES_ONLY")" ] || { echo "deps: $SOURCES_ONLY is not empty" >&2; exit 2; }
	SRC=$(cd "$SOURCES_ONLY" && pwd)/src
	APTDIR=$(cd "$SOURCES_ONLY" && pwd)/apt
else
	BUILD=${1:-build}
	STAMP="$BUILD/.deps-stamp"
	SRC="$BUILD/src"
	APTDIR="$PWD/$BUILD/apt"
fi

# Debian packages, grouped by what needs them.
PKGS_BUILD="build-essential pkg-config dpkg-dev clang libclang-rt-14-dev \
 zlib1g-dev libmbedtls-dev libssl-dev sbsigntool efitools libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev libcrypt-dev libjson-c-dev gnu-efi"
PKGS_TEST="curl sqlite3 openssl nginx-light casync e2fsprogs dosfstools mtools xxd \
 ntfs-3g partclone gdisk fdisk tftp-hpa atftp tftpd-hpa dnsmasq-base iproute2 qemu-system-x86 ovmf ipxe ipxe-qemu wrk hyperfine \
 chromium chromium-driver python3-selenium udpcast nftables iputils-ping"

log() { printf 'deps: %s\n' "$*"; }
# shellcheck source=mk/apt-fetch.sh
. "$(dirname "$0")/apt-fetch.sh"

missing_pkgs() {
	for p in $PKGS_BUILD $PKGS_TEST; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
			|| printf '%s ' "$p"
	done
}

install_pkgs() {
	need=$(missing_pkgs)
	[ -z "$need" ] && { log "all Debian packages present"; return 0; }
	[ "$(id -u)" = 0 ] || { log "missing packages ($need) and not root: run 'make deps' as root"; exit 1; }
	log "installing: $need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# tftpd-hpa and nginx start services on install; we run our own instances in tests.
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.strata
	[ -e /usr/sbin/policy-rc.d ] || { cp /usr/sbin/policy-rc.d.strata /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; rmpol=1; }
	apt_install $need || rc=$?
	[ "${rmpol:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
	rm -f /usr/sbin/policy-rc.d.strata
	[ "${rc:-0}" = 0 ] || { log "apt-get install failed ($rc)"; exit 1; }
}

# Write a deb-src entry for every Debian "deb" source the machine has, in deb822 form.
derive_sources() {
	out=$1
	: > "$out"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN{RS=""; ORS="\n\n"} /Types:[^\n]*deb/ && /debian/ {
			gsub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >> "$out"
	done
	if [ -f /etc/apt/sources.list ]; then
		grep -E '^deb[[:space:]]' /etc/apt/sources.list | grep debian \
		| sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+)[[:space:]]+(.*)$/Types: deb-src\nURIs: \2\nSuites: \3\nComponents: \4\n/' >> "$out" || true
	fi
	[ -s "$out" ] || { log "no Debian apt source found in /etc/apt to derive deb-src from"; exit 1; }
}

# Unpack zlib's and mbedTLS's source packages into $SRC and record the versions used in
# $SRC/versions ("zlib 1:1.2.13.dfsg-1" a line), which strata.efi's build embeds in its
# self-test line.  Each package tries every version the index offers (mk/apt-fetch.sh).
fetch_sources() {
	have_zlib=$(ls -d "$SRC"/zlib-*/ 2>/dev/null | head -1)
	have_mbed=$(ls -d "$SRC"/mbedtls-*/ 2>/dev/null | head -1)
	if [ -n "$have_zlib" ] && [ -n "$have_mbed" ] && [ -s "$SRC/versions" ]; then
		log "zlib and mbedTLS sources present ($(tr '\n' ' ' < "$SRC/versions"))"
		return 0
	fi
	apt=$APTDIR
	rm -rf "$SRC"
	mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$SRC"
	derive_sources "$apt/sources.list.d/strata-src.sources"
	APT_FETCH_OPTS="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt/sources.list.d \
	      -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache"
	log "fetching zlib and mbedtls source packages into $SRC"
	# shellcheck disable=SC2086
	apt-get $APT_FETCH_OPTS -o APT::Sandbox::User=root update -q
	: > "$SRC/versions.tmp"
	for pkg in zlib mbedtls; do
		apt_fetch source "$pkg" "$SRC" || exit 1
		printf '%s %s\n' "$pkg" "$APT_FETCHED" >> "$SRC/versions.tmp"
	done
	mv "$SRC/versions.tmp" "$SRC/versions"
}

if [ -n "${SOURCES_ONLY:-}" ]; then
	fetch_sources
	exit 0
fi
install_pkgs
fetch_sources
mkdir -p "$BUILD" && touch "$STAMP"
log "done"
