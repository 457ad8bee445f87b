#!/usr/bin/env python3
"""The central server's own load at district scale (docs/scale.md): many simulated PCs
booting within a window, every one at a site with a store, so the server serves what a
site's PC asks of it and nothing else: the entry script, the machine's script, its key
registration (nonce, then the signed registration that opens a session), its orders, its
signed manifest, progress reports every few seconds and the final report.  No chunk
bytes: a site's cache serves those.

  sites_load.py BASE MACHINES SECONDS WORKERS PID OUT.json

BASE is the server's URL; machines are 52:54:01:00:HH:LL for 0..MACHINES-1, as
tests/bench/sites-load.sh writes them into the inventory; their boots start evenly over
SECONDS; WORKERS threads play them (each boot on one keep-alive connection, as iPXE and
strata.efi do).  PID is the server's, for its memory (VmRSS, sampled every second) and CPU
time.  Writes the measurements to OUT.json and a summary to stdout.  The machine side of
the protocol is tests/tools/session_client.py's (python3-cryptography).
"""
import hashlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import session_client as sc  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed  # noqa: E402

REPORTS = 3          # progress reports per boot (a deployment of about 10 s at 3 s each)


class Conn:
    """One keep-alive connection; get() returns (status, body) and records its latency."""

    def __init__(self, host, port, lat):
        self.c = http.client.HTTPConnection(host, port, timeout=30)
        self.lat = lat

    def get(self, kind, path):
        t0 = time.monotonic()
        self.c.request("GET", path)
        r = self.c.getresponse()
        body = r.read()
        self.lat.setdefault(kind, []).append(time.monotonic() - t0)
        return r.status, body.decode(errors="replace")


def register(conn, mac):
    """The key registration of a new machine key; the session's state, or None."""
    key = ec.generate_private_key(ec.SECP256R1())
    pub = sc.point(key.public_key())
    st, body = conn.get("nonce", f"/key/{mac}/nonce")
    if st != 200:
        return None
    nonce = bytes.fromhex(body.split()[0].split("=")[1])
    eph_key = ec.generate_private_key(ec.SECP256R1())
    eph = sc.point(eph_key.public_key())
    digest = hashlib.sha256(sc.REG_TAG + nonce + sc.mac_bytes(mac) + pub + eph).digest()
    sig = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    q = f"pub={pub.hex()}&eph={eph.hex()}&nonce={nonce.hex()}&sig={sig.hex()}"
    st, body = conn.get("register", f"/key/{mac}?{q}")
    words = dict(w.split("=", 1) for w in body.split() if "=" in w)
    if st != 200 or "session" not in words:
        return None
    sid, seph = bytes.fromhex(words["session"]), bytes.fromhex(words["eph"])
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), seph)
    req, enc = sc.derive(eph_key.exchange(ec.ECDH(), peer), nonce, sc.mac_bytes(mac), pub,
                         eph, seph, sid)
    return {"sid": sid.hex(), "req": req.hex(), "enc": enc.hex(), "n": 0}


def signed(conn, state, kind, path):
    state["n"] += 1
    return conn.get(kind, sc.sign(state, state["n"], path))


def boot(base, i, lat, errors):
    """One PC's boot at a site, as the server sees it."""
    u = urllib.parse.urlsplit(base)
    mac = "52:54:01:00:%02x:%02x" % (i >> 8, i & 0xff)
    conn = Conn(u.hostname, u.port or 80, lat)
    try:
        steps = [conn.get("script", "/ipxe/boot.ipxe"),
                 conn.get("script", "/ipxe/" + mac.replace(":", "-"))]
        state = register(conn, mac)
        if state is None:
            errors.append(f"{mac}: registration refused")
            return
        steps.append(signed(conn, state, "orders", f"/agent/{mac}"))
        steps.append(signed(conn, state, "manifest", f"/manifest/{mac}"))
        if "\nstore http" not in steps[-1][1]:
            errors.append(f"{mac}: manifest names no site store")
        for k in range(REPORTS):
            steps.append(signed(conn, state, "report",
                                f"/report/{mac}?phase=progress&done={k}&total={REPORTS}&msg=root"))
        steps.append(signed(conn, state, "report",
                            f"/report/{mac}?phase=ok&done=1&total=1&msg=deployed"))
        bad = [s for s, _ in steps if s != 200]
        if bad:
            errors.append(f"{mac}: HTTP {bad[0]}")
    except (OSError, http.client.HTTPException) as e:
        errors.append(f"{mac}: {e}")
    finally:
        conn.c.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else 0


def main(argv):
    base, n, secs, workers, pid, out = argv[1], int(argv[2]), float(argv[3]), \
        int(argv[4]), int(argv[5]), argv[6]
    lat, errors, rss = {}, [], [rss_kib(pid)]
    nxt = [0]
    lock = threading.Lock()
    t0 = time.monotonic()
    cpu0 = cpu_seconds(pid)

    def worker():
        mine = {}
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n:
                break
            wait = t0 + i * secs / n - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            boot(base, i, mine, errors)
        with lock:
            for k, v in mine.items():
                lat.setdefault(k, []).extend(v)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        rss.append(rss_kib(pid))
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    total = sum(len(v) for v in lat.values())
    res = {
        "machines": n, "window_s": secs, "wall_s": round(wall, 1), "workers": workers,
        "requests": total, "requests_per_s": round(total / wall, 1),
        "machines_per_s": round(n / wall, 2), "errors": len(errors),
        "first_errors": errors[:5], "server_cpu_s": round(cpu_seconds(pid) - cpu0, 1),
        "rss_start_kib": rss[0], "rss_max_kib": max(rss),
        "latency_ms": {k: {"n": len(v), "p50": round(pct(v, 50) * 1000, 1),
                           "p95": round(pct(v, 95) * 1000, 1),
                           "p99": round(pct(v, 99) * 1000, 1),
                           "max": round(max(v) * 1000, 1)} for k, v in sorted(lat.items())},
    }
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
