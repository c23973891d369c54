#!/usr/bin/env bash
# bench/master-bench.sh [CORPUS_DIR] [RUNS]
#
# Times `duplicator master` against genisoimage -J and xorriso -as mkisofs --norock -J on one folder
# tree, interleaved (copy, duplicator, genisoimage, xorriso, copy, ...) so that machine noise hits all
# alike, the order rotated every run, RUNS times each (default 8); prints medians of wall time, throughput (source bytes / wall
# time), peak RSS, and each tool's ratio to the copy limit (cat of every file into one file).
# Without CORPUS_DIR it makes a 2 GiB tree with ../shared/oracles/make-corpus.sh DIR 2048 --joliet-safe.
# BENCH_FILESYSTEM=udf-bridge compares `duplicator master --filesystem udf-bridge` with genisoimage -J -udf
# instead (xorriso writes no UDF and is left out).
# Every output goes to a scratch folder next to the corpus and is deleted after each run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-}
runs=${2:-8}
scratch=${BENCH_SCRATCH:-$here/bench/out}
mkdir -p "$scratch"
if [ -z "$corpus" ]; then
  corpus=$scratch/corpus
  if [ ! -d "$corpus" ]; then
    mk=$here/../shared/oracles/make-corpus.sh
    [ -x "$mk" ] || [ -f "$mk" ] || { echo "master-bench: no CORPUS_DIR and no $mk" >&2; exit 2; }
    bash "$mk" "$corpus" 2048 --joliet-safe
  fi
fi
for t in genisoimage xorriso; do command -v $t >/dev/null || { echo "master-bench: $t missing (scripts/install-deps.sh)" >&2; exit 2; }; done
[ -x /usr/bin/time ] || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null; }
dotnet build "$here/src/Duplicator.Host" -c Release -nologo -v q >/dev/null
dll=$here/src/Duplicator.Host/bin/Release/net10.0/duplicator.dll
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
files=$(find "$corpus" -type f | wc -l)
echo "corpus: $corpus ($files files, $bytes bytes); $runs runs each, interleaved; $(nproc) cores"

declare -A cmd=(
  [copy]="find '$corpus' -type f -print0 | xargs -0 cat > '$scratch/out.img'"
  [duplicator]="dotnet '$dll' master '$corpus' -o '$scratch/out.img' --media dvd-dl --filesystem joliet > /dev/null"
  [genisoimage]="genisoimage -quiet -J -o '$scratch/out.img' '$corpus' 2> /dev/null"
  [xorriso]="xorriso -as mkisofs --norock -J -o '$scratch/out.img' '$corpus' 2> /dev/null"
)
order=(copy duplicator genisoimage xorriso)
if [ "${BENCH_FILESYSTEM:-joliet}" = udf-bridge ]; then
  cmd[duplicator]="dotnet '$dll' master '$corpus' -o '$scratch/out.img' --media dvd-dl --filesystem udf-bridge > /dev/null"
  cmd[genisoimage]="genisoimage -quiet -J -udf -o '$scratch/out.img' '$corpus' 2> /dev/null"
  order=(copy duplicator genisoimage)
  echo "file systems: ISO 9660 + Joliet + UDF (duplicator --filesystem udf-bridge, genisoimage -J -udf)"
fi
declare -A secs rss
for i in $(seq "$runs"); do
  # Rotate the order every run: the tool that runs right after the previous output was deleted pays for
  # the file system's clean-up (measured: the same 2 GiB FileStream write took 4.3 s or 0.6 s by position).
  k=$(( (i - 1) % ${#order[@]} ))
  for t in "${order[@]:k}" "${order[@]:0:k}"; do
    rm -f "$scratch/out.img"; sync
    /usr/bin/time -f '%e %M' -o "$scratch/time.txt" bash -c "${cmd[$t]}"
    read -r e m < "$scratch/time.txt"
    secs[$t]+="$e "; rss[$t]+="$m "
    printf '  run %d %-12s %6.2f s  %7d KB\n' "$i" "$t" "$e" "$m"
  done
done
rm -f "$scratch/out.img" "$scratch/time.txt"
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
copy_s=$(echo "${secs[copy]}" | median)
printf '\n| tool | median s | MB/s | ratio to copy limit | peak RSS MB (median) |\n|---|---|---|---|---|\n'
for t in "${order[@]}"; do
  s=$(echo "${secs[$t]}" | median); r=$(echo "${rss[$t]}" | median)
  awk -v t="$t" -v s="$s" -v b="$bytes" -v c="$copy_s" -v r="$r" \
    'BEGIN { printf "| %s | %.2f | %.0f | %.2f | %.0f |\n", t, s, b / s / 1e6, c / s, r / 1024 }'
done
