#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# broker_clients.sh BUILD BACKEND - the broker with real clients
# (docs/cloud.md §3-§4): mosquitto_pub/mosquitto_sub with a meter's
# certificate work within that meter's topics only; TLS with no certificate,
# the wrong CA's certificate, another manufacturer CA's, an expired and a
# revoked meter certificate is refused (openssl s_client and mosquitto_pub);
# a packet over 2 KiB never reaches the service.
source "$(dirname "$0")/e2e-lib.sh"
d=$MS_DIR
M=$d/meters
mkdir -p "$M"
"$MS_BIN_TESTMETER" fleet --mca "$d/mca" --db "$MS_DB" --out "$M" --count 2
ms_env_cloud_start a "$MS_DB" --no-http

# Certificates that must not get in: expired, revoked, another manufacturer CA.
now=$(date +%s)
e2e_csr m-000003 "$M"; e2e_csr m-000004 "$M"; e2e_csr m-000005 "$M"
"$MS_BIN_CA" ca sign-csr --dir "$d/mca" --csr "$M/m-000003.csr" --out "$M/m-000003.pem" \
  --not-before $((now - 86400 * 10)) --not-after $((now - 86400)) >/dev/null
"$MS_BIN_CA" ca sign-csr --dir "$d/mca" --csr "$M/m-000004.csr" --out "$M/m-000004.pem" >/dev/null
cp "$d/mca.crl" "$d/mca.crl.first"
"$MS_BIN_CA" ca revoke --dir "$d/mca" --cert "$M/m-000004.pem" >/dev/null
ms_env_crls
# The service reads the CRL again on SIGHUP (it refuses a revoked meter's
# messages even on a session the broker keeps); a bad or older one leaves
# the list it has.
wait_log() {   # TEXT: up to 5 s for it in the service's log
  for _ in $(seq 50); do grep -q "$1" "$d/a.log" && return 0; sleep 0.1; done
  return 1
}
kill -HUP "${MS_CLOUD_PID[a]}"
wait_log "event=crl.loaded revoked=1" || fail "the service did not read the new CRL"
cp "$d/mca.crl" "$d/mca.crl.good"
echo "not a CRL" >"$d/mca.crl"
kill -HUP "${MS_CLOUD_PID[a]}"
wait_log "event=crl.refused err=MS_ERR_FORMAT kept=1" || fail "a bad CRL was not refused"
cp "$d/mca.crl.first" "$d/mca.crl"   # the CA's own, but older: it would un-revoke m-000004
kill -HUP "${MS_CLOUD_PID[a]}"
wait_log "event=crl.refused err=MS_ERR_STATE kept=1" || fail "an older CRL was not refused"
mv "$d/mca.crl.good" "$d/mca.crl"
kill -0 "${MS_CLOUD_PID[a]}" || fail "the service stopped on SIGHUP"
"$MS_BIN_CA" ca init --dir "$d/other" --cn "MeterSeal manufacturer CA" >/dev/null
"$MS_BIN_CA" ca sign-csr --dir "$d/other" --csr "$M/m-000005.csr" --out "$M/m-000005.pem" >/dev/null
# the CRL is read when a listener starts: restart the broker on the same ports
subs=$(grep -c "mqtt.subscribed granted=1" "$d/a.log")
kill "$MS_BROKER_PID"; wait "$MS_BROKER_PID" 2>/dev/null || true
mosquitto -c "$d/mosquitto.conf" >>"$d/mosquitto.out" 2>&1 &
MS_BROKER_PID=$!; MS_PIDS+=("$MS_BROKER_PID")
ms_wait_port "$MS_MQTT_PORT"
for _ in $(seq 100); do
  [ "$(grep -c "mqtt.subscribed granted=1" "$d/a.log")" -gt "$subs" ] && break
  sleep 0.1
done
[ "$(grep -c "mqtt.subscribed granted=1" "$d/a.log")" -gt "$subs" ] || fail "the service did not come back"

tls() {   # CERT KEY -> prints the handshake outcome (TLS 1.2 so a refused certificate ends the handshake)
  timeout 10 openssl s_client -connect "127.0.0.1:$MS_MQTT_PORT" -tls1_2 -brief \
    -CAfile "$d/cca/ca.pem" -verify_return_error ${1:+-cert "$1" -key "$2"} </dev/null 2>&1 || true
}
pub() {   # ID CERT KEY TOPIC FILE
  timeout 15 mosquitto_pub -h localhost -p "$MS_MQTT_PORT" --cafile "$d/cca/ca.pem" \
    --cert "$2" --key "$3" -i "$1" -q 1 -t "$4" -f "$5" 2>&1
}
sub() {   # ID CERT KEY TOPIC SECONDS OUT
  mosquitto_sub -h localhost -p "$MS_MQTT_PORT" --cafile "$d/cca/ca.pem" --cert "$2" --key "$3" \
    -i "$1" -q 1 -t "$4" -W "$5" -C 1 -F '%x' >"$6" 2>/dev/null
}
rr() {   # ID FILE OUT: publish a reading as meter ID and receive its acknowledgement
  # The broker forces client id = CN, so a meter has one connection: like a
  # sleeping meter, the subscription lives in a persistent session (-c) that
  # holds the acknowledgement until mosquitto_sub comes back for it. As the
  # contract says, a reading with no acknowledgement is sent again.
  local args=(-h localhost -p "$MS_MQTT_PORT" --cafile "$d/cca/ca.pem" --cert "$M/$1.pem"
              --key "$M/$1.key" -i "$1" -q 1 -c)
  mosquitto_sub "${args[@]}" -t "ms/v1/$1/down/ack" -W 1 >/dev/null 2>&1 || true
  for _ in 1 2 3; do
    timeout 15 mosquitto_pub "${args[@]}" -t "ms/v1/$1/up/reading" -f "$2" || return 1
    mosquitto_sub "${args[@]}" -t "ms/v1/$1/down/ack" -C 1 -W 5 -F '%x' >"$3" 2>/dev/null || true
    [ -s "$3" ] && return 0
  done
  return 1
}

# A meter's own certificate: the handshake completes.
tls "$M/m-000001.pem" "$M/m-000001.key" | grep -q "CONNECTION ESTABLISHED" ||
  fail "s_client with the meter's certificate"
ok "openssl s_client with a meter certificate connects"
for bad in "" "$d/cloud.pem $d/cloud.key" "$M/m-000005.pem $M/m-000005.key" \
           "$M/m-000003.pem $M/m-000003.key" "$M/m-000004.pem $M/m-000004.key"; do
  set -- $bad
  out=$(tls "${1:-}" "${2:-}")
  if echo "$out" | grep -q "CONNECTION ESTABLISHED"; then
    fail "s_client got in with '${1:-no certificate}'"
  fi
done
ok "openssl s_client refused: no certificate, cloud CA's, another manufacturer CA's, expired, revoked"

"$MS_BIN_TESTMETER" sign --key "$M/m-000001.key" --id m-000001 --seq 1 --energy 42 --out "$d/r1.cose"
"$MS_BIN_TESTMETER" sign --key "$M/m-000002.key" --id m-000002 --seq 1 --energy 7 --out "$d/r2.cose"
for id in m-000003 m-000004 m-000005; do
  if pub "$id" "$M/$id.pem" "$M/$id.key" "ms/v1/$id/up/reading" "$d/r1.cose" >/dev/null; then
    fail "mosquitto_pub with the certificate of $id got through"
  fi
done
ok "mosquitto_pub refused with expired, revoked and foreign-CA certificates"

"$MS_BIN_TESTMETER" sign --key "$M/m-000002.key" --id m-000002 --seq 2 --energy 8 --out "$d/r2b.cose"

# m-000002 gets its acknowledgement; m-000001 listening on m-000002's down/ topic gets nothing.
sub m-000001 "$M/m-000001.pem" "$M/m-000001.key" "ms/v1/m-000002/down/#" 6 "$d/spy-down" & spy=$!
sleep 1
rr m-000002 "$d/r2.cose" "$d/ack2" || fail "no acknowledgement for m-000002"
wait $spy || true
xxd -r -p "$d/ack2" >"$d/ack2.bin"
"$MS_BIN_TESTMETER" verify-ack --cmd-pub "$MS_DIR/command.pub" --id m-000002 --seq 1 --in "$d/ack2.bin" ||
  fail "the acknowledgement does not verify with the cloud command key"
ok "mosquitto_pub/mosquitto_sub as m-000002: reading stored, acknowledgement signed by the command key"
[ ! -s "$d/spy-down" ] || fail "m-000001 received m-000002's messages"
ok "ACL: m-000001 cannot read m-000002's down/ topics"

# m-000001 on its own topic works; on m-000002's topic its publish is dropped.
pub m-000001 "$M/m-000001.pem" "$M/m-000001.key" "ms/v1/m-000002/up/reading" "$d/r2b.cose" >/dev/null || true
rr m-000001 "$d/r1.cose" "$d/ack1" || fail "no acknowledgement for m-000001"
xxd -r -p "$d/ack1" >"$d/ack1.bin"
"$MS_BIN_TESTMETER" verify-ack --cmd-pub "$MS_DIR/command.pub" --id m-000001 --seq 1 --in "$d/ack1.bin" ||
  fail "m-000001's acknowledgement"
sleep 1
printf 'm-000001 1\nm-000002 1\n' >"$d/expected"
out=$("$MS_BIN_TESTMETER" check --db "$MS_DB" --acked "$d/expected" --expect 2) ||
  fail "database after the cross-topic publish: $out"
ok "ACL: m-000001 cannot publish on m-000002's topics (m-000002 seq 2 never arrived)"

# m-000001 subscribing to every meter's up/ topics sees nothing.
sub m-000001 "$M/m-000001.pem" "$M/m-000001.key" "ms/v1/+/up/#" 5 "$d/spy-up" & spy=$!
sleep 1
pub m-000002 "$M/m-000002.pem" "$M/m-000002.key" "ms/v1/m-000002/up/reading" "$d/r2.cose" >/dev/null ||
  fail "mosquitto_pub of m-000002"
wait $spy || true
[ ! -s "$d/spy-up" ] || fail "m-000001 read another meter's up/ topic"
ok "ACL: a meter cannot subscribe to other meters' readings"

# No packet over 2 KiB (max_packet_size): the broker drops the client, the
# service never sees the message.
head -c 3000 /dev/zero | tr '\0' 'a' >"$d/big"
rejected=$(grep -c "event=message.rejected" "$d/a.log" || true)
drops=$(grep -c "event=mqtt.disconnected" "$d/a.log" || true)
if pub m-000001 "$M/m-000001.pem" "$M/m-000001.key" "ms/v1/m-000001/up/reading" "$d/big" >/dev/null; then
  fail "a 3,000-byte publish was accepted"
fi
sleep 1
[ "$(grep -c "event=message.rejected" "$d/a.log" || true)" = "$rejected" ] ||
  fail "the service received the oversized message"
[ "$(grep -c "event=mqtt.disconnected" "$d/a.log" || true)" = "$drops" ] ||
  fail "the service lost its connection"
ok "a packet over 2 KiB is refused at the broker"
echo "1 passed, 0 failed"
