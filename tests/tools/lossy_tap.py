#!/usr/bin/env python3
"""A lossy link for one lab VM, for tests/e2e/multicast.sh (soak case): the kernel in the
lab has no netem, so this relays Ethernet frames between the VM's tap (made and bridged by
lab_vm) and QEMU's `-netdev socket,udp=` and drops LOSS percent of the frames going to the
VM (any frame: multicast datagrams and the repair's TCP alike).  Run inside the lab's
namespace; it waits for the tap, and ends when the tap goes (lab_vm deletes it).

    lossy_tap.py TAP LOSS_PERCENT QEMU_PORT LOCAL_PORT
"""
import fcntl
import os
import random
import select
import socket
import struct
import sys
import time

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454ca, 0x0002, 0x1000


def open_tap(name):
    """The existing tap NAME's fd (waits up to 60 s for lab_vm to make it)."""
    for _ in range(600):
        if os.path.exists(f"/sys/class/net/{name}"):
            break
        time.sleep(0.1)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    tap, loss = sys.argv[1], float(sys.argv[2])
    qemu = ("127.0.0.1", int(sys.argv[3]))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(sys.argv[4])))
    fd = open_tap(tap)
    sent = dropped = 0
    while os.path.exists(f"/sys/class/net/{tap}"):
        r, _, _ = select.select([fd, s], [], [], 1.0)
        try:
            if fd in r:
                frame = os.read(fd, 65536)
                if random.random() * 100 < loss:
                    dropped += 1
                else:
                    s.sendto(frame, qemu)
                    sent += 1
            if s in r:
                os.write(fd, s.recv(65536))
        except OSError:
            break
    print(f"lossy_tap {tap}: {sent} frames to the VM, {dropped} dropped", flush=True)


main()
