#!/usr/bin/env python3
"""A multicast client of strata-server, written apart from the C code (docs/multicast.md):
tests/server/mcast.sh runs it against the server's carousel.

  mcast_peer.py run  STATE MAC BASE INDEX GROUP IFACE PORT SESSION PART NEED OUT [SECONDS]
      Join GROUP on IFACE (IP_ADD_MEMBERSHIP), post a JOIN status, then take the datagrams
      of SESSION's part PART: each header parsed by the documented layout, each chunk
      reassembled, inflated when its index entry says zlib, and checked against the
      index's SHA-256; a chunk that verified clears every needed chunk with its digest
      (the carousel sends a digest once a pass, under one of its chunks), and a digest
      sent under two chunks in one cycle is counted (digest_twice).  NEED is "all" or "FIRST:COUNT,..." (chunk indices).  Statuses go
      every report_ms of the answers (signed POSTs, b= the body's SHA-256); the need set
      empty, it posts DONE and stops; REPAIR or GONE stop it too (a final UNICAST).  OUT
      gets a JSON summary.  SECONDS (default 60) bounds the run.
  mcast_peer.py post STATE MAC BASE INDEX SESSION PART LAYER FLAGS NEED [MODE]
      One status; prints "CODE VERDICT" (VERDICT - when the answer is not 200).  MODE:
      signed (default), unsigned, bad-b (b= of another body), garbage (a signed body,
      junk around its part and session), replay (the previous counter again), twice (the same status posted twice back to back;
      the second's answer printed), loss=SEEN:LOST (signed, reporting SEEN datagrams
      seen and LOST lost since the last status).
"""
import hashlib
import json
import os
import socket
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import session_client  # noqa: E402

HDR = struct.Struct("<4sBBBB8sIIQIHH")          # 40 bytes, docs/multicast.md
STATUS = struct.Struct("<4sBBBB8s32sQQQIII12s")  # 96 bytes
ANSWER = struct.Struct("<4sB3sIIQII")            # 32 bytes
JOIN, DONE, UNICAST = 1, 2, 4
VERDICTS = {0: "stay", 1: "repair", 2: "gone"}


def read_entry(b, at, ver, esz, length):
    """(digest, stored_size, zlib) of the data entry at b[at:]: v1 and v2 carry a le32
    stored size and le32 flags (2 = zlib), v3 the stored size less one in esz - 32 bytes,
    zlib exactly when it is less than the chunk's length (images/core/format.h)."""
    if ver < 3:
        dg, stored, flags = struct.unpack_from("<32sII", b, at)
        return dg, stored, bool(flags & 2)
    stored = int.from_bytes(b[at + 32:at + esz], "little") + 1
    return b[at:at + 32], stored, stored < length


def read_index(path):
    """(chunk_count, {chunk: (digest, stored_size, zlib)}) of a layer index, v1, v2 or v3."""
    b = open(path, "rb").read()
    if b[:8] != b"STRATAIX":
        raise SystemExit("not an index")
    ver, hsz, esz, shift = struct.unpack_from("<HHHB", b, 8)
    size, count = struct.unpack_from("<QQ", b, 16)
    runs_n, = struct.unpack_from("<Q", b, 36) if ver >= 2 else (0,)
    runs = [struct.unpack_from("<QQII", b, hsz + 24 * i) for i in range(runs_n)]
    off = hsz + 24 * runs_n
    empty = set()
    for first, _before, n, _cls in runs:
        empty.update(range(first, first + n))
    data, k = {}, 0
    for i in range(count):
        if i in empty:
            continue
        length = min(1 << shift, size - (i << shift))
        dg, stored, zlib = read_entry(b, off + esz * k, ver, esz, length)
        k += 1
        if stored:
            data[i] = (dg, stored, zlib)
    return count, data


def parse_need(spec, data):
    if spec == "all":
        return set(data)
    need = set()
    for r in spec.split(","):
        first, n = r.split(":")
        need.update(c for c in range(int(first), int(first) + int(n)) if c in data)
    return need


def ranges(need):
    out, run = [], None
    for c in sorted(need):
        if run and c == run[0] + run[1]:
            run[1] += 1
        else:
            run = [c, 1]
            out.append(run)
    return out


def status_body(flags, part, session, layer, need, mc_bytes=0, seen=0, lost=0):
    rs = ranges(need)
    body = STATUS.pack(b"STMS", 1, flags, part, 0, session, layer, len(need), mc_bytes, 0,
                       seen, lost, len(rs), b"\0" * 12)
    return body + b"".join(struct.pack("<QI", f, n) for f, n in rs)


def post(state, base, mac, body, mode="signed"):
    """POST a status; (http code, answer fields or None)."""
    if mode == "garbage":        # the session and part kept, so it reaches the parser
        body = b"\xff" * 6 + body[6:16] + b"\xff" * (len(body) - 16)
    b = hashlib.sha256(body + (b"x" if mode == "bad-b" else b"")).hexdigest()
    url = f"{base}/mcast/status/{mac}?b={b}"
    if mode == "replay":
        st = json.load(open(state))
        url = session_client.sign(st, st["n"], url, "POST")
    elif mode != "unsigned":
        st = session_client.next_state(state)
        url = session_client.sign(st, st["n"], url, "POST")
    req = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            a = r.read()
            if len(a) != 32 or a[:4] != b"STMA":
                return r.status, None
            return r.status, ANSWER.unpack(a)
    except urllib.error.HTTPError as e:
        return e.code, None


def join(group, iface, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The default buffer holds about 130 ms of an 8 Mbit/s stream: a peer stalled that
    # long (a loaded host) would lose fragments and inflate the bytes checks.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((group, port))
    mreq = socket.inet_aton(group) + socket.inet_aton(iface)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.settimeout(0.05)
    return s


class Peer:
    def __init__(self, data, need, session, part):
        self.data, self.need, self.session, self.part = data, need, session, part
        self.wanted = set(need)
        self.frags = {}
        self.s = {"datagrams": 0, "bad": 0, "other_session": 0, "unneeded": 0,
                  "chunks_ok": 0, "chunks_bad": 0, "bytes": 0, "seq_gaps": 0,
                  "digest_twice": 0, "verdicts": [], "codes": []}
        self.last_seq = None
        self.seen = 0
        self.sent_as = {}  # (cycle, digest) -> the chunk it came under

    def target(self, chunk):
        """The needed chunk a datagram of chunk fills: itself, or one with its digest."""
        if chunk in self.need:
            return chunk
        dg = self.data[chunk][0]
        return next((c for c in sorted(self.need) if self.data[c][0] == dg), None)

    def count_digest(self, cycle, chunk):
        key = (cycle, self.data[chunk][0])
        if self.sent_as.setdefault(key, chunk) != chunk:
            self.sent_as[key] = chunk
            self.s["digest_twice"] += 1

    def datagram(self, pkt):
        st = self.s
        st["datagrams"] += 1
        self.seen += 1
        if len(pkt) < 40:
            st["bad"] += 1
            return
        magic, ver, typ, part, par, sess, seq, cyc, chunk, stored, frag, fsz = \
            HDR.unpack_from(pkt)
        if magic != b"STMC" or ver != 1 or typ != 1 or par != 0:
            st["bad"] += 1
            return
        if sess != self.session or part != self.part:
            st["other_session"] += 1
            return
        st["bytes"] += len(pkt) - 40
        if self.last_seq is not None and seq != (self.last_seq + 1) & 0xffffffff:
            st["seq_gaps"] += 1
        self.last_seq = seq
        ent = self.data.get(chunk)
        n = -(-stored // fsz)
        want_len = min(fsz, stored - frag * fsz) if frag < n else -1
        if not ent or ent[1] != stored or len(pkt) - 40 != want_len:
            st["bad"] += 1
            return
        if frag == 0:
            self.count_digest(cyc, chunk)
        if not any(self.data[c][0] == ent[0] for c in self.wanted):
            st["unneeded"] += 1
        chunk = self.target(chunk)
        if chunk is None:
            return
        got = self.frags.setdefault(chunk, {})
        got[frag] = pkt[40:]
        if len(got) == n:
            self.complete(chunk, b"".join(got[i] for i in range(n)))

    def complete(self, chunk, stored):
        dg, _size, z = self.data[chunk]
        del self.frags[chunk]
        raw = zlib.decompress(stored) if z else stored
        if hashlib.sha256(raw).digest() != dg:
            self.s["chunks_bad"] += 1
            return
        same = {c for c in self.need if self.data[c][0] == dg}
        self.need -= same
        self.s["chunks_ok"] += len(same)


def cmd_run(state, mac, base, index, group, iface, port, session, part, need_spec, out,
            seconds="60"):
    count, data = read_index(index)
    layer = hashlib.sha256(open(index, "rb").read()).digest()
    p = Peer(data, parse_need(need_spec, data), bytes.fromhex(session), int(part))
    sock = join(group, iface, int(port))
    t0 = time.time()
    report_ms, flags, next_report, end = 2000, JOIN, 0.0, "timeout"
    while time.time() - t0 < float(seconds):
        now = time.time()
        if not p.need:
            code, a = post(state, base, mac, status_body(DONE, p.part, p.session, layer,
                                                       set(), p.s["bytes"]))
            p.s["codes"].append(code)
            end = "done"
            break
        if now >= next_report:
            code, a = post(state, base, mac, status_body(flags, p.part, p.session, layer,
                                                       p.need, p.s["bytes"], p.seen))
            p.seen, flags = 0, 0
            p.s["codes"].append(code)
            if a:
                report_ms = a[7]
                p.s["verdicts"].append(VERDICTS.get(a[1], "?"))
                if a[1] != 0:
                    end = VERDICTS.get(a[1], "?")
                    post(state, base, mac, status_body(UNICAST, p.part, p.session, layer,
                                                       p.need, p.s["bytes"]))
                    break
            next_report = now + report_ms / 1000.0
        try:
            p.datagram(sock.recv(2048))
        except socket.timeout:
            pass
    p.s.update(end=end, seconds=round(time.time() - t0, 3), need_left=len(p.need),
               chunk_count=count, wanted=len(p.wanted),
               wanted_stored=sum({data[c][0]: data[c][1] for c in p.wanted}.values()))
    json.dump(p.s, open(out, "w"))
    return 0 if end == "done" else 1


def cmd_post(state, mac, base, index, session, part, layer, flags, need_spec, mode="signed"):
    _count, data = read_index(index)
    seen, lost = 0, 0
    if mode.startswith("loss="):
        seen, lost = (int(x) for x in mode[5:].split(":"))
        mode = "signed"
    body = status_body(int(flags), int(part), bytes.fromhex(session), bytes.fromhex(layer),
                       parse_need(need_spec, data), seen=seen, lost=lost)
    if mode == "twice":          # the second of two back to back: inside the 500 ms
        post(state, base, mac, body)
        mode = "signed"
    code, a = post(state, base, mac, body, mode)
    print(code, VERDICTS.get(a[1], "?") if a else "-")
    return 0


def main(argv):
    cmds = {"run": cmd_run, "post": cmd_post}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
