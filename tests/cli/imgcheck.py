#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""imgcheck.py - independent checks for the CLI integration tests.

A small MCUboot image reader written from the format description (not from
the tool's code), so the tests compare the tool's output against a second
opinion:

  layout A B          header bytes equal, same TLV types/order/lengths
                      (ECDSA signature length may differ by 2), same file
                      length and trailer bytes at the same offsets
  payload IMG RAW     IMG's payload region equals the file RAW
  json A B            every field present in both JSON documents is equal
  secrets KEY FILE..  none of FILE holds KEY's private scalar (raw, hex) or
                      any line of KEY's PEM body
  field IMG NAME      print one header field / TLV fact (for shell tests)
  decrypt IMG ENCKEY RAW [SIGNKEY]
                      open an encrypted image by MCUboot's rule (ENC_EC256:
                      ECDH, HKDF-SHA256 of 32 + key-length bytes, HMAC check,
                      AES-CTR key unwrap, then AES-CTR over the payload) with
                      python3-cryptography, compare the plaintext with RAW,
                      and check the SHA256 TLV (and with SIGNKEY the ECDSA
                      signature) over header + plaintext + protected TLVs

Exit status 0 when the check holds, 1 (with a reason on stderr) when not.
"""
import base64
import json
import re
import struct
import subprocess
import sys

TRAILER_MAGIC = bytes.fromhex("77c295f360d2ef7f3552500f2cb67980")


def fail(msg):
    print("imgcheck: " + msg, file=sys.stderr)
    sys.exit(1)


def parse(path):
    data = open(path, "rb").read()
    if len(data) < 32:
        fail(f"{path}: shorter than a header")
    magic, load, hdr_size, prot, img_size, flags = struct.unpack_from("<IIHHII", data, 0)
    if magic != 0x96F3B83D:
        fail(f"{path}: bad magic {magic:#x}")
    img = {"data": data, "hdr_size": hdr_size, "prot": prot, "img_size": img_size,
           "flags": flags, "areas": []}
    off = hdr_size + img_size
    for want, size_known in ((0x6908, prot), (0x6907, None)):
        if want == 0x6908 and prot == 0:
            continue
        m, tot = struct.unpack_from("<HH", data, off)
        if m != want:
            fail(f"{path}: TLV info magic {m:#x} at {off:#x}, want {want:#x}")
        end = off + tot
        p = off + 4
        tlvs = []
        while p < end:
            t, ln = struct.unpack_from("<HH", data, p)
            tlvs.append((t, ln, data[p + 4:p + 4 + ln]))
            p += 4 + ln
        if p != end:
            fail(f"{path}: TLV area overruns its size")
        img["areas"].append((want, tot, tlvs))
        off = end
    img["end"] = off
    return img


def cmd_layout(a_path, b_path):
    a, b = parse(a_path), parse(b_path)
    if a["data"][:32] != b["data"][:32]:
        fail(f"header bytes differ: {a['data'][:32].hex()} vs {b['data'][:32].hex()}")
    if a["data"][32:a["hdr_size"]] != b["data"][32:b["hdr_size"]]:
        fail("header padding differs")
    if len(a["areas"]) != len(b["areas"]):
        fail("different number of TLV areas")
    for (ma, ta, la), (mb, tb, lb) in zip(a["areas"], b["areas"]):
        types_a = [t for t, _, _ in la]
        types_b = [t for t, _, _ in lb]
        if types_a != types_b:
            fail(f"TLV types/order differ in area {ma:#x}: {types_a} vs {types_b}")
        for (t, lna, _), (_, lnb, _) in zip(la, lb):
            slack = 2 if t == 0x22 else 0
            if abs(lna - lnb) > slack:
                fail(f"TLV {t:#x} length {lna} vs {lnb}")
        if abs(ta - tb) > 2:
            fail(f"TLV area {ma:#x} size {ta} vs {tb}")
    if a["end"] != len(a["data"]) or b["end"] != len(b["data"]):
        # padded slots: same length, same trailer bytes from the end
        if len(a["data"]) != len(b["data"]):
            fail(f"slot length {len(a['data'])} vs {len(b['data'])}")
        if a["data"][-16:] != TRAILER_MAGIC or b["data"][-16:] != TRAILER_MAGIC:
            fail("trailer magic missing at the slot's end")
        tail_a, tail_b = a["data"][-64:], b["data"][-64:]
        if tail_a != tail_b:
            fail(f"trailer bytes differ: {tail_a.hex()} vs {tail_b.hex()}")
        # everything between the TLVs and the trailer is erased
        if set(a["data"][a["end"]:-64]) - {0xFF} or set(b["data"][b["end"]:-64]) - {0xFF}:
            fail("padding is not erased")
    elif len(a["data"]) - len(b["data"]) not in (-2, -1, 0, 1, 2):
        fail(f"image length {len(a['data'])} vs {len(b['data'])}")


def cmd_payload(img_path, raw_path):
    img = parse(img_path)
    raw = open(raw_path, "rb").read()
    payload = img["data"][img["hdr_size"]:img["hdr_size"] + img["img_size"]]
    if payload != raw:
        fail(f"payload of {img_path} differs from {raw_path}")


def cmd_json(a_path, b_path):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    compared = [0]

    def walk(x, y, where):
        if isinstance(x, dict) and isinstance(y, dict):
            for k in x:
                if k in y and k != "filename":
                    walk(x[k], y[k], where + "." + k)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                fail(f"{where}: {len(x)} entries vs {len(y)}")
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{where}[{i}]")
        else:
            compared[0] += 1
            if x != y:
                fail(f"{where}: {x!r} vs {y!r}")

    walk(a, b, "")
    if compared[0] < 20:
        fail(f"only {compared[0]} fields in common")


def private_scalar(key_path):
    text = subprocess.run(["openssl", "pkey", "-in", key_path, "-noout", "-text"],
                          check=True, capture_output=True, text=True).stdout
    m = re.search(r"priv:\s*((?:[0-9a-f]{2}:?\s*)+)pub:", text)
    if not m:
        fail("cannot read the private scalar with openssl")
    h = re.sub(r"[^0-9a-f]", "", m.group(1))
    h = h[-64:].rjust(64, "0")
    return bytes.fromhex(h)


def cmd_secrets(key_path, outputs):
    d = private_scalar(key_path)
    body = [ln.strip() for ln in open(key_path).read().splitlines()
            if ln.strip() and not ln.startswith("-----")]
    needles = [d, d.hex().encode(), d.hex().upper().encode(), base64.b64encode(d)]
    needles += [ln.encode() for ln in body if len(ln) >= 16]
    for out in outputs:
        blob = open(out, "rb").read()
        flat = blob.replace(b"\n", b"")
        for n in needles:
            if n in blob or n in flat:
                fail(f"{out} contains private key material")


def cmd_field(img_path, name):
    img = parse(img_path)
    if name in ("flags", "hdr_size", "img_size", "prot", "end"):
        print(img[name])
        return
    tlvs = [t for _, _, area in img["areas"] for t in area]
    if name == "types":
        print(" ".join(f"{t:#x}" for t, _, _ in tlvs))
        return
    code = int(name, 0)
    for t, _, v in tlvs:
        if t == code:
            print(v.hex())
            return
    fail(f"{img_path}: no TLV {name}")


IMAGE_F_ENCRYPTED_AES128 = 0x04
IMAGE_F_ENCRYPTED_AES256 = 0x08


def cmd_decrypt(img_path, enckey_path, raw_path, signkey_path=None):
    # Imported here so the other checks run without python3-cryptography.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import constant_time, hashes, hmac, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    img = parse(img_path)
    flags = img["flags"]
    if flags & IMAGE_F_ENCRYPTED_AES128 and not flags & IMAGE_F_ENCRYPTED_AES256:
        klen = 16
    elif flags & IMAGE_F_ENCRYPTED_AES256 and not flags & IMAGE_F_ENCRYPTED_AES128:
        klen = 32
    else:
        fail(f"{img_path}: flags {flags:#x} do not name one AES key length")
    tlvs = {t: v for _, _, area in img["areas"] for t, _, v in area}
    enc = tlvs.get(0x32)
    if enc is None or len(enc) != 65 + 32 + klen:
        fail(f"{img_path}: ENC_EC256 TLV missing or not {65 + 32 + klen} bytes")
    point, tag, wrapped = enc[:65], enc[65:97], enc[97:]

    priv = serialization.load_pem_private_key(open(enckey_path, "rb").read(), None)
    eph = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    shared = priv.exchange(ec.ECDH(), eph)
    derived = HKDF(algorithm=hashes.SHA256(), length=klen + 32, salt=None,
                   info=b"MCUBoot_ECIES_v1").derive(shared)
    mac = hmac.HMAC(derived[klen:], hashes.SHA256())
    mac.update(wrapped)
    if not constant_time.bytes_eq(mac.finalize(), tag):
        fail(f"{img_path}: ENC_EC256 tag does not authenticate under MCUboot's rule")
    zero = bytes(16)
    unwrap = Cipher(algorithms.AES(derived[:klen]), modes.CTR(zero)).decryptor()
    key = unwrap.update(wrapped) + unwrap.finalize()

    data, hs, size = img["data"], img["hdr_size"], img["img_size"]
    dec = Cipher(algorithms.AES(key), modes.CTR(zero)).decryptor()
    plain = dec.update(data[hs:hs + size]) + dec.finalize()
    raw = open(raw_path, "rb").read()
    # the signer zero-pads the plaintext to whole AES blocks
    if plain[:len(raw)] != raw or set(plain[len(raw):]) - {0}:
        fail(f"{img_path}: decrypted payload differs from {raw_path}")

    prot = data[hs + size:hs + size + img["prot"]]
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data[:hs] + plain + prot)
    digest = digest.finalize()
    if tlvs.get(0x10) != digest:
        fail(f"{img_path}: SHA256 TLV is not the hash of header + plaintext + protected TLVs")
    if signkey_path is not None:
        sk = serialization.load_pem_private_key(open(signkey_path, "rb").read(), None)
        try:
            sk.public_key().verify(tlvs.get(0x22, b""), digest,
                                   ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        except InvalidSignature:
            fail(f"{img_path}: ECDSA_SIG does not verify with {signkey_path}")


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "layout":
        cmd_layout(*args)
    elif cmd == "payload":
        cmd_payload(*args)
    elif cmd == "json":
        cmd_json(*args)
    elif cmd == "secrets":
        cmd_secrets(args[0], args[1:])
    elif cmd == "field":
        cmd_field(*args)
    elif cmd == "decrypt":
        cmd_decrypt(*args)
    else:
        fail("unknown check " + cmd)


if __name__ == "__main__":
    main()
