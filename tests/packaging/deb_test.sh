#!/usr/bin/env bash
# Builds the .deb with CPack from the build tree into a scratch directory and
# checks what it installs (dpkg-deb -c, -f) and that its systemd unit is
# well formed (systemd-analyze verify, where it can run).
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/parley_*.deb)
contents=$(dpkg-deb -c "$deb")
fail() { echo "FAIL: $*"; echo "$contents"; exit 1; }
grep -qE '^-rwxr-xr-x .* \./usr/bin/parley$' <<<"$contents" || fail "no executable /usr/bin/parley"
grep -qE ' \./lib/systemd/system/parley\.service$' <<<"$contents" || fail "no systemd unit"
grep -qE '^-rw-r--r-- .* \./etc/parley/parley\.conf$' <<<"$contents" || fail "no default config"
grep -qE ' \./usr/share/doc/parley/README\.md$' <<<"$contents" || fail "no README"
[ "$(dpkg-deb -f "$deb" Package)" = parley ] || fail "package name"
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "Depends lacks the shared libraries: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -e "$deb" "$tmp/control"
grep -qx '/etc/parley/parley.conf' "$tmp/control/conffiles" || fail "parley.conf is not a conffile"
# The packaged files themselves: the unit runs the packaged binary with the
# packaged config, and the binary runs.
dpkg-deb -x "$deb" "$tmp/root"
grep -q '^ExecStart=/usr/bin/parley serve \$PARLEY_SERVE_ARGS$' "$tmp/root/lib/systemd/system/parley.service" || fail "ExecStart"
grep -q '^EnvironmentFile=/etc/parley/parley.conf$' "$tmp/root/lib/systemd/system/parley.service" || fail "EnvironmentFile"
grep -q '^PARLEY_SERVE_ARGS=".*--data-dir /var/lib/parley' "$tmp/root/etc/parley/parley.conf" || fail "default flags"
# Captured first: `grep -q` stops reading at its match, and the rest of the
# help text would then end the binary with SIGPIPE (a failure under pipefail).
help=$("$tmp/root/usr/bin/parley" serve --help) || fail "the packaged binary does not run"
grep -q -- '--metrics-listen' <<<"$help" || fail "the packaged binary's help lacks --metrics-listen"
if command -v systemd-analyze >/dev/null; then
  # verify needs the ExecStart binary where the unit says; point it at the extracted one.
  sed "s#/usr/bin/parley#$tmp/root/usr/bin/parley#; s#/etc/parley/parley.conf#$tmp/root/etc/parley/parley.conf#" \
    "$tmp/root/lib/systemd/system/parley.service" >"$tmp/parley.service"
  out=$(systemd-analyze verify "$tmp/parley.service" 2>&1 || true)
  if grep -qiE 'unknown (key|section)|Invalid|parse' <<<"$out"; then fail "systemd-analyze: $out"; fi
fi
echo "ok: $(basename "$deb"), $(wc -l <<<"$contents") entries"
