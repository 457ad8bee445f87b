#!/bin/bash
# `make demo` (foundation stage): the layer pipeline on this machine, no VMs yet.
# Builds a real ext4 "gold" image, adds it to a store, signs a manifest that names it,
# deploys it over HTTP (nginx on 127.0.0.1) to an empty disk file, changes the gold image,
# and redeploys fetching only what changed.  Prints each step and a summary table.
# Usage: tests/demo/local.sh [BUILD_DIR]    KEEP=1 keeps the work folder.
set -eu
BUILD=${1:-build}
SI=$BUILD/rel/strata-image
. "$(dirname "$0")/../lib/common.sh"
W=$(mktemp -d /tmp/strata-demo.XXXXXX)
chmod 755 "$W"
cleanup() { nginx_stop; [ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"; }
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "1. gold image v1: a 384 MiB ext4 filesystem with this machine's docs and programs"
mkdir -p "$W/tree/etc" "$W/tree/bin"
cp -a /usr/share/doc "$W/tree/doc"
# Programs up to about 100 MB, so the image fits whatever this machine has installed.
find /usr/bin -maxdepth 1 -type f -size -20M | sort | head -n 2000 | while read -r f; do
	[ "$(du -sm "$W/tree/bin" | cut -f1)" -lt 100 ] || break
	cp -p "$f" "$W/tree/bin/"
done
echo "gold 1" > "$W/tree/etc/strata-release"
mkfs.ext4 -q -F -U 5f1a2b3c-0000-4000-8000-000000000001 -E hash_seed=5f1a2b3c-0000-4000-8000-000000000002 \
	-d "$W/tree" "$W/gold-v1.img" 384M
ls -l "$W/gold-v1.img"

step "2. add it to a chunk store"
V1=$($SI build --store "$W/store" "$W/gold-v1.img" | tail -1)
echo "layer id: $V1"

step "3. sign a manifest that puts it on pc01's root partition"
$SI keygen "$W/server.key"
cat > "$W/pc01.manifest" <<EOM
strata-manifest 1
version 1
machine pc01
disk guid=3B9F4C2E-1D5A-4E6B-8C7D-9E0F1A2B3C4D
part 1 label=root type=linux guid=7C6B5A49-3827-4165-9384-A5B6C7D8E9F0 start=1M size=384M policy=write layer=$V1
part 2 label=data type=linux guid=0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9 start=385M size=rest policy=preserve
EOM
$SI manifest sign --key "$W/server.key" "$W/pc01.manifest"
$SI manifest verify --pub "$W/server.key.pub" "$W/pc01.manifest"

step "4. deploy v1 over HTTP (nginx on 127.0.0.1) to an empty disk"
nginx_start "$W/store"
URL=http://127.0.0.1:$NGINX_PORT
$SI apply --store "$URL" --json "$W/full.json" "$V1" "$W/pc01-root.img"
cmp "$W/gold-v1.img" "$W/pc01-root.img" && echo "pc01 root partition == gold v1, byte for byte"

step "5. gold image v2: a changed file and a new one, written into v1 in place (debugfs)"
cp "$W/gold-v1.img" "$W/gold-v2.img"
echo "gold 2" > "$W/release2"
head -c 3000000 /dev/urandom > "$W/newapp"
debugfs -w -R "rm /etc/strata-release" "$W/gold-v2.img" >/dev/null 2>&1
debugfs -w -R "write $W/release2 /etc/strata-release" "$W/gold-v2.img" >/dev/null 2>&1
debugfs -w -R "write $W/newapp /etc/newapp" "$W/gold-v2.img" >/dev/null 2>&1
V2=$($SI build --store "$W/store" "$W/gold-v2.img" | tail -1)
echo "layer id: $V2"

step "6. redeploy pc01 with v2: only the changed chunks cross the wire"
$SI apply --store "$URL" --json "$W/delta.json" "$V2" "$W/pc01-root.img"
cmp "$W/gold-v2.img" "$W/pc01-root.img" && echo "pc01 root partition == gold v2, byte for byte"

step "summary"
j() { sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1"; }
printf '%-12s %14s %10s %10s %8s\n' deploy "bytes fetched" fetched reused seconds
for r in full delta; do
	printf '%-12s %14s %10s %10s %8s\n' "$r" "$(j "$W/$r.json" bytes_fetched)" \
		"$(j "$W/$r.json" chunks_fetched)" "$(j "$W/$r.json" chunks_reused)" "$(j "$W/$r.json" seconds)"
done
echo "a full copy of the image is $(stat -c %s "$W/gold-v2.img") bytes"
