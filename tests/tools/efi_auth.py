#!/usr/bin/python3
"""Check a signed EFI variable payload (.auth) apart from the C code and efitools.

usage: efi_auth.py VAR FILE.auth SIGNER.crt

A payload is EFI_TIME (16 bytes), WIN_CERTIFICATE_UEFI_GUID (dwLength, revision 0x0200,
type 0x0EF1, CertType EFI_CERT_TYPE_PKCS7_GUID), then a PKCS#7 SignedData *without* the
ContentInfo wrapper (EDK II refuses PK with it), then the new value.  The signed bytes
are VAR in UTF-16LE (no NUL), its vendor GUID, the attributes (0x27) and the EFI_TIME,
then the value.  We wrap the SignedData in a ContentInfo and ask `openssl cms -verify`
(-noverify: no chain) whether the signature over exactly those bytes verifies, and check
that the signer it names is SIGNER.crt (its SHA-256 fingerprint).
Prints "ok VAR: ..." and exits 0, or names what is wrong and exits 1.
"""
import struct, subprocess, sys, tempfile, uuid, os

GUIDS = {"PK": "8be4df61-93ca-11d2-aa0d-00e098032b8c", "KEK": "8be4df61-93ca-11d2-aa0d-00e098032b8c",
         "db": "d719b2cb-3d3a-4596-a3bc-dad00e67656f", "dbx": "d719b2cb-3d3a-4596-a3bc-dad00e67656f"}
PKCS7_GUID = uuid.UUID("4aafd29d-68df-49ee-8aa9-347d375665a7").bytes_le
SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def main():
    var, path, crt = sys.argv[1:4]
    d = open(path, "rb").read()
    length, rev, ctype = struct.unpack_from("<IHH", d, 16)
    if rev != 0x200 or ctype != 0x0EF1 or d[24:40] != PKCS7_GUID:
        sys.exit(f"{path}: not a WIN_CERTIFICATE_UEFI_GUID with PKCS#7")
    p7 = d[40:16 + length]
    value = d[16 + length:]
    if p7[0] != 0x30 or SIGNED_DATA_OID in p7[:20]:
        sys.exit(f"{path}: the PKCS#7 carries a ContentInfo wrapper (EDK II refuses it)")
    inner = SIGNED_DATA_OID + b"\xa0" + der_len(len(p7)) + p7
    ci = b"\x30" + der_len(len(inner)) + inner
    signed = var.encode("utf-16-le") + uuid.UUID(GUIDS[var]).bytes_le + struct.pack("<I", 0x27) + d[:16] + value
    with tempfile.TemporaryDirectory() as t:
        open(os.path.join(t, "p7"), "wb").write(ci)
        open(os.path.join(t, "data"), "wb").write(signed)
        r = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-binary", "-noverify",
                            "-in", os.path.join(t, "p7"), "-content", os.path.join(t, "data"),
                            "-signer", os.path.join(t, "signer"), "-out", "/dev/null"],
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"{path}: the signature does not verify: {r.stderr.strip()}")
        fp = [subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", f],
                             capture_output=True, text=True).stdout for f in (os.path.join(t, "signer"), crt)]
    if fp[0] != fp[1] or not fp[0]:
        sys.exit(f"{path}: signed by {fp[0].strip()}, not by {crt}")
    print(f"ok {var}: {len(p7)}-byte SignedData, {len(value)}-byte value, signed by {crt}")


main()
