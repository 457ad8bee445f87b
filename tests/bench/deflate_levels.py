#!/usr/bin/env python3
"""Deflate levels on a layer's data chunks: the measurement behind STRATA_DEFLATE_LEVEL.

usage: python3 tests/bench/deflate_levels.py STORE [LEVEL...]

STORE is a folder store holding one layer built by `strata-image build` (any level).  Each
chunk file is turned back into the chunk's bytes (inflated when it is a zlib stream: shorter
than the chunk), then deflated again at each level (default 1 3 6 9) exactly as the capture
engine does (one zlib stream, 32 KiB window, memLevel 8: Python's zlib.compress is the
same compress2() call on the same Debian zlib), keeping the stream only when smaller.  For
each level: the bytes stored and the CPU seconds of deflate alone on one core, and the
resulting rate over the chunks' bytes.  Chunks of 64 KiB are assumed (the default size).
"""
import os
import sys
import time
import zlib

CHUNK = 65536


def chunks(store):
    top = os.path.join(store, "chunks")
    for d in sorted(os.listdir(top)):
        for name in sorted(os.listdir(os.path.join(top, d))):
            with open(os.path.join(top, d, name), "rb") as f:
                b = f.read()
            yield zlib.decompress(b) if len(b) < CHUNK else b


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    levels = [int(a) for a in sys.argv[2:]] or [1, 3, 6, 9]
    data = list(chunks(sys.argv[1]))
    raw = sum(len(c) for c in data)
    print(f"{len(data)} data chunks, {raw} bytes")
    print("| level | stored bytes | of the chunks | deflate CPU s | MB/s per core |")
    print("| --- | --- | --- | --- | --- |")
    for lv in levels:
        out = 0
        t0 = time.process_time()
        for c in data:
            z = zlib.compress(c, lv)
            out += len(z) if len(z) < len(c) else len(c)
        t = time.process_time() - t0
        print(f"| {lv} | {out:,} | {100.0 * out / raw:.1f} % | {t:.2f} | {raw / t / 1e6:.0f} |")


if __name__ == "__main__":
    main()
