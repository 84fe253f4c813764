# SPDX-License-Identifier: Apache-2.0
#
# cloud-lib.sh - what the emulated meter's cloud tests share: sourced with
# the host build and the firmware build as $1 and $2. Starts the broker and
# the cloud (SQLite, the vendor key, updates of image 1 in 512-byte chunks)
# in a private directory; the fleet's keys are the vendor's signing key
# ($D/vendor.pem) and one image decryption key ($D/fleet-enc.pem). On
# failure the logs and every emulated meter's consoles are printed. With
# MS_KEEP_DIR set, the private directory (logs, consoles, the modem's tap)
# is copied there at the end.
set -euo pipefail
CL_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(realpath "$1")
FW=$(realpath "$2")
source "$CL_HERE/../../scripts/cloud-env.sh"
WORK=$(mktemp -d /tmp/ms-an505-cloud.XXXXXX)
ms_env_init "$WORK" "$BUILD"
CLI=$BUILD/tools/meterseal/meterseal
SIM=$BUILD/tools/meterseal-sim/meterseal-sim
METER_BIN=$BUILD/tools/meterseal-meter/meterseal-meter
PY=/usr/bin/python3
D=$MS_DIR

cl_cleanup() {
  local rc=$?
  ms_env_stop
  if [ $rc -ne 0 ]; then
    ms_env_print_logs 30
    for f in "$D"/*/run.log; do
      [ -f "$f" ] && { echo "---- consoles of $(basename "$(dirname "$f")")"; cat "$f"; }
    done
  fi
  pkill -9 -f "mem-path=$D/" 2>/dev/null || true
  [ -n "${MS_KEEP_DIR:-}" ] && cp -r "$WORK" "$MS_KEEP_DIR"
  rm -rf "$WORK"
  exit $rc
}
trap cl_cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
meter() {   # DIR command...: tests/an505/meter_cli.py on the meter in DIR
  local dir=$1
  shift
  "$PY" "$CL_HERE/meter_cli.py" "$BUILD" "$FW" "$dir" "$@"
}
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

"$CLI" keygen -k "$D/vendor.pem" >/dev/null
"$CLI" getpub -k "$D/vendor.pem" -o "$D/vendor.pub" >/dev/null
"$CLI" keygen -k "$D/fleet-enc.pem" --enc >/dev/null
"$CLI" getpub -k "$D/fleet-enc.pem" -o "$D/fleet-enc.pub" >/dev/null
ms_env_pki
ms_env_broker_start
DB=sqlite:$D/cloud.db
printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$DB" --name alice --role operator >/dev/null
ms_env_cloud_start a "$DB" --http 127.0.0.1:0 --vendor-key "$D/vendor.pub" --image 1 --chunk 512
ms_env_login "http://127.0.0.1:$(cat "$D/a.port")/api/v1" alice operator-pass-1
api() { ms_env_api "$@"; }

# cl_qemu_factory ID DIR: a blank emulated meter in DIR (the fleet's keys),
# provisioned on the factory line over its UART, registered, and locked
# (life cycle SECURED).
cl_qemu_factory() {
  local id=$1 dir=$2 port pid nonce rc=0
  mkdir -p "$dir"
  cp "$D/vendor.pem" "$dir/vendor.pem"
  cp "$D/fleet-enc.pem" "$dir/meter-enc.pem"
  meter "$dir" factory
  port=$(free_port)
  meter "$dir" run partitions "tcp:127.0.0.1:$port,server=on,wait=on" 120 &
  pid=$!
  nonce=$(api POST /provision/nonce '{}' | json nonce)
  "$CLI" provision request --uart "127.0.0.1:$port" --dir "$D/station-$id" --id "$id" \
    --nonce "$nonce" --csr "$D/$id.csr" >/dev/null
  "$CLI" ca sign-csr --dir "$D/mca" --csr "$D/$id.csr" --out "$D/$id.pem" >/dev/null
  "$CLI" provision install --uart "127.0.0.1:$port" --dir "$D/station-$id" --id "$id" \
    --cert "$D/$id.pem" --cloud-ca "$D/cca/ca.pem" --broker "localhost:$MS_MQTT_PORT" \
    --command-key "$D/command.pub" --registration "$D/$id.reg.json" >/dev/null
  wait "$pid" || rc=$?
  [ "$rc" = 10 ] || fail "$id: the factory power-on ended with $rc (10: scenario done)"
  api POST /meters "$(cat "$D/$id.reg.json")" | grep -q "\"meter_id\":\"$id\"" ||
    fail "$id: registration refused"
  # Locked before it leaves the factory: SECURED, no factory session again.
  "$BUILD/tools/meterseal-an505/meterseal-an505" otp "$dir/flash.bin" --lock >/dev/null ||
    fail "$id: lock"
}

# cl_host_meter ID: a host-simulated meter of the same fleet (the same
# portable client, session, agent and TEE code on Linux over a simulated
# boot side with the fleet's keys and images 1.0.0), provisioned and
# registered; cl_host_run ID starts it on the bridge (MS_BRIDGE_PORT), its
# process id in CL_PID.
cl_host_meter() {
  local id=$1 boot=$D/boot-$1
  if [ ! -f "$D/s.bin" ]; then
    "$SIM" mkimage --key "$D/vendor.pem" --version 1.0.0 --sec-cnt 1 --seed 1 "$D/s.bin" >/dev/null
    "$SIM" mkimage --key "$D/vendor.pem" --version 1.0.0 --sec-cnt 1 --seed 2 "$D/ns.bin" >/dev/null
  fi
  "$SIM" --dir "$boot" provision-rot "$D/vendor.pub" >/dev/null
  "$SIM" --dir "$boot" provision-key "$D/fleet-enc.pem" >/dev/null
  "$SIM" --dir "$boot" flash s "$D/s.bin" >/dev/null
  "$SIM" --dir "$boot" flash ns "$D/ns.bin" >/dev/null
  ms_env_meter_provision "$id" "$D/dev-$id" "$(api POST /provision/nonce '{}' | json nonce)" \
    "$D/mca"
  api POST /meters "$(cat "$D/$id.reg.json")" | grep -q "\"meter_id\":\"$id\"" ||
    fail "$id: registration refused"
}
cl_host_run() {
  "$METER_BIN" --dir "$D/dev-$1" run --uart "127.0.0.1:$MS_BRIDGE_PORT" --interval-ms 1000 \
    --duration-s 300 --reconnect-ms 200 --boot-dir "$D/boot-$1" >"$D/$1.log" 2>&1 &
  CL_PID=$!
  MS_PIDS+=("$CL_PID")
}

# cl_online QEMU_ID... -- HOST_ID...: until every meter named has been online
cl_online() {
  local n want=0 got=0 side=qemu id
  for _ in $(seq 300); do
    n=0 want=0 side=qemu
    for id in "$@"; do
      [ "$id" = -- ] && { side=host; continue; }
      want=$((want + 1))
      if [ "$side" = qemu ]; then
        grep -q "comms: online" "$D/$id/uart2.log" 2>/dev/null && n=$((n + 1))
      else
        grep -q "^meter: online" "$D/$id.log" 2>/dev/null && n=$((n + 1))
      fi
    done
    got=$n
    [ "$n" = "$want" ] && return 0
    sleep 0.2
  done
  fail "only $got of $want meters came online"
}

# cl_campaign IMAGE NAME ID... -> campaign id, started
cl_campaign() {
  local img=$1 name=$2 r sha id targets
  shift 2
  targets=$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")
  r=$(curl -s -X POST -H "Authorization: Bearer $MS_API_TOKEN" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$img" "$MS_API/firmware")
  sha=$(json sha256 <<<"$r") || fail "upload: $r"
  r=$(api POST /campaigns "{\"name\":\"$name\",\"firmware_sha256\":\"$sha\",\"target\":{\"meters\":$targets},\"waves\":[100],\"success_threshold\":1,\"failure_threshold\":0.5,\"max_retries\":0}")
  id=$(json id <<<"$r") || fail "campaign: $r"
  api POST "/campaigns/$id/start" '' >/dev/null
  echo "$id"
}

# cl_states CAMPAIGN -> "id:state ..." of every meter in it, sorted
cl_states() {
  api GET "/campaigns/$1/meters" |
    "$PY" -c 'import json,sys; print(" ".join(sorted("%s:%s" % (m["meter_id"], m["state"]) for m in json.load(sys.stdin)["meters"])))'
}

# cl_wait CAMPAIGN WANT SECONDS: until cl_states is WANT
cl_wait() {
  local st=
  for _ in $(seq $(($3 * 5))); do
    st=$(cl_states "$1")
    [ "$st" = "$2" ] && return 0
    sleep 0.2
  done
  fail "campaign $1: the cloud shows '$st', not '$2'"
}
