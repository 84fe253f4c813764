#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# cloud_e2e.sh HOST_BUILD FIRMWARE_BUILD - the emulated Cortex-M33 meter in
# the fleet (M12, M13): factory line over its modem UART (the TEE makes its
# keys, CSR and token; the manufacturer CA signs; the TEE installs), the
# meter registered with the cloud, then a power-on with the modem UART on
# the (untrusted, tapped) modem bridge: the comms task on the Non-secure
# RTOS runs the cloud channel through the TEE's TLS session; readings taken
# and signed in the TEE are stored by the cloud and acknowledged; the tap
# holds no plaintext.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath "$1")
FW=$(realpath "$2")
source "$HERE/../../scripts/cloud-env.sh"
WORK=$(mktemp -d /tmp/ms-an505-cloud.XXXXXX)
ms_env_init "$WORK" "$BUILD"
CLI=$BUILD/tools/meterseal/meterseal
PY=/usr/bin/python3
D=$MS_DIR
M=$D/meter
ID=m-m33-0001

cleanup() {
  local rc=$?
  ms_env_stop
  if [ $rc -ne 0 ]; then
    for f in "$D"/*.log; do
      [ -f "$f" ] || continue
      echo "---- $(basename "$f") (last 30 lines)"
      tail -n 30 "$f"
    done
    [ -f "$M/run.log" ] && { echo "---- the meter's consoles"; cat "$M/run.log"; }
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
meter() { "$PY" "$HERE/meter_cli.py" "$BUILD" "$FW" "$M" "$@"; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ms_env_pki
ms_env_broker_start
DB=sqlite:$D/cloud.db
printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$DB" --name alice --role operator >/dev/null
ms_env_cloud_start a "$DB" --http 127.0.0.1:0
API=http://127.0.0.1:$(cat "$D/a.port")/api/v1
json() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
TOKEN=$(curl -s -X POST -H 'Content-Type: application/json' \
  --data '{"name":"alice","password":"operator-pass-1"}' "$API/login" | json token)
api() {   # METHOD PATH [BODY]
  local args=(-s -X "$1" -H "Authorization: Bearer $TOKEN")
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  curl "${args[@]}" "$API$2"
}

# The factory line: the meter's first power-on with the station on its UART.
meter factory
PORT=$(free_port)
meter run partitions "tcp:127.0.0.1:$PORT,server=on,wait=on" 120 &
QEMU=$!
nonce=$(api POST /provision/nonce '{}' | json nonce)
"$CLI" provision request --uart "127.0.0.1:$PORT" --dir "$D/station" --id "$ID" \
  --nonce "$nonce" --csr "$D/$ID.csr" >/dev/null
"$CLI" ca sign-csr --dir "$D/mca" --csr "$D/$ID.csr" --out "$D/$ID.pem" >/dev/null
"$CLI" provision install --uart "127.0.0.1:$PORT" --dir "$D/station" --id "$ID" \
  --cert "$D/$ID.pem" --cloud-ca "$D/cca/ca.pem" --broker "localhost:$MS_MQTT_PORT" \
  --command-key "$D/command.pub" --registration "$D/$ID.reg.json" >/dev/null
rc=0; wait "$QEMU" || rc=$?
[ "$rc" = 10 ] || fail "the factory power-on ended with $rc (10: scenario done)"
r=$(api POST /meters "$(cat "$D/$ID.reg.json")")
grep -q "\"meter_id\":\"$ID\"" <<<"$r" || fail "registration: $r"
ok "factory line over the meter's UART: keys, CSR and token from its TEE, certificate installed, registered"

# In the field: the modem UART on the bridge.
ms_env_bridge_start modem
rc=0; meter run comms "tcp:127.0.0.1:$MS_BRIDGE_PORT" 180 || rc=$?
[ "$rc" = 10 ] || fail "the comms run ended with $rc (10: scenario done)"
grep -q "^comms: online tls=1.3" "$M/run.log" || fail "no TLS 1.3 session"
grep -q "^comms: done readings=3" "$M/run.log" || fail "readings not all acknowledged"
api GET "/meters/$ID/readings?from=0&limit=100" >"$D/readings.json"
n=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["readings"]))' "$D/readings.json")
[ "$n" = 3 ] || fail "the cloud stored $n readings"
ok "comms task on the M33: TLS in the TEE over the modem UART, 3 signed readings stored and acknowledged"

# The HUK as the factory programmed it (OTP record at 0x300 of the OTP area, 0xFF0000).
"$PY" -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(0xFF0300); open(sys.argv[2],"wb").write(f.read(32))' \
  "$M/flash.bin" "$D/huk"
"$PY" "$HERE/../link/tap-check.py" --meter-id "$ID" --cert "$D/$ID.pem" --huk "$D/huk" \
  --readings "$D/readings.json" --command-key "$D/command.key" "$D/modem.tap" >"$D/tap.txt" 2>&1 ||
  fail "tap: $(cat "$D/tap.txt")"
ok "the modem's tap holds no reading, id, certificate, HUK or key in clear"
