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
