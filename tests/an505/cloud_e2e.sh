#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# cloud_e2e.sh HOST_BUILD FIRMWARE_BUILD - one life of the emulated
# Cortex-M33 meter in a fleet with two host-simulated meters (M12, M13, M7): factory line over its modem UART (the TEE makes
# its keys, CSR and token; the manufacturer CA signs; the TEE installs), the
# meter registered with the cloud, then a power-on with the modem UART on
# the (untrusted, tapped) modem bridge: the comms task on the Non-secure
# RTOS runs the cloud channel through the TEE's TLS session; readings taken
# and signed in the TEE are stored by the cloud and acknowledged; the tap
# holds no plaintext. Then an OTA campaign: the offer checked by the TEE,
# the encrypted image downloaded over the channel, decrypted and verified
# by the TEE, the reboot, the boot loader's install, the confirm after the
# cloud answered the new image; the cloud shows success. A corrupted image
# refused before the reboot, an update cut off before its confirm reverted,
# a power cut as the install begins: each reported to the cloud. The meter
# is locked (SECURED) after the factory line.
# The Non-secure tasks share the console a line at a time
# (firmware/nonsecure/console_lines.c); the meter's messages are still
# matched anywhere in a line.
source "$(dirname "$0")/cloud-lib.sh"
ID=m-m33-0001
M=$D/meter

HOSTS=(m-host-0001 m-host-0002)

# The factory line: the meter's first power-on with the station on its UART.
cl_qemu_factory "$ID" "$M"
ok "factory line over the meter's UART: keys, CSR and token from its TEE, certificate installed, registered"
for h in "${HOSTS[@]}"; do
  cl_host_meter "$h"
done
ok "two host-simulated meters of the same fleet provisioned and registered"

# In the field: the modem UART on the bridge.
ms_env_bridge_start modem
rc=0; meter "$M" run comms "tcp:127.0.0.1:$MS_BRIDGE_PORT" 180 || rc=$?
[ "$rc" = 10 ] || fail "the comms run ended with $rc (10: scenario done)"
grep -q "comms: online tls=1.3" "$M/run.log" || fail "no TLS 1.3 session"
grep -q "comms: done readings=3 commands=0 " "$M/run.log" || fail "readings not all acknowledged"
# the session ran in the link partition (unprivileged), which never faulted
grep "^comms: part=6 " "$M/run.log" | tr -d '\r'
grep -Eq "^comms: part=6 calls=[1-9][0-9]* faults=0 restarts=0 " "$M/run.log" ||
  fail "the link partition did not serve the session, or faulted"
# readings_of ID: the meter's readings the cloud stored (JSON), up to 100.
readings_of() { api GET "/meters/$1/readings?from=0&limit=100"; }
count() { "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["readings"]))'; }
readings_of "$ID" >"$D/readings.json"
n=$(count <"$D/readings.json")
[ "$n" = 3 ] || fail "the cloud stored $n readings"
ok "comms task on the M33: TLS in the TEE over the modem UART, 3 signed readings stored and acknowledged"
# Bytes on the modem line for one reading in a running session: between the
# second and the third acknowledgement (the reading out, its ack in: TLS records).
"$PY" - "$M/run.log" <<'PYEOF'
import re, sys
acks = re.findall(r"comms: readings acknowledged=(\d+) modem-out=(\d+) modem-in=(\d+)",
                  open(sys.argv[1]).read(), re.M)
if len(acks) >= 3:
    (_, o2, i2), (_, o3, i3) = acks[1], acks[2]
    print("figure: one reading on the modem line: %d B out, %d B in" % (int(o3) - int(o2), int(i3) - int(i2)))
PYEOF

# The HUK as the factory programmed it (OTP record at 0x300 of the OTP area, 0xFF0000).
"$PY" -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(0xFF0300); open(sys.argv[2],"wb").write(f.read(32))' \
  "$M/flash.bin" "$D/huk"
"$PY" "$CL_HERE/../link/tap-check.py" --meter-id "$ID" --cert "$D/$ID.pem" --huk "$D/huk" \
  --readings "$D/readings.json" --command-key "$D/command.key" "$D/modem.tap" >"$D/tap.txt" 2>&1 ||
  fail "tap: $(cat "$D/tap.txt")"
ok "the modem's tap holds no reading, id, certificate, HUK or key in clear"

# A top-up, signed by the cloud, waits in the broker for the meter's session;
# at the next power-on the link partition checks it and credits the balance
# through the kernel (which allows a credit only while a command is served).
r=$(api POST "/meters/$ID/commands" '{"type":"topup","amount_milli":5000}')
grep -q '"cmd_seq":1' <<<"$r" || fail "top-up not accepted by the API: $r"
rc=0; meter "$M" run comms "tcp:127.0.0.1:$MS_BRIDGE_PORT" 180 || rc=$?
[ "$rc" = 10 ] || fail "the second comms run ended with $rc (10: scenario done)"
grep -q "comms: done readings=3 commands=1 commands-applied=1 " "$M/run.log" ||
  fail "the top-up was not applied: $(grep 'comms: done' "$M/run.log")"
sleep 1
api GET "/meters/$ID/commands/1" >"$D/cmd1.json"
grep -q '"result_status":0' "$D/cmd1.json" ||
  fail "the meter's signed result is not in the cloud: $(cat "$D/cmd1.json")"
ok "a signed top-up applied by the link partition, its signed result in the cloud"

campaign() { cl_campaign "$1" "$2" "$ID"; }
wait_state() { cl_wait "$1" "$ID:$2" 10; }
LINE="tcp:127.0.0.1:$MS_BRIDGE_PORT,reconnect=1"
# cut_when CONSOLE PATTERN: a comms-update power-on, its power cut (QEMU
# killed) within 50 ms of PATTERN on the console (uart0.log: boot loader and
# TEE; uart2.log: Non-secure); false if PATTERN never came.
cut_when() {
  local run seen=1
  : >"$M/run.log"
  meter "$M" run comms-update "$LINE" 300 &
  run=$!
  for _ in $(seq 2400); do
    grep -q "$2" "$M/$1" 2>/dev/null && { seen=0; break; }
    sleep 0.05
  done
  pkill -9 -f "mem-path=$M/flash.bin" || true
  wait "$run" || true
  return $seen
}

# An OTA campaign for the application, v1.1.0, signed then encrypted for the
# fleet: the emulated meter and the two host meters.
meter "$M" sign ns 1.1.0 2 "$D/v110.img"
HPIDS=()
for h in "${HOSTS[@]}"; do
  cl_host_run "$h"
  HPIDS+=("$CL_PID")
done
cl_online -- "${HOSTS[@]}"
cid=$(cl_campaign "$D/v110.img" v110 "$ID" "${HOSTS[@]}")
rc=0; meter "$M" run comms-update "$LINE" 300 || rc=$?
[ "$rc" = 10 ] || fail "the update run ended with $rc (10: scenario done)"
grep -q "comms: update offer campaign=$cid v1.1.0 image=1" "$M/run.log" || fail "no offer taken"
grep -q "^tee: reboot asked by the Non-secure world" "$M/run.log" || fail "no reboot"
grep -q "^boot: installed image=1" "$M/run.log" || fail "the boot loader did not install"
grep -q "comms: running image 1 v1.1.0 test" "$M/run.log" || fail "the test image did not run"
grep -q "comms: update success" "$M/run.log" || fail "no success report"
want=$(printf '%s:success\n' "$ID" "${HOSTS[@]}" | sort | tr '\n' ' ')
cl_wait "$cid" "${want% }" 120
for h in "${HOSTS[@]}"; do
  grep -q "meter: booted NS v1.1.0+0 test" "$D/$h.log" || fail "$h: 1.1.0 did not boot"
  n=$(readings_of "$h" | count)
  [ "$n" -gt 0 ] || fail "$h: no readings stored"
done
kill "${HPIDS[@]}" 2>/dev/null || true
rc=0; meter "$M" run partitions null 60 || rc=$?
grep -q "^tee: non-secure image version=1.1.0 confirmed" "$M/run.log" || fail "1.1.0 is not confirmed"
ok "OTA over the channel, the M33 and two host meters in one campaign: offer checked by the TEE, encrypted image downloaded, verified by the TEE, installed at the reboot, confirmed after the cloud answered; the cloud shows success for all three"
"$PY" - "$M/run.log" "$D/v110.img" <<'PYEOF'
import os, re, sys
log = open(sys.argv[1]).read()
run = log[log.rindex("==== comms-update"):] if "==== comms-update" in log else log
n = [(int(o), int(i)) for o, i in re.findall(r"comms: (?:rebooting|update finished.*?) modem-out=(\d+) modem-in=(\d+)", run, re.M)]
if n:
    print("figure: one update (%d B image) on the modem line, both sessions with their handshakes and readings: %d B out, %d B in"
          % (os.path.getsize(sys.argv[2]), sum(o for o, _ in n), sum(i for _, i in n)))
PYEOF

# A corrupted image the cloud cannot see into (its ciphertext changed after
# the vendor signed it): the TEE refuses it before any reboot.
meter "$M" sign ns 1.2.0 3 "$D/v120.img"
"$PY" -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[0x400+200]^=1; open(sys.argv[2],"wb").write(b)' \
  "$D/v120.img" "$D/v120-bad.img"
cid=$(campaign "$D/v120-bad.img" v120-corrupted)
: >"$M/run.log"
rc=0; meter "$M" run comms-update "$LINE" 300 || rc=$?
[ "$rc" = 10 ] || fail "the corrupted-update run ended with $rc"
grep -q "comms: update failed" "$M/run.log" || fail "no failure report"
grep -q "^tee: reboot asked" "$M/run.log" && fail "the meter rebooted for a refused image"
wait_state "$cid" failed
ok "a corrupted image: refused by the TEE before any reboot, reported failed, 1.1.0 runs on"

# An update that is never confirmed: the power is cut while the new image
# runs as a test image, before it reached the cloud; the next power-on
# reverts it, and the meter reports it reverted.
meter "$M" sign ns 1.3.0 3 "$D/v130.img"
cid=$(campaign "$D/v130.img" v130)
cut_when uart2.log "comms: running image 1 v1.3.0 test" || fail "1.3.0 never ran"
rc=0; meter "$M" run partitions null 60 || rc=$?
grep -q "^tee: non-secure image version=1.1.0 confirmed" "$M/run.log" || fail "no revert to 1.1.0"
rc=0; meter "$M" run comms-update "$LINE" 300 || rc=$?
[ "$rc" = 10 ] || fail "the run after the revert ended with $rc"
grep -q "comms: update reverted" "$M/run.log" || fail "no reverted report"
wait_state "$cid" reverted
ok "an update cut off before its confirm: reverted by the boot loader, reported reverted"

# A power cut around the install: QEMU killed within 50 ms of the reboot
# that starts the boot loader's install (before, during or just after it;
# the install itself is cut at every flash operation by an505.powercut.*).
# The next power-on boots a verified image and the meter reports where it
# stands: the update goes on to success.
meter "$M" sign ns 1.4.0 4 "$D/v140.img"
cid=$(campaign "$D/v140.img" v140)
cut_when uart0.log "^tee: reboot asked" || fail "the meter never rebooted into the install"
rc=0; meter "$M" run comms-update "$LINE" 300 || rc=$?
[ "$rc" = 10 ] || fail "the run after the power cut ended with $rc"
grep -qE "^boot: verified image=1" "$M/run.log" || fail "no verified image after the power cut"
grep -q "comms: update success" "$M/run.log" || fail "no success after the power cut"
wait_state "$cid" success
ok "power cut around the install: a verified image booted, the update completed and was reported"
