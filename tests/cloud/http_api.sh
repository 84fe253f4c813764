#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# http_api.sh BUILD BACKEND - the HTTP API (docs/cloud.md §6) with curl: no
# anonymous access, viewer reads but cannot send commands, bad JSON is 400
# with a reason, registration through the API with a real attestation token
# (accepted once; wrong nonce, wrong CN refused with 422 and a reason), a
# command reaches the meter signed, readings and events are listed, cookie
# sessions need the CSRF token, oversized bodies are refused, an operator's
# new password or role ends their sessions, a request without a session
# keeps no body.
source "$(dirname "$0")/e2e-lib.sh"
d=$MS_DIR
M=$d/meters
mkdir -p "$M"
printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$MS_DB" --name alice --role operator >/dev/null
printf 'viewer-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$MS_DB" --name victor --role viewer >/dev/null
ms_env_cloud_start a "$MS_DB" --http 127.0.0.1:0
port=$(cat "$d/a.port")
api=http://127.0.0.1:$port/api/v1

# call METHOD PATH [BODY] [curl args...] -> "<status> <body>"
call() {
  local method=$1 path=$2 body=${3:-}
  shift 3 || shift $#
  local args=(-s -o "$d/body" -w '%{http_code}' -X "$method" "$@")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  local code
  code=$(curl "${args[@]}" "$api$path")
  echo "$code $(cat "$d/body")"
}
expect() {   # STATUS "<status> <body>" WHAT [TEXT]
  case "$2" in
    "$1"*) ;;
    *) fail "$3: expected $1, got: $2" ;;
  esac
  if [ -n "${4:-}" ] && ! grep -qF -- "$4" <<<"$2"; then fail "$3: '$4' missing in: $2"; fi
}
json() {   # FIELD "<status> <body>"
  python3 -c 'import json,sys; print(json.loads(sys.argv[2].split(" ",1)[1])[sys.argv[1]])' "$1" "$2"
}

expect 401 "$(call GET /meters)" "anonymous GET" "log in"
expect 401 "$(call POST /provision/nonce '{}')" "anonymous POST"
expect 401 "$(call GET /meters '' -H 'Authorization: Bearer 00')" "malformed token"
expect 401 "$(call GET /meters '' -H "Authorization: Bearer $(printf '%064d' 0)")" "unknown token"
expect 401 "$(call POST /login '{"name":"alice","password":"wrong-pass"}')" "wrong password"
expect 401 "$(call POST /login '{"name":"mallory","password":"operator-pass-1"}')" "unknown operator"
ok "no anonymous access, wrong credentials refused"

expect 400 "$(call POST /login '{"name":"alice",')" "truncated JSON" "malformed JSON"
expect 400 "$(call POST /login '["alice"]')" "not an object" "not a JSON object"
expect 400 "$(call POST /login '{"name":"alice","password":"x","admin":true}')" "unknown member" "unknown member 'admin'"
expect 400 "$(call POST /login '{"name":"alice","name":"bob","password":"x"}')" "duplicate member" "malformed JSON"
expect 400 "$(call POST /login '{"name":7,"password":"x"}')" "wrong type" "must be a string"
ok "bad JSON: 400 with a reason"

# Login only with a JSON body (no cross-site form logs a browser in), and a
# body over the bound is 413.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
  --data '{"name":"alice","password":"operator-pass-1"}' "$api/login")
[ "$code" = 415 ] || fail "a text/plain login: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json; charset=utf-8' \
  --data '{"name":"alice","password":"operator-pass-1"}' "$api/login")
[ "$code" = 200 ] || fail "a JSON login with a charset: $code"
head -c 20000 /dev/zero | tr '\0' 'a' >"$d/big"
expect 413 "$(call POST /login '' --data-binary @"$d/big" -H 'Content-Type: application/json')" "oversized login"
ok "login: JSON only (415 otherwise), oversized 413"

r=$(call POST /login '{"name":"victor","password":"viewer-pass-1"}')
expect 200 "$r" "viewer login"
viewer=(-H "Authorization: Bearer $(json token "$r")")
r=$(call POST /login '{"name":"alice","password":"operator-pass-1"}' -c "$d/cookies")
expect 200 "$r" "operator login" '"role":"operator"'
op=(-H "Authorization: Bearer $(json token "$r")")
csrf=$(json csrf "$r")
expect 200 "$(call GET /meters '' "${viewer[@]}")" "viewer lists meters" '"meters":[]'
expect 403 "$(call POST /provision/nonce '{}' "${viewer[@]}")" "viewer nonce" "operator role"
ok "viewer reads; viewer cannot ask for nonces"

# Registration: nonce, CSR, manufacturer CA, token from a simulated TEE.
reg() {   # ID NONCE CERT -> request body
  local t iak tok
  t=$("$MS_BIN_TESTMETER" token --nonce "$2" --cert "$3")
  iak=$(sed -n 's/^IAK=//p' <<<"$t"); tok=$(sed -n 's/^TOKEN=//p' <<<"$t")
  python3 -c 'import json,sys; print(json.dumps({"meter_id":sys.argv[1],"cert_pem":open(sys.argv[2]).read(),"iak_pub_hex":sys.argv[3],"token_hex":sys.argv[4],"nonce_hex":sys.argv[5]}))' \
    "$1" "$3" "$iak" "$tok" "$2"
}
e2e_csr m-000100 "$M"
"$MS_BIN_CA" ca sign-csr --dir "$d/mca" --csr "$M/m-000100.csr" --out "$M/m-000100.pem" >/dev/null
n1=$(json nonce "$(call POST /provision/nonce '{}' "${op[@]}")")
n2=$(json nonce "$(call POST /provision/nonce '{}' "${op[@]}")")
body=$(reg m-000100 "$n1" "$M/m-000100.pem")
bad_nonce=$(python3 -c 'import json,sys; b=json.loads(sys.argv[1]); b["nonce_hex"]=sys.argv[2]; print(json.dumps(b))' "$body" "$n2")
expect 422 "$(call POST /meters "$bad_nonce" "${op[@]}")" "token for another nonce" "challenge"
wrong_cn=$(python3 -c 'import json,sys; b=json.loads(sys.argv[1]); b["meter_id"]="m-000101"; print(json.dumps(b))' "$body")
expect 422 "$(call POST /meters "$wrong_cn" "${op[@]}")" "wrong CN" "certificate"
expect 403 "$(call POST /meters "$body" "${viewer[@]}")" "viewer registers"
expect 201 "$(call POST /meters "$body" "${op[@]}")" "registration" '"meter_id":"m-000100"'
expect 409 "$(call POST /meters "$body" "${op[@]}")" "registered twice"
expect 200 "$(call GET /meters/m-000100 '' "${viewer[@]}")" "meter" '"readings":0'
ok "registration through the API: accepted once; wrong nonce and wrong CN refused with 422"

# The registered meter sends readings (its own key and certificate).
e2e_publish "$M" 1 5 --prefix m- --first 100 >/dev/null || fail "meter m-000100 publishing"
r=$(call GET '/meters/m-000100/readings?from=0&limit=3' '' "${viewer[@]}")
expect 200 "$r" "readings"
[ "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1].split(" ",1)[1])["readings"]))' "$r")" = 3 ] ||
  fail "limit=3 gave: $r"
expect 400 "$(call GET '/meters/m-000100/readings?limit=-1' '' "${viewer[@]}")" "bad query" "limit"
expect 400 "$(call GET '/meters?limit=5%00abc' '' "${viewer[@]}")" "NUL in a query value" "NUL"
expect 400 "$(call GET '/meters?li%00x=5' '' "${viewer[@]}")" "NUL in a query key" "NUL"
expect 400 "$(call GET '/meters/m_bad/readings' '' "${viewer[@]}")" "bad meter id" "meter id"
expect 404 "$(call GET '/meters/m-999999' '' "${viewer[@]}")" "unknown meter"
ok "readings listed with limits; bad query parameters 400"

# Commands: viewer refused, operator's command is signed and reaches the meter.
mosquitto_sub -h localhost -p "$MS_MQTT_PORT" --cafile "$d/cca/ca.pem" --cert "$M/m-000100.pem" \
  --key "$M/m-000100.key" -i m-000100 -q 1 -t 'ms/v1/m-000100/down/cmd' -C 1 -W 15 -F '%x' \
  >"$d/cmd.hex" 2>/dev/null & sub=$!
sleep 1
expect 403 "$(call POST /meters/m-000100/commands '{"type":"topup","amount_milli":5000}' "${viewer[@]}")" \
  "viewer command" "operator role"
expect 400 "$(call POST /meters/m-000100/commands '{"type":"topup","amount_milli":-5}' "${op[@]}")" \
  "negative amount" "amount_milli"
expect 400 "$(call POST /meters/m-000100/commands '{"type":"explode"}' "${op[@]}")" "unknown type" "type must be"
expect 202 "$(call POST /meters/m-000100/commands '{"type":"topup","amount_milli":5000}' "${op[@]}")" \
  "operator command" '"cmd_seq":1'
wait $sub || fail "the meter did not receive the command"
python3 - "$d/cmd.hex" <<'PY' || fail "command payload"
import sys
b = bytes.fromhex(open(sys.argv[1]).read().strip())
assert b[0] == 0xd2 and b[1:6] == bytes.fromhex("8443a10126"), b[:8].hex()
assert b"m-000100" in b
PY
expect 200 "$(call GET /meters/m-000100/commands/1 '' "${viewer[@]}")" "command status" '"amount_milli":5000'
ok "viewer cannot send commands; operator's command is recorded and published as COSE_Sign1"

# Cookie session (for the dashboard): state-changing requests need X-CSRF-Token.
expect 403 "$(call POST /provision/nonce '{}' -b "$d/cookies")" "cookie without CSRF" "X-CSRF-Token"
expect 201 "$(call POST /provision/nonce '{}' -b "$d/cookies" -H "X-CSRF-Token: $csrf")" "cookie with CSRF"
expect 200 "$(call GET /meters '' -b "$d/cookies")" "cookie GET"
ok "cookie sessions: GET works, POST needs the CSRF token"

expect 413 "$(call POST /meters/m-000100/commands '' "${op[@]}" --data-binary @"$d/big")" "oversized body"
expect 200 "$(call GET /meters/m-000100/events '' "${viewer[@]}")" "events" '"events"'
expect 204 "$(call POST /logout '' "${op[@]}")" "logout"
expect 401 "$(call GET /meters '' "${op[@]}")" "token after logout"
# A request without a session keeps no body byte: 16 anonymous uploads of
# almost 2 MiB each, held open, must not grow the service (it kept them all).
pid=${MS_CLOUD_PID[a]}
grow=$(python3 - "$port" "$pid" <<'PY'
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
before = rss()
socks, size = [], 2 * 1024 * 1024
for _ in range(16):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST /api/v1/firmware HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
    s.sendall(b"a" * (size - 1))
    socks.append(s)
time.sleep(1)
print(rss() - before)
for s in socks:
    s.close()
PY
)
[ "$grow" -lt 8192 ] || fail "anonymous bodies were kept: the service grew by $grow KiB"
expect 401 "$(call POST /firmware '' --data-binary @"$d/big")" "anonymous upload"

# A new password or role ends the operator's sessions at once.
r=$(call POST /login '{"name":"alice","password":"operator-pass-1"}')
expect 200 "$r" "operator login again"
op=(-H "Authorization: Bearer $(json token "$r")")
expect 200 "$(call GET /meters '' "${op[@]}")" "operator GET"
# No signed command for a meter whose certificate is revoked.
"$MS_BIN_CA" ca revoke --dir "$d/mca" --cert "$M/m-000100.pem" >/dev/null
ms_env_crls
ms_env_broker_reload
expect 409 "$(call POST /meters/m-000100/commands '{"type":"topup","amount_milli":5000}' "${op[@]}")" \
  "command to a revoked meter" "revoked"
# ... also for a request whose headers arrived before: its body comes after
status=$(python3 - "$port" "${op[1]#Authorization: Bearer }" "$MS_BIN_CLOUD" "$MS_DB" <<'PY'
import socket, subprocess, sys
port, token, cloud, db = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("POST /api/v1/provision/nonce HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n" % token).encode())
subprocess.run([cloud, "operator", "--db", db, "--name", "alice", "--role", "viewer"],
               input=b"operator-pass-2\n", stdout=subprocess.DEVNULL, check=True)
s.sendall(b"{}")
print(s.recv(64).split()[1].decode())
PY
)
[ "$status" = 401 ] || fail "a request begun before the operator changed was answered $status"
expect 401 "$(call GET /meters '' "${op[@]}")" "token after the operator changed"
expect 401 "$(call POST /provision/nonce '{}' "${op[@]}")" "old role after the operator changed"
grep -q 'event=http.request' "$d/a.log" || fail "no structured request log"
# headers over the connection's memory: libmicrohttpd answers 431 itself, and it is logged
big=$(head -c 70000 /dev/zero | tr '\0' a)
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$api/meters")" = 431 ] || fail "no 431"
sleep 0.2
grep -q 'event=http.library message=.*431' "$d/a.log" || fail "a 431 is not logged"
if grep -q -e operator-pass-1 -e "$csrf" "$d/a.log"; then fail "a secret is in the log"; fi
ok "oversized body 413 and headers 431 (logged), events, logout, sessions end with a new password or role; passwords and tokens never logged"
echo "1 passed, 0 failed"
