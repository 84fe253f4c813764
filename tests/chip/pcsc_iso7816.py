#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""pcsc_iso7816.py - the chip's ISO/IEC 7816-4 answers as pyscard (a PC/SC
client written elsewhere) sees them through pcscd and vpcd.

    pcsc_iso7816.py cos      the card in reader 0 runs its COS (user state)
    pcsc_iso7816.py loader   the card in reader 0 is in Loader OS mode

Connects with the protocol pcscd picks (T=1: the ATR offers T=0 and T=1
and pcsc-lite tries T=1 first), then with T=0 only and with T=1 only, and
sends commands of ISO cases 1-4 with and without Le, checking every data
field and status word. Over T=0 a case 4 command is sent as a T=0 reader
sends it (ISO 7816-3 12.2: without Le, then GET RESPONSE after 61xx);
vpcd forwards APDUs unchanged whatever the protocol.
Exit 0 when all checks pass, 1 at the first failure.
"""
import sys

from smartcard.CardConnection import CardConnection
from smartcard.System import readers

AID = "A0000006474D53434F53"
FCI = "6F0C840A" + AID


def h(s):
    return list(bytes.fromhex(s.replace(" ", "")))


def check(conn, what, cmd, want_data, want_sw):
    data, sw1, sw2 = conn.transmit(h(cmd))
    got = bytes(data).hex().upper()
    sw = "%02X%02X" % (sw1, sw2)
    ok = sw == want_sw and (got == want_data if want_data is not None else True)
    print("%s: %s: %s -> %s %s" % ("ok" if ok else "FAIL", what, cmd, got, sw))
    if not ok:
        print("      want %s %s" % (want_data, want_sw))
        sys.exit(1)
    return got


def connect(protocol):
    conn = readers()[0].createConnection()
    if protocol is None:
        conn.connect()
    else:
        conn.connect(protocol=protocol)
    return conn


def cos_checks(conn, t0):
    # Case 1 (no Le, no data): GET DATA mode answers 61 0B and no data.
    check(conn, "case 1 GET DATA mode", "80CA0002", "", "610B")
    mode = check(conn, "GET RESPONSE 0B", "00C000000B", None, "9000")
    if not mode.startswith("5A3C02") or len(mode) != 22:
        print("FAIL: mode %s is not COS / USER / running COS" % mode)
        sys.exit(1)
    check(conn, "GET RESPONSE again: nothing held", "00C000000B", "", "6985")
    # Case 2: Le 00, exact, too short (6Cxx with the length), too long.
    check(conn, "case 2 Le 00", "80CA000200", mode, "9000")
    check(conn, "case 2 Le 05", "80CA000205", "", "6C0B")
    check(conn, "case 2 Le 0B", "80CA00020B", mode, "9000")
    check(conn, "case 2 Le FF", "80CA0002FF", mode, "9000")
    # GET RESPONSE in parts.
    check(conn, "case 1 GET DATA serial", "80CA0001", "", "610A")
    serial = check(conn, "GET RESPONSE 04", "00C0000004", None, "6106")
    serial += check(conn, "GET RESPONSE 06", "00C0000006", None, "9000")
    check(conn, "case 2 GET DATA serial", "80CA000100", serial, "9000")
    # Case 3: SELECT P2 0C (no response data); P2 00 without Le (61 0E,
    # the FCI for GET RESPONSE: how a T=0 reader sends a case 4 SELECT).
    check(conn, "case 3 SELECT P2 0C", "00A4040C0A" + AID, "", "9000")
    check(conn, "case 3 SELECT P2 00", "00A404000A" + AID, "", "610E")
    check(conn, "GET RESPONSE 0E: FCI", "00C000000E", FCI, "9000")
    check(conn, "case 3 STORE DATA", "80E2000004 0301 01 AB", "", "9000")
    # Case 4: with Le (T=1; over T=0 vpcd still delivers the Le).
    check(conn, "case 4 SELECT Le 00", "00A404000A" + AID + "00", FCI, "9000")
    check(conn, "case 4 SELECT Le 05", "00A404000A" + AID + "05", "", "6C0E")
    check(conn, "case 4 STORE DATA (no data back)", "80E2000004 0302 01 CD 00", "", "9000")
    check(conn, "GET DATA 0301", "80CA030100", "AB", "9000")
    check(conn, "GET DATA 0302", "80CA0302", "", "6101")
    check(conn, "GET RESPONSE 01", "00C0000001", "CD", "9000")
    if not t0:
        # Extended lengths (T=1: T=0 has no extended APDUs, ISO 7816-3).
        check(conn, "case 2E Le 000B", "80CA0002 00000B", mode, "9000")
        check(conn, "case 2E Le 0005", "80CA0002 000005", "", "6C0B")
        check(conn, "case 4E SELECT", "00A40400 00000A" + AID + "0000", FCI, "9000")
    # Refusals.
    check(conn, "SELECT P2 FF", "00A404FF0A" + AID, "", "6A86")
    check(conn, "SELECT P2 04 (FCP)", "00A404040A" + AID + "00", "", "6A86")
    check(conn, "GET DATA CLA 84", "84CA000100", "", "6E00")
    check(conn, "GET RESPONSE CLA 80", "80C000000A", "", "6E00")


def loader_checks(conn, t0):
    check(conn, "GET DATA progress CLA 84", "84CA000300", "", "6E00")
    check(conn, "case 1 GET DATA progress", "80CA0003", "", "6121")
    check(conn, "GET RESPONSE 21", "00C0000021", None, "9000")
    check(conn, "case 2 Le 10", "80CA000310", "", "6C21")
    check(conn, "case 2 Le 00", "80CA000300", None, "9000")
    check(conn, "case 1 GET DATA mode", "80CA0002", "", "610B")
    mode = check(conn, "GET RESPONSE 0B", "00C000000B", None, "9000")
    if not mode.startswith("A5C301"):
        print("FAIL: mode %s is not LOADER / INITIAL / running loader" % mode)
        sys.exit(1)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("cos", "loader"):
        print(__doc__)
        return 2
    checks = cos_checks if sys.argv[1] == "cos" else loader_checks
    names = {CardConnection.T0_protocol: "T=0", CardConnection.T1_protocol: "T=1"}
    for ask, want in ((None, CardConnection.T1_protocol),
                      (CardConnection.T0_protocol, CardConnection.T0_protocol),
                      (CardConnection.T1_protocol, CardConnection.T1_protocol)):
        conn = connect(ask)
        got = conn.getProtocol()
        print("%s: asked %s, pcscd chose %s" % ("ok" if got == want else "FAIL",
                                               names.get(ask, "T=0 or T=1"),
                                               names.get(got, got)))
        if got != want:
            return 1
        checks(conn, got == CardConnection.T0_protocol)
        conn.disconnect()  # pyscard powers the card off: the next one negotiates again
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
