# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# pcsc-env.sh - sourced (not run) by the scripts that put the chip emulator
# behind a real PC/SC stack: tests/chip/pcsc-e2e.sh, bench/chip/pcsc-install.sh
# and scripts/demo. It starts a private pcscd with Debian's vsmartcard vpcd
# driver on a random free port pair (checked to be its own: several
# developers may run these at once), waits for the "Virtual PCD" reader, and
# starts meterseal-chip-emu as the card (reader slot 0) or the licence HSM
# (slot 1).
#
# Invariants: a system pcscd is never touched. pcscd's socket path is fixed
# (/run/pcscd), so callers first re-run themselves in a private mount
# namespace (pcsc_env_isolate); a tmpfs is then mounted over /run/pcscd inside
# it only. Every process started here is recorded and stopped by
# pcsc_env_stop, which callers run from their EXIT trap (also on failure).
#
#   pcsc_env_check                    why PC/SC is unusable (returns 1), or nothing
#   pcsc_env_isolate SCRIPT ARGS...   re-exec SCRIPT in a private mount namespace
#   pcsc_env_start DIR EMU            pcscd + vpcd, config and logs in DIR
#   pcsc_env_card FLASH [EMU ARGS]    (re)start the card on slot 0, wait for its ATR
#   pcsc_env_card_off                 take the card out of slot 0
#   pcsc_env_hsm FLASH                start the licence HSM card on slot 1
#   pcsc_env_stop                     stop the cards and pcscd
#
# After pcsc_env_start: PCSC_ENV_PORT (vpcd port of slot 0), PCSC_ENV_DIR.

PCSC_ENV_VPCD=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
PCSC_ENV_DIR=
PCSC_ENV_EMU=
PCSC_ENV_PORT=
PCSC_ENV_PCSCD_PID=
PCSC_ENV_CARD_PID=
PCSC_ENV_HSM_PID=

# pcsc_env_check: print what is missing and return 1, or return 0.
pcsc_env_check() {
  if ! command -v pcscd >/dev/null; then
    echo "pcscd is not installed (scripts/deps)"; return 1
  fi
  if [ ! -f "$PCSC_ENV_VPCD" ]; then
    echo "vsmartcard-vpcd is not installed (scripts/deps)"; return 1
  fi
  if ! command -v opensc-tool >/dev/null; then
    echo "opensc-tool is not installed (scripts/deps)"; return 1
  fi
  if ! command -v ss >/dev/null; then
    echo "ss is not installed (iproute2, scripts/deps)"; return 1
  fi
  return 0
}

# pcsc_env_isolate SCRIPT ARGS...: unless already inside one, exec SCRIPT again
# in a private mount namespace (MS_PCSC_PRIVATE_NS=1 marks it). Returns 1 when
# no namespace can be made (not root); returns 0 when already inside.
pcsc_env_isolate() {
  [ -n "${MS_PCSC_PRIVATE_NS:-}" ] && return 0
  unshare --mount --propagation private true 2>/dev/null || return 1
  exec unshare --mount --propagation private env MS_PCSC_PRIVATE_NS=1 bash "$@"
}

# pcsc_env_stop_pid PID: TERM, then KILL if it lingers.
pcsc_env_stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || return 0
  local _
  for _ in $(seq 20); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# pcsc_env_ports_free PORT: nothing listens on PORT or PORT + 1 (any address).
pcsc_env_ports_free() {
  ! ss -Hltn "( sport = :$1 or sport = :$(($1 + 1)) )" | grep -q .
}

# pcsc_env_ports_ours PORT: our pcscd (vpcd runs inside it) is what listens
# on PORT and on PORT + 1.
pcsc_env_ports_ours() {
  local p
  for p in "$1" $(($1 + 1)); do
    ss -Hltnp "sport = :$p" | grep -q "pid=$PCSC_ENV_PCSCD_PID," || return 1
  done
}

# pcsc_env_start DIR EMU: our own pcscd with the vpcd reader on a random port
# (slot 0 = port, slot 1 = port + 1). EMU is meterseal-chip-emu. Other
# developers' pcscd/vpcd (or anything else) may hold ports on this machine:
# a port pair is used only if nothing listens on it, and only once our
# pcscd is seen listening on both (vpcd's bind can lose a race); otherwise
# pcscd is stopped and another pair tried, 5 times. Returns 1 (pcscd log on
# stdout) if no pair worked.
pcsc_env_start() {
  PCSC_ENV_DIR=$1
  PCSC_ENV_EMU=$2
  if [ -n "${MS_PCSC_PRIVATE_NS:-}" ] && ! mountpoint -q /run/pcscd; then
    mkdir -p /run/pcscd
    mount -t tmpfs tmpfs /run/pcscd
  fi
  mkdir -p "$PCSC_ENV_DIR/pcsc-conf"
  local _ try
  for try in 1 2 3 4 5; do
    PCSC_ENV_PORT=$((20000 + RANDOM % 20000))
    pcsc_env_ports_free "$PCSC_ENV_PORT" || continue
    printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:%s\nLIBPATH      %s\nCHANNELID    %s\n' \
      "$PCSC_ENV_PORT" "$PCSC_ENV_VPCD" "$PCSC_ENV_PORT" >"$PCSC_ENV_DIR/pcsc-conf/vpcd"
    pcscd --foreground -c "$PCSC_ENV_DIR/pcsc-conf" >"$PCSC_ENV_DIR/pcscd.log" 2>&1 &
    PCSC_ENV_PCSCD_PID=$!
    for _ in $(seq 50); do
      if opensc-tool -l 2>/dev/null | grep -q "Virtual PCD"; then
        pcsc_env_ports_ours "$PCSC_ENV_PORT" && return 0
        break
      fi
      sleep 0.2
    done
    echo "pcsc-env: vpcd could not have ports $PCSC_ENV_PORT/$((PCSC_ENV_PORT + 1)) (try $try)" >&2
    pcsc_env_stop_pid "$PCSC_ENV_PCSCD_PID"
    PCSC_ENV_PCSCD_PID=
  done
  cat "$PCSC_ENV_DIR/pcscd.log"
  return 1
}

# pcsc_env_card FLASH [ARGS...]: (re)start the emulator on FLASH as the card
# in slot 0 (log: DIR/emu.log) and wait until it answers with its ATR.
# Returns 1 if it does not appear within 5 s.
pcsc_env_card() {
  local _ f=$1
  shift
  pcsc_env_card_off
  "$PCSC_ENV_EMU" --flash "$f" --port "$PCSC_ENV_PORT" "$@" >"$PCSC_ENV_DIR/emu.log" 2>&1 &
  PCSC_ENV_CARD_PID=$!
  for _ in $(seq 50); do
    opensc-tool -a >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# pcsc_env_card_off: stop the card in slot 0, if any, and wait until the
# reader has seen it go (so the next card is seen as a new one).
pcsc_env_card_off() {
  local _
  [ -n "$PCSC_ENV_CARD_PID" ] || return 0
  pcsc_env_stop_pid "$PCSC_ENV_CARD_PID"
  PCSC_ENV_CARD_PID=
  for _ in $(seq 50); do opensc-tool -a >/dev/null 2>&1 || break; sleep 0.1; done
}

# pcsc_env_hsm FLASH: start the licence HSM card (meterseal-chip-emu --hsm) on
# reader slot 1 (log: DIR/hsm.log); returns 1 if it does not appear in 5 s.
pcsc_env_hsm() {
  local _
  "$PCSC_ENV_EMU" --hsm --flash "$1" --port $((PCSC_ENV_PORT + 1)) >"$PCSC_ENV_DIR/hsm.log" 2>&1 &
  PCSC_ENV_HSM_PID=$!
  for _ in $(seq 50); do
    opensc-tool -r 1 -a >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# pcsc_env_stop: stop the HSM card, the card and pcscd (safe to call twice).
pcsc_env_stop() {
  pcsc_env_stop_pid "$PCSC_ENV_HSM_PID"
  pcsc_env_stop_pid "$PCSC_ENV_CARD_PID"
  pcsc_env_stop_pid "$PCSC_ENV_PCSCD_PID"
  PCSC_ENV_HSM_PID='' PCSC_ENV_CARD_PID='' PCSC_ENV_PCSCD_PID=''
}
