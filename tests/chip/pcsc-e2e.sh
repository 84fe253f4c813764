#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pcsc-e2e.sh - the chip through a real PC/SC stack: our own pcscd with
# Debian's vsmartcard vpcd driver, the chip emulator as the virtual card,
# `meterseal chip write` as the factory writer and opensc-tool, scriptor
# (pcsc-tools) and pyscard as PC/SC clients written elsewhere.
#
#   pcsc-e2e.sh <meterseal-chip> <meterseal-chip-emu> [<meterseal>]
#
# Shows: a full factory run; the COS answering opensc-tool; ISO 7816-4
# cases 1-4 with and without Le through opensc-tool, scriptor and pyscard,
# over T=1 (what pcscd picks for our ATR) and T=0 (61xx + GET RESPONSE);
# a plain download refused in COS mode; a power cut mid-download resumed by
# the writer; a licence for another chip refused (6982); the vendor's
# licence budget; an 84 DE loader reload and a second download.
#
# pcscd's socket path is fixed (/run/pcscd), so the test runs in a private
# mount namespace with its own /run/pcscd when it can (root in CI): a system
# pcscd is never touched. tools/chip/pcsc-env.sh starts pcscd and the cards.
# Exit 77 (skip) only when pcscd, the vpcd driver, opensc-tool, scriptor or
# pyscard is missing, or a system pcscd is running and no namespace can be
# made.
set -euo pipefail

CHIP=$(realpath "$1")
EMU=$(realpath "$2")
CLI=${3:+$(realpath "$3")}
HERE=$(dirname "$(realpath "$0")")
# shellcheck source=SCRIPTDIR/../../tools/chip/pcsc-env.sh
. "$HERE/../../tools/chip/pcsc-env.sh"
skip() { echo "SKIP: $*"; exit 77; }

why=$(pcsc_env_check) || skip "$why"
command -v scriptor >/dev/null || skip "scriptor is not installed (pcsc-tools, scripts/deps)"
PYSCARD=
for py in python3 /usr/bin/python3; do
  if "$py" -c 'import smartcard' 2>/dev/null; then PYSCARD=$py; break; fi
done
[ -n "$PYSCARD" ] || skip "pyscard is not installed (python3-pyscard, scripts/deps)"
if ! pcsc_env_isolate "$0" "$@" && pgrep -x pcscd >/dev/null; then
  skip "a pcscd is already running and no private mount namespace is possible"
fi

T=$(mktemp -d)
trap 'pcsc_env_stop; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; echo "--- emulator log"; tail -20 "$T"/emu.log 2>/dev/null; exit 1; }

pcsc_env_start "$T" "$EMU" || skip "pcscd did not start"
PORT=$PCSC_ENV_PORT
echo "pcscd up, vpcd on port $PORT"

start_emu() { # flash [extra args]
  local f=$1; shift
  pcsc_env_card "$T/$f" "$@" || fail "the card did not appear"
}

cd "$T"
# Vendor: keys, loader, chips, COS package, licences.
"$CHIP" keygen -o mk-des.hex
"$CHIP" keygen -o mk-aes.hex
"$CHIP" keygen -o image.hex
"$CHIP" loader --mk-des mk-des.hex --mk-aes mk-aes.hex -o loader.bin
UID_A=A0000000000000000001
UID_B=A0000000000000000002
UID_C=A0000000000000000003
UID_D=A0000000000000000004
UID_E=A0000000000000000005
for u in A B C D; do
  eval uid=\$UID_$u
  "$EMU" --flash chip$u.flash --provision-only --uid "$uid" --loader loader.bin --gaps
done
head -c 262144 /dev/urandom > cos.bin
"$CHIP" pack --cos cos.bin --image-key image.hex --rule progressive --seg-count 80 -o cos.pkg
mkdir lic
printf '%s\n%s\n' "$UID_A" "$UID_B" > uids.txt
"$CHIP" licence --pkg cos.pkg --image-key image.hex --master-key mk-aes.hex --uids uids.txt \
  --out-dir lic --budget 2 --counter budget.txt
if "$CHIP" licence --pkg cos.pkg --image-key image.hex --master-key mk-aes.hex --uid "$UID_C" \
     -o lic/$UID_C.lic --budget 2 --counter budget.txt 2>err.txt; then
  fail "a licence past the budget was issued"
fi
grep -q "budget of 2 exhausted" err.txt || fail "budget refusal not reported"
echo "ok: licence budget refuses a third chip"

# 1. A full factory run on chip A.
start_emu chipA.flash --gaps
"$CHIP" write --pkg cos.pkg --licence-dir lic --no-progress | tee out.txt
grep -q "chip $UID_A: OK" out.txt || fail "factory write of chip A"
echo "ok: chip A written through pcscd + vpcd"

# 2. The COS answers opensc-tool (a PC/SC client not written here).
opensc-tool -s 80CA000200 -s 00A404000AA0000006474D53434F53 -s 80CA000100 > os.txt 2>&1
cat os.txt
grep -A1 "80 CA 00 02 00" os.txt | grep -q "SW1=0x90" || fail "GET DATA mode"
grep -q "^5A 3C 02" os.txt || fail "chip A is not running its COS in user state"
grep -A1 "00 A4 04 00" os.txt | grep -q "SW1=0x90, SW2=0x00" || fail "SELECT COS"
grep -q "A0 00 00 00 00 00 00 00 00 01" os.txt || fail "serial"
echo "ok: opensc-tool talks to the COS"

# 2b. ISO 7816-4 cases 1-4, with and without Le, through three foreign clients.
# opensc-tool follows 61xx with GET RESPONSE and re-sends after 6Cxx by itself:
# the answers it ends with are the data.
AID=A0000006474D53434F53
opensc-tool -s 80CA0002 -s 80CA000205 -s 00A4040C0A$AID -s 00A404FF0A$AID > os3.txt 2>&1
cat os3.txt
grep -A1 -x "Sending: 80 CA 00 02 " os3.txt | sed -n 2p | grep -qx "Received (SW1=0x90, SW2=0x00)" \
  || fail "opensc-tool: case 1 GET DATA must bring no data (61 0B, then opensc's GET RESPONSE)"
grep -A2 -x "Sending: 80 CA 00 02 05 " os3.txt | grep -q "^5A 3C 02" \
  || fail "opensc-tool: case 2 with a short Le (6C 0B, sent again)"
grep -A1 "Sending: 00 A4 04 0C" os3.txt | grep -q "SW1=0x90, SW2=0x00" || fail "opensc-tool: SELECT P2 0C"
grep -A1 "Sending: 00 A4 04 FF" os3.txt | grep -q "SW1=0x6A, SW2=0x86" || fail "opensc-tool: SELECT P2 FF"
echo "ok: opensc-tool: 61xx, 6Cxx and SELECT P2 as ISO 7816-4 says"
# scriptor shows the card's answers raw. scr_expect FILE "> CMD" "< ANSWER"
scr_expect() {
  grep -A1 -x -F -- "$2" "$1" | sed -n 2p | grep -q -F -- "$3" \
    || fail "scriptor: $2 did not answer $3"
}
printf '%s\n' "80 CA 00 02" "00 C0 00 00 0B" "80 CA 00 02 05" "80 CA 00 02 0B" \
  "00 A4 04 FF 0A A0 00 00 06 47 4D 53 43 4F 53" "84 CA 00 01 00" | scriptor > scr1.txt 2>&1
cat scr1.txt
grep -q "Using T=1 protocol" scr1.txt || fail "pcscd did not pick T=1 for our ATR"
scr_expect scr1.txt "> 80 CA 00 02" "< 61 0B"
scr_expect scr1.txt "> 00 C0 00 00 0B" "< 5A 3C 02"
scr_expect scr1.txt "> 80 CA 00 02 05" "< 6C 0B"
scr_expect scr1.txt "> 80 CA 00 02 0B" "< 5A 3C 02"
scr_expect scr1.txt "> 00 A4 04 FF 0A A0 00 00 06 47 4D 53 43 4F 53" "< 6A 86"
scr_expect scr1.txt "> 84 CA 00 01 00" "< 6E 00"
echo "ok: scriptor over T=1: 61xx, GET RESPONSE, 6Cxx, 6A86, 6E00"
# pyscard: the protocol pcscd picks, then T=0 only and T=1 only.
"$PYSCARD" "$HERE/pcsc_iso7816.py" cos || fail "pyscard: ISO 7816-4 cases over T=0 and T=1"
echo "ok: pyscard: cases 1-4 with and without Le over T=0 and T=1"
# scriptor over T=0 (pyscard left the card powered off, so the protocol is
# negotiated again): a case 4 SELECT sent without Le as T=0 does, then
# GET RESPONSE for the FCI.
printf '%s\n' "00 A4 04 00 0A A0 00 00 06 47 4D 53 43 4F 53" "00 C0 00 00 0E" "80 CA 00 02" \
  "00 C0 00 00 0B" | scriptor -p T=0 > scr0.txt 2>&1
cat scr0.txt
grep -q "Using T=0 protocol" scr0.txt || fail "scriptor could not use T=0"
scr_expect scr0.txt "> 00 A4 04 00 0A A0 00 00 06 47 4D 53 43 4F 53" "< 61 0E"
scr_expect scr0.txt "> 00 C0 00 00 0E" "< 6F 0C 84 0A A0 00 00 06 47 4D 53 43 4F 53 90 00"
scr_expect scr0.txt "> 80 CA 00 02" "< 61 0B"
scr_expect scr0.txt "> 00 C0 00 00 0B" "< 5A 3C 02"
echo "ok: scriptor over T=0: 61xx and GET RESPONSE"

# 3. A plain download in COS mode is refused; the writer sees a COS chip.
opensc-tool -s 80D2000050"$(head -c 80 cos.pkg | od -An -tx1 | tr -d ' \n')" > os2.txt 2>&1
grep -q "SW1=0x6D, SW2=0x00" os2.txt || fail "DECRYPT in COS mode not refused with 6D00"
"$CHIP" write --pkg cos.pkg --licence-dir lic --no-progress > out2.txt
grep -q "chip $UID_A: OK - this COS is already installed" out2.txt || fail "same COS again"
head -c 4096 /dev/urandom > cos2.bin
"$CHIP" pack --cos cos2.bin --image-key image.hex --rule whole -o cos2.pkg
if "$CHIP" write --pkg cos2.pkg --licence-dir lic --no-progress > out2.txt; then
  fail "another COS was written over a COS chip"
fi
grep -q "already has a COS" out2.txt || fail "COS chip not reported"
echo "ok: plain download refused in COS mode"

# 4. Power cut in the middle of the download of chip B; the writer resumes.
start_emu chipB.flash --gaps --cut-after 120
"$CHIP" write --pkg cos.pkg --licence-dir lic --no-progress --retries 3 | tee out3.txt
grep -q "chip $UID_B: OK.*resumed 1 time" out3.txt || fail "resume after a power cut"
grep -q "power cut" emu.log || fail "no power cut happened"
echo "ok: power cut mid-download resumed"

# 5. Chip C has no licence of its own: chip B's licence is refused (6982).
start_emu chipC.flash --gaps
if "$CHIP" write --pkg cos.pkg --licence "lic/$UID_B.lic" --no-progress > out4.txt; then
  fail "chip C accepted chip B's licence"
fi
cat out4.txt
grep -q "FAILED at key diversify: 6982" out4.txt || fail "wrong SW for another chip's licence"
opensc-tool -s 80CA000200 2>&1 | grep -q "^A5 C3 01" || fail "chip C left loader mode"
echo "ok: another chip's licence refused, chip C still in loader mode"
"$PYSCARD" "$HERE/pcsc_iso7816.py" loader || fail "pyscard: the Loader OS's answers"
echo "ok: pyscard: the Loader OS honours Le and refuses GET DATA with CLA 84"

# 6. 84 DE: the vendor reloads the loader into chip A; A takes a new download.
start_emu chipA.flash --gaps
"$CHIP" reload --loader loader.bin --master-key mk-aes.hex --scp 03
opensc-tool -s 80CA000200 2>&1 | grep -q "^A5 C3 01" || fail "chip A not in loader mode after 84 DE"
"$CHIP" write --pkg cos.pkg --licence-dir lic --no-progress | grep -q "chip $UID_A: OK" \
  || fail "second download after the reload"
echo "ok: 84 DE loader reload and a new download"

# 7. The licence HSM as a card on reader slot 1, with a budget of one licence.
"$CHIP" hsm-init --flash hsm.flash --pkg cos.pkg --image-key image.hex --master-key mk-aes.hex \
  --budget 1
pcsc_env_hsm "$T/hsm.flash" || fail "the HSM card did not appear"
mkdir hsmlic
"$CHIP" licence --hsm-reader "Virtual PCD 00 01" --pkg cos.pkg --uid "$UID_D" \
  -o "hsmlic/$UID_D.lic" | tee hsm.txt
grep -q "1 issued of 1, 0 left" hsm.txt || fail "HSM budget report"
if "$CHIP" licence --hsm-reader "Virtual PCD 00 01" --pkg cos.pkg --uid "$UID_E" \
     -o "hsmlic/$UID_E.lic" 2>err.txt; then
  fail "the HSM issued past its budget"
fi
grep -q "budget used up" err.txt || fail "HSM refusal not reported"
start_emu chipD.flash --gaps
"$CHIP" write --pkg cos.pkg --licence-dir hsmlic --reader "Virtual PCD 00 00" --no-progress \
  | grep -q "chip $UID_D: OK" || fail "chip D with the HSM's licence"
echo "ok: licence HSM card issues within its budget only"

# 8. The same verbs through the meterseal CLI, when it is built.
if [ -n "$CLI" ] && [ -x "$CLI" ]; then
  "$CLI" chip info --reader "Virtual PCD 00 00" | tee info.txt
  grep -q "serial: $UID_D" info.txt || fail "meterseal chip info"
  echo "ok: meterseal chip info"
fi
echo "PASS"
