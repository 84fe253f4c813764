#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The meter's TLS client (src/tee/tls) against a real, independent peer:
# openssl s_server with mutual authentication (M12). No broker needed.
#   - TLS 1.3 full handshake, then a resumed one (ticket, no certificate, no
#     signature), and a resumption after a "power cycle" (ticket saved, new
#     process);
#   - TLS 1.2 (ECDHE-ECDSA-AES128-GCM-SHA256) when the server offers only
#     1.2, full then resumed;
#   - refused: a server whose certificate comes from another CA, a server
#     certificate for another name, a server that does not trust the meter.
# Usage: tls-peer.sh TLS_PEER_PROGRAM
set -euo pipefail
PEER=$1
T=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
cd "$T"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # ca NAME CN
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
issue() {  # issue NAME CA SUBJECT EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}
SRV_EXT=$'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature'
CLI_EXT=$'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature'

ca cloud "Test Cloud CA"
ca mfr "Test Manufacturer CA"
ca rogue "Rogue CA"
openssl x509 -in cloud.pem -outform DER -out cloud.der
issue broker cloud "/CN=localhost" "$SRV_EXT"
issue fake rogue "/CN=localhost" "$SRV_EXT"
issue other cloud "/CN=other.example" $'subjectAltName=DNS:other.example\nextendedKeyUsage=serverAuth'
issue meter mfr "/CN=m-000001/serialNumber=m-000001/O=MeterSeal meter" "$CLI_EXT"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_server() {  # start_server CERT CLIENT_CA NACCEPT [openssl options...]
  local cert=$1 cca=$2 n=$3; shift 3
  stop_server
  PORT=$(free_port)
  openssl s_server -accept "127.0.0.1:$PORT" -cert "$cert.pem" -key "$cert.key" \
    -CAfile "$cca.pem" -Verify 1 -verify_return_error -rev -naccept "$n" "$@" \
    >"server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do grep -q ACCEPT server.log 2>/dev/null && return 0; sleep 0.05; done
  echo "FAIL: s_server did not start"; cat server.log; exit 1
}
stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
meter() { "$PEER" --port "$PORT" --ca cloud.der --cert meter.der --key meter.key "$@" 2>&1 | tee meter.log; }
expect_line() {  # expect_line REGEX
  if ! grep -qE -- "$1" meter.log; then
    echo "FAIL: expected /$1/"; echo "--- server:"; cat server.log; exit 1
  fi
}

echo "== TLS 1.3: full handshake, then resumed with the ticket"
start_server broker mfr 3 -tls1_3
meter --connects 2 --ticket ticket.bin || true
expect_line '^connect 1: ok version=13 resumed=0 signatures=1 verifies=1 .* ticket=1$'
expect_line '^connect 2: ok version=13 resumed=1 signatures=0 verifies=0 '
echo "== TLS 1.3: resumed after a power cycle (ticket kept outside the process)"
meter --connects 1 --ticket ticket.bin || true
expect_line '^ticket: load MS_OK'
expect_line '^connect 1: ok version=13 resumed=1 signatures=0 verifies=0 '

echo "== TLS 1.2 only on the server: fallback, full then resumed"
start_server broker mfr 2 -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
meter --connects 2 || true
expect_line '^connect 1: ok version=12 resumed=0 signatures=1 verifies=1 '
expect_line '^connect 2: ok version=12 resumed=1 signatures=0 verifies=0 '
grep -q "ECDHE-ECDSA-AES128-GCM-SHA256" server.log || { echo "FAIL: suite"; cat server.log; exit 1; }

echo "== the meter offering 1.2 alone (host test mode) gets 1.2 from a 1.3 server"
start_server broker mfr 1
meter --connects 1 --versions 1.2 || true
expect_line '^connect 1: ok version=12 resumed=0 signatures=1 verifies=1 '

echo "== a fake server (certificate from another CA) is refused"
start_server fake mfr 1 -tls1_3
meter --connects 1 || true
expect_line '^connect 1: fail MS_ERR_TLS_PEER_CERT'
echo "== a fake TLS 1.2 server is refused too"
start_server fake mfr 1 -tls1_2
meter --connects 1 || true
expect_line '^connect 1: fail MS_ERR_TLS_PEER_CERT'

echo "== a server certificate for another name is refused"
start_server other mfr 1 -tls1_3
meter --connects 1 || true
expect_line '^connect 1: fail MS_ERR_TLS_PEER_CERT'

echo "== a server that does not trust the meter's CA ends the handshake"
start_server broker rogue 1 -tls1_3
meter --connects 1 || true
expect_line '^connect 1: fail MS_ERR_TLS_'
if grep -qE '^connect 1: ok' meter.log; then echo "FAIL: opened"; exit 1; fi

stop_server
echo "PASS"
