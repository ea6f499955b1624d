#!/usr/bin/env bash
# The README's promise, tested: a clone of this repository in an empty
# directory, with nothing beside it, passes its two commands. It clones the
# committed HEAD (uncommitted changes are not part of a clone) into a new
# temporary directory and runs `make demo` and `make test` there, so a test
# that reads a file outside the repository fails here even where the
# developer's own checkout has such a file beside it.
#
# Usage: bash e2e/fresh-clone.sh [make targets...]   (default: demo test)
set -euo pipefail
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(demo test)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/apiguard-fresh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-hardlinks "$repo" "$tmp/apiguard"
cd "$tmp/apiguard"
echo "fresh-clone: $(git log -1 --format='%h %s') in $tmp/apiguard (nothing beside it: $(ls -A "$tmp" | tr '\n' ' '))"
for target in "${targets[@]}"; do
  echo "fresh-clone: make $target"
  make "$target"
done
