#!/usr/bin/env python3
"""Machines' progress reports against strata-server, each timed: for
tests/server/events-load.sh, which asks whether something else the server does (the
dashboard's event streams) holds them up.

  report_probe.py BASE DIR COUNT EVERY_MS SLOW_MS MAC...

Each MAC (registered before: DIR/MAC.state, tests/lib/session.sh's sess_register) is one
thread on one keep-alive connection, sending signed GET /report/MAC?phase=progress with
growing bytes every EVERY_MS, until COUNT reports were sent in all.  A progress report
takes the server's state lock and writes no database row, so its time is the HTTP
threads' and the locks', not the disk's.  Prints one line: the count, how many took over
SLOW_MS, p50, p99 and the slowest (ms).  Exit 0 when all COUNT were sent and answered
200.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import session_client as sc  # noqa: E402


def play(base, d, mac, count, every, lat, errors):
    """count reports of mac, one every `every` seconds, their latencies into lat; the
    session's counter saved back to DIR/MAC.state for a next run."""
    state = os.path.join(d, f"{mac}.state")
    try:
        with open(state) as f:
            st = json.load(f)
    except (OSError, ValueError) as e:
        errors.append(f"{mac}: no session: {e}")
        return
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    t_next = time.monotonic()
    for k in range(count):
        t_next += every
        st["n"] += 1
        url = sc.sign(st, st["n"], f"/report/{mac}?phase=progress&done={k * 1000}"
                      f"&total={count * 1000}&msg=probe")
        t0 = time.monotonic()
        try:
            conn.request("GET", url)
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException) as e:
            errors.append(f"{mac}: {e}")
            break
        lat.append(time.monotonic() - t0)
        if r.status != 200:
            errors.append(f"{mac}: HTTP {r.status}")
        time.sleep(max(0.0, t_next - time.monotonic()))
    conn.close()
    with open(state, "w") as f:
        json.dump(st, f)


def main(argv):
    base, d, count, every, slow = argv[1], argv[2], int(argv[3]), float(argv[4]) / 1000, \
        float(argv[5]) / 1000
    macs = argv[6:]
    lat, errors, threads = [], [], []
    for i, mac in enumerate(macs):
        n = count // len(macs) + (1 if i < count % len(macs) else 0)
        threads.append(threading.Thread(target=play, args=(base, d, mac, n, every, lat,
                                                           errors)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = sorted(lat) or [0.0]
    pct = lambda p: s[min(len(s) - 1, int(len(s) * p / 100))] * 1000  # noqa: E731
    print(f"{len(lat)} reports, {sum(1 for x in lat if x > slow)} over {slow * 1000:.0f} ms; "
          f"p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, max {s[-1] * 1000:.1f} ms")
    for e in errors[:5]:
        print(e, file=sys.stderr)
    return 1 if errors or len(lat) < count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
