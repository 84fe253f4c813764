#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# with-pg.sh PROGRAM [ARGS...] - run PROGRAM with a fresh PostgreSQL
# database spec as its last argument, on a private server started for the
# run (as a non-root user when run as root) and stopped afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/cloud-env.sh"
work=$(mktemp -d /tmp/ms-pg.XXXXXX)
ms_env_init "$work" "$(dirname "$1")/../.."
trap 'ms_env_stop; rm -rf "$work"' EXIT
ms_env_pg_start
spec=$(ms_env_pg_newdb mstest)
"$@" "$spec"
