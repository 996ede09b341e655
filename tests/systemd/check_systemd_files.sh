#!/usr/bin/env bash
# Checks of systemd/: run by ctest (tests/CMakeLists.txt), one check per invocation.
#
#   check_systemd_files.sh verify   SOURCE_DIR DIRSYNC_BINARY  the unit passes systemd-analyze verify
#   check_systemd_files.sh security SOURCE_DIR                 its exposure level is 1.5 or lower
#   check_systemd_files.sh sysusers SOURCE_DIR                 sysusers.d creates the user and groups
#   check_systemd_files.sh tmpfiles SOURCE_DIR                 tmpfiles.d makes the state folders right
#
# Exit 0 on success, 1 on failure, 77 (skipped) when a tool is missing or root is needed.
set -euo pipefail

check="$1"
source_dir="$2"
unit="$source_dir/systemd/dirsync.service"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed"; exit 77; }

case "$check" in
  verify)
    # The installed unit runs /usr/bin/dirsync; verify the same unit against the binary just built.
    sed "s#/usr/bin/dirsync#$3#" "$unit" > "$work/dirsync.service"
    out="$(systemd-analyze verify --man=no "$work/dirsync.service" 2>&1)" || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify printed warnings: $out"
    ;;
  security)
    out="$(systemd-analyze security --offline=yes --threshold=15 "$unit" 2>&1)" \
      || fail "exposure above 1.5: $(echo "$out" | grep -E '✗|Overall')"
    level="$(echo "$out" | sed -n 's/.*Overall exposure level for dirsync.service: \([0-9.]*\).*/\1/p')"
    [ -n "$level" ] || fail "no exposure level in: $out"
    awk -v l="$level" 'BEGIN { exit !(l <= 1.5) }' || fail "exposure level $level > 1.5"
    echo "exposure level $level"
    ;;
  sysusers)
    command -v systemd-sysusers >/dev/null || { echo "systemd-sysusers not installed"; exit 77; }
    mkdir -p "$work/etc"
    systemd-sysusers --root="$work" "$source_dir/systemd/dirsync.sysusers.conf" >/dev/null 2>&1 \
      || fail "systemd-sysusers refused the snippet"
    grep -q '^dirsync:x:[0-9]*:[0-9]*:[^:]*:/var/lib/dirsync:/usr/sbin/nologin$' "$work/etc/passwd" \
      || fail "no system user dirsync: $(cat "$work/etc/passwd")"
    grep -q '^dirsync-inbox:x:[0-9]*:dirsync$' "$work/etc/group" \
      || fail "no group dirsync-inbox with dirsync as member: $(cat "$work/etc/group")"
    ;;
  tmpfiles)
    command -v systemd-tmpfiles >/dev/null || { echo "systemd-tmpfiles not installed"; exit 77; }
    [ "$(id -u)" -eq 0 ] || { echo "needs root to set owners"; exit 77; }
    mkdir -p "$work/etc"
    systemd-sysusers --root="$work" "$source_dir/systemd/dirsync.sysusers.conf" >/dev/null 2>&1
    systemd-tmpfiles --root="$work" --create "$source_dir/systemd/dirsync.tmpfiles.conf" \
      || fail "systemd-tmpfiles refused the snippet"
    uid="$(awk -F: '$1 == "dirsync" { print $3 }' "$work/etc/passwd")"
    gid="$(awk -F: '$1 == "dirsync" { print $3 }' "$work/etc/group")"
    inbox_gid="$(awk -F: '$1 == "dirsync-inbox" { print $3 }' "$work/etc/group")"
    expect() {
      local got
      got="$(stat -c '%a %u %g' "$work$1")"
      [ "$got" = "$2" ] || fail "$1: mode/owner/group $got, expected $2"
    }
    expect /var/lib/dirsync "711 $uid $gid"
    expect /var/lib/dirsync/inbox "2770 $uid $inbox_gid"
    expect /var/lib/dirsync/archive "750 $uid $gid"
    expect /var/lib/dirsync/rejected "750 $uid $gid"
    ;;
  *)
    fail "unknown check $check"
    ;;
esac
