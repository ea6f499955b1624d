#!/usr/bin/env bash
# Installs what `make test` needs beyond Go: redis-server, which the global
# rate-limit integration test (e2e/global_real_test.go) starts on a loopback
# port in front of the real envoyproxy/ratelimit service, and node (Node.js),
# whose V8 runs `make bench-v8` and its runner's test
# (e2e/v8bench_test.go; measured with Node 20; older releases are untested).
# Idempotent and silent when everything is already there.
#
# It installs with apt-get only where it can: as root, or through sudo
# without a password. Where it cannot (or the install fails) it says what
# is missing and exits 0 all the same: the rest of the suite still runs,
# and the tests that need the dependency fail with their own clear message
# (`make test-short` skips them).
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: ${missing[*]} missing and no apt-get here; install it yourself" >&2
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "test-deps: ${missing[*]} missing; run as root (or with passwordless sudo): apt-get install ${missing[*]}" >&2
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "test-deps: installing ${missing[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The package lists may be missing or stale on a fresh machine: update
# once, then install without recommends (no service gets enabled here).
# Another apt-get (an unattended upgrade, a parallel job) may hold the dpkg
# lock: apt waits up to two minutes for it, and the whole step is tried a
# second time before it gives up.
apt_opts=(-o DPkg::Lock::Timeout=120)
install() {
  "${sudo[@]}" apt-get "${apt_opts[@]}" update -qq && \
    "${sudo[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}"
}
if ! install >"$log" 2>&1; then
  echo "test-deps: first attempt failed; retrying once" >&2
  sleep 5
  if ! install >"$log" 2>&1; then
    cat "$log" >&2
    echo "test-deps: could not install ${missing[*]}; the tests that need it will fail and say so" >&2
    exit 0
  fi
fi
command -v redis-server >/dev/null 2>&1 || echo "test-deps: redis-server still missing after install" >&2
command -v node >/dev/null 2>&1 || echo "test-deps: node still missing after install" >&2
