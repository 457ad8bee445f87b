#!/usr/bin/env python3
"""Open a sealed body (images/core/seal.h) with python3-cryptography, written apart from
the C code so tests/security/private-layers.sh checks one implementation against the other.

  seal_open.py STATE N PATH < BODY > PLAIN
      STATE is tests/tools/session_client.py's session file (its "enc" key), N the signed
      request's counter, PATH its canonical private path ("/private/MAC/REL").  Writes the
      plaintext; exit 1 (nothing written) when the tag does not match.
"""
import json
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as f:
        key = bytes.fromhex(json.load(f)["enc"])
    iv = b"\0" * 4 + struct.pack("<Q", int(argv[2]))
    body = sys.stdin.buffer.read()
    try:
        plain = AESGCM(key).decrypt(iv, body, argv[3].encode())
    except InvalidTag:
        sys.stderr.write("seal_open: the tag does not match\n")
        return 1
    sys.stdout.buffer.write(plain)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
