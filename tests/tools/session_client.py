#!/usr/bin/env python3
"""A machine's side of Strata's session protocol, written apart from the C code
(images/core/session.h) with python3-cryptography, so the tests check one implementation
against another.  Used by tests/security/forged-requests.sh and tests/server/*.sh to play
a machine against a real strata-server on loopback.

  session_client.py key FILE                 make a P-256 machine key (PEM) unless FILE exists
  session_client.py register BASE MAC KEY STATE [SERVER_PUB]
        register KEY for MAC at BASE (registration v2); print the answer line; with a
        session, check its signature with SERVER_PUB (PEM) when given, derive the keys and
        write them to STATE (JSON).  Exit 1 when the server refused (status on stderr).
        With SESSION_CLIENT_URLS=FILE, the registration URL is appended to FILE.
  session_client.py task TOKEN STATE         a capture task's session from its token (hex):
                                             derive the keys and write them to STATE
  session_client.py sign STATE URL           print URL signed with the next number
  session_client.py sign-n STATE N URL       print URL signed with number N (the state's
                                             counter is not touched)
  session_client.py sign-post STATE URL      print URL signed for a POST, next number
  session_client.py hello BASE STATE [SERVER_PUB]
        a capture task's hello (POST /capture/hello, signed by the task's session in
        STATE): print the answer line; check its signature with SERVER_PUB (PEM) when
        given (exit 3 when it fails); derive the upload key into STATE ("up").  Exit 1
        when the server refused (status and body on stderr).  With HELLO_BODY=FILE, the
        signed URL and the body are kept (FILE.url, FILE) for a test that replays them.
  session_client.py sign-sealed STATE URL FILE OUT
        seal FILE as an upload (AES-256-GCM under STATE's "up" key, IV 00000001 ||
        le64(n), AAD the URL's path) into OUT and print URL with e=1&b=SHA256(OUT),
        signed for a POST with the next number.  With SEAL_FLIP=I, byte I of the sealed
        body has a bit flipped before b= is taken (a tampered body that b= still covers);
        with SEAL_AAD=PATH, sealed for PATH instead of the URL's
"""
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

REG_TAG = b"strata-machine-key-v2"
SESSION_TAG = b"strata-session-v2"
TASK_TAG = b"strata-capture-task-v1"
HELLO_TAG = b"strata-capture-hello-v1"


def point(pub):
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def cmd_key(path):
    if not os.path.exists(path):
        k = ec.generate_private_key(ec.SECP256R1())
        with open(path, "wb") as f:
            f.write(k.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    with open(path, "rb") as f:
        k = serialization.load_pem_private_key(f.read(), None)
    print(point(k.public_key()).hex())


def derive(shared, nonce, mac, pub, eph, seph, sid):
    info = SESSION_TAG + mac + pub + eph + seph + sid
    okm = HKDF(hashes.SHA256(), 64, nonce, info).derive(shared)
    return okm[:32], okm[32:]


def cmd_register(base, mac, keyfile, state, server_pub=None):
    with open(keyfile, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    pub = point(key.public_key())
    status, body = get(f"{base}/key/{mac}/nonce")
    if status != 200:
        print(f"nonce: HTTP {status}: {body.strip()}", file=sys.stderr)
        return 1
    nonce = bytes.fromhex(body.split()[0].split("=")[1])
    eph_key = ec.generate_private_key(ec.SECP256R1())
    eph = point(eph_key.public_key())
    digest = hashlib.sha256(REG_TAG + nonce + mac_bytes(mac) + pub + eph).digest()
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
    sig = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    q = f"pub={pub.hex()}&eph={eph.hex()}&nonce={nonce.hex()}&sig={sig.hex()}"
    if os.environ.get("SESSION_CLIENT_URLS"):      # for a test that replays it
        with open(os.environ["SESSION_CLIENT_URLS"], "a") as f:
            f.write(f"{base}/key/{mac}?{q}\n")
    status, body = get(f"{base}/key/{mac}?{q}")
    if status != 200:
        print(f"register: HTTP {status}: {body.strip()}", file=sys.stderr)
        return 1
    line = body.strip()
    print(line)
    words = dict(w.split("=", 1) for w in line.split())
    if "session" not in words:
        return 0
    sid, seph, ssig = (bytes.fromhex(words[k]) for k in ("session", "eph", "ssig"))
    if server_pub:
        with open(server_pub, "rb") as f:
            spub = serialization.load_pem_public_key(f.read())
        d = hashlib.sha256(SESSION_TAG + nonce + mac_bytes(mac) + pub + eph + sid +
                           seph).digest()
        spub.verify(ssig, d, ec.ECDSA(Prehashed(hashes.SHA256())))
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), seph)
    shared = eph_key.exchange(ec.ECDH(), peer)
    req, enc = derive(shared, nonce, mac_bytes(mac), pub, eph, seph, sid)
    with open(state, "w") as f:
        json.dump({"sid": sid.hex(), "req": req.hex(), "enc": enc.hex(), "n": 0}, f)
    return 0


def cmd_task(token, state):
    okm = HKDF(hashes.SHA256(), 80, None, TASK_TAG).derive(bytes.fromhex(token))
    with open(state, "w") as f:
        json.dump({"sid": okm[:16].hex(), "req": okm[16:48].hex(), "enc": okm[48:].hex(),
                   "n": 0}, f)


def sign(st, n, url, method="GET"):
    u = urllib.parse.urlsplit(url)
    pq = u.path + (("?" + u.query) if u.query else "")
    sep = "&" if "?" in pq else "?"
    sfx = f"{sep}s={st['sid']}&n={n}"
    signed = pq + sfx
    # The tag covers the percent-decoded text (iPXE re-encodes URLs its own way).
    msg = method.encode() + b" " + urllib.parse.unquote_to_bytes(pq) + sfx.encode()
    tag = hmac.new(bytes.fromhex(st["req"]), msg, hashlib.sha256).hexdigest()[:32]
    return url + signed[len(pq):] + "&h=" + tag


def next_n(state):
    """The session state's next request counter, saved back before it is used."""
    with open(state) as f:
        st = json.load(f)
    st["n"] += 1
    with open(state, "w") as f:
        json.dump(st, f)
    return st


def cmd_sign(state, url, method="GET"):
    st = next_n(state)
    print(sign(st, st["n"], url, method))


def cmd_sign_post(state, url):
    cmd_sign(state, url, "POST")


def cmd_sign_n(state, n, url):
    with open(state) as f:
        st = json.load(f)
    print(sign(st, int(n), url))


def post(url, body):
    req = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def cmd_hello(base, state, server_pub=None):
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
    eph_key = ec.generate_private_key(ec.SECP256R1())
    eph = point(eph_key.public_key())
    body = b"eph=" + eph.hex().encode() + b"\n"
    st = next_n(state)
    url = sign(st, st["n"], f"{base}/capture/hello?b={hashlib.sha256(body).hexdigest()}",
               "POST")
    if os.environ.get("HELLO_BODY"):
        with open(os.environ["HELLO_BODY"], "wb") as f:
            f.write(body)
        with open(os.environ["HELLO_BODY"] + ".url", "w") as f:
            f.write(url + "\n")
    status, answer = post(url, body)
    if status != 200:
        print(f"hello: HTTP {status}: {answer.strip()}", file=sys.stderr)
        return 1
    line = answer.strip()
    print(line)
    words = dict(w.split("=", 1) for w in line.split())
    sid, seph, ssig = (bytes.fromhex(words[k]) for k in ("session", "eph", "ssig"))
    if sid.hex() != st["sid"]:
        print("hello: the answer names another task", file=sys.stderr)
        return 1
    if server_pub:
        with open(server_pub, "rb") as f:
            spub = serialization.load_pem_public_key(f.read())
        d = hashlib.sha256(HELLO_TAG + sid + eph + seph).digest()
        try:
            spub.verify(ssig, d, ec.ECDSA(Prehashed(hashes.SHA256())))
        except Exception:
            print("hello: the signature does not verify", file=sys.stderr)
            return 3
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), seph)
    shared = eph_key.exchange(ec.ECDH(), peer)
    up = HKDF(hashes.SHA256(), 32, bytes.fromhex(st["enc"]),
              HELLO_TAG + sid + eph + seph).derive(shared)
    with open(state) as f:
        st = json.load(f)
    st["up"] = up.hex()
    with open(state, "w") as f:
        json.dump(st, f)
    return 0


def cmd_sign_sealed(state, url, path, out):
    import struct
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    st = next_n(state)
    with open(path, "rb") as f:
        plain = f.read()
    aad = os.environ.get("SEAL_AAD", urllib.parse.urlsplit(url).path).encode()
    iv = b"\0\0\0\1" + struct.pack("<Q", st["n"])
    body = AESGCM(bytes.fromhex(st["up"])).encrypt(iv, plain, aad)
    if os.environ.get("SEAL_FLIP"):        # a test's tampered body: one bit flipped
        i = int(os.environ["SEAL_FLIP"]) % len(body)
        body = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
    with open(out, "wb") as f:
        f.write(body)
    sep = "&" if "?" in url else "?"
    print(sign(st, st["n"], f"{url}{sep}e=1&b={hashlib.sha256(body).hexdigest()}", "POST"))


def main(argv):
    cmds = {"key": (cmd_key, 1), "register": (cmd_register, 4), "task": (cmd_task, 2),
            "sign": (cmd_sign, 2), "sign-post": (cmd_sign_post, 2),
            "sign-n": (cmd_sign_n, 3), "hello": (cmd_hello, 2),
            "sign-sealed": (cmd_sign_sealed, 4)}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    fn, n = cmds[argv[1]]
    if len(argv) - 2 < n:
        print(__doc__, file=sys.stderr)
        return 2
    return fn(*argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
