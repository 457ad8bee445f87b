#!/usr/bin/env python3
"""Record every packet of one interface into a pcap file, for a test that then looks for
bytes that must not cross the wire (tests/security/capture-seal.sh, with
tests/tools/private_scan.py).  Run it inside a network namespace the test made, so it sees
that test's traffic only.

  pcap_sniff.py IFACE OUT
      capture IFACE (an AF_PACKET socket, every protocol) into OUT until SIGTERM or
      SIGINT, then flush and exit 0.  Writes OUT.ready once the socket is bound, so the
      caller knows that nothing after it is missed.
"""
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
LINKTYPE_ETHERNET = 1


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((argv[1], 0))
    s.settimeout(0.2)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(argv[2], "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        open(argv[2] + ".ready", "w").close()
        while not stop:
            try:
                pkt = s.recv(262144)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            t = time.time()
            out.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(pkt), len(pkt)))
            out.write(pkt)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
