#!/usr/bin/env bash
# make bench-v8's loop: for each package:pattern pair, the package's
# benchmarks natively, on wazero (build/benchwasm/wasmbench) and on V8
# (run.mjs), the three engines taking turns COUNT times, then one table
# (build/benchwasm/benchtable). Arguments: BENCHTIME COUNT pkg:pattern...
#
# Node 20 now and then dies with a segmentation fault running a Go test
# binary (filter/jwt's most often: about one run in ten in a loaded
# session, after PASS or before any output): such a run is tried once more,
# and what it printed before dying is kept (complete benchmark lines only).
set -euo pipefail
benchtime=$1 count=$2
shift 2
root=$(pwd)
bin=$root/build/benchwasm

v8run() { # v8run OUT WASM PATTERN
  local out=$1 wasm=$2 pat=$3 tmp rc
  tmp=$(mktemp)
  for try in 1 2; do
    rc=0
    node --no-warnings "$root/e2e/v8bench/run.mjs" "$wasm" -test.run '^$' -test.bench "$pat" -test.benchtime "$benchtime" >"$tmp" || rc=$?
    grep '^Benchmark.* ns/op' "$tmp" >>"$out" || true
    if [ "$rc" = 0 ]; then rm -f "$tmp"; return 0; fi
    if tail -1 "$tmp" | grep -qx PASS; then
      echo "bench-v8: node $(node --version) crashed (exit $rc) after PASS; the run is complete" >&2
      rm -f "$tmp"; return 0
    fi
    echo "bench-v8: node $(node --version) exited $rc before the end (attempt $try):" >&2
    tail -3 "$tmp" >&2
  done
  rm -f "$tmp"
  return 1
}

for item in "$@"; do
  pkg=${item%%:*} pat=${item#*:}
  out=$bin/$(basename "$pkg")
  GOOS=wasip1 GOARCH=wasm go test -c -o "$out.wasm" "$pkg"
  go test -c -o "$out.native" "$pkg"
  echo "== $pkg $pat"
  rm -f "$out.native.txt" "$out.wazero.txt" "$out.v8.txt"
  for _ in $(seq "$count"); do
    (cd "$pkg" &&
      "$out.native" -test.run '^$' -test.bench "$pat" -test.benchtime "$benchtime" >>"$out.native.txt" &&
      "$bin/wasmbench" "$out.wasm" -test.run '^$' -test.bench "$pat" -test.benchtime "$benchtime" >>"$out.wazero.txt" &&
      v8run "$out.v8.txt" "$out.wasm" "$pat")
  done
  "$bin/benchtable" native="$out.native.txt" wazero="$out.wazero.txt" v8="$out.v8.txt"
done
