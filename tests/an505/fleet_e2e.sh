#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# fleet_e2e.sh HOST_BUILD FIRMWARE_BUILD - a mixed fleet in one campaign:
# two emulated Cortex-M33 meters (QEMU: factory line over the UART, the
# comms task and the update session on the Non-secure RTOS, TLS and
# verification in the TEE) and two host-simulated meters (meterseal-meter:
# the same portable client, session, agent and TEE code on Linux, a
# simulated boot side) take the same firmware - the meter application
# v1.1.0, signed by the vendor, encrypted for the fleet's image key - and
# all confirm it; prints the time from "campaign started" to "all
# confirmed".
source "$(dirname "$0")/cloud-lib.sh"
QEMU_IDS=(m-m33-0001 m-m33-0002)
HOST_IDS=(m-host-0001 m-host-0002)

for id in "${QEMU_IDS[@]}"; do
  cl_qemu_factory "$id" "$D/$id"
done
for id in "${HOST_IDS[@]}"; do
  cl_host_meter "$id"
done
ok "factory: ${#QEMU_IDS[@]} emulated meters over their UARTs, ${#HOST_IDS[@]} host meters; all registered"

# The release: the meter application v1.1.0, for the whole fleet.
meter "$D/${QEMU_IDS[0]}" sign ns 1.1.0 2 "$D/v110.img"
ms_env_bridge_start modem
PIDS=()
for id in "${QEMU_IDS[@]}"; do
  meter "$D/$id" run comms-update "tcp:127.0.0.1:$MS_BRIDGE_PORT,reconnect=1" 300 &
  PIDS+=("$!")
done
for id in "${HOST_IDS[@]}"; do
  cl_host_run "$id"
done
# The fleet has been online before the release (the broker keeps a meter's
# session, and the offers for it, only once the meter has had one).
cl_online "${QEMU_IDS[@]}" -- "${HOST_IDS[@]}"
t0=$(date +%s.%N)
cid=$(cl_campaign "$D/v110.img" fleet-v110 "${QEMU_IDS[@]}" "${HOST_IDS[@]}")
want=$(printf '%s:success\n' "${QEMU_IDS[@]}" "${HOST_IDS[@]}" | sort | tr '\n' ' ')
cl_wait "$cid" "${want% }" 240
t1=$(date +%s.%N)
for i in "${!QEMU_IDS[@]}"; do
  rc=0; wait "${PIDS[$i]}" || rc=$?
  [ "$rc" = 10 ] || fail "${QEMU_IDS[$i]}: the update run ended with $rc"
  grep -q "^tee: non-secure image version=1.1.0 test" "$D/${QEMU_IDS[$i]}/run.log" ||
    fail "${QEMU_IDS[$i]}: 1.1.0 did not run as a test image"
done
for id in "${HOST_IDS[@]}"; do
  grep -q "meter: booted NS v1.1.0+0 test" "$D/$id.log" || fail "$id: 1.1.0 did not boot"
  grep -q "meter: update success" "$D/$id.log" || fail "$id: no success"
done
# every meter's TEE numbered its reports (docs/ota.md 3.4), the M33's too
for id in "${QEMU_IDS[@]}" "${HOST_IDS[@]}"; do
  grep -Eq "update\.status meter=$id campaign=$cid state=success .* seq=[1-9]" "$MS_DIR/a.log" ||
    fail "$id: its success report was not numbered"
done
secs=$("$PY" -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1")
ok "one campaign, $((${#QEMU_IDS[@]} + ${#HOST_IDS[@]})) meters (emulated M33 and host): all confirmed v1.1.0"
echo "figure: campaign started -> all ${#QEMU_IDS[@]}+${#HOST_IDS[@]} meters confirmed: $secs s ($(stat -c %s "$D/v110.img") B image, 512 B chunks)"
