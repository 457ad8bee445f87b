#!/usr/bin/env python3
"""A hostile chunk store on loopback for tests/security/store-abuse.sh.

usage: store_abuse_server.py MODE PORT STORE MAP LOG

Serves STORE's layers/ and chunks/ files and strata-server's runs/<layer>/<first>-<last>
(the chunk files of chunks first..last, from MAP's "INDEX DIGEST" lines), misbehaving by
MODE:
  trickle        layer indexes whole; runs sent at 2 bytes/s
  trickle-files  layer indexes whole; runs 404, chunk files sent at 2 bytes/s
  trickle-index  everything sent at 2 bytes/s, the layer index first
  norange        Range ignored (always 200 and the whole body); the first answer to
                 each path is cut off part-way, so the client must resume
  norange-files  the same, with runs 404 (chunk files only)
Each request is logged to LOG as "PATH RANGE-HEADER-OR-dash STATUS".  Every trickle ends
after 20 s, whatever the client does; the test bounds the server's life with timeout.
"""
import http.server
import os
import sys
import threading
import time

MODE, PORT, STORE, MAP, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
DIGESTS = {}
with open(MAP) as f:
    for line in f:
        i, d = line.split()
        DIGESTS[int(i)] = d
SEEN = set()
LOCK = threading.Lock()


def chunk_path(d):
    return os.path.join(STORE, "chunks", d[:2], d)


def body_of(path):
    """The bytes for path, or None when there are none (404)."""
    parts = path.strip("/").split("/")
    if parts[0] == "runs" and len(parts) == 3:
        if MODE.endswith("-files"):
            return None
        first, last = (int(x) for x in parts[2].split("-"))
        out = b""
        for i in range(first, last + 1):
            if i in DIGESTS:
                with open(chunk_path(DIGESTS[i]), "rb") as f:
                    out += f.read()
        return out
    if parts[0] not in ("layers", "chunks") or ".." in parts:
        return None
    try:
        with open(os.path.join(STORE, *parts), "rb") as f:
            return f.read()
    except OSError:
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def note(self, status):
        with LOCK, open(LOG, "a") as f:
            f.write("%s %s %d\n" % (self.path, self.headers.get("Range", "-").replace(" ", ""), status))

    def do_GET(self):
        body = body_of(self.path)
        if body is None:
            self.note(404)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.note(200)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        index = "/layers/" in "/" + self.path.strip("/")
        if MODE.startswith("trickle") and (MODE == "trickle-index" or not index):
            self.trickle(body)
        elif MODE.startswith("norange"):
            self.cut_first(body)
        else:
            self.wfile.write(body)

    def trickle(self, body):
        end = time.time() + 20
        for at in range(0, len(body), 2):
            if time.time() > end:
                break
            self.wfile.write(body[at:at + 2])
            self.wfile.flush()
            time.sleep(1)
        self.close_connection = True

    def cut_first(self, body):
        with LOCK:
            first = self.path not in SEEN
            SEEN.add(self.path)
        if first and len(body) > 2:
            self.wfile.write(body[:min(len(body) // 2 + 777, len(body) - 1)])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
