#!/usr/bin/env bash
# The README's promise, tested: a clone of this repository in an empty
# directory, with nothing beside it, passes its two commands. It clones the
# committed HEAD (uncommitted changes are not part of a clone) into a new
# temporary directory and runs `make demo` and `make test` there, so a test
# that reads a file outside the repository fails here even where the
# developer's own checkout has such a file beside it.
#
# Usage: bash e2e/fresh-clone.sh [make targets...]   (default: demo test)
# CI adds `release`, whose outputs check_release verifies in the clone.
set -euo pipefail
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(demo test)

# check_release pins what `make release` promises (docs/command.md
# "apiguard version and releases"): the module with its SHA-256, an OCI image layout a non-root
# user can read, and a command that says the version and the commit.
check_release() {
  (cd build && sha256sum --quiet -c apiguard.wasm.sha256)
  [ -f build/image/oci-layout ] && [ -f build/image/index.json ] || {
    echo "fresh-clone: make release wrote no image layout in build/image" >&2; exit 1; }
  unreadable=$(find build/image ! -perm -o=r)
  [ -z "$unreadable" ] || { echo "fresh-clone: not readable by others: $unreadable" >&2; exit 1; }
  want="apiguard $(sed -n 's/^var Version = "\(.*\)"$/\1/p' filter/version/version.go) ($(git rev-parse --short HEAD))"
  got=$(build/bin/apiguard version)
  [ "$got" = "$want" ] || { echo "fresh-clone: apiguard version says \"$got\", want \"$want\"" >&2; exit 1; }
  echo "fresh-clone: release checked: $got, $(cut -c1-16 build/apiguard.wasm.sha256)..."
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/apiguard-fresh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-hardlinks "$repo" "$tmp/apiguard"
cd "$tmp/apiguard"
echo "fresh-clone: $(git log -1 --format='%h %s') in $tmp/apiguard (nothing beside it: $(ls -A "$tmp" | tr '\n' ' '))"
for target in "${targets[@]}"; do
  echo "fresh-clone: make $target"
  make "$target"
  if [ "$target" = release ]; then
    check_release
  fi
done
