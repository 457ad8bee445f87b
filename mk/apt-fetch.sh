# Downloads from a Debian mirror whose index and pool may disagree.  Sourced by mk/deps.sh
# (source packages for strata.efi) and images/demo/gold.sh (the demo's binary packages).
#
# Why: a mirror can keep listing a version in its index after the files behind it are gone
# (seen with zlib 1:1.2.13.dfsg-1+deb12u1 in bookworm-security: the Sources index names it,
# the pool answers 404).  `apt-get source zlib` and `apt-get download P` pick the newest
# entry and fail.  So every download here tries each version the index offers, newest first,
# until one arrives and passes apt's own checks (the index's hashes; dpkg-source's for a
# source package), logs the version it used, and on total failure names every version and
# every file it tried.
#
# Callers set APT_FETCH_OPTS to the apt options for the lists to use (empty: the machine's),
# and may define log().  POSIX sh; needs apt-get, apt-cache and dpkg.

APT_FETCH_OPTS=${APT_FETCH_OPTS:-}
APT_INSTALL_OPTS=${APT_INSTALL_OPTS:-}

command -v log >/dev/null 2>&1 || log() { printf '%s\n' "$*"; }

# Print the versions, one a line, newest first.  kind is "source" or "binary".
apt_versions() {
	kind=$1 pkg=$2
	if [ "$kind" = source ]; then
		# shellcheck disable=SC2086
		apt-cache $APT_FETCH_OPTS showsrc "$pkg" 2>/dev/null | awk -v p="$pkg" \
			'/^Package:/ { ok = ($2 == p) } ok && /^Version:/ { print $2 }'
	else
		# shellcheck disable=SC2086
		apt-cache $APT_FETCH_OPTS madison "$pkg" 2>/dev/null | awk -F'|' \
			'$3 ~ /Packages/ { gsub(/ /, "", $1); gsub(/ /, "", $2); if ($1 == "'"$pkg"'") print $2 }'
	fi | apt_sort_newest
}

# Sort Debian versions from stdin newest first, without duplicates (dpkg's own comparison:
# epochs, tildes and revisions are not what sort -V knows).
apt_sort_newest() {
	sorted=""
	while read -r v; do
		[ -n "$v" ] || continue
		case " $sorted " in *" $v "*) continue ;; esac
		out="" placed=0
		for s in $sorted; do
			if [ $placed = 0 ] && dpkg --compare-versions "$v" gt "$s"; then
				out="$out $v"
				placed=1
			fi
			out="$out $s"
		done
		[ $placed = 1 ] || out="$out $v"
		sorted=$out
	done
	for s in $sorted; do printf '%s\n' "$s"; done
}

# Fetch pkg into dir, trying each version newest first; the version used is left in
# APT_FETCHED (call apt_fetch in the current shell, not in $(...), to read it).
# kind "source" unpacks the source tree into dir (apt-get source); "binary" downloads the
# .deb (apt-get download).  Each attempt runs in a fresh folder, so a failed one leaves
# nothing behind.  On failure, returns 1 after logging each version and its apt errors.
apt_fetch() {
	kind=$1 pkg=$2 dir=$3
	versions=$(apt_versions "$kind" "$pkg")
	[ -n "$versions" ] || { log "$pkg: no $kind version in the apt index (apt-get update?)"; return 1; }
	tried=""
	for v in $versions; do
		try="$dir/.try-$pkg"
		rm -rf "$try" && mkdir -p "$try"
		if apt_fetch_one "$kind" "$pkg" "$v" "$try" > "$try.log" 2>&1; then
			for f in "$try"/* "$try"/.[!.]*; do
				[ -e "$f" ] || continue
				rm -rf "${dir:?}/${f##*/}"
				mv "$f" "$dir/"
			done
			rm -rf "$try" "$try.log"
			log "$pkg: using $kind version $v"
			APT_FETCHED=$v
			return 0
		fi
		files=$(sed -n 's|^E: Failed to fetch \([a-z]*://[^ ]*\)  *\([0-9]*\).*|\1 (\2)|p' "$try.log" |
			sort -u | tr '\n' ' ')
		why=$(grep -E '^(E|W):' "$try.log" | head -3 | tr '\n' ' ')
		log "$pkg: version $v failed: ${files:-$why}"
		tried="$tried
  $pkg=$v: ${files:-$why}"
		rm -rf "$try" "$try.log"
	done
	log "$pkg: no $kind version could be downloaded; tried, newest first:$tried"
	log "$pkg: the mirror's index names files its pool does not hold; try another mirror or later"
	return 1
}

apt_fetch_one() {
	kind=$1 pkg=$2 v=$3 try=$4
	# Running as root, apt would drop to the _apt user, who cannot write our folders.
	if [ "$kind" = source ]; then
		# shellcheck disable=SC2086
		(cd "$try" && apt-get $APT_FETCH_OPTS -o APT::Sandbox::User=root source -q "$pkg=$v")
	else
		# shellcheck disable=SC2086
		(cd "$try" && apt-get $APT_FETCH_OPTS -o APT::Sandbox::User=root download -q "$pkg=$v")
	fi
}

# Install packages with apt-get, as root.  When a download fails because the pool lacks the
# file the index names, pin that package to the next older version the index offers and try
# again (at most APT_INSTALL_TRIES times, default 6).  Extra apt-get options come from
# APT_INSTALL_OPTS.  On failure, logs the pins tried and apt's errors, and returns 1.
apt_install() {
	pins="" tries=0
	while :; do
		tries=$((tries + 1))
		log "apt-get install $*${pins:+ (pinned:$pins)}"
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $APT_INSTALL_OPTS "$@" $pins \
			> "${TMPDIR:-/tmp}/strata-apt-install.log" 2>&1 && return 0
		tail -n 20 "${TMPDIR:-/tmp}/strata-apt-install.log"
		more=$(apt_pins_for_failures "${TMPDIR:-/tmp}/strata-apt-install.log") || {
			log "apt-get install failed (see above)"
			return 1
		}
		[ "$tries" -lt "${APT_INSTALL_TRIES:-6}" ] || { log "apt-get install: gave up after $tries tries (pinned:$pins)"; return 1; }
		for p in $more; do      # a newer pin of the same package replaces the older one
			pins="$(printf '%s\n' $pins | grep -v "^${p%%=*}=") $p"
		done
	done
}

# From an apt-get log, print "pkg=older" for each .deb the mirror failed to serve; fail if a
# failed .deb has no older version in the index (or nothing failed to download).  Logs go
# to stderr: stdout is the caller's answer.
apt_pins_for_failures() {
	out=""
	for deb in $(sed -n 's|^E: Failed to fetch [a-z]*://[^ ]*/\([^/ ]*\.deb\) .*|\1|p' "$1" | sort -u); do
		deb=$(printf '%s' "$deb" | sed 's/%3a/:/gI; s/%2b/+/gI; s/%7e/~/gI')
		pkg=${deb%%_*} rest=${deb#*_} bad=${rest%_*}
		older=$(apt_versions binary "$pkg" | awk -v bad="$bad" '
			{ v = $0; sub(/^[0-9]+:/, "", v) } seen { print $0; exit } v == bad { seen = 1 }')
		[ -n "$older" ] || { log "$pkg: version $bad is not in the mirror's pool and no older one is indexed" >&2; return 1; }
		log "$pkg: version $bad is not in the mirror's pool; trying $older" >&2
		out="$out $pkg=$older"
	done
	[ -n "$out" ] && printf '%s\n' "$out"
}
