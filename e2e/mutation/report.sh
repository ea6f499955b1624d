#!/usr/bin/env bash
# Summarises `make mutation`: for each package log of gremlins in
# build/mutation, the mutants killed, timed out (the tests did not finish:
# a mutant that loops), lived and not covered, and the score
#
#   (killed + timed out) / (killed + timed out + lived - documented equivalent)
#
# where documented equivalents are the survivors listed in
# docs/mutation-equivalent.tsv (file, mutator, the source line, the
# mutant's column in it, why no test can tell it apart). A survivor is
# matched by its file, mutator, source line text and column within the
# trimmed line, so editing that line makes it a survivor to review again.
# Survivors not listed are printed: kill them with a test or document them.
set -euo pipefail
equiv=docs/mutation-equivalent.tsv
printf '%-10s %7s %9s %6s %11s %12s %10s %7s\n' package killed timed-out lived equivalent not-covered efficacy score
unexplained=0
for p in "$@"; do
  log=build/mutation/$p.log
  [ -f "$log" ] || { echo "$p: no $log"; continue; }
  read -r k l c < <(awk '/^Killed:/ {gsub(/,/,""); print $2, $4, $7}' "$log")
  t=$(awk '/^Timed out:/ {gsub(/,/,""); print $3}' "$log")
  eq=0
  while read -r _ kind _ pos; do
    IFS=: read -r file line col <<<"$pos"
    src=$(sed -n "${line}p" "filter/$p/$file")
    trimmed=${src#"${src%%[![:space:]]*}"}
    rel=$((col - (${#src} - ${#trimmed})))
    # Through the environment: awk -v would read "\t" in the source text as a tab.
    if F="filter/$p/$file" K="$kind" S="$trimmed" C="$rel" awk -F'\t' \
        '$1 == ENVIRON["F"] && $2 == ENVIRON["K"] && $3 == ENVIRON["C"] && $4 == ENVIRON["S"] {found=1} END {exit !found}' "$equiv" 2>/dev/null; then
      eq=$((eq + 1))
    else
      echo "  survivor not documented: $kind at filter/$p/$file:$line:$col  $trimmed" >&2
      unexplained=$((unexplained + 1))
    fi
  done < <(grep -E '^ *LIVED ' "$log" || true)
  awk -v p="$p" -v k="$k" -v t="$t" -v l="$l" -v e="$eq" -v c="$c" 'BEGIN {
    d = k + t; n = d + l - e
    printf "%-10s %7d %9d %6d %11d %12d %9.1f%% %6.1f%%\n", p, k, t, l, e, c, (k + l) ? 100 * k / (k + l) : 0, n ? 100 * d / n : 0 }'
done
if [ "$unexplained" -gt 0 ]; then
  echo "$unexplained survivor(s) neither killed nor documented in $equiv" >&2
fi
