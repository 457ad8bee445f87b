#!/usr/bin/env python3
"""Deployments' progress reports against strata-server, for tests/bench/dashboard.sh: the
load that makes the dashboard's tiles move.

  dashboard_load.py BASE ACTIVE PHASE_SECONDS WORKERS PID OUT.json MARKER

BASE is the server's URL; the ACTIVE machines 52:54:01:00:HH:LL (0..ACTIVE-1, as
tests/bench/dashboard.sh writes them into the inventory) each register a key and open a
session (tests/bench/sites_load.py's machine side), then report as a deployment does:
one signed GET /report/MAC every 3 s, progress 0..9 of 10 then ok, over and over.  WORKERS
threads play them, each on one keep-alive connection.  Two phases of PHASE_SECONDS: the
MARKER file says "1" in the first, "2" in the second (when the bench adds the dashboard's
readers) and "done" at the end.  PID is the server's, for its CPU time and memory per
phase.  Writes each phase's reports per second, latency percentiles, errors, server CPU
and RSS, and the reports slower than SLOW_MS (env, default 100 ms; second of their
phase, phase, ms, kind; the first 2,000) to OUT.json and a summary to stdout.
"""
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sites_load as sl  # noqa: E402

EVERY = 3.0          # seconds between two reports of one machine
STEPS = 10           # progress reports of one deployment before its ok
SLOW = float(os.environ.get("SLOW_MS", "100")) / 1000   # slower reports are listed


def mac_of(i):
    return "52:54:01:00:%02x:%02x" % (i >> 8, i & 0xff)


def register_all(base, ids):
    """Sessions of the machines ids (one connection); [(i, state)]."""
    u = urllib.parse.urlsplit(base)
    conn = sl.Conn(u.hostname, u.port or 80, {})
    out = []
    for i in ids:
        st = sl.register(conn, mac_of(i))
        if st is None:
            raise SystemExit(f"{mac_of(i)}: registration refused")
        out.append((i, st))
    conn.c.close()
    return out


def phase_of(t, t0, secs):
    return 0 if t < t0 + secs else 1


def play(base, mine, t0, secs, lat, errors, slow):
    """Report for each machine of mine every EVERY s until both phases end."""
    u = urllib.parse.urlsplit(base)
    conn = sl.Conn(u.hostname, u.port or 80, {})
    k = 0
    while True:
        for j, (i, st) in enumerate(mine):
            due = t0 + k * EVERY + j * EVERY / len(mine) + (i % 7) * 0.01
            if due >= t0 + 2 * secs:
                conn.c.close()
                return
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            step = (k + i) % (STEPS + 1)
            q = (f"phase=ok&done=1&total=1&msg=deployed" if step == STEPS else
                 f"phase=progress&done={step * 1000000}&total={STEPS * 1000000}&msg=part+root")
            t = time.monotonic()
            try:
                code, _ = sl.signed(conn, st, "report", f"/report/{mac_of(i)}?{q}")
            except (OSError, sl.http.client.HTTPException) as e:
                errors.append(f"{mac_of(i)}: {e}")
                conn = sl.Conn(u.hostname, u.port or 80, {})
                continue
            p = phase_of(t, t0, secs)
            lat[p].append(time.monotonic() - t)
            if lat[p][-1] > SLOW:
                slow.append((round(t - t0 - p * secs, 2), p, round(lat[p][-1] * 1000), q[:14]))
            if code != 200:
                errors.append(f"{mac_of(i)}: HTTP {code}")
        k += 1


def summary(lat, secs, cpu, rss):
    return {"reports": len(lat), "reports_per_s": round(len(lat) / secs, 1),
            "p50_ms": round(sl.pct(lat, 50) * 1000, 2), "p99_ms": round(sl.pct(lat, 99) * 1000, 2),
            "max_ms": round(max(lat) * 1000, 1) if lat else 0,
            "server_cpu_pct": round(100 * cpu / secs, 1), "server_rss_max_kib": max(rss)}


def main(argv):
    base, active, secs, workers, pid, out, marker = argv[1], int(argv[2]), float(argv[3]), \
        int(argv[4]), int(argv[5]), argv[6], argv[7]
    t_reg = time.monotonic()
    sessions = register_all(base, range(active))
    t_reg = time.monotonic() - t_reg
    lat, errors, rss, slow = [[], []], [], [[], []], []
    t0 = time.monotonic() + 0.5
    threads = [threading.Thread(target=play, args=(base, sessions[w::workers], t0, secs, lat,
                                                  errors, slow)) for w in range(workers)]
    for t in threads:
        t.start()
    cpu = [sl.cpu_seconds(pid), 0, 0]
    for p in (0, 1):
        with open(marker, "w") as f:
            f.write(f"{p + 1}\n")
        while time.monotonic() < t0 + (p + 1) * secs:
            time.sleep(1)
            rss[p].append(sl.rss_kib(pid))
        cpu[p + 1] = sl.cpu_seconds(pid)
    for t in threads:
        t.join()
    with open(marker, "w") as f:
        f.write("done\n")
    res = {"active": active, "phase_s": secs, "workers": workers,
           "register_s": round(t_reg, 1), "errors": len(errors), "first_errors": errors[:5],
           "alone": summary(lat[0], secs, cpu[1] - cpu[0], rss[0]),
           "with_dashboard": summary(lat[1], secs, cpu[2] - cpu[1], rss[1]),
           "slow": sorted(slow)[:2000]}
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
