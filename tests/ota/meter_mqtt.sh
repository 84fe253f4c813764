#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# meter_mqtt.sh BUILD - a firmware update over the real channel, end to end
# (docs/ota.md section 6): meterseal-cloud runs a campaign; the host meter
# (meterseal-meter: its TEE, the cloud client, the update agent, and a
# simulated meter's boot side in a meterseal-sim device directory) takes it
# through the modem bridge and Mosquitto, over TLS:
#
#   success   offer checked by the TEE, the encrypted image downloaded in
#             chunks, decrypted and verified by the TEE before the reboot,
#             installed by the boot core as a test image, confirmed after
#             the meter reached the cloud again; the cloud shows success
#             and the boot side runs the new image, confirmed
#   power cut the meter process killed mid-download and started again:
#             the download goes on and the update succeeds
#   revert    a new image that never reaches the cloud (--broken-update):
#             its watchdog reboots it, the boot loader puts the old image
#             back, the cloud shows reverted
# (Offers signed by another key, or for another meter, are refused by the
# TEE: link_tee.*.)
source "$(dirname "$0")/../cloud/e2e-lib.sh"
d=$MS_DIR
S=$MS_BIN_CA
SIM=$1/tools/meterseal-sim/meterseal-sim
METER_BIN=$1/tools/meterseal-meter/meterseal-meter
ID=m-000001
DEV=$d/dev
BOOT=$d/boot

# keys: the vendor's signing key (the boot loader's root of trust and the
# cloud's vendor key), the meters' image-decryption key
"$S" keygen -k "$d/vendor.pem" >/dev/null
"$S" keygen -k "$d/enc.pem" --enc >/dev/null
"$S" getpub -k "$d/vendor.pem" -o "$d/vendor.pub" >/dev/null
"$S" getpub -k "$d/enc.pem" -o "$d/enc.pub" >/dev/null

# the meter's boot side at the factory: root of trust, decryption key,
# Secure and Non-secure images 1.0.0
"$SIM" --dir "$BOOT" provision-rot "$d/vendor.pub" >/dev/null
"$SIM" --dir "$BOOT" provision-key "$d/enc.pem" >/dev/null
"$SIM" mkimage --key "$d/vendor.pem" --version 1.0.0 --sec-cnt 1 --seed 1 "$d/s.bin" >/dev/null
"$SIM" mkimage --key "$d/vendor.pem" --version 1.0.0 --sec-cnt 1 --seed 2 "$d/ns.bin" >/dev/null
"$SIM" --dir "$BOOT" flash s "$d/s.bin" >/dev/null
"$SIM" --dir "$BOOT" flash ns "$d/ns.bin" >/dev/null

# updates of the Non-secure image, signed then encrypted
head -c 150000 /dev/urandom >"$d/app.bin"
sign() {   # VERSION COUNTER OUT
  "$S" sign -k "$d/vendor.pem" --header-size 0x200 --pad-header --align 8 --version "$1" \
    --security-counter "$2" --encrypt "$d/enc.pub" "$d/app.bin" "$3" >/dev/null
}
sign 1.1.0 2 "$d/v110.img"
sign 1.2.0 3 "$d/v120.img"

printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$MS_DB" --name alice --role operator >/dev/null
ms_env_cloud_start a "$MS_DB" --http 127.0.0.1:0 --vendor-key "$d/vendor.pub" --image 1 \
  --chunk 512
json() {   # EXPR: a Python expression over j, the JSON on stdin
  python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
ms_env_login "http://127.0.0.1:$(cat "$d/a.port")/api/v1" alice operator-pass-1
api() { ms_env_api "$@"; }

# the factory steps of docs/cloud.md section 2, and registration
ms_env_meter_provision "$ID" "$DEV" "$(api POST /provision/nonce '{}' | json 'j["nonce"]')" \
  "$d/mca"
api POST /meters "$(cat "$d/$ID.reg.json")" | grep -q "\"meter_id\":\"$ID\"" || fail "registration"

ms_env_bridge_start bridge
BP=$MS_BRIDGE_PORT

METER_PID=
start_meter() {   # LOG [run options]
  local log=$1
  shift
  "$METER_BIN" --dir "$DEV" run --uart "127.0.0.1:$BP" --interval-ms 5000 --duration-s 300 \
    --reconnect-ms 200 --boot-dir "$BOOT" "$@" >>"$log" 2>&1 &
  METER_PID=$!
  MS_PIDS+=("$METER_PID")
}
stop_meter() {
  kill "$METER_PID" 2>/dev/null || true
  wait "$METER_PID" 2>/dev/null || true
}

campaign() {   # IMAGE -> campaign id, started
  local sha r id
  r=$(curl -s -X POST -H "Authorization: Bearer $MS_API_TOKEN" -H 'Content-Type: application/octet-stream' \
    --data-binary "@$1" "$MS_API/firmware")
  sha=$(json 'j["sha256"]' <<<"$r") || fail "upload: $r"
  r=$(api POST /campaigns "{\"name\":\"$(basename "$1")\",\"firmware_sha256\":\"$sha\",\"target\":{\"meters\":[\"$ID\"]},\"waves\":[100],\"success_threshold\":1,\"failure_threshold\":0.5,\"max_retries\":1}")
  id=$(json 'j["id"]' <<<"$r") || fail "campaign: $r"
  api POST "/campaigns/$id/start" '' >/dev/null
  echo "$id"
}

meter_state() {   # CAMPAIGN -> "state progress result"
  api GET "/campaigns/$1/meters" |
    json '" ".join(str(m[k]) for m in j["meters"] for k in ("state","progress","result"))'
}

wait_state() {   # CAMPAIGN STATE SECONDS
  local s
  for _ in $(seq $(($3 * 5))); do
    s=$(meter_state "$1")
    [ "${s%% *}" = "$2" ] && return 0
    sleep 0.2
  done
  fail "campaign $1: meter is '$s', not $2 after $3 s"
}

boot_line() {   # IMAGE: what the boot side runs ("NS v1.1.0+0 ... confirmed")
  "$SIM" --dir "$BOOT" reboot | grep "^$1 "
}

# ---- an update ---------------------------------------------------------------------
start_meter "$d/meter.log"
for _ in $(seq 100); do grep -q "meter: online" "$d/meter.log" && break; sleep 0.1; done
grep -q "meter: online" "$d/meter.log" || fail "the meter did not come online"
grep -q "meter: booted NS v1.0.0+0 confirmed" "$d/meter.log" || fail "first boot"

c1=$(campaign "$d/v110.img")
# a power cut mid-download: the process killed, started again
for _ in $(seq 300); do
  st=$(meter_state "$c1")
  case "$st" in downloading\ 0\ *|queued*) sleep 0.05 ;; *) break ;; esac
done
kill -9 "$METER_PID"
wait "$METER_PID" 2>/dev/null || true
case "$st" in
  downloading*) ;;
  *) fail "the power cut came too late: the meter was '$st'" ;;
esac
echo "power cut with the meter at: $st"
start_meter "$d/meter.log"
wait_state "$c1" success 120
grep -q "meter: update offer campaign=$c1 v1.1.0 image=NS" "$d/meter.log" || fail "offer not seen"
grep -q "meter: update installed as a test image, rebooting" "$d/meter.log" || fail "no reboot"
grep -q "meter: booted NS v1.1.0+0 test" "$d/meter.log" || fail "the test image did not boot"
grep -q "meter: update success" "$d/meter.log" || fail "no success report"
stop_meter
boot_line NS | grep -q "v1.1.0+0 sec_cnt=2 confirmed" || fail "boot side: $(boot_line NS)"
ok "update over MQTT/TLS, with a power cut mid-download: offer checked by the TEE, downloaded, verified before the reboot, installed, confirmed after reconnecting; the cloud shows success"

# ---- an update that never reaches the cloud: reverted --------------------------------
start_meter "$d/meter2.log" --broken-update
c2=$(campaign "$d/v120.img")
wait_state "$c2" reverted 120
stop_meter
grep -q "meter: booted NS v1.2.0+0 test" "$d/meter2.log" || fail "1.2.0 did not boot as a test image"
grep -q "meter: watchdog" "$d/meter2.log" || fail "no watchdog reboot"
grep -q "meter: booted NS v1.1.0+0 confirmed" "$d/meter2.log" || fail "no revert to 1.1.0"
boot_line NS | grep -q "v1.1.0+0 sec_cnt=2 confirmed" || fail "boot side: $(boot_line NS)"
[ "$(meter_state "$c2" | cut -d' ' -f3)" = 10 ] || fail "result: $(meter_state "$c2")"
ok "an update that cannot reach the cloud is not confirmed: the watchdog reboots, the boot loader reverts, the cloud shows reverted (result 10)"
echo "---- the meter's update events"
grep -hE "meter: (update|booted|watchdog)" "$d/meter.log" "$d/meter2.log"
