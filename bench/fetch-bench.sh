#!/usr/bin/env bash
# bench/fetch-bench.sh [RUNS] [MIB]
#
# One staged image fetched between towers (docs/benchmarks.md): the real control API (GET /api/images/{sha256},
# Kestrel on 127.0.0.1) in one process serving an image of MIB MiB (default 1024, random bytes), and in another
# HttpImageFetcher writing it to a .part file, hashing every byte, fsync and rename. Side by side, interleaved, RUNS
# times (default 3): curl -o of the same URL (no hash, no fsync: a floor for the transfer alone), curl then
# sha256sum then fsync (the same work by peers, one after the other), and a fetch whose
# connection is cut at half and resumed (body_bytes_received must equal the image's size: nothing sent twice).
# Each fetcher run prints its MB/s and its peak RSS (VmHWM); the server's peak RSS is read at the end.
# Scratch: $BENCH_SCRATCH or bench/out.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
mib=${2:-1024}
scratch=${BENCH_SCRATCH:-$here/bench/out}
mkdir -p "$scratch"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$here/bench/Duplicator.FetchBench" -c Release -nologo -v q >/dev/null
dll=$here/bench/Duplicator.FetchBench/bin/Release/net10.0/duplicator-fetch-bench.dll
bench() { dotnet "$dll" "$@"; }
img=$scratch/image-$mib.iso
[ -f "$img" ] || head -c "${mib}M" /dev/urandom > "$img"
bytes=$(stat -c %s "$img")
target=$scratch/fetched.iso
fifo=$scratch/fetch-serve.in
rm -f "$fifo" "$scratch/fetch-serve.out"
mkfifo "$fifo"
dotnet "$dll" serve --image "$img" < "$fifo" > "$scratch/fetch-serve.out" & # not through a function: $! is the server itself
server=$!
exec 3> "$fifo"
trap 'exec 3>&- 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$fifo" "$target" "$target.part"' EXIT
for _ in $(seq 600); do grep -q '^SERVING' "$scratch/fetch-serve.out" 2>/dev/null && break; sleep 0.1; done
read -r _ url sha _ < "$scratch/fetch-serve.out"
echo "fetch-bench: $runs run(s) of $bytes bytes from $url; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC')"
log=$scratch/fetch-bench.log
: > "$log"
for i in $(seq "$runs"); do
  rm -f "$target" "$target.part"
  bench fetch --from "$url" --sha "$sha" --bytes "$bytes" --target "$target" | sed "s/^RESULT fetch/run $i fetcher/" | tee -a "$log"
  [ "$(sha256sum < "$target" | cut -c1-64)" = "$sha" ] || { echo "fetch-bench: run $i: the fetched file differs" >&2; exit 1; }
  rm -f "$target"
  t=$( { /usr/bin/time -f '%e %M' curl -sf -o "$target" "$url/api/images/$sha"; } 2>&1 )
  read -r secs rss <<< "$t"
  awk -v i="$i" -v b="$bytes" -v s="$secs" -v r="$rss" 'BEGIN { printf "run %d curl bytes=%d seconds=%.3f MBps=%.1f peak_rss_mib=%.1f\n", i, b, s, b / s / 1e6, r / 1024 }' | tee -a "$log"
  rm -f "$target"
  # What the fetcher does, by peers: curl, then sha256sum, then fsync (coreutils sync FILE).
  start=$(date +%s.%N)
  curl -sf -o "$target" "$url/api/images/$sha"
  [ "$(sha256sum < "$target" | cut -c1-64)" = "$sha" ]
  sync "$target"
  end=$(date +%s.%N)
  awk -v i="$i" -v b="$bytes" -v s="$(awk -v a="$start" -v e="$end" 'BEGIN { print e - a }')" 'BEGIN { printf "run %d curl+sha256sum+fsync bytes=%d seconds=%.3f MBps=%.1f\n", i, b, s, b / s / 1e6 }' | tee -a "$log"
  rm -f "$target"
  bench fetch --from "$url" --sha "$sha" --bytes "$bytes" --target "$target" --cut-after $((bytes / 2)) | sed "s/^RESULT fetch/run $i cut-and-resume/" | tee -a "$log"
  [ "$(sha256sum < "$target" | cut -c1-64)" = "$sha" ] || { echo "fetch-bench: run $i: the resumed file differs" >&2; exit 1; }
done
server_rss=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$server/status")
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
field() { grep " $1 " "$log" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p"; }
f=$(field fetcher MBps | median); c=$(field curl MBps | median); p=$(field curl+sha256sum+fsync MBps | median); r=$(field cut-and-resume MBps | median)
frss=$(field fetcher peak_rss_mib | sort -n | tail -1)
echo "fetch: bytes=$bytes fetcher_MBps=$f curl_MBps=$c curl_sha_fsync_MBps=$p ratio_to_curl=$(awk -v f="$f" -v c="$c" 'BEGIN { printf "%.2f", f / c }') ratio_to_curl_sha_fsync=$(awk -v f="$f" -v c="$p" 'BEGIN { printf "%.2f", f / c }') resume_MBps=$r fetcher_peak_rss_mib=$frss server_peak_rss_mib=$server_rss"
