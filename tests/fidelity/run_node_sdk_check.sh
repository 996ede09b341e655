#!/usr/bin/env bash
# Starts feishu-emulator with examples/tenant.json on a free loopback port, runs
# node_sdk_check.js against it with the official Node.js SDK, and stops the emulator.
#
#   tests/fidelity/run_node_sdk_check.sh path/to/feishu-emulator
#
# The SDK comes from tests/fidelity/node_modules (npm install @larksuiteoapi/node-sdk there) or
# NODE_PATH. Exit codes: 0 passed, 1 failed, 77 skipped (no node or no SDK). With
# DIRSYNC_REQUIRE_FIDELITY=1 (set by ./dev test, which installs the SDK) a missing SDK is a failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
emulator="${1:?usage: run_node_sdk_check.sh path/to/feishu-emulator}"
seed="$here/../../examples/tenant.json"

skip=77
[ "${DIRSYNC_REQUIRE_FIDELITY:-0}" = 1 ] && skip=1
command -v node >/dev/null || { echo "skipped: node is not installed"; exit $skip; }
export NODE_PATH="${NODE_PATH:-$here/node_modules}"
node -e "require('@larksuiteoapi/node-sdk')" 2>/dev/null ||
  { echo "skipped: @larksuiteoapi/node-sdk is not installed (cd tests/fidelity && npm ci)"; exit $skip; }

out="$(mktemp)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$out"
}
trap cleanup EXIT

for attempt in 1 2 3 4 5; do
  port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
  "$emulator" --seed "$seed" --listen "127.0.0.1:$port" --log-level warn >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if grep -q "listening on" "$out"; then
    node "$here/node_sdk_check.js" "http://127.0.0.1:$port"
    exit $?
  fi
  wait "$pid" 2>/dev/null || true
  pid=""
done
echo "feishu-emulator did not start:"; cat "$out"
exit 1
