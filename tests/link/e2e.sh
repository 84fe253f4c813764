#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# e2e.sh BUILD - the whole cloud channel with the real meter (M12-M14):
# meterseal-meter (its TEE: identity key, TLS, signed readings) -> the
# modem bridge (untrusted, tapped) -> Mosquitto -> meterseal-cloud (SQLite).
# The cloud side is set up with scripts/cloud-env.sh (the cloud side's own
# harness) and reached through its HTTP API.
#
#   provisioning   CSR and token from the meter's TEE, CSR signed by the
#                  manufacturer CA, meter registered with its IAK; a
#                  certificate for another key refused by the TEE
#   readings       taken in the TEE, stored once, acknowledged (the TEE
#                  checks the cloud's signature) and so removed from the queue
#   resumption     a restarted meter process resumes its TLS session
#   commands       a top-up and a tariff signed by the cloud change the
#                  balance in the TEE; the meter's signed results reach it
#   outage         cloud down: readings resent until acknowledged, stored once
#   tampering      a bit flipped by the modem: TLS refuses, nothing stored
#                  wrong, everything delivered after the reconnect
#   compromised NS the meter's own Non-secure world publishes a replayed, a
#                  modified and a self-signed reading on the meter's topic:
#                  the replay is stored once, the others refused
#   TLS 1.2        the meter falls back when asked to
#   broker         refuses meters with a certificate from another CA,
#                  expired, or revoked
#   tap            what the modem saw holds no reading, serial, key or
#                  credential in clear (tap-check.py)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath "$1")
source "$HERE/../../scripts/cloud-env.sh"
WORK=$(mktemp -d /tmp/ms-link-e2e.XXXXXX)
ms_env_init "$WORK" "$BUILD"
METER_BIN=$BUILD/tools/meterseal-meter/meterseal-meter
CLI=$BUILD/tools/meterseal/meterseal
PY=/usr/bin/python3
D=$MS_DIR

cleanup() {
  local rc=$?
  ms_env_stop
  if [ $rc -ne 0 ]; then
    ms_env_print_logs 30
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

ms_env_pki
ms_env_broker_start
DB=sqlite:$D/cloud.db
printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$DB" --name alice --role operator >/dev/null
ms_env_cloud_start a "$DB" --http 127.0.0.1:0
ms_env_login "http://127.0.0.1:$(cat "$D/a.port")/api/v1" alice operator-pass-1
api() { ms_env_api "$@"; }
json() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# provision ID DEV CA_DIR [sign-csr options...]: the factory steps of docs/cloud.md §2
provision() {
  local id=$1 dev=$2 ca=$3
  shift 3
  local nonce
  nonce=$(api POST /provision/nonce '{}' | json nonce)
  ms_env_meter_provision "$id" "$dev" "$nonce" "$ca" "$@"
}

BRIDGE_PIDS=()
start_bridge() {   # NAME [bridge options] -> BP
  ms_env_bridge_start "$@"
  BP=$MS_BRIDGE_PORT
}

meter() {   # DEV LOG [run options]
  local dev=$1 log=$2
  shift 2
  "$METER_BIN" --dir "$dev" run --uart "127.0.0.1:$BP" "$@" >"$log" 2>&1
}

readings() {   # ID -> "seq:energy:balance:tariff ..." in seq order
  api GET "/meters/$1/readings?from=0&limit=1000" |
    "$PY" -c 'import json,sys; r=json.load(sys.stdin)["readings"]; print(" ".join("%d:%d:%d:%d"%(x["seq"],x["energy_wh"],x["balance_milli"],x["tariff_id"]) for x in sorted(r,key=lambda x:x["seq"])))'
}

M1=$D/dev-m1
provision m-000001 "$M1" "$D/mca"
r=$(api POST /meters "$(cat "$D/m-000001.reg.json")")
grep -q '"meter_id":"m-000001"' <<<"$r" || fail "registration: $r"
ok "provisioned in the TEE (CSR, token bound to the identity key) and registered with the IAK"

# The TEE refuses a certificate that does not carry its identity key.
openssl ecparam -name prime256v1 -genkey -noout -out "$D/other.key" 2>/dev/null
openssl req -new -key "$D/other.key" -subj "/CN=m-000001/serialNumber=m-000001/O=MeterSeal meter" \
  -out "$D/other.csr"
"$CLI" ca sign-csr --dir "$D/mca" --csr "$D/other.csr" --out "$D/other.pem" >/dev/null
if "$CLI" provision install --dir "$M1" --id m-000001 --cert "$D/other.pem" \
   --cloud-ca "$D/cca/ca.pem" --broker "localhost:$MS_MQTT_PORT" \
   --command-key "$D/command.pub" 2>"$D/other.err"; then
  fail "the TEE took a certificate for another key"
fi
grep -q "key does not match" "$D/other.err" || fail "$(cat "$D/other.err")"
ok "a certificate without the TEE's key is refused at installation"

start_bridge main
meter "$M1" "$D/run1.log" --interval-ms 300 --readings 4 --consume-wh 250 --duration-s 60 ||
  fail "run 1: $(tail -3 "$D/run1.log")"
grep -q "online tls=1.3 resumed=0" "$D/run1.log" || fail "run 1: no full TLS 1.3 handshake"
[ "$(readings m-000001)" = "1:250:0:0 2:500:0:0 3:750:0:0 4:1000:0:0" ] ||
  fail "stored readings: $(readings m-000001)"
st=$("$METER_BIN" --dir "$M1" status)
grep -q '^queued=0$' <<<"$st" || fail "queue not empty: $st"
ok "4 readings: taken in the TEE, stored once each, acknowledged, queue empty"

# Commands, signed by the cloud: a top-up and a tariff (0.5 per kWh).
r=$(api POST /meters/m-000001/commands '{"type":"topup","amount_milli":5000}')
grep -q '"cmd_seq":1' <<<"$r" || fail "top-up not accepted by the API: $r"
r=$(api POST /meters/m-000001/commands '{"type":"tariff","tariff_id":7,"price_milli_per_kwh":500}')
grep -q '"cmd_seq":2' <<<"$r" || fail "tariff not accepted by the API: $r"
meter "$M1" "$D/run2.log" --interval-ms 1500 --readings 2 --consume-wh 1000 --duration-s 60 ||
  fail "run 2: $(tail -3 "$D/run2.log")"
grep -q "online tls=1.3 resumed=1" "$D/run2.log" || fail "run 2: the TLS session was not resumed"
[ "$(grep -c 'command applied' "$D/run2.log")" = 2 ] || fail "run 2: commands: $(grep command "$D/run2.log")"
"$METER_BIN" --dir "$M1" status >"$D/status2"
# 1000 Wh after the top-up at 0.5/kWh cost 500 (the first 1000 Wh of run 2 may
# come before or after the tariff): balance 5000 - 500 or 5000 - 1000
grep -qE '^balance_milli=(4500|4000)$' "$D/status2" || fail "balance: $(cat "$D/status2")"
grep -q '^tariff_id=7$' "$D/status2" || fail "tariff: $(cat "$D/status2")"
sleep 1
api GET /meters/m-000001/commands/1 >"$D/cmd1.json"
grep -q '"result_status":0' "$D/cmd1.json" ||
  fail "the meter's signed result is not in the cloud: $(cat "$D/cmd1.json")"
ok "signed top-up and tariff applied once in the TEE, results back in the cloud; TLS resumed after a restart"

# Outage: the cloud service is down, the meter keeps its readings and resends.
ms_env_cloud_kill a TERM
meter "$M1" "$D/run3.log" --interval-ms 300 --readings 3 --resend-ms 1000 --duration-s 6 &&
  fail "readings acknowledged with the cloud down"
grep -q "resent" "$D/run3.log" || fail "run 3: nothing resent"
st=$("$METER_BIN" --dir "$M1" status)
grep -q '^queued=3$' <<<"$st" || fail "run 3: queue: $st"
ms_env_cloud_start b "$DB" --http 127.0.0.1:0   # a new instance on the same database
MS_API=http://127.0.0.1:$(cat "$D/b.port")/api/v1
meter "$M1" "$D/run4.log" --interval-ms 300 --readings 1 --resend-ms 1000 --duration-s 60 ||
  fail "run 4: $(tail -3 "$D/run4.log")"
seqs=$(readings m-000001 | tr ' ' '\n' | cut -d: -f1 | tr '\n' ' ')
[ "$seqs" = "1 2 3 4 5 6 7 8 9 10 " ] || fail "after the outage, stored: $seqs"
ok "cloud outage: readings kept in the TEE, resent, stored once each (duplicates dropped)"

# Tampering: the modem flips one bit of a record after the handshake.
start_bridge evil --flip-up 2600
meter "$M1" "$D/run5.log" --interval-ms 300 --readings 8 --resend-ms 1000 --reconnect-ms 300 \
  --duration-s 60 || fail "run 5: $(tail -3 "$D/run5.log")"
grep -q "flipped a bit" "$D/evil.log" || fail "the bridge did not tamper"
[ "$(grep -c '^meter: online' "$D/run5.log")" -ge 2 ] || fail "run 5: no reconnect after tampering"
seqs=$(readings m-000001 | tr ' ' '\n' | cut -d: -f1 | tr '\n' ' ')
[ "$seqs" = "$(seq -s ' ' 1 18) " ] || fail "after tampering, stored: $seqs"
ok "a modified record ends the TLS connection; nothing wrong is stored; all delivered after reconnect"

# TLS 1.2 when asked (the broker offers both).
start_bridge tls12
meter "$M1" "$D/run6.log" --tls 1.2 --interval-ms 300 --readings 1 --duration-s 60 ||
  fail "run 6: $(tail -3 "$D/run6.log")"
grep -q "online tls=1.2" "$D/run6.log" || fail "run 6: not TLS 1.2"
ok "TLS 1.2 (ECDHE-ECDSA-AES128-GCM-SHA256) against Mosquitto"

# A compromised Non-secure world on the meter: replayed, modified, forged.
start_bridge nsx
"$BUILD/tests/link/link_evil_ns" --dir "$M1" --uart "127.0.0.1:$BP" >"$D/evil-ns.log" 2>&1 ||
  fail "evil_ns: $(tail -3 "$D/evil-ns.log")"
gseq=$(sed -n 's/^evil: genuine seq=\([0-9]*\)$/\1/p' "$D/evil-ns.log")
[ -n "$gseq" ] || fail "evil_ns: $(cat "$D/evil-ns.log")"
sleep 1
stored=$(readings m-000001)
seqs=$(tr ' ' '\n' <<<"$stored" | cut -d: -f1 | tr '\n' ' ')
[ "$seqs" = "$(seq -s ' ' 1 "$gseq") " ] || fail "after the compromised NS, stored: $seqs"
grep -q ':999999:' <<<"$stored" && fail "a forged reading was stored"
[ "$(grep -c 'event=message.rejected topic="*ms/v1/m-000001/up/reading"* reason=signature' "$D/b.log")" -ge 2 ] ||
  fail "modified and forged readings not refused: $(grep rejected "$D/b.log" | tail -3)"
ok "a compromised Non-secure world: its replay is stored once, its modified and self-signed readings are refused"

# The broker refuses meters it must not trust.
refused() {   # DEV LOG WHAT
  meter "$1" "$2" --interval-ms 1000 --connects 1 --duration-s 4 || true
  grep -q '^meter: online' "$2" && fail "$3: the broker let it in"
  grep -q '^meter: offline' "$2" || fail "$3: $(tail -3 "$2")"
  ok "broker refuses a meter with $3"
}
"$CLI" ca init --dir "$D/rogue" --cn "Rogue CA" >/dev/null
provision m-000002 "$D/dev-m2" "$D/rogue"
refused "$D/dev-m2" "$D/rogue.log" "a certificate from another CA"
now=$(date +%s)
provision m-000003 "$D/dev-m3" "$D/mca" --not-before $((now - 7200)) --not-after $((now - 3600))
refused "$D/dev-m3" "$D/expired.log" "an expired certificate"
provision m-000004 "$D/dev-m4" "$D/mca"
meter "$D/dev-m4" "$D/m4-before.log" --interval-ms 1000 --connects 1 --duration-s 3 || true
grep -q '^meter: online' "$D/m4-before.log" || fail "m-000004 before revocation: $(tail -3 "$D/m4-before.log")"
"$CLI" ca revoke --dir "$D/mca" --cert "$D/m-000004.pem" >/dev/null
ms_env_crls
ms_env_broker_reload
refused "$D/dev-m4" "$D/revoked.log" "a revoked certificate"

# The tap: no plaintext reading, serial, key or credential crossed the modem.
api GET "/meters/m-000001/readings?from=0&limit=1000" >"$D/readings.json"
cmds='[{"1":"m-000001","2":1,"3":1,"4":{"1":5000}},{"1":"m-000001","2":2,"3":3,"4":{"1":7,"2":500}}]'
"$PY" "$HERE/tap-check.py" --meter-id m-000001 --cert "$D/m-000001.pem" --huk "$M1/huk" \
  --readings "$D/readings.json" --commands "$cmds" --command-key "$D/command.key" \
  "$D/main.tap" "$D/evil.tap" || fail "a TLS 1.3 tap holds plaintext"
ok "the modem's TLS 1.3 taps hold records only: no reading, command, serial, key or certificate"
# TLS 1.2 sends the client certificate in clear (so the meter id): a known
# limit of the fallback; every reading and command stays hidden.
"$PY" "$HERE/tap-check.py" --meter-id m-000001 --cert "$D/m-000001.pem" --huk "$M1/huk" \
  --readings "$D/readings.json" --command-key "$D/command.key" --expect-id-visible \
  "$D/tls12.tap" || fail "the TLS 1.2 tap"
ok "the TLS 1.2 tap shows the meter's certificate (a limit of 1.2), no reading or key"
echo "PASS"
