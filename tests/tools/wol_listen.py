#!/usr/bin/env python3
"""Listen for Wake-on-LAN magic packets, for tests/server/wol.sh.  Run it inside the
network namespace of the "PCs", so it sees what the server sends on their segment only.

  wol_listen.py OUT [PORT]
      bind UDP PORT (default 9) on every address, broadcasts included; write one line
      per datagram to OUT: "MS SRC DST MAC" (milliseconds when the kernel received it,
      SO_TIMESTAMPNS, so a listener slow to read does not bunch them up; the source address, the destination address of its IP header, the MAC the packet
      wakes), or "MS SRC DST bad LEN" for anything that is not a magic packet (6 x FF
      then one MAC 16 times, 102 bytes).  Writes OUT.ready once
      bound; runs until SIGTERM or SIGINT, then exits 0.
"""
import signal
import socket
import struct
import sys
import time

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)   # and SCM_TIMESTAMPNS


def magic_mac(data):
    """The MAC a magic packet wakes, as aa:bb:..., or None."""
    if len(data) != 102 or data[:6] != b"\xff" * 6:
        return None
    mac = data[6:12]
    if data[6:] != mac * 16:
        return None
    return ":".join("%02x" % b for b in mac)


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    port = int(argv[2]) if len(argv) == 3 else 9
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(argv[1], "w") as out:
        open(argv[1] + ".ready", "w").close()
        while not stop:
            try:
                data, anc, _, src = s.recvmsg(2048, socket.CMSG_SPACE(12) +
                                              socket.CMSG_SPACE(16))
            except (socket.timeout, InterruptedError):
                continue
            ms = int(time.time() * 1000)
            dst = "?"
            for level, kind, val in anc:
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(val) >= 12:
                    dst = socket.inet_ntoa(val[8:12])   # struct in_pktinfo's ipi_addr
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(val) >= 16:
                    sec, nsec = struct.unpack("qq", val[:16])   # struct timespec
                    ms = sec * 1000 + nsec // 1000000
            mac = magic_mac(data)
            out.write("%d %s %s %s\n" % (ms, src[0], dst, mac if mac else "bad %d" % len(data)))
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
