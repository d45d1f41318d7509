#!/usr/bin/env bash
# End-to-end LBRY download benchmark over loopback.
#
# Starts seeder nodes of the Release build of the smartshare CLI on 127.0.0.1, shares a file of random
# bytes (1 GiB by default) on seeder 1, and times `get` of that stream into a fresh downloader node:
#   1 seeder   the downloader gets every blob from seeder 1;
#   3 seeders  seeders 2 and 3 first get the stream from seeder 1, then the downloader gets it with
#              --peer for all three.
# Each run uses a new downloader node (new data dir, so no blob is present and its peak RSS is its own),
# checks the file is byte-identical to the source (cmp) and reads peak RSS (VmHWM) of the downloader and
# of the seeders from /proc (the seeders' peak is reset just before each get, so it is the serving peak).
# Figures are printed next to this machine's single-core `openssl speed -evp sha384` rate at 16 KiB
# blocks (every downloaded blob is hashed with SHA-384). Targets, judged on the median run with the time
# `get` reports: download rate >= 60% of single-core SHA-384, downloader peak RSS < 150 MiB.
#
# Each fresh downloader first gets a small warm-up stream (8 MiB, not timed) and answers 60 `file_list` calls for it,
# the call `get` polls with (a few minutes of a UI or a `get` following its progress), so the timed get measures a
# running node, not the .NET JIT compiling the download path for the first time nor recompiling the API's path at
# tier 1 (about 600 methods, 0.3 s of CPU, which the get's own progress polls would otherwise trigger midway), as
# bench/first-byte.sh's running-node rows; --cold skips both and times the first get after the node started.
#
# Right before each timed get, a page-cache ballast as large as the stream is written and deleted, so the get's
# writes land in memory the kernel has just freed (write_ballast in bench/lib/common.sh: on a virtual machine that
# hands free memory back to its host, a 512 MiB page-cache write takes 3-4 s instead of 0.1 s). Each run prints how
# long the ballast took, which shows the state the machine's memory was in.
#
# Usage: bench/download-throughput.sh [--size-mib N] [--runs N] [--cold] [--strict] [--smoke] [--keep]
# Environment (flags win): BENCH_SIZE_MIB (1024), BENCH_RUNS (3, per scenario),
# BENCH_TMPDIR (parent of the work folder; default ${TMPDIR:-/tmp}; must be a real disk, not tmpfs).
# --strict makes a missed target exit with status 1; by default only errors and a differing file do.
# --smoke checks the script still works, in seconds: 4 MiB, one run per scenario, a 1 s openssl figure, targets
# not enforced, a memory file system allowed (BENCH_CLI, a smartshare.dll already built, skips the build).
# --cores N is accepted and ignored (the target is single-core), so scripts/bench can pass the arguments
# of bench/share-throughput.sh to both.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_SIZE_MIB:-1024}"
runs="${BENCH_RUNS:-3}"
strict=0
keep=0
smoke=0
cold=0

while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --cores) : "${2:?--cores needs a value}"; shift 2 ;;
    --strict) strict=1; shift ;;
    --cold) cold=1; shift ;;
    --keep) keep=1; shift ;;
    --smoke) smoke=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done

speed_seconds=3 idle_seconds=2
if [ "$smoke" -eq 1 ]; then
  size_mib=4 runs=1 strict=0 speed_seconds=1 idle_seconds=1
fi

for value in "$size_mib" "$runs"; do
  if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
    echo "Sizes and counts must be positive integers, not '$value'." >&2
    exit 2
  fi
done

for tool in dotnet openssl /usr/bin/time timeout cmp awk sed sort head df stat grep; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed." >&2; exit 1; }
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

size_bytes=$((size_mib * 1024 * 1024))

# --- 1. Build the CLI (Release). A private artifacts path keeps bin/ and obj/ apart from any other build.
build_cli

# --- 2. A work folder on disk, node bookkeeping and the source file.
parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
work="$(mktemp -d "$parent/smartshare-download-bench.XXXXXX")"

# Nodes this script started and has not stopped yet: pid -> name. The EXIT trap stops them all.
declare -A live_nodes=()
# stop_node PID: SIGTERM, up to 15 s to exit, then SIGKILL; reaps the process.
stop_node() {
  local pid="$1" i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "Node $pid (${live_nodes[$pid]:-?}) did not stop in 15 s; killing it." >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  unset "live_nodes[$pid]"
}
cleanup() {
  local pid
  for pid in "${!live_nodes[@]}"; do
    stop_node "$pid"
  done
  if [ "$keep" -eq 1 ]; then
    echo "Kept the work folder $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# At most: the source, seeder 1's blobs, seeders 2 and 3's blobs and files, one downloader's blobs and file, the ballast.
need_kib=$(( (size_bytes / 1024) * 8 + 512 * 1024 ))
require_disk "$work" "$need_kib"

source_file="$work/random-${size_mib}MiB.bin"
say "== Writing ${size_mib} MiB of random bytes to $source_file ($fs_type)"
write_random_file "$source_file" "$size_bytes"
warm_file="$work/warm-up-8MiB.bin"
[ "$cold" -eq 1 ] || write_random_file "$warm_file" $((8 * 1024 * 1024))

# Other processes sharing the cores skew every figure here, so the script measures them: busy CPU ticks of
# the whole machine (/proc/stat) around each measured command, minus the CPU of the processes measured
# (the nodes' utime+stime from /proc/PID/stat and the CLI client's user+sys). Kernel threads writing
# blobs back count as "other" too, so a few tenths of a second are normal for a large file.
cores_busy_before="$(
  before="$(cpu_busy_ticks)"; sleep "$idle_seconds"
  awk -v b="$before" -v a="$(cpu_busy_ticks)" -v hz="$ticks_per_second" -v s="$idle_seconds" 'BEGIN { printf "%.2f", (a - b) / hz / s }'
)"
say "== Before starting, other processes kept $cores_busy_before cores busy (load average $(cut -d ' ' -f 1-3 /proc/loadavg))"
if awk "BEGIN { exit !($cores_busy_before > 0.05) }"; then
  say "   WARNING: the machine is not idle; the figures below will be low and noisy."
fi


# --- 3. This machine's single-core SHA-384 rate at 16 KiB blocks.
# `openssl speed` prints a "type ... 16384 bytes" header, then one row whose last column is the
# figure in 1000s of bytes per second with a trailing "k".
say "== openssl speed -evp sha384 -bytes 16384 -seconds $speed_seconds (single core)"
speed_before="$(cpu_busy_ticks)"
speed_out="$(/usr/bin/time -f '%U %S' -o "$work/speed.time" openssl speed -evp sha384 -bytes 16384 -seconds "$speed_seconds" 2>/dev/null)"
speed_foreign="$(awk -v b="$speed_before" -v a="$(cpu_busy_ticks)" -v hz="$ticks_per_second" \
  '{ own = $(NF - 1) + $NF } END { f = (a - b) / hz - own; printf "%.2f", f < 0 ? 0 : f }' "$work/speed.time")"
sha_kbs="$(awk '/^type/ { header = 1; next } header && NF > 1 { v = $NF; sub(/k$/, "", v); print v; exit }' <<<"$speed_out")"
if ! [[ "$sha_kbs" =~ ^[0-9.]+$ ]]; then
  echo "Could not read the openssl speed figure (SHA-384 '$sha_kbs')." >&2
  exit 1
fi
sha_bps="$(calc 0 "$sha_kbs * 1000")"
target_bps="$(calc 0 "$sha_bps * 0.6")"
say "   SHA-384: ${sha_kbs}k = $(mb "$sha_bps") MB/s = $(mib "$sha_bps") MiB/s (other processes used $speed_foreign s CPU meanwhile)"
say "   target:  60% of that = $(mib "$target_bps") MiB/s"

# --- 4. Nodes.
# start_node NAME: starts a node with data in $work/NAME and downloads in $work/NAME-downloads, waits
# (up to 60 s) for its "API on ..." line and sets node_pid, node_api and node_port (TCP blob port = UDP port).
# Each node takes a free BitTorrent port (two nodes on the default 6881 clash) and runs no Mainline DHT: this
# benchmark is about LBRY blobs and must not bootstrap off loopback.
node_pid="" node_api="" node_port=""
start_node() {
  local name="$1" log="$work/$1.log" line i
  rm -rf "${work:?}/$name" "${work:?}/$name-downloads"
  dotnet "$cli" start --port 0 --bt-port 0 --no-bt-dht --bind 127.0.0.1 --allow-lan --api http://127.0.0.1:0 \
    --data-dir "$work/$name" --download-dir "$work/$name-downloads" 2>"$log" >/dev/null &
  node_pid=$!
  live_nodes[$node_pid]="$name"
  line=""
  for i in $(seq 1 600); do
    line="$(grep -m 1 -E 'API on http://' "$log" || true)"
    [ -n "$line" ] && break
    if ! kill -0 "$node_pid" 2>/dev/null; then
      echo "The $name node (pid $node_pid) exited before it was ready. Its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [ -z "$line" ]; then
    echo "The $name node (pid $node_pid) did not print its API address within 60 s. Its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  node_api="$(sed -n 's/.*API on \(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' <<<"$line")"
  node_port="$(sed -n 's/.*UDP 127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")"
  if [ -z "$node_api" ] || [ -z "$node_port" ]; then
    echo "Could not read the API URL and port of the $name node from: $line" >&2
    exit 1
  fi
}

# cli_json NAME LIMIT_S ARGS...: runs the CLI under /usr/bin/time (and timeout), leaves its JSON in
# $work/NAME.json and "wall rss_kib user sys" in $work/NAME.time.
cli_json() {
  local name="$1" limit="$2"; shift 2
  if ! /usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" \
      timeout "$limit" dotnet "$cli" "$@" --json >"$work/$name.json" 2>"$work/$name.err"; then
    echo "smartshare $1 failed or took over $limit s ($name):" >&2
    cat "$work/$name.err" "$work/$name.json" >&2
    exit 1
  fi
}
get_limit=$((600 + size_mib))

say "== Starting seeder 1 and sharing the file through it"
start_node seeder1
seed1_pid="$node_pid" seed1_api="$node_api" seed1_port="$node_port"
say "   seeder 1: pid $seed1_pid, API $seed1_api, blob port $seed1_port"
cli_json share "$get_limit" share "$source_file" --api "$seed1_api" --out "$work/share.smartshare"
share_json="$(cat "$work/share.json")"
sd_hash="$(json_field sd_hash "$share_json")"
[ -n "$sd_hash" ] || { echo "share printed no sd_hash: $share_json" >&2; exit 1; }
[ "$(json_field size "$share_json")" = "$size_bytes" ] || { echo "share reported a size other than $size_bytes: $share_json" >&2; exit 1; }
share_s="$(json_field seconds "$share_json")"
say "   shared in $share_s s ($(calc 1 "$size_mib / $share_s") MiB/s, $(json_field blobs "$share_json") blobs), sd_hash ${sd_hash:0:16}..."
# api_warm_up API KEY COUNT: COUNT file_list calls for KEY to the node at API, the call a following `get` polls with
# (and a UI's transfer page), not timed.
api_warm_up() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY' || { echo "The API warm-up of $1 failed." >&2; exit 1; }
import json, sys, urllib.request
api, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "file_list", "params": {"key": key, "files_limit": 0}}).encode()
for _ in range(count):
    request = urllib.request.Request(api + "/", body, {"Content-Type": "application/json"})
    answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
    if "error" in answer:
        sys.exit("file_list failed: %s" % answer["error"])
PY
}
warm_hash=""
if [ "$cold" -eq 0 ]; then
  cli_json share-warm-up "$get_limit" share "$warm_file" --api "$seed1_api" --out "$work/warm-up.smartshare"
  warm_hash="$(json_field sd_hash "$(cat "$work/share-warm-up.json")")"
fi
# After a share the node checks the file once more (every blob rebuilt from it) before it serves the stream from the
# file alone; a get timed while that runs would share the cores with it. Wait for it (at most a minute).
held="" held_want=$((cold == 1 ? 1 : 2))
for _ in $(seq 1 120); do
  held="$(dotnet "$cli" status --api "$seed1_api" --json 2>/dev/null | grep -o '"plain_file_streams":[0-9]*' || true)"
  [ "$held" = "\"plain_file_streams\":$held_want" ] && break
  sleep 0.5
done
[ "$held" = "\"plain_file_streams\":$held_want" ] && say "   seeder 1 serves the stream from the shared file (its data blobs rebuilt on demand)" \
  || say "   (seeder 1 did not hold the shared file within a minute; it serves the stream from its blobs)"
sync

# --- 5. Timed downloads. Per scenario: arrays of own seconds, wall seconds, downloader and seeder peaks.
identical="yes"
foreign_max=0
cold_runs=0
dl_index=0
# measure SCENARIO SEEDER_PIDS SEEDER_PORTS: $runs downloads into fresh downloader nodes; appends
# "own wall dl_hwm_kib seed_hwm_kib" lines to $work/SCENARIO.results.
measure() {
  local scenario="$1" seeder_pids seeder_ports
  read -r -a seeder_pids <<<"$2"
  read -r -a seeder_ports <<<"$3"
  local i pid port dl_pid dl_api dl_ticks_before dl_ticks peers=() json own wall rss user sys out_path same ballast_s
  local machine_before node_before machine_after node_after foreign dl_hwm dl_anon dl_idle seed_hwm seed_list hwm
  for port in "${seeder_ports[@]}"; do peers+=(--peer "127.0.0.1:$port"); done
  : >"$work/$scenario.results"
  for i in $(seq 1 "$runs"); do
    dl_index=$((dl_index + 1))
    rm -rf "${work:?}/downloader$((dl_index - 1))" "${work:?}/downloader$((dl_index - 1))-downloads" "${work:?}/downloader$((dl_index - 1))-warm-up"
    sync
    start_node "downloader$dl_index"
    dl_pid="$node_pid" dl_api="$node_api"
    dl_idle="$(status_kib "$dl_pid" VmRSS)"
    for pid in "${seeder_pids[@]}"; do
      echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || say "   (could not reset the peak RSS of seeder pid $pid; its figure includes earlier work)"
    done
    if [ -n "$warm_hash" ]; then
      cli_json "$scenario-warm-up$i" "$get_limit" get "$warm_hash" --peer "127.0.0.1:${seeder_ports[0]}" \
        --download-dir "$work/downloader$dl_index-warm-up" --api "$dl_api"
      api_warm_up "$dl_api" "$warm_hash" 60
    fi
    ballast_s="$(write_ballast "$work/memory-ballast" "$size_mib")"
    machine_before="$(cpu_busy_ticks)"
    node_before="$(process_ticks "$dl_pid" "${seeder_pids[@]}")"
    dl_ticks_before="$(process_ticks "$dl_pid")"
    cli_json "$scenario-get$i" "$get_limit" get "$sd_hash" "${peers[@]}" \
      --download-dir "$work/downloader$dl_index-downloads" --api "$dl_api"
    machine_after="$(cpu_busy_ticks)"
    node_after="$(process_ticks "$dl_pid" "${seeder_pids[@]}")"
    dl_ticks="$(( $(process_ticks "$dl_pid") - dl_ticks_before ))"
    dl_hwm="$(status_kib "$dl_pid" VmHWM)"
    dl_anon="$(status_kib "$dl_pid" RssAnon)"
    seed_hwm=0 seed_list=""
    for pid in "${seeder_pids[@]}"; do
      hwm="$(status_kib "$pid" VmHWM)"
      seed_list+="${seed_list:+/}$(kib_mib "$hwm")"
      if [ "$hwm" -gt "$seed_hwm" ]; then seed_hwm="$hwm"; fi
    done
    json="$(cat "$work/$scenario-get$i.json")"
    read -r wall rss user sys <"$work/$scenario-get$i.time"
    foreign="$(awk -v mb="$machine_before" -v ma="$machine_after" -v nb="$node_before" -v na="$node_after" \
      -v u="$user" -v s="$sys" -v hz="$ticks_per_second" \
      'BEGIN { f = (ma - mb - (na - nb)) / hz - u - s; printf "%.2f", f < 0 ? 0 : f }')"
    foreign_max="$(printf '%s\n' "$foreign_max" "$foreign" | maximum)"
    own="$(json_field seconds "$json")"
    out_path="$(json_field path "$json")"
    [ "$(json_field size "$json")" = "$size_bytes" ] || { echo "get reported a size other than $size_bytes: $json" >&2; exit 1; }
    if cmp -s "$source_file" "$out_path"; then same="identical"; else same="DIFFERENT"; identical="no"; fi
    printf '%s %s %s %s\n' "$own" "$wall" "$dl_hwm" "$seed_hwm" >>"$work/$scenario.results"
    say "   run $i: $(calc 1 "$size_mib / $own") MiB/s ($own s in get, $(calc 1 "100 * $size_bytes / $own / $sha_bps")% of SHA-384), $(calc 1 "$size_mib / $wall") MiB/s ($wall s wall incl. .NET startup), output $same"
    say "          downloader peak RSS $(kib_mib "$dl_hwm") MiB (idle $(kib_mib "$dl_idle"), anon now $(kib_mib "$dl_anon")), seeder peak RSS $seed_list MiB;" \
      "CPU: downloader $(calc 2 "$dl_ticks / $ticks_per_second") s, seeders $(calc 2 "($node_after - $node_before - $dl_ticks) / $ticks_per_second") s, others $foreign s"
    say "          page-cache ballast: ${size_mib} MiB written in $ballast_s s, deleted just before the get"
    if ballast_was_cold "$ballast_s" "$size_mib"; then cold_runs=$((cold_runs + 1)); fi
    stop_node "$dl_pid"
  done
  rm -rf "${work:?}/downloader$dl_index" "${work:?}/downloader$dl_index-downloads" "${work:?}/downloader$dl_index-warm-up"
}

say "== 1 seeder: get x$runs from seeder 1 into a fresh downloader node each run, compared with cmp"
measure one "$seed1_pid" "$seed1_port"

say "== Starting seeders 2 and 3; each gets the stream from seeder 1 (not timed as a target)"
start_node seeder2
seed2_pid="$node_pid" seed2_api="$node_api" seed2_port="$node_port"
start_node seeder3
seed3_pid="$node_pid" seed3_api="$node_api" seed3_port="$node_port"
for n in 2 3; do
  api_var="seed${n}_api" port_var="seed${n}_port" pid_var="seed${n}_pid"
  cli_json "seeder$n-get" "$get_limit" get "$sd_hash" --peer "127.0.0.1:$seed1_port" \
    --download-dir "$work/seeder$n-downloads" --api "${!api_var}"
  json="$(cat "$work/seeder$n-get.json")"
  cmp -s "$source_file" "$(json_field path "$json")" || { echo "Seeder $n's copy differs from the source." >&2; exit 1; }
  say "   seeder $n: pid ${!pid_var}, API ${!api_var}, blob port ${!port_var}, got the stream in $(json_field seconds "$json") s"
done
sync

say "== 3 seeders: get x$runs with --peer for seeders 1, 2 and 3 into a fresh downloader node each run"
measure three "$seed1_pid $seed2_pid $seed3_pid" "$seed1_port $seed2_port $seed3_port"

for pid in "$seed1_pid" "$seed2_pid" "$seed3_pid"; do stop_node "$pid"; done

# --- 6. Summary. Targets are judged on the median run with get's own time, and on the worst peak RSS.
any_miss=0
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi; }
say ""
say "== Summary: ${size_mib} MiB stream over loopback, $runs run(s) per scenario, $fs_type on disk, $(nproc) cores"
say "   single-core SHA-384 (openssl, 16 KiB blocks): $(mb "$sha_bps") MB/s = $(mib "$sha_bps") MiB/s; 60% = $(mib "$target_bps") MiB/s"
printf '%-10s %26s %10s %16s %16s %10s %10s\n' "scenario" "MiB/s median (min-max)" "% SHA-384" "dl peak RSS MiB" "seed peak MiB" "rate>=60%" "RSS<150"
for scenario in one three; do
  own_list="$(awk '{ print $1 }' "$work/$scenario.results")"
  med="$(median <<<"$own_list")"
  slowest="$(maximum <<<"$own_list")"
  fastest="$(minimum <<<"$own_list")"
  dl_max="$(awk '{ print $3 }' "$work/$scenario.results" | maximum)"
  seed_max="$(awk '{ print $4 }' "$work/$scenario.results" | maximum)"
  pct="$(calc 1 "100 * $size_bytes / $med / $sha_bps")"
  rate_verdict="$(verdict "$pct >= 60")"
  rss_verdict="$(verdict "$dl_max < 150 * 1024")"
  if [ "$rate_verdict" != PASS ] || [ "$rss_verdict" != PASS ]; then any_miss=1; fi
  label="1 seeder"; [ "$scenario" = three ] && label="3 seeders"
  printf '%-10s %26s %10s %16s %16s %10s %10s\n' "$label" \
    "$(calc 1 "$size_mib / $med") ($(calc 1 "$size_mib / $slowest")-$(calc 1 "$size_mib / $fastest"))" \
    "$pct" "$(kib_mib "$dl_max")" "$(kib_mib "$seed_max")" "$rate_verdict" "$rss_verdict"
done
cmp_verdict="$([ "$identical" = yes ] && echo PASS || echo MISS)"
printf '%-10s %26s\n' "outputs" "identical to source: $identical ($cmp_verdict)"
say "   Rates use the seconds get reports (asking the node to the file complete and verified); wall times per run above."
say "   Peak RSS is VmHWM (anonymous + file-backed pages, including the mapped .NET runtime); seeders' peaks were reset before each get."
say "   CPU s used by others in a run (max): $foreign_max"
if [ "$cold_runs" -gt 0 ]; then
  say "   The page-cache ballast wrote under 1 GB/s before $cold_runs get(s): the host was taking this machine's free memory"
  say "   back, and those gets' writes ran into it (architecture.md, \"The ninth round\"); compare sets with none."
fi
if awk "BEGIN { exit !($foreign_max > 0.5) }"; then
  say "WARNING: other processes used the CPU during the timed runs; rerun on an idle machine for the real figures."
fi

[ "$cmp_verdict" = PASS ] || exit 1
if [ "$strict" -eq 1 ] && [ "$any_miss" -eq 1 ]; then
  exit 1
fi
