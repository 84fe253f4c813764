#!/usr/bin/env bash
# pcsc-install.sh - install time of a COS through the whole PC/SC stack
# (meterseal chip write -> libpcsclite -> pcscd -> vpcd -> emulator) per
# encryption rule, beside a plaintext install.
#
#   bench/chip/pcsc-install.sh <meterseal-chip> <meterseal-chip-emu> [KiB] [chunk]
#
# Runs its own pcscd in a private mount namespace (as tests/chip/pcsc-e2e.sh).
set -euo pipefail
CHIP=$(realpath "$1")
EMU=$(realpath "$2")
KIB=${3:-512}
CHUNK=${4:-224}
VPCD=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
if [ -z "${MS_CHIP_BENCH_NS:-}" ]; then
  exec unshare --mount --propagation private env MS_CHIP_BENCH_NS=1 bash "$0" "$@"
fi
mkdir -p /run/pcscd
mount -t tmpfs tmpfs /run/pcscd
T=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
PORT=$((20000 + RANDOM % 20000))
mkdir "$T/conf"
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%s\nLIBPATH %s\nCHANNELID %s\n' \
  "$PORT" "$VPCD" "$PORT" > "$T/conf/vpcd"
pcscd --foreground -c "$T/conf" > "$T/pcscd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do opensc-tool -l 2>/dev/null | grep -q "Virtual PCD" && break; sleep 0.2; done
cd "$T"
"$CHIP" keygen -o mk.hex > /dev/null
"$CHIP" keygen -o img.hex > /dev/null
"$CHIP" loader --mk-des mk.hex --mk-aes mk.hex -o loader.bin > /dev/null
head -c $((KIB * 1024)) /dev/urandom > cos.bin
UID_HEX=B0000000000000000001
echo "COS ${KIB} KiB, ${CHUNK}-byte DECRYPT blocks, through pcscd + vpcd (best of 3)"
printf '%-24s %10s %8s\n' rule "seconds" "APDUs"
for rule in "none" "whole" "first16 --seg-count 80" "progressive --seg-count 80"; do
  # shellcheck disable=SC2086
  "$CHIP" pack --cos cos.bin --image-key img.hex --rule $rule -o cos.pkg > /dev/null
  mkdir -p lic
  "$CHIP" licence --pkg cos.pkg --image-key img.hex --master-key mk.hex --uid $UID_HEX \
    -o lic/$UID_HEX.lic > /dev/null
  best=999
  for _ in 1 2 3; do
    "$EMU" --flash chip.flash --provision-only --uid $UID_HEX --loader loader.bin 2> /dev/null
    "$EMU" --flash chip.flash --port "$PORT" > emu.log 2>&1 &
    epid=$!
    PIDS+=($epid)
    for _ in $(seq 50); do opensc-tool -a > /dev/null 2>&1 && break; sleep 0.1; done
    out=$("$CHIP" write --pkg cos.pkg --licence-dir lic --no-progress --chunk "$CHUNK")
    s=$(echo "$out" | sed -n 's/.*verified in \([0-9.]*\) s, \([0-9]*\) APDUs.*/\1/p')
    n=$(echo "$out" | sed -n 's/.*verified in \([0-9.]*\) s, \([0-9]*\) APDUs.*/\2/p')
    [ -n "$s" ] || { echo "$out"; exit 1; }
    best=$(echo "$s $best" | awk '{print ($1 < $2) ? $1 : $2}')
    kill "$epid"; wait "$epid" 2> /dev/null || true
  done
  printf '%-24s %10s %8s\n' "${rule%% *}" "$best" "$n"
done
