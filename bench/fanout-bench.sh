#!/usr/bin/env bash
# bench/fanout-bench.sh [RUNS]
#
# The orchestrator's fan-out benchmark (docs/benchmarks.md). Builds bench/Duplicator.Bench (not part of
# Duplicator.sln, so ./test.sh never builds it) and runs, RUNS times each (default 2), interleaved with the
# order rotated every run:
#   unthrottled  one 1 GiB image batch, copies 16, verify off, to 16 emulated DVD+R recorders at speed=0 with
#                discard=true (data checked and counted, stored nowhere), through the real tower; and the same
#                batch to 16 "null" drives (no MMC driver or emulator: the drive thread only copies what the
#                fan-out hands it); the emulated batch again with a window of 4 chunks instead of 16; peers: `cat IMAGE > /dev/null` and 16 parallel `dd if=IMAGE of=/dev/null bs=64K`.
#   throttled    a 256 MiB image to 16 recorders at speed=24 (33.24 MB/s each) with a 2 MiB buffer: cold (the
#                first batch of the process), warm (after a 16 MiB warm-up batch), and warm with drive d07 hitting
#                a one-shot WRITE error at LBA 65536 (half way).
#   mixed        a 300 MB image to a tower of three DVD+R at 16x and one at 4x (copies 4): each 16x drive's
#                fraction of its rated speed (pct_rated), and the stash bytes read as a multiple of the image.
#   slow         the 256 MiB image to 16 drives at 24x, drive d16 with the emulator's URL fault slow-at=32768:8 (from a
#                quarter of the image on it writes at 8x, as on poor media) (warm): SUMMARY_OTHERS is the other 15.
#   hang         the same, drive d16 with the URL fault hang-write-at=65536 (the middle of the image: that WRITE hangs
#                until its 30 s command timeout), stall deadline 10 s (warm): the other 15 must keep their rate and 0
#                underruns.
#   verify       a verifying batch on the default tower (config/duplicator.json, the drives ./run.sh uses, their dir=
#                moved under the scratch folder): 8 copies of the 256 MiB image; submit_to_batch_done_s against the ideal
#                2 x (image / 24x + image / 16x) per drive (docs/benchmarks.md).
#   first-write  time from submit to the first WRITE on a drive for the 1 GiB image and an 8 GiB sparse image
#                (BD-R, one drive, unthrottled): the content hash runs while the first wave streams; and for a
#                folder job (the 1 GiB image split into 8 files), next to the time mastering that folder alone takes.
# PARTS selects parts (default: "unthrottled throttled mixed slow hang verify first-write").
# With FILES=1 it also runs the 256 MiB batch unthrottled with discard=false (16 image files under the scratch
# folder) next to discard=true, to show what writing every copy to the file system costs.
# Scratch: $BENCH_SCRATCH or bench/out (images are made once from /dev/urandom and kept).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-2}
scratch=${BENCH_SCRATCH:-$here/bench/out}
mkdir -p "$scratch"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$here/bench/Duplicator.Bench" -c Release -nologo -v q >/dev/null
bench() { dotnet "$here/bench/Duplicator.Bench/bin/Release/net10.0/duplicator-bench.dll" --dir "$scratch/discs" "$@"; }
img1=$scratch/image-1024.iso
img256=$scratch/image-256.iso
img300=$scratch/image-300.iso
img8=$scratch/sparse-8g.iso
parts=" ${PARTS:-unthrottled throttled mixed slow hang verify first-write} "
want() { [[ "$parts" == *" $1 "* ]]; }
[ -f "$img1" ] || head -c 1G /dev/urandom > "$img1"
[ -f "$img256" ] || head -c 256M "$img1" > "$img256"
[ -f "$img300" ] || head -c 300000000 "$img1" | head -c $((300000000 / 2048 * 2048)) > "$img300"
[ -f "$img8" ] || truncate -s 8G "$img8" # sparse: no disc space, read as zeros
folder1=$scratch/folder-1g
[ -d "$folder1" ] || { mkdir -p "$folder1" && split -b 128M "$img1" "$folder1/part-"; }
cat "$img1" > /dev/null # page cache: every tool reads the image from memory
echo "fanout-bench: $runs run(s) each, interleaved; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC')"

now() { date +%s.%N; }
peer() { # label command... : prints a RESULT line with the aggregate rate of BYTES over the wall time
  local label=$1 bytes=$2; shift 2
  local t0 t1; t0=$(now); "$@"; t1=$(now)
  awk -v l="$label" -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "RESULT label=%s wall_s=%.3f aggregate_GBps=%.3f\n", l, z - a, b / (z - a) / 1e9 }'
}
dd16() { local i; for i in $(seq 16); do dd if="$img1" of=/dev/null bs=64K status=none & done; wait; }
log=$scratch/fanout-bench.log
: > "$log"
declare -A cmd=(
  [cat]="peer cat 1073741824 sh -c 'cat \"$img1\" > /dev/null'"
  [dd16]="peer dd16 17179869184 dd16"
  [tower-emulated]="bench --image '$img1' --label tower-emulated"
  [tower-emulated-w4]="bench --image '$img1' --window 4 --label tower-emulated-w4"
  [tower-null]="bench --image '$img1' --kind null --label tower-null"
)
order=(cat dd16 tower-emulated tower-emulated-w4 tower-null)
want unthrottled && for i in $(seq "$runs"); do
  k=$(( (i - 1) % ${#order[@]} ))
  for t in "${order[@]:k}" "${order[@]:0:k}"; do
    echo "run $i $(eval "${cmd[$t]}" | grep '^RESULT')" | tee -a "$log"
  done
done
want throttled && for i in $(seq "$runs"); do
  for t in cold warm fail; do
    case $t in
      cold) args=() ;;
      warm) args=(--warmup 16) ;;
      fail) args=(--warmup 16 --fail-drive 7 --fail-lba 65536) ;;
    esac
    out=$(bench --image "$img256" --speed 24 --buffer 2m --label "throttled-$t" "${args[@]}" 2>&1 || true)
    echo "$out" | grep -E '^(RESULT|SUMMARY)' | sed "s/^/run $i /" | tee -a "$log"
    echo "$out" | grep -E '^DISC' | sed "s/^/run $i throttled-$t /" >> "$log"
  done
done
run_part() { # label args... : RESULT and SUMMARY lines to the screen and the log, DISC lines to the log
  local label=$1 i=$2; shift 2
  local load0; load0=$(cut -d' ' -f1 /proc/loadavg)
  local out; out=$(bench --label "$label" "$@" 2>&1 || true)
  echo "run $i $label load_average_before=$load0 after=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$log"
  echo "$out" | grep -E '^(RESULT|SUMMARY)' | sed "s/^/run $i /" | tee -a "$log"
  echo "$out" | { grep -E '^(DISC|TIMELINE)' || true; } | sed "s/^/run $i $label /" >> "$log"
  echo "$out" | { grep -E '^duplicator-bench' || true; } | sed "s/^/run $i $label /" >> "$log"
}
for i in $(seq "$runs"); do
  want mixed && run_part mixed-16x-4x "$i" --image "$img300" --drives 4 --copies 4 --speed 16 --slow-drive 4 --slow-speed 4 --buffer 2m
  want slow && run_part slow-24x-one-slow-at "$i" --image "$img256" --speed 24 --slow-drive 16 --slow-at 32768 --slow-speed 8 --buffer 2m --warmup 16
  want hang && run_part hang-24x "$i" --image "$img256" --speed 24 --hang-drive 16 --hang-lba 65536 --stall 10 --buffer 2m --warmup 16
  # The default tower (config/duplicator.json: ./run.sh's four DVD+R at 24x, image files written, read-speed default
  # 16x), 8 verified copies of the 256 MiB image; TIMELINE lines (in the log) show each drive's WRITE and READ runs and
  # what lies between them.
  want verify && run_part verify-default-tower "$i" --image "$img256" --config "$here/config/duplicator.json" --copies 8 --verify true --timeline
  if want first-write; then
    run_part first-write-1g "$i" --image "$img1" --drives 1 --copies 1 --timeline
    run_part first-write-8g "$i" --image "$img8" --drives 1 --copies 1 --profile bd-r --timeline
    run_part first-write-folder-1g "$i" --folder "$folder1" --drives 1 --copies 1
  fi
done
if [ "${FILES:-0}" = 1 ]; then
  for i in $(seq "$runs"); do
    echo "run $i $(bench --image "$img256" --discard false --label files-256 | grep '^RESULT')" | tee -a "$log"
    rm -rf "$scratch/discs"; sync
    echo "run $i $(bench --image "$img256" --label discard-256 | grep '^RESULT')" | tee -a "$log"
  done
fi
rm -rf "$scratch/discs"
echo "all lines, per-disc ones included: $log"
