#!/bin/sh
# Benchmarks: `make bench` runs `sh tests/bench/run.sh build`.
#
# usage: sh tests/bench/run.sh BUILD_DIR [--all]
#
# This file is POSIX sh (make calls it with sh); the scripts it runs are bash scripts and
# are started with bash.
#
#   image.sh      strata-image vs casync (and curl | gunzip): build, full and delta apply;
#                 writes the "Layer format and strata-image" section of docs/benchmarks.md
#   server.sh     strata-server vs tftpd-hpa (atftp) and nginx (wrk), 64 clients, memory;
#                 writes the "strata-server" section of docs/benchmarks.md
#   tftp-delay.sh strata-server's TFTP windowsize vs tftpd-hpa across a link of 1 ms each
#                 way (namespaces and tests/tools/delay_link.c); writes the "TFTP across a
#                 delayed link" section of docs/benchmarks.md (needs root; skipped without)
#   efi.sh        strata.efi in a lab VM (QEMU/OVMF, multi-threaded TCG, 2 vCPUs and 1) vs
#                 iPXE's plain imgfetch: full and unchanged deployments; writes the
#                 "strata.efi in a VM" section of
#                 docs/benchmarks.md (needs root; skipped without it)
#   cores.sh      strata.efi's CPU phase (an unchanged redeployment's hashing) in a lab VM
#                 with -smp 1 and -smp 2 under multi-threaded TCG, and the scaling; writes
#                 the "Every core" section of docs/benchmarks.md (needs root; skipped
#                 without it)
#   fsaware.sh    filesystem-aware layers: a 4 GiB ext4 onto old data (strata-image apply
#                 with and without the free class, partclone.ext4 -r), and a debootstrap
#                 gold update against casync (root); writes the "Filesystem-aware layers"
#                 section of docs/benchmarks.md
#   capture.sh    capture: strata-image build --store URL --token (upload to strata-server
#                 in a namespace) vs partclone.ext4 -c | gzip and casync make, first and
#                 repeat capture; with --vm strata.efi's capture against its full deployment
#                 in a lab VM; writes the "Capture" and "Capture in a VM" sections of
#                 docs/benchmarks.md (root)
#   restore.sh    restoring a failed PC in a lab VM: Strata's restore (gold, machine layer
#                 and the user's generation) and fresh deployment against Clonezilla's way
#                 (iPXE boots Debian's kernel and lib/ramdisk.sh's initramfs, which runs
#                 wget | gunzip | partclone.restore), per DATA_MIB (default "64 256");
#                 writes the "Restore a failed PC" section of docs/benchmarks.md (root)
#   poweron.sh    power-on to a written disk in a lab VM (2 vCPUs, multi-threaded TCG):
#                 strata.efi against the ramdisk path (iPXE boots Debian's kernel and
#                 lib/ramdisk.sh's initramfs, which runs wget | gunzip > /dev/vda of the
#                 whole disk, or partclone.restore per partition), a first deployment and a
#                 reimage after a small gold change, per ROOT_MIB (default "64 344"); writes
#                 the "Power-on to a written disk" section of docs/benchmarks.md (root)
#   multicast.sh  Strata's multicast session (three lab VMs at once) against udpcast on the
#                 same layer, clean and with one client losing 2 % of its multicast; writes
#                 the "Multicast" section of docs/benchmarks.md (root)
#   index.sh      the layer index's size against casync's .caibx on two 2 GiB ext4 layers
#                 (about 19 % and 25 % data); writes the "Compact index" section of
#                 docs/benchmarks.md
#   chunksize.sh  (--all only) delta bytes, requests and index size per chunk size;
#                 writes the measurement section of docs/chunk-size.md
#   sites-load.sh (--all only) the central server with 5,000 machines at 50 sites booting
#                 within 10 minutes (scripts, keys, orders, manifests, reports; no chunks):
#                 the numbers of docs/scale.md, into BUILD_DIR/bench/sites-load.json
#                 (about 15 min)
#
# Run time on 2 cores: about 1 min to make the images the first time (cached in
# BUILD_DIR/bench/images), 4-5 min for image.sh, 3-4 min for server.sh, about 3 for
# tftp-delay.sh, 8-9 min for efi.sh, 7-10 min for cores.sh, about 3 min for fsaware.sh,
# about 5 for index.sh, about 6 for multicast.sh, 4-5 min for capture.sh (plus 2 min the
# first time for its images and the debootstrap, cached in BUILD_DIR/bench/fsaware), about
# 4 min per size for restore.sh, 2-3 min more with --all, and about 6 min per size
# for poweron.sh.
# Environment: STRATA_BENCH_RUNS (default 3), STRATA_BENCH_CACHE (auto|cold|warm),
# STRATA_BENCH_IMAGE_MIB (default 1024), STRATA_BENCH_CHUNK_SIZES, DATA_MIB (restore.sh), ROOT_MIB (poweron.sh).
set -eu

BENCH=run.sh
. "$(dirname "$0")/lib/common.sh"
[ $# -ge 1 ] || die "usage: run.sh BUILD_DIR [--all]"
BUILD=$1
shift
ALL=0
for a in "$@"; do
	case $a in
		--all) ALL=1 ;;
		*) die "unknown option '$a' (usage: run.sh BUILD_DIR [--all])" ;;
	esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$BUILD/rel/strata-image" ] || die "$BUILD/rel/strata-image not found: run 'make build/rel/strata-image' (or make bench)"

command -v bash >/dev/null 2>&1 || die "bash is needed by the bench scripts"
start=$(date +%s)
bash "$HERE/image.sh" "$BUILD"
bash "$HERE/server.sh" "$BUILD"
if [ "$(id -u)" = 0 ]; then
	bash "$HERE/tftp-delay.sh" "$BUILD"
	bash "$HERE/efi.sh" "$BUILD"
	bash "$HERE/cores.sh" "$BUILD"
else
	echo "run.sh: skipping tftp-delay.sh, efi.sh and cores.sh (they need root for network namespaces)" >&2
fi
bash "$HERE/fsaware.sh" "$BUILD"
bash "$HERE/index.sh" "$BUILD"
if [ "$(id -u)" = 0 ]; then
	bash "$HERE/capture.sh" "$BUILD"
	bash "$HERE/capture.sh" "$BUILD" --vm
	bash "$HERE/restore.sh" "$BUILD"
	bash "$HERE/poweron.sh" "$BUILD"
	bash "$HERE/multicast.sh" "$BUILD"
else
	echo "run.sh: skipping capture.sh, restore.sh, poweron.sh and multicast.sh (they need root for their network namespaces)" >&2
fi
if [ "$ALL" = 1 ]; then
	bash "$HERE/chunksize.sh" "$BUILD"
	bash "$HERE/sites-load.sh" "$BUILD"
fi
echo "run.sh: benchmarks done in $(($(date +%s) - start)) s; results in $BUILD/bench/results" >&2
