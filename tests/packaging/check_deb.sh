#!/usr/bin/env bash
# Builds the .deb with CPack from the build tree and checks what it holds (ctest runs it):
#   check_deb.sh BUILD_DIR SOURCE_DIR
# Exit 0 on success, 1 on failure, 77 (skipped) when dpkg-deb or cpack is missing.
set -euo pipefail

build_dir="$1"
source_dir="$2"
command -v dpkg-deb >/dev/null || { echo "dpkg-deb not installed"; exit 77; }
command -v cpack >/dev/null || { echo "cpack not installed"; exit 77; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack --config "$build_dir/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || fail "cpack: $(cat "$work/cpack.log")"
deb="$(ls "$work"/feishu-dirsync_*.deb)"

info="$(dpkg-deb -I "$deb")"
control="$(dpkg-deb -f "$deb")"
echo "$control" | grep -q '^Package: feishu-dirsync$' || fail "package name: $control"
depends="$(dpkg-deb -f "$deb" Depends)"
for lib in systemd libcpprest libyaml-cpp libsqlite3 libphonenumber libcsv libsystemd0 libssl3; do
  echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib: $depends"
done
for script in postinst prerm postrm; do
  echo "$info" | grep -q " $script " || fail "no $script maintainer script"
done

# The maintainer scripts: users, folders, daemon-reload; never enable or start before configuration.
dpkg-deb -e "$deb" "$work/control"
grep -q 'systemd-sysusers /usr/lib/sysusers.d/dirsync.conf' "$work/control/postinst" || fail "postinst runs no systemd-sysusers"
grep -q 'systemd-tmpfiles --create /usr/lib/tmpfiles.d/dirsync.conf' "$work/control/postinst" || fail "postinst runs no systemd-tmpfiles"
grep -q 'systemctl daemon-reload' "$work/control/postinst" || fail "postinst does not reload systemd"
# (Lines that only print advice to the admin do not count.)
if grep -v '^ *echo ' "$work/control/postinst" | grep -Eq 'systemctl +(enable|start|restart)'; then
  fail "postinst enables or starts the service before the admin configured it"
fi
grep -q 'systemctl stop dirsync.service' "$work/control/prerm" || fail "prerm does not stop the service"
for script in postinst prerm postrm; do
  [ "$(stat -c %a "$work/control/$script")" = 755 ] || fail "$script is not mode 755"
  sh -n "$work/control/$script" || fail "$script is not valid sh"
done

# The files, each where it belongs, and the same as in the source tree.
contents="$(dpkg-deb -c "$deb")"
for path in ./usr/bin/dirsync ./usr/bin/feishu-emulator ./usr/lib/systemd/system/dirsync.service \
            ./usr/lib/sysusers.d/dirsync.conf ./usr/lib/tmpfiles.d/dirsync.conf \
            ./usr/share/feishu-dirsync/dirsync.yaml.example ./usr/share/man/man1/dirsync.1 \
            ./usr/share/doc/feishu-dirsync/operations.md; do
  echo "$contents" | grep -q " $path\$" || fail "$path is not in the package"
done
if echo "$contents" | grep -q ' \./etc/'; then
  fail "the package ships files in /etc (the admin writes /etc/dirsync/dirsync.yaml)"
fi
dpkg-deb -x "$deb" "$work/root"
cmp -s "$work/root/usr/lib/systemd/system/dirsync.service" "$source_dir/systemd/dirsync.service" || fail "unit differs"
cmp -s "$work/root/usr/lib/sysusers.d/dirsync.conf" "$source_dir/systemd/dirsync.sysusers.conf" || fail "sysusers differs"
cmp -s "$work/root/usr/lib/tmpfiles.d/dirsync.conf" "$source_dir/systemd/dirsync.tmpfiles.conf" || fail "tmpfiles differs"
"$work/root/usr/bin/dirsync" --version | grep -q '^dirsync ' || fail "the packaged dirsync does not run"
# The example configuration is valid as shipped (the secret comes from the environment here).
DIRSYNC_APP_SECRET=x "$work/root/usr/bin/dirsync" check-config \
  --config "$work/root/usr/share/feishu-dirsync/dirsync.yaml.example" >/dev/null || fail "the example config is invalid"
echo "ok: $(basename "$deb")"
