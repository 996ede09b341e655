#!/usr/bin/env bash
# The feishu-dirsync demo (./dev demo runs it after installing the dependencies and building).
#
# It starts feishu-emulator with the sample tenant (examples/tenant.json) and `dirsync daemon`
# against it, then drops the HR exports of examples/hr/ into the inbox one after the other, as HR
# would, and shows what happened to each: its report, the plan, the tenant afterwards. At the end:
# `dirsync status`, /metrics, and SQL on the mirror. No Feishu account is needed. (胡雪, E0015, left
# the sample tenant 11 days ago, before dirsync ever saw it, so HR's first exports do not list her.)
#
#   01-employees-duplicate.csv  two rows share an employee number: rejected, nothing planned
#   02-employees-hires.csv      the corrected export, with two new hires: the first plan against the
#                               tenant is held for an admin (safety.hold_first_plan), then approved
#                               (dirsync approve); the daemon sees the approval and applies it
#   03-employees-mover.csv      黄磊 moves from 前端组 to 后端组 and becomes 高级工程师
#   04-employees-leaver.csv     吴强 has left: his account is deleted
#   05-employees-rehire.csv     吴强 is back: his account is resurrected; so is 胡雪's, though she left
#                               before dirsync's first refresh (found by her email and mobile)
#
# Every step checks its expected outcome and stops the demo with a message when it is not met.
# Everything it starts is stopped on exit (trap); its state is in examples/demo-state/ (kept for
# inspection, removed at the next run; it is in .gitignore).
#
# Environment: BUILD_DIR (default: build), DEMO_STATE (default: examples/demo-state),
# DEMO_EMULATOR_PORT (default 18080), DEMO_STATUS_PORT (default 9464), DEMO_TIMEOUT (seconds per
# step, default 60).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
state="${DEMO_STATE:-$here/demo-state}"
emulator_port="${DEMO_EMULATOR_PORT:-18080}"
status_port="${DEMO_STATUS_PORT:-9464}"
step_timeout="${DEMO_TIMEOUT:-60}"
dirsync="$build_dir/daemon/dirsync"
emulator="$build_dir/emulator/feishu-emulator"
config="$state/dirsync.yaml"

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
fail() {
  printf '\n\033[1;31mDEMO FAILED: %s\033[0m\n' "$*" >&2
  [ -f "$state/daemon.log" ] && { echo "--- last lines of $state/daemon.log:" >&2; tail -n 15 "$state/daemon.log" >&2; }
  exit 1
}

emulator_pid=""
daemon_pid=""
cleanup() {
  local code=$?
  for pid in "$daemon_pid" "$emulator_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until "$@" succeeds, at most step_timeout seconds.
wait_for() {
  local what="$1"; shift
  local deadline=$((SECONDS + step_timeout))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what: not within ${step_timeout} s"
    [ -z "$daemon_pid" ] || kill -0 "$daemon_pid" 2>/dev/null || fail "$what: dirsync daemon exited"
    sleep 0.2
  done
}

sql() { sqlite3 -readonly "$state/mirror.db" "$@"; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

[ -x "$dirsync" ] && [ -x "$emulator" ] || fail "build first: ./dev build (no $dirsync or $emulator)"
for tool in sqlite3 curl; do command -v "$tool" >/dev/null || fail "$tool is missing: ./dev deps installs it"; done
port_free "$emulator_port" || fail "port $emulator_port is in use: set DEMO_EMULATOR_PORT to a free one"
port_free "$status_port" || fail "port $status_port is in use: set DEMO_STATUS_PORT to a free one"

bold "A fresh state folder: $state"
rm -rf "$state"
mkdir -p "$state"
# The demo's configuration is examples/dirsync.yaml with this run's ports and folders. The sample
# tenant is small, so the delete gate is widened from 5 % (one leaver of 17 people is 5.9 %).
sed -e "s#http://127.0.0.1:18080#http://127.0.0.1:$emulator_port#" \
    -e "s#127.0.0.1:9464#127.0.0.1:$status_port#" \
    -e "s#demo-state/#$state/#" \
    -e "s#max_deletes_percent: 5 #max_deletes_percent: 10#" \
    "$here/dirsync.yaml" > "$config"
export DIRSYNC_APP_SECRET=demo-secret
"$dirsync" check-config --config "$config" | sed 's/^/   /'

bold "Starting feishu-emulator with examples/tenant.json on 127.0.0.1:$emulator_port"
"$emulator" --listen "127.0.0.1:$emulator_port" --seed "$here/tenant.json" --log-level warn \
  > "$state/emulator.out" 2> "$state/emulator.log" &
emulator_pid=$!
wait_for "the emulator to listen" grep -q "listening on" "$state/emulator.out"
say "$(head -n 1 "$state/emulator.out")"

bold "Starting dirsync daemon (log: $state/daemon.log)"
"$dirsync" daemon --config "$config" 2> "$state/daemon.log" &
daemon_pid=$!
wait_for "the daemon to answer /healthz" curl -fsS "http://127.0.0.1:$status_port/healthz"
say "healthz: $(curl -sS "http://127.0.0.1:$status_port/healthz")"

# Drops one export the way HR should (write under a temporary name, then rename) and waits until
# the daemon has filed it; prints its report. $2: accepted or rejected.
drop() {
  local file="$1" expected="$2" name
  name="$(basename "$file")"
  bold "HR drops $name"
  cp "$file" "$state/inbox/.$name.part"
  mv "$state/inbox/.$name.part" "$state/inbox/$name"
  wait_for "$name to be filed" test -e "$state/archive/$name.report.txt" -o -e "$state/rejected/$name.report.txt"
  local where=archive
  [ -e "$state/rejected/$name.report.txt" ] && where=rejected
  sed 's/^/   | /' "$state/$where/$name.report.txt" | head -n 25
  if [ "$expected" = accepted ] && [ "$where" != archive ]; then fail "$name was rejected; it should have been accepted"; fi
  if [ "$expected" = rejected ] && [ "$where" != rejected ]; then fail "$name was accepted; it should have been rejected"; fi
  say "-> $where/$name, as expected"
}

# The plan made from an HR file: waits until it reaches one of the given states, prints it.
plan_of() { sql "SELECT p.id FROM plans p JOIN hr_files f ON f.id = p.hr_file_id WHERE f.name = '$1' ORDER BY p.id DESC LIMIT 1"; }
wait_plan() {
  local name="$1" states="$2" id=""
  local deadline=$((SECONDS + step_timeout))
  while :; do
    id="$(plan_of "$name" 2>/dev/null || true)"
    if [ -n "$id" ] && [[ " $states " == *" $(sql "SELECT status FROM plans WHERE id = $id") "* ]]; then
      break
    fi
    [ "$SECONDS" -lt "$deadline" ] || fail "no plan from $name reached '$states' within ${step_timeout} s (plans: $(sql "SELECT group_concat(id || ':' || status) FROM plans" 2>/dev/null || echo none)). A plan needs the sync cycle (refresh, plan, gate, apply: sync/cycle.hpp) in the daemon."
    sleep 0.3
  done
  sql -header -column "SELECT id, status, creates, updates, deletes, resurrects, held_reasons FROM v_plans WHERE id = $id" \
    | sed 's/^/   /' >&2
  echo "$id"
}
# Waits until a query on the mirror gives the expected text.
sql_equals() { test "$(sql "$1")" = "$2"; }
expect_sql() {
  local what="$1" query="$2" expected="$3"
  wait_for "$what (expected: $expected)" sql_equals "$query" "$expected"
  say "ok: $what"
}

drop "$here/hr/01-employees-duplicate.csv" rejected
test "$(sql "SELECT count(*) FROM plans")" = 0 || fail "a plan was made from a rejected file"
say "nothing was planned from it"

drop "$here/hr/02-employees-hires.csv" accepted
plan="$(wait_plan 02-employees-hires.csv held)"
say "the first plan against this tenant waits for an admin; releasing it:"
say "\$ dirsync approve $plan"
"$dirsync" approve "$plan" --by demo --config "$config" | sed 's/^/   /' || fail "dirsync approve $plan failed"
# The daemon looks for approved plans every few seconds while it waits, and applies them at once.
say "the daemon sees the approval and applies the plan"
wait_plan 02-employees-hires.csv done > /dev/null
expect_sql "王芳 (E0016) and 林涛 (E0017) exist in Feishu" \
  "SELECT count(*) FROM users WHERE employee_no IN ('E0016', 'E0017') AND mirror_state = 'active'" 2

drop "$here/hr/03-employees-mover.csv" accepted
wait_plan 03-employees-mover.csv done > /dev/null
expect_sql "黄磊 (E0008) is in 技术部/后端组 under 刘洋" \
  "SELECT department || ' ' || coalesce(leader_name, '') FROM v_users WHERE employee_no = 'E0008'" "技术部/后端组 刘洋"

drop "$here/hr/04-employees-leaver.csv" accepted
wait_plan 04-employees-leaver.csv done > /dev/null
expect_sql "吴强 (E0010) has left" "SELECT mirror_state FROM users WHERE employee_no = 'E0010'" resigned

drop "$here/hr/05-employees-rehire.csv" accepted
wait_plan 05-employees-rehire.csv done > /dev/null
expect_sql "吴强 (E0010) is back, on his old account" \
  "SELECT mirror_state FROM users WHERE employee_no = 'E0010'" active
expect_sql "胡雪 (E0015), who left before dirsync started, is back on her old account, in 后端组" \
  "SELECT count(*) || ' ' || group_concat(u.mirror_state) || ' ' || group_concat(v.department) FROM users u JOIN v_users v USING (open_id) WHERE u.employee_no = 'E0015'" \
  "1 active 技术部/后端组"
expect_sql "both rehires were resurrects, no new account" \
  "SELECT resurrects || ' ' || creates FROM v_plans WHERE id = (SELECT max(id) FROM plans)" "2 0"

bold "dirsync status"
"$dirsync" status --config "$config" | sed 's/^/   /'

bold "A few of /metrics (http://127.0.0.1:$status_port/metrics)"
curl -fsS "http://127.0.0.1:$status_port/metrics" \
  | grep -E '^dirsync_(cycles_total|hr_files_processed_total|operations|held_plans|mirror_users|api_requests_total)' \
  | head -n 30 | sed 's/^/   /'

bold "SQL on the mirror: sqlite3 -readonly $state/mirror.db"
say "who is where:"
sql -header -column "SELECT employee_no, name, department, job_title, leader_name, account FROM v_users WHERE employee_no IS NOT NULL ORDER BY employee_no" | sed 's/^/   /'
say "what dirsync changed:"
sql -header -column "SELECT at, change, employee_no, name, detail FROM v_recent_changes WHERE source = 'dirsync'" | sed 's/^/   /'
say "the HR files:"
sql -header -column "SELECT id, name, status, rows_valid, rows_invalid, reason FROM v_hr_files" | sed 's/^/   /'

bold "Done: every step went as expected. The state is kept in $state"
