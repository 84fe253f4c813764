# SPDX-License-Identifier: Apache-2.0
#
# e2e-lib.sh - shared start of the cloud end-to-end tests: sourced with the
# build tree and the backend (sqlite|postgres) as $1 and $2. Sets up a private
# directory with the CAs and service keys, the broker, and (postgres) a
# private PostgreSQL server; MS_DB is the database spec. On failure the logs
# are printed; everything started is stopped on exit.
set -euo pipefail
MS_E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$MS_E2E_HERE/../../scripts/cloud-env.sh"
MS_E2E_WORK=$(mktemp -d /tmp/ms-cloud-e2e.XXXXXX)
ms_env_init "$MS_E2E_WORK" "$1"
MS_BACKEND=$2

e2e_cleanup() {
  local rc=$?
  ms_env_stop
  if [ $rc -ne 0 ]; then
    ms_env_print_logs 25
  fi
  [ $rc -ne 0 ] && [ -n "${MS_KEEP:-}" ] && echo "kept $MS_E2E_WORK" && exit $rc
  rm -rf "$MS_E2E_WORK"
  exit $rc
}
trap e2e_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  echo "ok - $*"
}

ms_env_pki
ms_env_broker_start
if [ "$MS_BACKEND" = postgres ]; then
  ms_env_pg_start
  MS_DB=$(ms_env_pg_newdb e2e)
else
  MS_DB=sqlite:$MS_DIR/cloud.db
fi

# A meter key and CSR made the way a factory sees them (subject of §1).
e2e_csr() {   # ID DIR
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
    openssl pkcs8 -topk8 -nocrypt -out "$2/$1.key"
  chmod 600 "$2/$1.key"
  openssl req -new -key "$2/$1.key" -subj "/CN=$1/serialNumber=$1/O=MeterSeal meter" \
    -out "$2/$1.csr"
}

e2e_publish() {   # DIR COUNT READINGS [more ms-testmeter options]
  local dir=$1 count=$2 readings=$3
  shift 3
  "$MS_BIN_TESTMETER" publish --dir "$dir" --count "$count" --readings "$readings" \
    --port "$MS_MQTT_PORT" --cafile "$MS_DIR/cca/ca.pem" --cmd-pub "$MS_DIR/command.pub" "$@"
}

e2e_wait_acked() {   # FILE COUNT: until the publisher has COUNT acknowledgements (15 s at most)
  for _ in $(seq 300); do
    [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
    sleep 0.05
  done
}
