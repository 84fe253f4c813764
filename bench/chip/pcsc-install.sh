#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pcsc-install.sh - install time of a COS through the whole PC/SC stack
# (meterseal chip write -> libpcsclite -> pcscd -> vpcd -> emulator) per
# encryption rule, beside a plaintext install.
#
#   bench/chip/pcsc-install.sh <meterseal-chip> <meterseal-chip-emu> [KiB] [chunk]
#
# Runs its own pcscd in a private mount namespace (tools/chip/pcsc-env.sh,
# as tests/chip/pcsc-e2e.sh).
set -euo pipefail
CHIP=$(realpath "$1")
EMU=$(realpath "$2")
KIB=${3:-512}
CHUNK=${4:-224}
# shellcheck source=SCRIPTDIR/../../tools/chip/pcsc-env.sh
. "$(dirname "$(realpath "$0")")/../../tools/chip/pcsc-env.sh"
why=$(pcsc_env_check) || { echo "pcsc-install: $why" >&2; exit 1; }
pcsc_env_isolate "$0" "$@" || { echo "pcsc-install: needs a private mount namespace (root)" >&2; exit 1; }
T=$(mktemp -d)
trap 'pcsc_env_stop; rm -rf "$T"' EXIT
pcsc_env_start "$T" "$EMU" || { echo "pcsc-install: pcscd did not start" >&2; exit 1; }
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
    pcsc_env_card_off
    "$EMU" --flash chip.flash --provision-only --uid $UID_HEX --loader loader.bin 2> /dev/null
    pcsc_env_card "$T/chip.flash" || { echo "pcsc-install: the card did not appear" >&2; exit 1; }
    out=$("$CHIP" write --pkg cos.pkg --licence-dir lic --no-progress --chunk "$CHUNK")
    s=$(echo "$out" | sed -n 's/.*verified in \([0-9.]*\) s, \([0-9]*\) APDUs.*/\1/p')
    n=$(echo "$out" | sed -n 's/.*verified in \([0-9.]*\) s, \([0-9]*\) APDUs.*/\2/p')
    [ -n "$s" ] || { echo "$out"; exit 1; }
    best=$(echo "$s $best" | awk '{print ($1 < $2) ? $1 : $2}')
  done
  printf '%-24s %10s %8s\n' "${rule%% *}" "$best" "$n"
done
