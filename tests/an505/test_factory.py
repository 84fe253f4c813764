#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The factory line for an emulated meter (QEMU mps2-an505): its TEE, on
the device, serves the factory session on the modem UART (UART1, a TCP
chardev here) while its life cycle is OPEN (firmware/secure/tee_factory.c,
meterseal/tee_factory.h); the station is `meterseal provision ... --uart`
and the manufacturer CA `meterseal ca`.

    test_factory.py HOST_BUILD FIRMWARE_BUILD CASE
"""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from meter import Cases, expect, free_port

DONE = 10
METER = "m-qemu-0001"

case = Cases()


def setup(m):
    m.factory(huk=True)
    m.cli = m.meterseal
    m.tool(m.cli, "ca", "init", "--dir", m.path("mca"), "--cn", "Test manufacturer CA")
    m.tool(m.cli, "ca", "init", "--dir", m.path("cca"), "--cn", "Test cloud CA")
    m.tool(m.cli, "keygen", "-k", m.path("command.pem"))
    m.tool(m.cli, "getpub", "-k", m.path("command.pem"), "-o", m.path("command.pub"))


def start_with_line(m, scenario="partitions"):
    """Power on with the modem UART as a TCP server QEMU waits on."""
    port = free_port()
    p = m.start(args=["meter", scenario],
                uart1="tcp:127.0.0.1:%d,server=on,wait=on" % port)
    return p, "127.0.0.1:%d" % port


def provision(m, line, nonce, meter_id=METER, check=True):
    dev = m.path("dev")
    r = m.tool(m.cli, "provision", "request", "--uart", line, "--dir", dev, "--id", meter_id,
               "--nonce", nonce.hex(), "--csr", m.path("meter.csr"), check=check)
    if r.returncode != 0:
        return r
    m.tool(m.cli, "ca", "sign-csr", "--dir", m.path("mca"), "--csr", m.path("meter.csr"),
           "--out", m.path("meter.pem"))
    return m.tool(m.cli, "provision", "install", "--uart", line, "--dir", dev, "--id", meter_id,
                  "--cert", m.path("meter.pem"), "--cloud-ca", m.path("cca/ca.pem"),
                  "--broker", "localhost:8883", "--command-key", m.path("command.pub"),
                  "--registration", m.path("reg.json"), check=check)


def connect(line, timeout=10):
    """The station's raw connection (QEMU's server comes up a moment after
    the process starts)."""
    host, port = line.split(":")
    end = time.time() + timeout
    while True:
        try:
            return socket.create_connection((host, int(port)))
        except ConnectionRefusedError:
            if time.time() > end:
                raise
            time.sleep(0.05)


def read_reply(s):
    """One frame: the 5-byte header, then its payload."""
    data = b""
    while len(data) < 5 or len(data) < 5 + data[3] + 256 * data[4]:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@case
def factory_line_provisions_the_meter_tee(m):
    p, line = start_with_line(m)
    nonce = os.urandom(32)
    provision(m, line, nonce)
    r = m.finish(p)
    expect(r.rc == DONE, "the meter did not boot on after the session", r)
    expect("tee: factory: session opened" in r.console and
           "tee: link provisioned, meter id=%s" % METER in r.console,
           "the TEE did not report its provisioning", r)
    # The registration binds the certificate's key to this device: the
    # token's challenge is SHA-256(nonce || identity key), signed by the IAK.
    reg = json.load(open(m.path("reg.json")))
    cert = x509.load_pem_x509_certificate(reg["cert_pem"].encode())
    identity = cert.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    expect(cert.subject.rfc4514_string().find("CN=%s" % METER) >= 0, "wrong certificate subject")
    with open(m.path("iak.pub"), "wb") as f:
        f.write(bytes.fromhex(reg["iak_pub_hex"]))
    with open(m.path("token.cbor"), "wb") as f:
        f.write(bytes.fromhex(reg["token_hex"]))
    challenge = hashlib.sha256(nonce + identity).hexdigest()
    v = subprocess.run([os.path.join(m.host, "tests/tee/tee_token_tool"), "verify", challenge,
                        m.path("token.cbor"), m.path("iak.pub")], capture_output=True, text=True)
    expect(v.returncode == 0, "the token does not verify: %s %s" % (v.stdout, v.stderr))
    # The next power-on: no station, the meter boots with its identity.
    r = m.run(args=["meter", "partitions"], timeout=60)
    expect(r.rc == DONE and "tee: link provisioned, meter id=%s" % METER in r.console and
           "tee: factory: session opened" not in r.console, "the provisioning did not persist", r)


@case
def station_mistakes_are_refused_and_the_session_goes_on(m):
    p, line = start_with_line(m)
    bad = provision(m, line, os.urandom(32), meter_id="m_bad", check=False)
    expect(bad.returncode == 2 and "no meter id" in bad.stderr, "a bad id was not refused: %s"
           % bad.stderr)
    # Garbage on the line after a HELLO: an ERROR reply, and the session
    # still serves.
    with connect(line) as s:
        s.sendall(b"MF\x01\x00\x00")
        info = read_reply(s)
        s.sendall(b"MX\x01\x00\x00")
        reply = read_reply(s)
    expect(info[:3] == b"MF\x81", "no INFO for HELLO: %r" % info)
    expect(reply[:3] == b"MF\xff" and b"MS_ERR_BAD_MAGIC" in reply, "no ERROR for garbage: %r"
           % reply)
    provision(m, line, os.urandom(32))
    r = m.finish(p)
    expect(r.rc == DONE and "tee: link provisioned, meter id=%s" % METER in r.console,
           "the session did not recover", r)
    # Provisioned: the line provisions a meter once. Nobody on it may
    # re-pin the cloud CA or the broker, not even with the same id.
    p, line = start_with_line(m)
    again = provision(m, line, os.urandom(32), check=False)
    expect(again.returncode == 1 and "MS_ERR_STATE" in again.stderr,
           "a provisioned meter took credentials again: %s" % again.stderr)
    with connect(line) as s:
        s.sendall(b"MF\x04\x00\x00")   # BYE
        read_reply(s)
    r = m.finish(p)
    expect(r.rc == DONE, "the meter did not boot on", r)


@case
def a_line_that_is_not_a_station_cannot_hold_the_boot(m):
    # A modem's chatter is no station: no session, the boot goes on.
    p, line = start_with_line(m)
    with connect(line) as s:
        s.sendall(b"AT\r\nAT+CGATT?\r\n")
        r = m.finish(p)
    expect(r.rc == DONE and "tee: factory" not in r.console, "chatter opened a session", r)
    # A peer that says HELLO and then never stops sending: the session ends
    # by its bounds (requests, drain) and the meter boots on.
    p, line = start_with_line(m)
    started = time.time()
    with connect(line) as s:
        s.sendall(b"MF\x01\x00\x00")
        read_reply(s)
        s.setblocking(False)
        while p.poll() is None and time.time() - started < 60:
            try:
                s.sendall(b"x")
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                pass
            time.sleep(0.02)
        r = m.finish(p)
    expect(r.rc == DONE and "tee: factory: session limit reached" in r.console,
           "a chatty peer held the boot for %.0f s" % (time.time() - started), r)


@case
def secured_meter_serves_no_factory_session(m):
    m.tool(m.flashtool, "otp", m.flash, "--lock")
    p, line = start_with_line(m)
    with connect(line) as s:
        s.sendall(b"MF\x01\x00\x00")
        s.settimeout(20)
        try:
            reply = s.recv(64)
        except socket.timeout:
            reply = b"(timeout)"
        except ConnectionResetError:
            reply = b""        # QEMU ended the run: nothing was said
        r = m.finish(p)
    expect(reply == b"", "a SECURED meter answered the factory line: %r" % reply)
    expect(r.rc == DONE and "tee: factory" not in r.console, "the SECURED meter did not boot", r)


if __name__ == "__main__":
    sys.exit(case.main(setup=setup, images="tee"))
