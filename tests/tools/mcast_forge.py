#!/usr/bin/env python3
"""Forge datagrams on a multicast session's group, for tests/e2e/multicast.sh (soak case).

Run inside the lab's namespace, beside strata-server: it joins GROUP:PORT, and for the
first COUNT chunks of partition PART it sees it sends at once, from the server's address and port (so the
agent's UDP4 source filter lets them through), every fragment of that chunk again with
its header kept and its payload flipped: a wrong chunk with a right header, which the
agent must assemble, refuse by its SHA-256 against the index, and take again from the
carousel or by repair.  After the first it also sends GARBAGE datagrams of random bytes (counted bad).
Prints what it sent; stops after SECONDS.

    mcast_forge.py GROUP PORT SRC_IP PART [COUNT] [GARBAGE] [SECONDS]
"""
import os
import socket
import struct
import sys
import time


def header_fields(d):
    """(part, chunk, stored_size, frag_size) of a STMC datagram, or None."""
    if len(d) < 40 or d[:4] != b"STMC":
        return None
    chunk, = struct.unpack_from("<Q", d, 24)
    stored, = struct.unpack_from("<I", d, 32)
    fsize, = struct.unpack_from("<H", d, 38)
    return d[6], chunk, stored, fsize


def forge_chunk(sock, dst, d):
    """Every data fragment of d's chunk, payload flipped; returns how many were sent."""
    part, chunk, stored, fsize = header_fields(d)
    n = (stored + fsize - 1) // fsize
    for f in range(n):
        plen = min(fsize, stored - f * fsize)
        hdr = bytearray(d[:40])
        struct.pack_into("<H", hdr, 36, f)
        sock.sendto(bytes(hdr) + bytes((0x5a ^ (i & 0xff)) for i in range(plen)), dst)
    return n


def main():
    group, port, src, part = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    garbage = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    end = time.time() + (float(sys.argv[7]) if len(sys.argv) > 7 else 120)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(group) + socket.inet_aton(src))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    s.settimeout(1.0)
    dst, done = (group, port), set()
    while len(done) < count and time.time() < end:
        try:
            d, who = s.recvfrom(2048)
        except socket.timeout:
            continue
        h = header_fields(d)
        if not h or who[0] != src or h[0] != part or (h[0], h[1]) in done:
            continue
        done.add((h[0], h[1]))
        n = forge_chunk(s, dst, d)
        for _ in range(garbage if len(done) == 1 else 0):
            s.sendto(os.urandom(200), dst)
        print(f"forged part {h[0]} chunk {h[1]}: {n} fragments", flush=True)
    print(f"sent {garbage} garbage datagrams and {len(done)} forged chunks", flush=True)


main()
