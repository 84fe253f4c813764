#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# shared_subscription.sh BUILD BACKEND - two meterseal-cloud instances on one
# MQTT 5 shared subscription ($share/ingest/...) split the load; killing one
# (kill -9) loses nothing: the meters' re-sends reach the survivor and every
# reading ends up stored exactly once.
source "$(dirname "$0")/e2e-lib.sh"
d=$MS_DIR
meters=40 readings=150 total=$((40 * 150))
"$MS_BIN_TESTMETER" fleet --mca "$d/mca" --db "$MS_DB" --out "$d/meters" --count $meters
ms_env_cloud_start a "$MS_DB" --no-http --log-level debug
ms_env_cloud_start b "$MS_DB" --no-http --log-level debug

stored_by() {   # INSTANCE -> readings it stored, from its batch log lines
  grep -o 'event=batch.stored n=[0-9]* stored=[0-9]*' "$d/$1.log" |
    awk -F'stored=' '{s += $2} END {print s + 0}'
}

e2e_publish "$d/meters" $meters $readings --window 8 --resend-after 2000 --deadline 120 \
  --acked "$d/acked" >"$d/publish.out" 2>&1 &
pub=$!
e2e_wait_acked "$d/acked" 1500
a=$(stored_by a) b=$(stored_by b)
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "the load was not shared (a stored $a, b stored $b)"
ok "both instances take readings from the shared subscription (a: $a, b: $b so far)"
ms_env_cloud_kill a KILL
wait $pub || { cat "$d/publish.out"; fail "not every reading was acknowledged after instance a died"; }
cat "$d/publish.out"
out=$("$MS_BIN_TESTMETER" check --db "$MS_DB" --acked "$d/acked" --expect $total) || fail "$out"
ok "instance a killed with kill -9, b carried on: $out"
echo "1 passed, 0 failed"
