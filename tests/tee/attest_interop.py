#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Attestation interop test: tokens checked by an independent COSE/CBOR
implementation (cbor2 + cryptography), and tokens made by it checked by ours.

usage: attest_interop.py <tee_token_tool> <scratch dir>
"""
import hashlib
import os
import subprocess
import sys

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

tool, scratch = sys.argv[1], sys.argv[2]
os.makedirs(scratch, exist_ok=True)
nonce = bytes(range(32))
tok_path = os.path.join(scratch, "token.cbor")
pub_path = os.path.join(scratch, "pub.bin")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


# 1. our token, their verifier
subprocess.run([tool, "make", nonce.hex(), tok_path, pub_path], check=True)
token = open(tok_path, "rb").read()
pub_raw = open(pub_path, "rb").read()
obj = cbor2.loads(token)
if not isinstance(obj, cbor2.CBORTag) or obj.tag != 18 or len(obj.value) != 4:
    fail("not a tagged COSE_Sign1")
prot, unprot, payload, sig = obj.value
if cbor2.loads(prot) != {1: -7}:
    fail("protected header is not {1: -7}")
if unprot != {}:
    fail("unprotected header not empty")
to_be_signed = cbor2.dumps(["Signature1", prot, b"", payload])
pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub_raw)
if len(sig) != 64:
    fail("signature is not raw r||s")
der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
pub.verify(der, to_be_signed, ec.ECDSA(hashes.SHA256()))   # raises on failure
claims = cbor2.loads(payload)
if claims[10] != nonce:
    fail("nonce claim")
if claims[256] != b"\x01" + hashlib.sha256(pub_raw).digest():
    fail("instance id claim")
if claims[265] != "http://arm.com/psa/2.0.0" or claims[2395] != 0x3000:
    fail("profile / lifecycle claims")
sw = claims[2399]
if [c[1] for c in sw] != ["SPE", "NSPE"] or sw[0][2] != b"\xb1" * 32:
    fail("software components")
if sw[0][4] != "2.1.0+77" or sw[0][-75000] != 12 or -75000 in sw[1]:
    fail("version / security counter claims")
print("ok: token made by MeterSeal verified by cbor2 + cryptography")

# 2. their token, our verifier (and a tampered one must fail)
key = ec.generate_private_key(ec.SECP256R1())
their_pub = key.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
claims2 = {
    265: "http://arm.com/psa/2.0.0",
    10: nonce,
    256: b"\x01" + hashlib.sha256(their_pub).digest(),
    2394: -1,
    2395: 0x3000,
    2396: b"\x42" * 32,
    2399: [{1: "BL", 2: b"\x07" * 32, 4: "0.1.0+0"}],
    -1000: "an unknown claim is skipped",
}
payload2 = cbor2.dumps(claims2)
prot2 = cbor2.dumps({1: -7})
der2 = key.sign(cbor2.dumps(["Signature1", prot2, b"", payload2]), ec.ECDSA(hashes.SHA256()))
r, s = decode_dss_signature(der2)
sig2 = r.to_bytes(32, "big") + s.to_bytes(32, "big")
tok2 = cbor2.dumps(cbor2.CBORTag(18, [prot2, {}, payload2, sig2]))
p2 = os.path.join(scratch, "their.cbor")
k2 = os.path.join(scratch, "their_pub.bin")
open(p2, "wb").write(tok2)
open(k2, "wb").write(their_pub)
out = subprocess.run([tool, "verify", nonce.hex(), p2, k2], capture_output=True, text=True)
if out.returncode != 0 or "BL 0.1.0+0" not in out.stdout:
    fail("our verifier refused a token made by cbor2 + cryptography: " + out.stderr)
bad = bytearray(tok2)
bad[-70] ^= 1
open(p2, "wb").write(bad)
if subprocess.run([tool, "verify", nonce.hex(), p2, k2], capture_output=True).returncode == 0:
    fail("our verifier accepted a tampered token")
print("ok: token made by cbor2 + cryptography verified by MeterSeal, tampered one refused")
