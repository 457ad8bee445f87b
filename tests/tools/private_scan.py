#!/usr/bin/env python3
"""Look for a machine's private bytes where they must not be (tests/security/private-layers.sh
and tests/e2e/deploy.sh).

  private_scan.py marker DIR TEXT
      exit 1 (naming the file) when TEXT appears in any file under DIR, as stored or, for
      a chunk file (a zlib stream), inflated; else exit 0.  Prints how many files it read,
      so a caller can tell that it looked.
  private_scan.py windows CAPTURE PATH [PATH...]
      for every chunk file given or under a given folder (as stored: what travels),
      whether any 32-byte window of it, at any offset, appears in CAPTURE (a pcap file,
      read whole): prints "FILES WINDOWS FOUND" and, per file found, "found PATH at
      OFFSET".  Exit 0; the caller decides which answer it wants (none for private chunks,
      some for a public chunk that was sent, so the check is not vacuous).  Keep the files
      small (a few MB of windows): every window is held in memory.
"""
import os
import sys
import zlib

WINDOW = 32


def files(dirs):
    for d in dirs:
        if os.path.isfile(d):
            yield d
        for root, _, names in os.walk(d):
            for n in sorted(names):
                yield os.path.join(root, n)


def forms(data):
    yield data
    try:
        yield zlib.decompress(data)
    except zlib.error:
        pass


def marker(d, text):
    text = text.encode()
    count = 0
    for path in files([d]):
        with open(path, "rb") as f:
            data = f.read()
        count += 1
        for form in forms(data):
            if text in form:
                print("found in %s" % path)
                return 1
    print("%d files read, none holds it" % count)
    return 0


def windows(capture, paths):
    with open(capture, "rb") as f:
        cap = f.read()
    owner = {}
    nfiles = 0
    chunks = [p for p in paths if os.path.isfile(p)]
    chunks += [p for p in files([d for d in paths if os.path.isdir(d)])
               if os.sep + "chunks" + os.sep in p]
    for path in chunks:
        with open(path, "rb") as f:
            data = f.read()
        nfiles += 1
        for off in range(0, len(data) - WINDOW + 1):
            owner.setdefault(data[off:off + WINDOW], (path, off))
    found = {}
    for i in range(0, len(cap) - WINDOW + 1):
        hit = owner.get(cap[i:i + WINDOW])
        if hit and hit[0] not in found:
            found[hit[0]] = hit[1]
            print("found %s at %d" % hit)
    print("%d %d %d" % (nfiles, len(owner), len(found)))
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "marker":
        return marker(argv[2], argv[3])
    if len(argv) >= 4 and argv[1] == "windows":
        return windows(argv[2], argv[3:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
