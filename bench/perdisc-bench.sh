#!/usr/bin/env bash
# bench/perdisc-bench.sh [RUNS]
#
# Serial-numbered discs (docs/benchmarks.md): the same folder batch with and without per-disc files, interleaved with
# the order swapped every run (RUNS times, default 2), through the real tower (bench/Duplicator.Bench, --folder):
#   unthrottled  a 1 GiB folder (8 files of 128 MiB) to 16 emulated DVD+R recorders at speed=0, discard=true, copies 16;
#                with --per-disc 2: two 256-byte serial files and a volume name template per disc.
#   throttled    a 256 MiB folder (2 files of 128 MiB) to 16 recorders at 24x (33.24 MB/s each), 2 MiB buffer.
#   throttled1g  the 1 GiB folder to 16 recorders at 24x, 2 MiB buffer: the issue's benchmark (16 recorders, 1 GiB,
#                two per-disc files; ~32 s per disc).
# What to read: aggregate_GBps (per-disc / plain), read_x_image (the stash read once: ~1x either way), and for the
# throttled part each drive's pct_rated.
# Scratch: $BENCH_SCRATCH or bench/out.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-2}
BENCH_ARGS=${BENCH_ARGS:-}
scratch=${BENCH_SCRATCH:-$here/bench/out}
mkdir -p "$scratch"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$here/bench/Duplicator.Bench" -c Release -nologo -v q >/dev/null
bench() { dotnet "$here/bench/Duplicator.Bench/bin/Release/net10.0/duplicator-bench.dll" --dir "$scratch/discs" "$@"; }
img1=$scratch/image-1024.iso
[ -f "$img1" ] || head -c 1G /dev/urandom > "$img1"
folder1=$scratch/folder-1g
[ -d "$folder1" ] || { mkdir -p "$folder1" && split -b 128M "$img1" "$folder1/part-"; }
folder256=$scratch/folder-256m
[ -d "$folder256" ] || { mkdir -p "$folder256" && head -c 256M "$img1" | split -b 128M - "$folder256/part-"; }
cat "$folder1"/* > /dev/null
log=$scratch/perdisc-bench.log
: > "$log"
echo "perdisc-bench: $runs run(s) each, interleaved; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC')"
run() { # label args...
  local label=$1; shift
  echo "run $i $label: load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u '+%H:%M:%S UTC')" | tee -a "$log"
  local out; out=$(bench --label "$label" "$@" 2>&1 || true)
  echo "$out" | grep -E '^(RESULT|SUMMARY|PERDISC)' | sed "s/^/run $i /" | tee -a "$log"
  echo "$out" | { grep -E '^CPU' || true; } | sed "s/^/run $i $label /" >> "$log"
  echo "$out" | { grep -E '^DISC' || true; } | sed "s/^/run $i $label /" >> "$log"
  rm -rf "$scratch/discs"
}
parts=" ${PARTS:-unthrottled throttled throttled1g} "
for i in $(seq "$runs"); do
  if [[ "$parts" == *" unthrottled "* ]]; then
    if (( i % 2 )); then order=(plain perdisc); else order=(perdisc plain); fi
    for t in "${order[@]}"; do
      if [ "$t" = plain ]; then run unthrottled-plain --folder "$folder1"; else run unthrottled-perdisc --folder "$folder1" --per-disc 2; fi
    done
  fi
  if [[ "$parts" == *" throttled "* ]]; then
    if (( i % 2 )); then order=(plain perdisc); else order=(perdisc plain); fi
    for t in "${order[@]}"; do
      if [ "$t" = plain ]; then run throttled-plain --folder "$folder256" --speed 24 --buffer 2m;
      else run throttled-perdisc --folder "$folder256" --speed 24 --buffer 2m --per-disc 2; fi
    done
  fi
  if [[ "$parts" == *" throttled1g "* ]]; then
    if (( i % 2 )); then order=(plain perdisc); else order=(perdisc plain); fi
    for t in "${order[@]}"; do
      if [ "$t" = plain ]; then run throttled1g-plain --folder "$folder1" --speed 24 --buffer 2m $BENCH_ARGS;
      else run throttled1g-perdisc --folder "$folder1" --speed 24 --buffer 2m --per-disc 2 $BENCH_ARGS; fi
    done
  fi
done
echo "all lines, per-disc ones included: $log"
