#!/usr/bin/env bash
# bench/floor-bench.sh: a floor of towers (issue 14, docs/benchmarks.md).
#
# Starts what it needs itself: a private PostgreSQL (Debian's postgresql, initdb in a temp folder, as the postgres
# user when root, a loopback port; stopped and removed at the end) and the towers as real `dotnet duplicator.dll
# serve` processes on 127.0.0.1, each with DRIVES emulated drives (dvd+r at SPEED x, discard=true: nothing kept on
# disc, so verification is off: a discarded disc reads back as nothing). Three measurements in one run:
#   1. one tower alone (a floor of one) burns COPIES/TOWERS copies of a MB-MiB folder: its discs per minute;
#   2. TOWERS towers on one ledger burn one batch of COPIES copies: discs per minute, scaling = floor rate /
#      (TOWERS x one tower's rate), and the ledger's write latency per persisted command (the router tower's
#      duplicator_ledger_write_seconds histogram: sum / count);
#   3. a second batch of TOWERS x DRIVES copies, kill -9 of a tower that is not the router's while it burns: seconds
#      from the kill to the first disc started on another tower after its discs were interrupted.
# Rates are from submission to the batch's end (staging, the image fetch by the other towers and verification
# included). Each measured batch comes after WARMUP batches like it on the same towers (their first is printed as the
# cold figure): a tower is a long-running process, and a fresh one spends seconds of CPU compiling its code over its
# first batches, which here, with every tower on this machine's cores, would be measured as the floor's cost. Each
# figure says the CPU seconds the towers used meanwhile. Ends with one line:
#   floor: towers=N drives=D copies=C good=G scaling=S failover_s=F
# Env: TOWERS (4) DRIVES (8 per tower) COPIES (64) MB (100) SPEED (24) WARMUP (3 batches; 0: the cold figures only)
# BENCH_SCRATCH (a temp folder).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
towers=${TOWERS:-4}
drives=${DRIVES:-8}
copies=${COPIES:-64}
mb=${MB:-100}
speed=${SPEED:-24}
warmup=${WARMUP:-3}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The towers run as packaging/duplicator.service runs them (its Environment= lines that concern the runtime).
export DOTNET_TC_CallCountingDelayMs=${DOTNET_TC_CallCountingDelayMs:-0}
"$here/scripts/install-deps.sh"
command -v jq >/dev/null || { echo "floor-bench: jq is needed (Debian package jq)" >&2; exit 1; }
dotnet build "$here/src/Duplicator.Host" -c Release -nologo -v q >/dev/null
dll=$here/src/Duplicator.Host/bin/Release/net10.0/duplicator.dll
scratch=${BENCH_SCRATCH:-$(mktemp -d /tmp/floor-bench.XXXXXX)}
mkdir -p "$scratch"
chmod 755 "$scratch" # the postgres user reaches its data folder through it
pids=()
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir=$scratch/pg
# free_port: a random loopback port nothing answers on, below Linux's ephemeral range (32768 up: a port picked there
# was taken by an outgoing connection before its tower bound it, measured) and not handed out before in this run.
taken=" "
# Sets the variable named $1 (not a $(...) subshell: the ports handed out must be remembered here).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    case $taken in *" $p "*) continue ;; esac
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { taken+="$p "; printf -v "$1" '%s' "$p"; return; }
  done
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -d "$pgdir/data" ] && as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  if [ -z "${BENCH_SCRATCH:-}" ]; then rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

# The private PostgreSQL, as the tests start theirs (Serving/PostgresServer).
mkdir -p "$pgdir"
[ "$(id -u)" -eq 0 ] && chown postgres "$pgdir"
free_port pgport
as_pg "$pgbin/initdb" -D "$pgdir/data" -A trust -U duplicator --no-sync -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -t 60 -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
psql() { "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U duplicator -At "$@"; }

# The source: MB MiB of random bytes in a folder (staged once by the router's tower, fetched by the others by hash).
src=$scratch/src
mkdir -p "$src"
head -c "${mb}M" /dev/urandom > "$src/payload.bin"

# start_floor NAME N: N towers t1..tN on database NAME; sets ctl[i] (control URLs) and tpid[i].
start_floor() {
  local name=$1 n=$2 i d
  psql -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null
  local cports=() seeds=()
  for i in $(seq 1 "$n"); do free_port "cports[$i]"; done
  for i in $(seq 1 $((n < 2 ? n : 2))); do seeds+=("\"akka.tcp://duplicator@127.0.0.1:${cports[i]}\""); done
  local seedjson; seedjson=$(IFS=,; echo "[${seeds[*]}]")
  for i in $(seq 1 "$n"); do
    local dir=$scratch/$name/t$i port; free_port port
    mkdir -p "$dir"
    local dj=""
    for d in $(seq 1 "$drives"); do
      dj+="${dj:+,}{ \"id\": \"t$i-d$d\", \"url\": \"emulated:dvd+r?speed=$speed&dir=$dir/discs&name=t$i-d$d&autoreload=true&discard=true\" }"
    done
    cat > "$dir/duplicator.json" <<EOF
{
  "name": "t$i",
  "drives": [ $dj ],
  "storage": { "provider": "postgres", "connectionString": "Host=127.0.0.1;Port=$pgport;Username=duplicator;Database=$name" },
  "stash": "$dir/stash",
  "defaults": { "verify": false, "speed": 0, "failedDiscThreshold": 0, "quarantineAfter": 3, "rejectIfNotBlank": true },
  "control": { "listen": "http://127.0.0.1:$port", "allowedRoots": [ "$scratch" ] },
  "hotFolder": { "enabled": false, "path": "$dir/hot" },
  "logging": { "level": "Information" },
  "cluster": { "tower": "t$i", "host": "127.0.0.1", "port": ${cports[i]}, "seeds": $seedjson }
}
EOF
    (cd "$dir" && exec dotnet "$dll" serve --config "$dir/duplicator.json" > "$dir/log" 2>&1) &
    tpid[i]=$!
    pids+=("${tpid[i]}")
    ctl[i]=http://127.0.0.1:$port
  done
  # Up when the first tower lists every tower's drives (each agent registered with the router).
  local want=$((n * drives))
  for _ in $(seq 1200); do
    [ "$(curl -sf "${ctl[1]}/api/drives" | jq 'length' 2>/dev/null || echo 0)" -ge "$want" ] && return 0
    sleep 0.25
  done
  echo "floor-bench: floor $name did not list $want drives" >&2; tail -30 "$scratch/$name/t1/log" >&2; exit 1
}

stop_floor() { local i; for i in "${!tpid[@]}"; do kill -9 "${tpid[i]}" 2>/dev/null || true; wait "${tpid[i]}" 2>/dev/null || true; done; tpid=(); }

now() { date +%s.%N; }
# cpu_s: CPU seconds (user + system) the running towers have used so far.
cpu_s() {
  local i t=0 hz; hz=$(getconf CLK_TCK)
  for i in "${!tpid[@]}"; do
    [ -r "/proc/${tpid[i]}/stat" ] && t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/${tpid[i]}/stat")))
  done
  awk -v t="$t" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}
# poll_state URL ID: "STATE GOOD" of a batch, from the batch's own fields, which its answer lists before its discs
# (grep, not jq: a parse of every disc five times a second took a tenth of this machine's CPU from the towers).
poll_state() {
  local body st good
  body=$(curl -sf "$1/api/batches/$2" 2>/dev/null | head -c 2048) || true
  st=$(grep -o '"state": *"[a-z]*"' <<< "$body" | head -1 | sed 's/.*"\([a-z]*\)"$/\1/')
  good=$(grep -o '"good": *[0-9]*' <<< "$body" | head -1 | grep -o '[0-9]*$')
  echo "${st:-?} ${good:-0}"
}

# run_batch ID COPIES: submits to tower 1 and waits for the end; prints "SECONDS GOOD STATE CPU_SECONDS".
run_batch() {
  local id=$1 c=$2 start end state c0 c1
  c0=$(cpu_s)
  start=$(now)
  curl -sf -H 'Content-Type: application/json' -d "{\"schema\":\"duplicator.job/1\",\"id\":\"$id\",\"folder\":\"$src\",\"copies\":$c}" "${ctl[1]}/api/batches" >/dev/null
  while :; do
    state=$(poll_state "${ctl[1]}" "$id")
    case $state in completed*|failed*|cancelled*) break ;; esac
    sleep 0.2
  done
  end=$(now)
  c1=$(cpu_s)
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') ${state#* } ${state%% *} $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')"
}

# warm_up NAME COPIES: WARMUP batches like the measured one first, so it finds the towers' code compiled as a floor
# that has run for a while has it (a fresh process spends seconds of CPU in the JIT over its first batches, and here
# every tower shares this machine's cores); prints the first one's figures (the cold floor) and the warm-up's total.
warm_up() {
  local name=$1 n=$2 k s g st c total=0 cpu=0
  [ "$warmup" -gt 0 ] || return 0
  for k in $(seq 1 "$warmup"); do
    read -r s g st c < <(run_batch "$name-warm-$k" "$n")
    [ "$st" = completed ] || { echo "floor-bench: warm-up batch $name-warm-$k ended $st ($g good)" >&2; exit 1; }
    [ "$k" = 1 ] && echo "floor-bench: $name, cold (the first batch after start): $g/$n good in ${s}s = $(awk -v c="$g" -v s="$s" 'BEGIN { printf "%.2f", c / s * 60 }') discs/min; $(busy "$c" "$s")"
    total=$(awk -v a="$total" -v b="$s" 'BEGIN { printf "%.2f", a + b }'); cpu=$(awk -v a="$cpu" -v b="$c" 'BEGIN { printf "%.2f", a + b }')
  done
  echo "floor-bench: $name: warm-up of $warmup batch(es) of $n copies in ${total}s, ${cpu} CPU s by the towers"
}

# busy CPU SECONDS: "C CPU s by the towers (B cores busy)".
busy() { awk -v c="$1" -v s="$2" 'BEGIN { printf "%.2f CPU s by the towers (%.2f cores busy)", c, c / s }'; }

echo "floor-bench: towers=$towers drives/tower=$drives copies=$copies image=${mb}MiB speed=${speed}x; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC')"

# 1. One tower alone, its share of the copies.
declare -a ctl tpid
one=$(( (copies + towers - 1) / towers ))
start_floor alone 1
warm_up alone "$one"
read -r s1 g1 st1 cpu1 < <(run_batch alone "$one")
rate1=$(awk -v c="$g1" -v s="$s1" 'BEGIN { printf "%.2f", c / s * 60 }')
echo "floor-bench: one tower: $g1/$one good ($st1) in ${s1}s = $rate1 discs/min; $(busy "$cpu1" "$s1")"
stop_floor

# 2. The floor, one batch of COPIES.
start_floor floor "$towers"
warm_up floor "$copies"
read -r sn gn stn cpun < <(run_batch floor "$copies")
raten=$(awk -v c="$gn" -v s="$sn" 'BEGIN { printf "%.2f", c / s * 60 }')
scaling=$(awk -v r="$raten" -v o="$rate1" -v n="$towers" 'BEGIN { printf "%.2f", r / (n * o) }')
router=$(grep -l "floor: the router runs on this tower" "$scratch"/floor/t*/log | tail -1 | sed 's|.*/t\([0-9]*\)/log|\1|')
metrics=$(curl -sf "${ctl[$router]}/metrics" || true)
lsum=$(grep '^duplicator_ledger_write_seconds_sum' <<< "$metrics" | awk '{ s += $NF } END { print s + 0 }')
lcount=$(grep '^duplicator_ledger_write_seconds_count' <<< "$metrics" | awk '{ s += $NF } END { print s + 0 }')
ledger_ms=$(awk -v s="$lsum" -v c="$lcount" 'BEGIN { if (c > 0) printf "%.1f", s / c * 1000; else print "n/a" }')
per_tower=$(curl -sf "${ctl[1]}/api/batches/floor" | jq -r '[.discs[] | select(.state == "completed") | .drive | split("-")[0]] | group_by(.) | map("\(.[0])=\(length)") | join(" ")')
echo "floor-bench: floor: $gn/$copies good ($stn) in ${sn}s = $raten discs/min; scaling $scaling; good by tower: $per_tower; ledger write ${ledger_ms} ms mean over $lcount commands (router t$router); $(busy "$cpun" "$sn")"

# 3. Failover: a batch of one disc per drive, kill -9 of a tower other than the router's while it burns.
fcopies=$((towers * drives))
failover=n/a
if [ "$towers" -ge 2 ]; then
  curl -sf -H 'Content-Type: application/json' -d "{\"schema\":\"duplicator.job/1\",\"id\":\"failover\",\"folder\":\"$src\",\"copies\":$fcopies}" "${ctl[$router]}/api/batches" >/dev/null
  victim=""
  for _ in $(seq 2400); do
    victim=$(curl -sf "${ctl[$router]}/api/batches/failover" | jq -r --arg r "t$router" '[.discs[] | select(.state == "started") | .drive | split("-")[0] | select(. != $r)] | first // empty' 2>/dev/null || true)
    [ -n "$victim" ] && break
    sleep 0.1
  done
  [ -n "$victim" ] || { echo "floor-bench: no disc started on a tower other than t$router" >&2; exit 1; }
  v=${victim#t}
  before=$(curl -sf "${ctl[$router]}/api/batches/failover" | jq -c '[.discs[].number]')
  mine=$(curl -sf "${ctl[$router]}/api/batches/failover" | jq -c --arg v "$victim-" '[.discs[] | select(.state == "started" and (.drive | startswith($v))) | .number]')
  killed=$(now)
  kill -9 "${tpid[v]}"
  restarted=""
  while [ -z "$restarted" ]; do
    d=$(curl -sf "${ctl[$router]}/api/batches/failover" || echo '{}')
    if [ "$(jq --argjson m "$mine" '[.discs[]? | select((.number as $n | $m | index($n)) and .state == "interrupted")] | length' <<< "$d")" -gt 0 ] \
      && [ "$(jq --argjson b "$before" --arg v "$victim-" '[.discs[]? | select((.number as $n | $b | index($n) | not) and (.drive | startswith($v) | not))] | length' <<< "$d")" -gt 0 ]; then
      restarted=$(now)
    fi
    [ "$(awk -v a="$killed" -v b="$(now)" 'BEGIN { print (b - a > 300) }')" = 1 ] && { echo "floor-bench: nothing restarted within 300 s" >&2; break; }
    sleep 0.1
  done
  [ -n "$restarted" ] && failover=$(awk -v a="$killed" -v b="$restarted" 'BEGIN { printf "%.1f", b - a }')
  while :; do
    st=$(poll_state "${ctl[$router]}" failover)
    case $st in completed*|failed*|cancelled*) break ;; esac
    sleep 0.5
  done
  echo "floor-bench: failover: kill -9 of $victim (discs $mine in flight) -> first disc restarted elsewhere ${failover}s later; batch $st/$fcopies good"
fi
stop_floor
echo "floor-bench: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "floor: towers=$towers drives=$((towers * drives)) copies=$copies good=$gn scaling=$scaling failover_s=$failover"
