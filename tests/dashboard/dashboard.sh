#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# dashboard.sh BUILD ui|campaigns_api - the fleet dashboard end to end: builds
# it (scripts/dashboard), starts a broker and a meterseal-cloud serving it in
# a private directory (tests/cloud/e2e-lib.sh, SQLite), registers a fleet
# (ms-testmeter fleet) and has one meter publish readings over MQTT, checks
# the static file handling with curl (security headers, path traversal,
# symbolic links, methods) and the API's CSRF refusal, then runs the browser
# steps (dashboard/test/*.test.mjs, headless Debian Chromium through
# playwright-core). Screenshots: BUILD/tests/dashboard/artefacts/<test>/.
# campaigns_api exits 77 (skipped) when the service has no campaign API; where
# the service takes --vendor-key it gets a fresh vendor key and the test
# uploads an image signed with it (MS_FIRMWARE: another image; MS_DASH_CLOUD_ARGS:
# more service options).
build=$(realpath "$1")
mode=${2:-ui}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/../cloud/e2e-lib.sh" "$build" sqlite
d=$MS_DIR
www=$build/dashboard
art=$build/tests/dashboard/artefacts/$mode
rm -rf "$art"
mkdir -p "$art"

"$root/scripts/dashboard" "$www" >/dev/null || fail "dashboard build"
[ -x /usr/bin/chromium ] || fail "chromium is not installed (scripts/deps)"

fleet=120 meter=m-000007 readings=24
printf 'operator-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$MS_DB" --name alice --role operator >/dev/null
printf 'viewer-pass-1\n' | "$MS_BIN_CLOUD" operator --db "$MS_DB" --name victor --role viewer >/dev/null
"$MS_BIN_TESTMETER" fleet --mca "$d/mca" --db "$MS_DB" --out "$d/meters" --count "$fleet" >/dev/null ||
  fail "fleet registration"
# Firmware updates, where the service offers them (docs/ota.md): a vendor key for the
# repository, and an image signed with it for the campaign test to upload.
extra=()
usage=$("$MS_BIN_CLOUD" 2>&1 || true)
if grep -q -- '--vendor-key' <<<"$usage"; then
  "$MS_BIN_CA" keygen -k "$d/vendor.pem" >/dev/null
  "$MS_BIN_CA" getpub -k "$d/vendor.pem" -o "$d/vendor.pub" >/dev/null
  head -c 8192 /dev/urandom >"$d/app.bin"
  "$MS_BIN_CA" sign -k "$d/vendor.pem" -v 1.4.0 -H 0x200 --pad-header --align 8 -s 4 \
    "$d/app.bin" "$d/app-1.4.0.img" >/dev/null || fail "sign an image"
  extra=(--vendor-key "$d/vendor.pub")
  export MS_FIRMWARE=${MS_FIRMWARE:-$d/app-1.4.0.img}
fi
# MS_DASH_CLOUD_ARGS: more options for the service.
# shellcheck disable=SC2086
ms_env_cloud_start dash "$MS_DB" --http 127.0.0.1:0 --dashboard "$www" "${extra[@]}" \
  ${MS_DASH_CLOUD_ARGS:-}
port=$(cat "$d/dash.port")
url=http://127.0.0.1:$port
# two rounds a second apart, so the plot has more than one instant
e2e_publish "$d/meters" 1 $((readings / 2)) --first 7 --acked "$d/acked" >/dev/null ||
  fail "readings (first round)"
sleep 1.1
e2e_publish "$d/meters" 1 $((readings / 2)) --first 7 --seq-base $((readings / 2 + 1)) \
  --acked "$d/acked" >/dev/null || fail "readings (second round)"
ok "fleet of $fleet registered, $readings readings from $meter stored"

# status PATH [curl args] -> HTTP status of a request sent as written (no dot removal)
status() {
  local p=$1
  shift
  curl -s --path-as-is -o "$d/static.body" -D "$d/static.head" -w '%{http_code}' "$@" "$url$p"
}

if [ "$mode" = ui ]; then
  [ "$(status /)" = 200 ] || fail "GET / is not 200"
  grep -qi "^content-security-policy: default-src 'self'" "$d/static.head" || fail "no CSP on /"
  grep -qi '^x-frame-options: DENY' "$d/static.head" || fail "no X-Frame-Options on /"
  grep -qi '^x-content-type-options: nosniff' "$d/static.head" || fail "no nosniff on /"
  grep -qi '^content-type: text/html' "$d/static.head" || fail "/ is not text/html"
  [ "$(status /vendor/uPlot.esm.js)" = 200 ] && grep -qi '^content-type: text/javascript' "$d/static.head" ||
    fail "the chart library is not served as JavaScript"
  ok "static files with CSP, X-Frame-Options, nosniff and fixed content types"

  for p in '/../../../../etc/passwd' '/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/..%2f..%2f..%2fetc%2fpasswd' \
           '/vendor/../../../cloud.db' '/vendor/%2e%2e/%2e%2e/dashboard.sh.js' '/.hidden.js' \
           '//etc/passwd.js' '/vendor//uPlot.esm.js' '/%5c..%5cetc%5cpasswd.js' '/a%0a.js'; do
    s=$(status "$p")
    [ "$s" = 400 ] || fail "path '$p' answered $s, not 400"
    ! grep -q 'root:' "$d/static.body" || fail "path '$p' leaked /etc/passwd"
  done
  # libmicrohttpd decodes %00 and the path ends there: what is checked is what is opened,
  # so a NUL cannot carry a name past the check nor change the content type.
  s=$(status '/index.html%00.js')
  [ "$s" = 200 ] && grep -qi '^content-type: text/html' "$d/static.head" ||
    fail "'/index.html%00.js' answered $s, not index.html as HTML"
  for p in '/etc/passwd' '/cloud.db' '/missing.js'; do
    s=$(status "$p")
    [ "$s" = 404 ] || fail "path '$p' answered $s, not 404"
  done
  ln -sf /etc/passwd "$www/leak.js"
  mkdir -p "$www/linkdir" && ln -sfn / "$www/linkdir/root"
  s1=$(status /leak.js)
  s2=$(status /linkdir/root/etc/passwd.js)
  rm -rf "$www/leak.js" "$www/linkdir"
  [ "$s1" = 404 ] && [ "$s2" = 404 ] || fail "symbolic links followed ($s1, $s2)"
  s=$(status / -X POST --data x)
  [ "$s" = 405 ] || fail "POST / answered $s, not 405"
  ok "path traversal, hidden files, odd bytes, symbolic links and other methods refused"

  # The API side of CSRF, with curl's cookie jar standing in for a browser.
  curl -s -c "$d/jar" -o "$d/login.json" -H 'Content-Type: application/json' \
    --data '{"name":"alice","password":"operator-pass-1"}' "$url/api/v1/login"
  csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$d/login.json")
  grep -q 'ms_session' "$d/jar" || fail "no session cookie"
  s=$(status /api/v1/provision/nonce -b "$d/jar" -H 'Content-Type: application/json' --data '{}')
  [ "$s" = 403 ] || fail "cookie POST without X-CSRF-Token answered $s, not 403"
  s=$(status /api/v1/provision/nonce -b "$d/jar" -H 'Content-Type: application/json' --data '{}' \
      -H "X-CSRF-Token: $csrf")
  [ "$s" = 201 ] || fail "cookie POST with X-CSRF-Token answered $s, not 201"
  ok "a cookie request without the CSRF token is refused (403), with it accepted"
  test=ui.test.mjs
else
  token=$(curl -s -H 'Content-Type: application/json' --data '{"name":"victor","password":"viewer-pass-1"}' \
          "$url/api/v1/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url/api/v1/campaigns")
  if [ "$code" = 404 ] && [ "${MS_CONTRACT_MOCK:-}" != 1 ]; then
    echo "SKIP: this service has no campaign API yet (GET /api/v1/campaigns answered 404)"
    exit 77
  fi
  test=campaigns.test.mjs
fi

(cd "$root/dashboard" &&
  MS_URL=$url MS_ARTEFACTS=$art MS_OP_NAME=alice MS_OP_PASS=operator-pass-1 \
  MS_VIEW_NAME=victor MS_VIEW_PASS=viewer-pass-1 MS_FLEET=$fleet MS_METER=$meter \
  MS_READINGS=$readings MS_BUILD=$build MS_PRIVATE=$d node "test/$test") || fail "browser steps"
ok "browser steps passed; screenshots in $art"
