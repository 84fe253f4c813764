#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The meter simulator driven through a whole update life cycle (M4-M7):
# flash initial images, stage an update, reboot, confirm, revert of an
# unconfirmed image, a tampered update rejected, a downgrade refused, a wrong
# security configuration refusing to boot, and an encrypted update installed
# by overwrite. Usage: sim-flow.sh METERSEAL_SIM VECTORS_DIR
set -euo pipefail
SIM=$1
VEC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
K=$VEC/imgtool/k.pem

sim() { "$SIM" --dir "$T/meter" "$@"; }
expect() {  # expect PATTERN -- COMMAND...: run it, require PATTERN in its output
  local pat=$1; shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  echo "$out"
  if ! grep -qE -- "$pat" <<<"$out"; then
    echo "FAIL: expected /$pat/ from: $*" >&2
    exit 1
  fi
  return 0
}

echo "== build images"
sim mkimage --key "$K" --version 1.0.0 --sec-cnt 1 --seed 1 "$T/s-1.0.bin"
sim mkimage --key "$K" --version 1.0.0 --sec-cnt 1 --seed 2 "$T/ns-1.0.bin"
sim mkimage --key "$K" --version 1.1.0 --sec-cnt 2 --seed 3 --size 40000 "$T/s-1.1.bin"
sim mkimage --key "$K" --version 1.2.0 --sec-cnt 3 --seed 4 "$T/s-1.2.bin"

echo "== factory flash, first boot"
sim flash s "$T/s-1.0.bin"
expect "boot refused: MS_ERR_BOOT_NO_IMAGE" sim reboot
sim flash ns "$T/ns-1.0.bin"
expect "^S  v1.0.0\+0 sec_cnt=1 confirmed" sim reboot

echo "== test update, reboot, no confirm: revert"
sim stage s "$T/s-1.1.bin"
expect "^S  v1.1.0\+0 sec_cnt=2 UNCONFIRMED" sim reboot
expect "S  update: revert" sim reboot
expect "^S  v1.0.0\+0" sim reboot

echo "== test update, confirm: stays, counter raised"
sim stage s "$T/s-1.1.bin"
expect "S  update: test" sim reboot
sim confirm s
expect "^S  v1.1.0\+0 sec_cnt=2 confirmed" sim reboot
expect "^S +security counter 2" sim status

echo "== tampered update rejected, old image keeps running"
cp "$T/s-1.2.bin" "$T/s-1.2-tampered.bin"
printf '\x00' | dd of="$T/s-1.2-tampered.bin" bs=1 seek=2000 conv=notrunc status=none
sim stage s "$T/s-1.2-tampered.bin" --permanent
expect "S  update: rejected MS_ERR_IMG_HASH" sim reboot
expect "^S  v1.1.0" sim reboot

echo "== downgrade refused by the security counter"
sim stage s "$T/s-1.0.bin" --permanent
expect "S  update: rejected MS_ERR_BOOT_ROLLBACK" sim reboot
expect "^S  v1.1.0" sim reboot

echo "== wrong security configuration: no boot"
sim seccfg dauthctrl=1
rc=0; sim reboot || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: reboot with debug unlocked exited $rc"; exit 1; }
expect "boot refused: MS_ERR_BOOT_SECURITY_CONFIG" sim reboot
sim seccfg reset
expect "^S  v1.1.0" sim reboot

echo "== permanent update"
sim stage s "$T/s-1.2.bin" --permanent
expect "^S  v1.2.0\+0 sec_cnt=3 confirmed" sim reboot
expect "security-counter-raised" sim log

echo "== encrypted test update on the swap meter: decrypted in, reverted"
sim provision-key "$VEC/imgtool/enc.pem"
sim mkimage --key "$K" --version 1.3.0 --sec-cnt 4 --encrypt "$VEC/imgtool/enc-pub.pem" --seed 7 "$T/s-1.3-enc.bin"
sim stage s "$T/s-1.3-enc.bin"
expect "^S  v1.3.0\+0 sec_cnt=4 UNCONFIRMED" sim reboot
expect "S  update: revert" sim reboot
expect "^S  v1.2.0" sim reboot

echo "== encrypted update, overwrite strategy, key from the key store"
E="$T/meter-enc"
"$SIM" --dir "$E" --strategy overwrite mkimage --key "$K" --version 2.0.0 --sec-cnt 5 \
  --encrypt "$VEC/imgtool/enc-pub.pem" --seed 9 "$T/s-2.0-enc.bin"
"$SIM" --dir "$E" --strategy overwrite flash s "$T/s-1.0.bin"
"$SIM" --dir "$E" flash ns "$T/ns-1.0.bin"
"$SIM" --dir "$E" stage s "$T/s-2.0-enc.bin"
expect "S  update: rejected MS_ERR_BOOT_NO_ENC_KEY" "$SIM" --dir "$E" reboot
"$SIM" --dir "$E" provision-key "$VEC/imgtool/enc.pem"
"$SIM" --dir "$E" stage s "$T/s-2.0-enc.bin"
expect "^S  v2.0.0\+0 sec_cnt=5 confirmed" "$SIM" --dir "$E" reboot
echo "== root of trust: a vendor key programmed once into the OTP"
R="$T/meter-rot"
"$SIM" --dir "$R" mkimage --key "$VEC/imgtool/enc.pem" --version 3.0.0 --seed 5 "$T/v-s.bin"
"$SIM" --dir "$R" mkimage --key "$VEC/imgtool/enc.pem" --version 3.0.0 --seed 6 "$T/v-ns.bin"
"$SIM" --dir "$R" flash s "$T/v-s.bin"
"$SIM" --dir "$R" flash ns "$T/v-ns.bin"
expect "S  image: not verified: MS_ERR_IMG_KEY_UNKNOWN" "$SIM" --dir "$R" reboot
expect "root of trust programmed" "$SIM" --dir "$R" provision-rot "$VEC/imgtool/enc-pub.pem"
expect "^S  v3.0.0" "$SIM" --dir "$R" reboot
expect "already programmed" "$SIM" --dir "$R" provision-rot "$VEC/imgtool/k.pem"
"$SIM" --dir "$R" flash s "$T/s-1.0.bin"
expect "S  image: not verified: MS_ERR_IMG_KEY_UNKNOWN" "$SIM" --dir "$R" reboot
echo "sim-flow: all steps passed"
