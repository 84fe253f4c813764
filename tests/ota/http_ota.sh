#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# http_ota.sh BUILD BACKEND - the update API (docs/ota.md section 5) with
# curl against a running meterseal-cloud: firmware upload through the API
# (an image from `meterseal sign --encrypt`; refused: not an image, another
# key, a downgrade; the same image stored once) and through the CLI;
# campaigns created, listed, shown with their waves and meters, listings in
# pages (cursor, limit, a campaign's meters by state and wave), started,
# paused, resumed, cancelled (illegal transitions 409); a viewer reads but
# cannot upload or start; a cookie session needs the CSRF token; the audit
# names who did what; meters carry their update fields.
source "$(dirname "$0")/../cloud/e2e-lib.sh"
d=$MS_DIR
M=$d/meters
mkdir -p "$M"
S=$MS_BIN_CA
printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$MS_DB" --name alice --role operator >/dev/null
printf 'viewer-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$MS_DB" --name victor --role viewer >/dev/null
"$MS_BIN_TESTMETER" fleet --mca "$d/mca" --db "$MS_DB" --out "$M" --count 5 >/dev/null
"$MS_BIN_CLOUD" group --db "$MS_DB" --meter "$(ls "$M" | sed -n 's/\.key$//p' | head -1)" --group north >/dev/null

# keys and images
"$S" keygen -k "$d/vendor.key" >/dev/null
"$S" keygen -k "$d/other.key" >/dev/null
"$S" keygen -k "$d/enc.key" --enc >/dev/null
"$S" getpub -k "$d/vendor.key" -o "$d/vendor.pub" >/dev/null
"$S" getpub -k "$d/enc.key" -o "$d/enc.pub" >/dev/null
head -c 40000 /dev/urandom >"$d/fw.bin"
sign() {   # KEY VERSION COUNTER OUT
  "$S" sign -k "$1" --header-size 0x200 --pad-header --align 8 --version "$2" \
    --security-counter "$3" --encrypt "$d/enc.pub" "$d/fw.bin" "$4" >/dev/null
}
sign "$d/vendor.key" 1.2.0 3 "$d/v12.img"
sign "$d/vendor.key" 1.3.0 4 "$d/v13.img"
sign "$d/vendor.key" 1.1.0 2 "$d/v11.img"
sign "$d/other.key" 1.4.0 5 "$d/other.img"

ms_env_cloud_start a "$MS_DB" --http 127.0.0.1:0 --vendor-key "$d/vendor.pub"
port=$(cat "$d/a.port")
api=http://127.0.0.1:$port/api/v1

call() {   # METHOD PATH [BODY] [curl args...] -> "<status> <body>"
  local method=$1 path=$2 body=${3:-}
  shift 3 || shift $#
  local args=(-s -o "$d/body" -w '%{http_code}' -X "$method" "$@")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  echo "$(curl "${args[@]}" "$api$path") $(cat "$d/body")"
}
upload() {   # FILE [curl args...]
  local f=$1
  shift
  echo "$(curl -s -o "$d/body" -w '%{http_code}' -X POST -H 'Content-Type: application/octet-stream' \
    --data-binary "@$f" "$@" "$api/firmware") $(cat "$d/body")"
}
expect() {   # STATUS "<status> <body>" WHAT [TEXT]
  case "$2" in
    "$1"*) ;;
    *) fail "$3: expected $1, got: $2" ;;
  esac
  if [ -n "${4:-}" ] && ! grep -qF -- "$4" <<<"$2"; then fail "$3: '$4' missing in: $2"; fi
}
json() {   # EXPR "<status> <body>": a Python expression over j
  python3 -c 'import json,sys; j=json.loads(sys.argv[2].split(" ",1)[1]); print(eval(sys.argv[1]))' "$1" "$2"
}

r=$(call POST /login '{"name":"victor","password":"viewer-pass-1"}')
viewer=(-H "Authorization: Bearer $(json 'j["token"]' "$r")")
r=$(call POST /login '{"name":"alice","password":"operator-pass-1"}' -c "$d/cookies")
op=(-H "Authorization: Bearer $(json 'j["token"]' "$r")")
csrf=$(json 'j["csrf"]' "$r")

expect 401 "$(upload "$d/v12.img")" "anonymous upload"
expect 403 "$(upload "$d/v12.img" "${viewer[@]}")" "viewer upload" "operator role"
expect 400 "$(upload "$d/fw.bin" "${op[@]}")" "not an image" "not an MCUboot image"
expect 400 "$(upload "$d/other.img" "${op[@]}")" "other key" "not signed by a vendor key"
r=$(upload "$d/v12.img" "${op[@]}")
expect 201 "$r" "upload" '"version":"1.2.0"'
sha12=$(json 'j["sha256"]' "$r")
[ "$sha12" = "$(sha256sum "$d/v12.img" | cut -d' ' -f1)" ] || fail "sha256 is not the image's"
[ "$(json 'j["security_counter"]' "$r")" = 3 ] || fail "security counter"
[ "$(json 'j["uploaded_by"]' "$r")" = alice ] || fail "uploaded_by"
expect 201 "$(upload "$d/v12.img" "${op[@]}")" "same image again" "\"sha256\":\"$sha12\""
expect 201 "$(upload "$d/v13.img" "${op[@]}")" "newer image" '"security_counter":4'
"$MS_BIN_CLOUD" firmware --db "$MS_DB" --vendor-key "$d/vendor.pub" --name cli "$d/v13.img" |
  grep -q "already stored" || fail "CLI upload of a stored image"
r=$(call GET /firmware '' "${viewer[@]}")
expect 200 "$r" "firmware list"
[ "$(json 'len(j["firmware"])' "$r")" = 2 ] || fail "stored once: $r"
ok "firmware: vendor-signed images stored once; not an image, other key refused"

sha13=$(sha256sum "$d/v13.img" | cut -d' ' -f1)
camp() {   # NAME TARGET [SHA256]
  printf '{"name":"%s","firmware_sha256":"%s","target":%s,"waves":[20,100],"success_threshold":0.9,"failure_threshold":0.2,"max_retries":2}' \
    "$1" "${3:-$sha13}" "$2"
}
expect 403 "$(call POST /campaigns "$(camp c0 '{"all":true}')" "${viewer[@]}")" "viewer creates" "operator role"
expect 400 "$(call POST /campaigns '{"name":"x"}' "${op[@]}")" "incomplete" "firmware_sha256"
expect 400 "$(call POST /campaigns "$(camp c0 '{"all":false}')" "${op[@]}")" "bad target" "target"
expect 400 "$(call POST /campaigns "$(camp c0 '{"meters":["nope"]}')" "${op[@]}")" "unknown meter" "unknown meter"
expect 400 "$(call POST /campaigns "$(camp c0 '{"group":"south"}')" "${op[@]}")" "empty group" "no meters"
r=$(call POST /campaigns "$(camp first '{"all":true}')" "${op[@]}")
expect 201 "$r" "create"
id=$(json 'j["id"]' "$r")
r=$(call POST /campaigns "$(camp grouped '{"group":"north"}')" "${op[@]}")
expect 201 "$r" "create by group"
id2=$(json 'j["id"]' "$r")
# no image is released yet (none was offered): one of 1.2.0 is no downgrade
r=$(call POST /campaigns "$(camp older '{"all":true}' "$sha12")" "${op[@]}")
expect 201 "$r" "create of an older image before any release"
id3=$(json 'j["id"]' "$r")
r=$(call GET /campaigns '' "${viewer[@]}")
expect 200 "$r" "list" '"state":"created"'
[ "$(json 'j["campaigns"][0]["total"]' "$r")" = 5 ] || fail "total: $r"
[ "$(json 'j["campaigns"][1]["total"]' "$r")" = 1 ] || fail "group total: $r"
[ "$(json 'j["campaigns"][0]["version"]' "$r")" = 1.3.0 ] || fail "version: $r"
r=$(call GET "/campaigns/$id" '' "${viewer[@]}")
expect 200 "$r" "detail"
[ "$(json '[w["total"] for w in j["waves"]]' "$r")" = "[1, 4]" ] || fail "waves: $r"
[ "$(json 'j["waves"][0]["state"]' "$r")" = pending ] || fail "wave state: $r"
expect 404 "$(call GET /campaigns/99 '' "${viewer[@]}")" "unknown campaign"
expect 400 "$(call GET /campaigns/x1 '' "${viewer[@]}")" "bad id"
ok "campaigns: created (all, group), listed, shown with waves; bad bodies refused with reasons"

expect 403 "$(call POST "/campaigns/$id/start" '' "${viewer[@]}")" "viewer starts" "operator role"
expect 403 "$(call POST "/campaigns/$id/start" '' -b "$d/cookies")" "cookie without CSRF" "X-CSRF-Token"
expect 409 "$(call POST "/campaigns/$id/pause" '' "${op[@]}")" "pause before start" '"error":"conflict","reason":"'
expect 200 "$(call POST "/campaigns/$id/start" '' -b "$d/cookies" -H "X-CSRF-Token: $csrf")" \
  "cookie start" '"state":"running"'
expect 409 "$(call POST "/campaigns/$id/start" '' "${op[@]}")" "start twice" "cannot start"
expect 200 "$(call POST "/campaigns/$id/pause" '' "${op[@]}")" "pause" '"state":"paused"'
expect 200 "$(call POST "/campaigns/$id/resume" '' "${op[@]}")" "resume" '"state":"running"'
expect 200 "$(call POST "/campaigns/$id2/cancel" '' "${op[@]}")" "cancel" '"state":"cancelled"'
expect 409 "$(call POST "/campaigns/$id2/resume" '' "${op[@]}")" "resume cancelled"
r=$(call GET "/campaigns/$id/meters" '' "${viewer[@]}")
expect 200 "$r" "campaign meters"
[ "$(json 'sorted(set(m["state"] for m in j["meters"]))' "$r")" = "['queued']" ] || fail "meters: $r"
all=$(json '" ".join(m["meter_id"] for m in j["meters"])' "$r")
[ "$all" = "$(ls "$M" | sed -n 's/\.key$//p' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" ] ||
  fail "campaign meters by id: $all"
pages= after=
for _ in 1 2 3 4; do   # pages of 2 by the cursor: 2 + 2 + 1
  r=$(call GET "/campaigns/$id/meters?limit=2${after:+&after=$after}" '' "${viewer[@]}")
  expect 200 "$r" "campaign meters page"
  n=$(json 'len(j["meters"])' "$r")
  pages="$pages$n"
  [ "$n" = 0 ] && break
  after=$(json 'j["meters"][-1]["meter_id"]' "$r")
  pages="$pages $(json '" ".join(m["meter_id"] for m in j["meters"])' "$r") "
done
[ "$pages" = "2 $(cut -d' ' -f1-2 <<<"$all") 2 $(cut -d' ' -f3-4 <<<"$all") 1 $(cut -d' ' -f5 <<<"$all") 0" ] ||
  fail "campaign meter pages: $pages"
count() {   # PATH -> how many meters the page lists
  local r
  r=$(call GET "$1" '' "${viewer[@]}")
  expect 200 "$r" "$1"
  json 'len(j["meters"])' "$r"
}
[ "$(count "/campaigns/$id/meters?wave=0")/$(count "/campaigns/$id/meters?wave=1")" = 1/4 ] ||
  fail "campaign meters by wave"
[ "$(count "/campaigns/$id/meters?state=queued&wave=1&limit=3")" = 3 ] || fail "state, wave and limit"
[ "$(count "/campaigns/$id/meters?state=success")" = 0 ] || fail "state filter"
expect 400 "$(call GET "/campaigns/$id/meters?state=done" '' "${viewer[@]}")" "bad state" "'state'"
expect 400 "$(call GET "/campaigns/$id/meters?wave=8" '' "${viewer[@]}")" "bad wave" "'wave'"
expect 400 "$(call GET "/campaigns/$id/meters?after=a.b" '' "${viewer[@]}")" "bad cursor" "'after'"
expect 400 "$(call GET "/campaigns/$id/meters?limit=1001" '' "${viewer[@]}")" "big page" "'limit'"
r=$(call GET '/campaigns?limit=1' '' "${viewer[@]}")
[ "$(json '[c["id"] for c in j["campaigns"]]' "$r")" = "[$id]" ] || fail "campaign page: $r"
r=$(call GET "/campaigns?after=$id" '' "${viewer[@]}")
[ "$(json '[c["id"] for c in j["campaigns"]]' "$r")" = "[$id2, $id3]" ] || fail "campaign cursor: $r"
expect 400 "$(call GET '/campaigns?after=-1' '' "${viewer[@]}")" "bad campaign cursor" "'after'"
r=$(call GET '/firmware?limit=1' '' "${viewer[@]}")
fw1=$(json 'j["firmware"][0]["sha256"]' "$r")
r=$(call GET "/firmware?after=$fw1" '' "${viewer[@]}")
[ "$(json 'len(j["firmware"])' "$r")" = 1 ] && [ "$(json 'j["firmware"][0]["sha256"]' "$r")" != "$fw1" ] ||
  fail "firmware cursor: $r"
r=$(call GET "/firmware?after=$(printf '0%.0s' $(seq 64))" '' "${viewer[@]}")
[ "$(json 'len(j["firmware"])' "$r")" = 0 ] || fail "firmware after an unknown image: $r"
expect 400 "$(call GET '/firmware?after=XYZ' '' "${viewer[@]}")" "bad firmware cursor" "'after'"
ok "listings in pages: campaign meters by id (cursor, state, wave), campaigns, firmware"
# campaign $id (1.3.0, security counter 4) started: 4 is released, the fleet's counter
expect 400 "$(upload "$d/v11.img" "${op[@]}")" "downgrade" "downgrade: security counter 2 below the fleet's 4"
"$MS_BIN_CLOUD" firmware --db "$MS_DB" --vendor-key "$d/vendor.pub" --name cli "$d/v11.img" \
  >/dev/null 2>&1 && fail "CLI accepted a downgrade"
expect 400 "$(call POST /campaigns "$(camp older '{"all":true}' "$sha12")" "${op[@]}")" \
  "campaign of an older stored image" "downgrade: security counter 3 below the fleet's 4"
expect 409 "$(call POST "/campaigns/$id3/start" '' "${op[@]}")" "start of an older image" \
  "downgrade: security counter 3 below the fleet's 4"
r=$(call GET "/campaigns/$id3" '' "${viewer[@]}")
[ "$(json 'j["state"]' "$r")" = created ] || fail "refused start changed the campaign: $r"
ok "downgrades below the released image refused: upload (API, CLI), campaign, start"
r=$(call GET "/campaigns/$id" '' "${op[@]}")
[ "$(json 'j["waves"][0]["state"]' "$r")" = running ] ||
  fail "wave 0 running: $r"
ok "start/pause/resume/cancel; 409 for illegal transitions; viewer and CSRF-less cookie refused"

first=$(ls "$M" | sed -n 's/\.key$//p' | head -1)
r=$(call GET "/meters/$first" '' "${viewer[@]}")
expect 200 "$r" "meter detail" '"group":"north"'
[ "$(json 'j["campaign_state"]' "$r")" = queued ] || fail "campaign_state: $r"
for f in version last_seen online; do
  grep -q "\"$f\"" <<<"$r" || fail "meter detail lacks $f"
done
r=$(call GET /meters '' "${viewer[@]}")
[ "$(json 'sorted(j["meters"][0].keys())' "$r" | grep -c campaign_state)" = 1 ] || fail "list fields: $r"
expect 200 "$(call GET "/meters/$first/updates" '' "${viewer[@]}")" "update history" '"updates":['
ok "meters carry version, last_seen, online, campaign_state, group; update history"

expect 403 "$(call GET /audit '' "${viewer[@]}")" "viewer audit"
r=$(call GET '/audit?limit=50' '' "${op[@]}")
expect 200 "$r" "audit"
for a in firmware.upload campaign.create campaign.start campaign.pause campaign.resume campaign.cancel; do
  grep -q "\"action\":\"$a\"" <<<"$r" || fail "audit lacks $a: $r"
done
[ "$(json 'j["audit"][0]["who"]' "$r")" = alice ] || fail "audit who: $r"
grep -q '"who":"cli"' <<<"$r" || fail "CLI upload not audited"
expect 400 "$(call GET '/audit?limit=x' '' "${op[@]}")" "bad limit"
ok "audit: who did what, when (operator only)"
