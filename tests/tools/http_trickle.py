#!/usr/bin/env python3
"""Slowloris against an HTTP server, bounded in count and time, for tests/security.

usage: http_trickle.py PORT SOURCES SLOTS SECONDS GAP

From each source address (comma-separated, 127.x), keep SLOTS connections to
127.0.0.1:PORT open for SECONDS, each sending one byte of a never-ending request header
every GAP seconds; a slot whose connection the server closes reconnects after a second.
Prints one line:
    connects=N refused=N deadline=N longest=S open=N
refused: closed within 1 s of connecting (refused at accept); deadline: closed later by
the server; longest: the longest any connection lived (s); open: connections still open
at the end that were opened more than GAP*2+5 s before it (none, if the server enforces
a request deadline shorter than that).
"""
import select
import socket
import sys
import time

REQUEST = b"GET /boot/boot.bin HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000


class Slot:
    def __init__(self, source):
        self.source = source
        self.sock = None
        self.opened = 0.0
        self.sent = 0
        self.next_send = 0.0
        self.retry_at = 0.0


def connect(slot, port, now, stats):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((slot.source, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    slot.sock, slot.opened, slot.sent, slot.next_send = s, now, 0, now
    stats["connects"] += 1


def closed(slot, now, stats):
    life = now - slot.opened
    stats["refused" if life < 1.0 else "deadline"] += 1
    stats["longest"] = max(stats["longest"], life)
    slot.sock.close()
    slot.sock = None
    slot.retry_at = now + 1.0


def trickle(slot, now, gap, stats):
    if now < slot.next_send:
        return
    try:
        slot.sock.send(REQUEST[slot.sent:slot.sent + 1])
        slot.sent += 1
    except BlockingIOError:
        pass
    except OSError:
        closed(slot, now, stats)
        return
    slot.next_send = now + gap


def readable(slot, now, stats):
    try:
        if slot.sock.recv(4096):
            return
    except BlockingIOError:
        return
    except OSError:
        pass
    closed(slot, now, stats)


def main():
    port, sources = int(sys.argv[1]), sys.argv[2].split(",")
    count, seconds, gap = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    slots = [Slot(src) for src in sources for _ in range(count)]
    stats = {"connects": 0, "refused": 0, "deadline": 0, "longest": 0.0}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        now = time.monotonic()
        for slot in slots:
            if slot.sock is None and now >= slot.retry_at:
                connect(slot, port, now, stats)
            elif slot.sock is not None:
                trickle(slot, now, gap, stats)
        live = {s.sock: s for s in slots if s.sock is not None}
        ready, _, _ = select.select(list(live), [], [], 0.1)
        for sock in ready:
            if live[sock].sock is sock:
                readable(live[sock], time.monotonic(), stats)
    now = time.monotonic()
    for slot in slots:
        if slot.sock is not None:
            stats["longest"] = max(stats["longest"], now - slot.opened)
    stale = sum(1 for s in slots if s.sock is not None and now - s.opened > gap * 2 + 5)
    print("connects=%d refused=%d deadline=%d longest=%.1f open=%d" % (
        stats["connects"], stats["refused"], stats["deadline"], stats["longest"], stale))


if __name__ == "__main__":
    main()
