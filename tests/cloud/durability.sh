#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# durability.sh BUILD BACKEND - kill -9 of the cloud service under load, then
# a restart: every reading a meter got an acknowledgement for is in the
# database (counted one by one), and after the meters' re-sends every
# reading is stored exactly once.
source "$(dirname "$0")/e2e-lib.sh"
d=$MS_DIR
meters=50 readings=200 total=$((50 * 200))
"$MS_BIN_TESTMETER" fleet --mca "$d/mca" --db "$MS_DB" --out "$d/meters" --count $meters
ms_env_cloud_start a "$MS_DB" --no-http

e2e_publish "$d/meters" $meters $readings --window 8 --resend-after 2000 --deadline 120 \
  --acked "$d/acked" >"$d/publish.out" 2>&1 &
pub=$!
# kill -9 while readings flow: after some were acknowledged, long before all were
e2e_wait_acked "$d/acked" 1500
ms_env_cloud_kill a KILL
sleep 0.3   # acknowledgements already on their way arrive; no new ones can
cp "$d/acked" "$d/acked-at-kill"
at_kill=$(wc -l <"$d/acked-at-kill")
[ "$at_kill" -ge 1 ] && [ "$at_kill" -lt $total ] || fail "kill -9 not under load ($at_kill acked)"
out=$("$MS_BIN_TESTMETER" check --db "$MS_DB" --acked "$d/acked-at-kill") ||
  fail "acknowledged readings missing right after kill -9: $out"
ok "kill -9 with $at_kill of $total readings acknowledged: every one of them is stored ($out)"

sleep 1
ms_env_cloud_start a "$MS_DB" --no-http
wait $pub || { cat "$d/publish.out"; fail "the meters did not get every reading acknowledged"; }
cat "$d/publish.out"
out=$("$MS_BIN_TESTMETER" check --db "$MS_DB" --acked "$d/acked" --expect $total) ||
  fail "after restart: $out"
ok "after restart and re-sends: $out (each reading stored once)"
echo "1 passed, 0 failed"
