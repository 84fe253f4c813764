#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# tap-check.py - does a modem tap (meterseal-bridge --tap) hold anything in
# clear that M13 says only the meter and the cloud may see?
#
#   tap-check.py --meter-id ID --cert CERT.pem --huk FILE --readings JSON
#                [--command-key KEY.pem] [--commands JSON] [--expect-id-visible]
#                TAP...
#
# Looked for, in every tap (whole file, and each connection's stream in each
# direction):
#   - the meter id (the certificate's CN and serialNumber; the MQTT client id);
#   - the MQTT protocol name and the topic prefix (any MQTT packet in clear);
#   - each stored reading's signed payload, rebuilt byte for byte from the
#     values the cloud stored (the deterministic CBOR of docs/cloud.md 5.2),
#     and every 12-byte window of it;
#   - each command's payload given with --commands;
#   - every 12-byte window of the meter's certificate (TLS 1.3 encrypts it);
#   - the device's HUK and the cloud command key's private scalar.
# --expect-id-visible: a TLS 1.2 tap, where the client certificate travels in
# clear (a documented limit): the certificate and id must be there, nothing
# else may.
# A self-test first proves that each needle is found when it is present.
import argparse
import json
import struct
import sys

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography import x509

# The pinned encoding of tests/link/test_link_msg.c: the rebuilt payloads
# must be the meter's bytes, not merely similar ones.
PINNED = bytes.fromhex("a601686d2d3030303030310201031a6553f10004193039053901f30601")
assert cbor2.dumps({1: "m-000001", 2: 1, 3: 1700000000, 4: 12345, 5: -500, 6: 1},
                   canonical=True) == PINNED


def streams(path):
    data = open(path, "rb").read()
    if not data.startswith(b"MSTAP1\n"):
        sys.exit(f"{path}: not a tap file")
    out = {}
    at = 7
    while at < len(data):
        d, cid, n = struct.unpack_from("<cII", data, at)
        at += 9
        out.setdefault((d, cid), bytearray()).extend(data[at:at + n])
        at += n
    return data, [bytes(v) for v in out.values()]


def int_keys(v):
    if isinstance(v, dict):
        return {int(k): int_keys(x) for k, x in v.items()}
    return v


def windows(b, k=12):
    return {b[i:i + k] for i in range(0, max(1, len(b) - k + 1))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meter-id", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--huk", required=True)
    ap.add_argument("--readings", required=True)
    ap.add_argument("--command-key")
    ap.add_argument("--commands", help="JSON list of command payload maps")
    ap.add_argument("--expect-id-visible", action="store_true")
    ap.add_argument("taps", nargs="+")
    a = ap.parse_args()

    mid = a.meter_id.encode()
    cert = x509.load_pem_x509_certificate(open(a.cert, "rb").read())
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    huk = open(a.huk, "rb").read()
    needles = {"MQTT protocol name": [b"\x00\x04MQTT"], "topic prefix": [b"ms/v1/"],
               "HUK": [huk] + [huk[i:i + 8] for i in range(0, 25, 8)]}
    identity = {"meter id": [mid], "meter certificate": sorted(windows(cert_der))}
    rs = json.load(open(a.readings))["readings"]
    if not rs:
        sys.exit("no readings to look for")
    for r in rs:
        p = cbor2.dumps({1: a.meter_id, 2: r["seq"], 3: r["time"], 4: r["energy_wh"],
                         5: r["balance_milli"], 6: r["tariff_id"]}, canonical=True)
        # windows that do not include the meter id (that needle is separate)
        needles.setdefault("reading payload", []).append(p)
        needles["reading payload"] += sorted(w for w in windows(p[11:]))
    if a.commands:
        for c in json.loads(a.commands):
            p = cbor2.dumps(int_keys(c), canonical=True)
            needles.setdefault("command payload", []).append(p)
    if a.command_key:
        k = serialization.load_pem_private_key(open(a.command_key, "rb").read(), None)
        needles["command private key"] = [k.private_numbers().private_value.to_bytes(32, "big")]

    # self-test: each needle is found when it is there
    for what, ns in list(needles.items()) + list(identity.items()):
        probe = b"\x17\x03\x03" + ns[0] + b"\x00"
        assert any(n in probe for n in ns), what

    bad = 0
    for path in a.taps:
        whole, parts = streams(path)
        hay = [whole] + parts
        total = sum(len(p) for p in parts)
        for what, ns in needles.items():
            hit = next((n for n in ns for h in hay if n in h), None)
            if hit is not None:
                print(f"{path}: {what} in clear ({hit[:16].hex()}...)")
                bad += 1
        for what, ns in identity.items():
            found = any(n in h for n in ns for h in hay)
            if found != a.expect_id_visible:
                print(f"{path}: {what} {'in clear' if found else 'not visible (expected in TLS 1.2)'}")
                bad += 1
        print(f"{path}: {total} bytes relayed in {len(parts)} streams, "
              f"{sum(len(v) for v in needles.values())} needles looked for")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
