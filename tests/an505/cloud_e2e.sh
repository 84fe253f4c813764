#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# cloud_e2e.sh HOST_BUILD FIRMWARE_BUILD - the emulated Cortex-M33 meter in
# the fleet (M12, M13, M7): factory line over its modem UART (the TEE makes
# its keys, CSR and token; the manufacturer CA signs; the TEE installs), the
# meter registered with the cloud, then a power-on with the modem UART on
# the (untrusted, tapped) modem bridge: the comms task on the Non-secure
# RTOS runs the cloud channel through the TEE's TLS session; readings taken
# and signed in the TEE are stored by the cloud and acknowledged; the tap
# holds no plaintext. Then an OTA campaign: the offer checked by the TEE,
# the encrypted image downloaded over the channel, decrypted and verified
# by the TEE, the reboot, the boot loader's install, the confirm after the
# cloud answered the new image; the cloud shows success.
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

meter factory
"$CLI" getpub -k "$M/vendor.pem" -o "$D/vendor.pub" >/dev/null
ms_env_pki
ms_env_broker_start
DB=sqlite:$D/cloud.db
printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$DB" --name alice --role operator >/dev/null
ms_env_cloud_start a "$DB" --http 127.0.0.1:0 --vendor-key "$D/vendor.pub" --image 1 --chunk 512
ms_env_login "http://127.0.0.1:$(cat "$D/a.port")/api/v1" alice operator-pass-1
api() { ms_env_api "$@"; }
json() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# The factory line: the meter's first power-on with the station on its UART.
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

campaign() {   # IMAGE NAME -> campaign id, started
  local r sha id
  r=$(curl -s -X POST -H "Authorization: Bearer $MS_API_TOKEN" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$MS_API/firmware")
  sha=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["sha256"])' <<<"$r") ||
    fail "upload: $r"
  r=$(api POST /campaigns "{\"name\":\"$2\",\"firmware_sha256\":\"$sha\",\"target\":{\"meters\":[\"$ID\"]},\"waves\":[100],\"success_threshold\":1,\"failure_threshold\":0.5,\"max_retries\":0}")
  id=$(json id <<<"$r") || fail "campaign: $r"
  api POST "/campaigns/$id/start" '' >/dev/null
  echo "$id"
}
campaign_state() {   # CAMPAIGN -> the meter's state in it
  api GET "/campaigns/$1/meters" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["meters"][0]["state"])'
}
wait_state() {   # CAMPAIGN STATE: the cloud has the meter's last report within 10 s
  local st=
  for _ in $(seq 50); do
    st=$(campaign_state "$1")
    [ "$st" = "$2" ] && return 0
    sleep 0.2
  done
  fail "campaign $1: the cloud shows '$st', not $2"
}
LINE="tcp:127.0.0.1:$MS_BRIDGE_PORT,reconnect=1"

# An OTA campaign for the application, v1.1.0, signed then encrypted for the meter.
meter sign ns 1.1.0 2 "$D/v110.img"
cid=$(campaign "$D/v110.img" v110)
rc=0; meter run comms-update "$LINE" 300 || rc=$?
[ "$rc" = 10 ] || fail "the update run ended with $rc (10: scenario done)"
grep -q "^comms: update offer campaign=$cid v1.1.0 image=1" "$M/run.log" || fail "no offer taken"
grep -q "^tee: reboot asked by the Non-secure world" "$M/run.log" || fail "no reboot"
grep -q "^boot: installed image=1" "$M/run.log" || fail "the boot loader did not install"
grep -q "^comms: running image 1 v1.1.0 test" "$M/run.log" || fail "the test image did not run"
grep -q "^comms: update success" "$M/run.log" || fail "no success report"
wait_state "$cid" success
rc=0; meter run partitions null 60 || rc=$?
grep -q "^tee: non-secure image version=1.1.0 confirmed" "$M/run.log" || fail "1.1.0 is not confirmed"
ok "OTA over the channel on the M33: offer checked by the TEE, encrypted image downloaded, verified by the TEE, installed at the reboot, confirmed after the cloud answered; the cloud shows success"

# A corrupted image the cloud cannot see into (its ciphertext changed after
# the vendor signed it): the TEE refuses it before any reboot.
meter sign ns 1.2.0 3 "$D/v120.img"
"$PY" -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[0x400+200]^=1; open(sys.argv[2],"wb").write(b)' \
  "$D/v120.img" "$D/v120-bad.img"
cid=$(campaign "$D/v120-bad.img" v120-corrupted)
: >"$M/run.log"
rc=0; meter run comms-update "$LINE" 300 || rc=$?
[ "$rc" = 10 ] || fail "the corrupted-update run ended with $rc"
grep -q "^comms: update failed" "$M/run.log" || fail "no failure report"
grep -q "^tee: reboot asked" "$M/run.log" && fail "the meter rebooted for a refused image"
wait_state "$cid" failed
ok "a corrupted image: refused by the TEE before any reboot, reported failed, 1.1.0 runs on"

# An update that is never confirmed: the power is cut while the new image
# runs as a test image, before it reached the cloud; the next power-on
# reverts it, and the meter reports it reverted.
meter sign ns 1.3.0 3 "$D/v130.img"
cid=$(campaign "$D/v130.img" v130)
: >"$M/run.log"
meter run comms-update "$LINE" 300 &
RUN=$!
for _ in $(seq 600); do
  grep -q "^comms: running image 1 v1.3.0 test" "$M/uart2.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "^comms: running image 1 v1.3.0 test" "$M/uart2.log" || fail "1.3.0 never ran"
pkill -9 -f "mem-path=$M/flash.bin" || true
wait "$RUN" || true
rc=0; meter run partitions null 60 || rc=$?
grep -q "^tee: non-secure image version=1.1.0 confirmed" "$M/run.log" || fail "no revert to 1.1.0"
rc=0; meter run comms-update "$LINE" 300 || rc=$?
[ "$rc" = 10 ] || fail "the run after the revert ended with $rc"
grep -q "^comms: update reverted" "$M/run.log" || fail "no reverted report"
wait_state "$cid" reverted
ok "an update cut off before its confirm: reverted by the boot loader, reported reverted"
