#!/usr/bin/env bash
# End-to-end LBRY share benchmark.
#
# Shares a file of random bytes (1 GiB by default) with the Release build of the smartshare CLI and
# prints its throughput and peak RSS next to this machine's limit, measured in the same run:
#
#   L = cores / (1/AES-128-CBC-encrypt + 1/SHA-384)
#
# from `openssl speed -evp` single-core figures at 16 KiB blocks (each core encrypts a chunk and then
# hashes it; file I/O is ignored). Targets: share throughput >= 70% of L, peak RSS < 100 MiB. Peak RSS (VmHWM) counts
# the pages of the mapped runtime image too (about 77 MiB of a self-contained composite build, as much in a bare
# `smartshare list`), so each run also prints its peak RssAnon, the command's own memory.
# It also times `get` of the same stream (a copy of the recorded plain file, each blob re-encrypted and checked) and
# checks the result is byte-identical to the source.
#
# Usage: bench/share-throughput.sh [--size-mib N] [--runs N] [--cores N] [--strict] [--smoke] [--keep]
# Environment (flags win): BENCH_SIZE_MIB (1024), BENCH_RUNS (3), BENCH_CORES (2, the issue's figure),
# BENCH_TMPDIR (parent of the work folder; default ${TMPDIR:-/tmp}; must be a real disk, not tmpfs).
# --strict makes a missed target exit with status 1; by default only errors do.
# --smoke checks the script still works, in seconds: 4 MiB, one run, 1 s openssl figures, targets not enforced,
# a memory file system allowed (BENCH_CLI, a smartshare.dll already built, skips the build).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_SIZE_MIB:-1024}"
runs="${BENCH_RUNS:-3}"
cores="${BENCH_CORES:-2}"
strict=0
keep=0
smoke=0

while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --cores) cores="${2:?--cores needs a value}"; shift 2 ;;
    --strict) strict=1; shift ;;
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

for value in "$size_mib" "$runs" "$cores"; do
  if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
    echo "Sizes and counts must be positive integers, not '$value'." >&2
    exit 2
  fi
done

for tool in dotnet openssl /usr/bin/time cmp awk sed sort head df stat; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed." >&2; exit 1; }
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

size_bytes=$((size_mib * 1024 * 1024))

# --- 1. Build the CLI (Release). A private artifacts path keeps bin/ and obj/ apart from any other build.
build_cli

# --- 2. A work folder on disk and the source file.
parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
work="$(mktemp -d "$parent/smartshare-bench.XXXXXX")"
cleanup() {
  stop_node
  if [ "$keep" -eq 1 ]; then
    echo "Kept the work folder $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The source file, one data dir and one download folder exist at once, plus some slack.
need_kib=$(( (size_bytes / 1024) * 3 + 512 * 1024 ))
require_disk "$work" "$need_kib"

source_file="$work/random-${size_mib}MiB.bin"
say "== Writing ${size_mib} MiB of random bytes to $source_file ($fs_type)"
write_random_file "$source_file" "$size_bytes"

# Other processes sharing the cores skew every figure here, so the script measures them: busy CPU ticks of
# the whole machine (/proc/stat) around each measured command, minus the command's own user+system time.
# Kernel threads writing our blobs back count as "other" too, so a few hundredths of a second are normal.
ticks_per_second="$(getconf CLK_TCK)"
# foreign_cpu BEFORE_TICKS TIME_FILE: CPU seconds others used since BEFORE_TICKS; TIME_FILE ends in "user sys".
foreign_cpu() {
  local after
  after="$(cpu_busy_ticks)"
  awk -v b="$1" -v a="$after" -v hz="$ticks_per_second" \
    '{ own = $(NF - 1) + $NF } END { f = (a - b) / hz - own; printf "%.2f", f < 0 ? 0 : f }' "$2"
}
cores_busy_before="$(
  before="$(cpu_busy_ticks)"; sleep "$idle_seconds"
  awk -v b="$before" -v a="$(cpu_busy_ticks)" -v hz="$ticks_per_second" -v s="$idle_seconds" 'BEGIN { printf "%.2f", (a - b) / hz / s }'
)"
say "== Before starting, other processes kept $cores_busy_before cores busy (load average $(cut -d ' ' -f 1-3 /proc/loadavg))"
if awk "BEGIN { exit !($cores_busy_before > 0.05) }"; then
  say "   WARNING: the machine is not idle; the figures below will be low and noisy."
fi

# --- 3. This machine's limit, from single-core openssl figures at 16 KiB blocks.
# `openssl speed` prints a "type ... 16384 bytes" header, then one row whose last column is the
# figure in 1000s of bytes per second with a trailing "k".
speed_kbs() {
  local out before
  before="$(cpu_busy_ticks)"
  out="$(/usr/bin/time -f '%U %S' -o "$work/speed.time" openssl speed -evp "$1" -bytes 16384 -seconds "$speed_seconds" 2>/dev/null)"
  foreign_cpu "$before" "$work/speed.time" >"$work/speed-$1.foreign"
  awk '/^type/ { header = 1; next } header && NF > 1 { v = $NF; sub(/k$/, "", v); print v; exit }' <<<"$out"
}
say "== openssl speed -evp aes-128-cbc / sha384 -bytes 16384 -seconds $speed_seconds (single core)"
aes_kbs="$(speed_kbs aes-128-cbc)"
sha_kbs="$(speed_kbs sha384)"
if ! [[ "$aes_kbs" =~ ^[0-9.]+$ && "$sha_kbs" =~ ^[0-9.]+$ ]]; then
  echo "Could not read the openssl speed figures (AES '$aes_kbs', SHA-384 '$sha_kbs')." >&2
  exit 1
fi

aes_bps="$(calc 0 "$aes_kbs * 1000")"
sha_bps="$(calc 0 "$sha_kbs * 1000")"
limit_bps="$(calc 0 "$cores / (1 / $aes_bps + 1 / $sha_bps)")"
say "   AES-128-CBC encrypt: $(mb "$aes_bps") MB/s = $(mib "$aes_bps") MiB/s (other processes used $(cat "$work/speed-aes-128-cbc.foreign") s CPU meanwhile)"
say "   SHA-384:             $(mb "$sha_bps") MB/s = $(mib "$sha_bps") MiB/s (other processes used $(cat "$work/speed-sha384.foreign") s CPU meanwhile)"
say "   L = $cores / (1/AES + 1/SHA) = $(mb "$limit_bps") MB/s = $(mib "$limit_bps") MiB/s (machine has $(nproc) cores)"

# --- 4/5. Timed runs. Each run records: wall seconds, peak RSS KiB, the command's own "seconds".

# timed NAME ARGS...: runs the CLI under /usr/bin/time, leaves its JSON in $work/NAME.json,
# "wall rss_kib user sys" in $work/NAME.time, other processes' CPU seconds in $work/NAME.foreign and the command's
# peak RssAnon in KiB (sampled every 20 ms: its own memory, where RSS also counts the pages of the runtime's mapped
# image, shared with every other smartshare process) in $work/NAME.anon.
timed() {
  local name="$1" before pid child kib peak=0; shift
  before="$(cpu_busy_ticks)"
  # A one-off node (the get) keeps to loopback: bound to 127.0.0.1, no Mainline DHT, no local discovery.
  SMARTSHARE_BIND=127.0.0.1 SMARTSHARE_BT_DHT=false SMARTSHARE_LOCAL_DISCOVERY=false \
    /usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" dotnet "$cli" "$@" --json >"$work/$name.json" 2>"$work/$name.err" &
  pid=$!
  child="$(first_child "$pid")"
  while kill -0 "${child:-$pid}" 2>/dev/null; do
    kib="$(status_kib "${child:-$pid}" RssAnon)"
    if [ -n "$kib" ] && [ "$kib" -gt "$peak" ]; then peak="$kib"; fi
    sleep 0.02
  done
  if ! wait "$pid"; then
    echo "smartshare $1 failed:" >&2
    cat "$work/$name.err" "$work/$name.json" >&2
    exit 1
  fi
  foreign_cpu "$before" "$work/$name.time" >"$work/$name.foreign"
  echo "$peak" >"$work/$name.anon"
}

if command -v fincore >/dev/null 2>&1; then
  cached="$(fincore -b -n -o RES "$source_file" | awk '{ printf "%.0f", $1 / 1048576 }') MiB of ${size_mib} MiB"
else
  cached="unknown (no fincore)"
fi
say "== share x$runs, each into a fresh data dir; the source is in the page cache (resident: $cached),"
say "   as it is for a user sharing a file they just wrote. With keep_stream_blobs off (the default) the one-off share"
say "   writes only the descriptor and records the file as the stream's plain file (the next start serves from it)."
share_own=() share_wall=() share_rss=() share_anon=()
foreign_max=0
sd_hash=""
for i in $(seq 1 "$runs"); do
  rm -rf "$work/data"
  sync
  timed "share$i" share "$source_file" --data-dir "$work/data" --out "$work/share$i.smartshare"
  json="$(cat "$work/share$i.json")"
  read -r wall rss user sys <"$work/share$i.time"
  foreign="$(cat "$work/share$i.foreign")"
  foreign_max="$(printf '%s\n' "$foreign_max" "$foreign" | maximum)"
  own="$(json_field seconds "$json")"
  sd_hash="$(json_field sd_hash "$json")"
  [ "$(json_field size "$json")" = "$size_bytes" ] || { echo "share reported a size other than $size_bytes: $json" >&2; exit 1; }
  anon="$(cat "$work/share$i.anon")"
  share_own+=("$own") share_wall+=("$wall") share_rss+=("$rss") share_anon+=("$anon")
  say "   run $i: $(calc 1 "$size_mib / $own") MiB/s ($own s in share), $(calc 1 "$size_mib / $wall") MiB/s ($wall s wall incl. .NET startup), peak RSS $(kib_mib "$rss") MiB (RssAnon $(kib_mib "$anon")), CPU $user+$sys s (others $foreign s)"
done

# The same file shared through a running node (the daemon, as a user shares): with keep_stream_blobs off (the default)
# it writes no data blob, only hashes them, and serves the stream from the file.
say "== share x$runs through a running node (default settings: the stream served from the file, no data blob written)"
start_node --port 0 --bt-port 0 --no-bt-dht --no-local-discovery --no-port-mapping --bind 127.0.0.1 --api http://127.0.0.1:0 \
  --data-dir "$work/node-data" --download-dir "$work/node-downloads"
node_share_own=()
for i in $(seq 1 "$runs"); do
  node_ticks_before="$(awk '{ print $14 + $15 }' "/proc/$node_pid/stat")"
  timed "node-share$i" share "$source_file" --api "$node_api" --out "$work/node-share$i.smartshare"
  json="$(cat "$work/node-share$i.json")"
  own="$(json_field seconds "$json")"
  [ "$(json_field size "$json")" = "$size_bytes" ] || { echo "share reported a size other than $size_bytes: $json" >&2; exit 1; }
  node_cpu="$(awk -v b="$node_ticks_before" -v hz="$ticks_per_second" '{ printf "%.2f", ($14 + $15 - b) / hz }' "/proc/$node_pid/stat")"
  # The node's CPU is the share's own work here, not another process's.
  foreign="$(awk -v f="$(cat "$work/node-share$i.foreign")" -v n="$node_cpu" 'BEGIN { v = f - n; printf "%.2f", v < 0 ? 0 : v }')"
  foreign_max="$(printf '%s\n' "$foreign_max" "$foreign" | maximum)"
  node_share_own+=("$own")
  say "   run $i: $(calc 1 "$size_mib / $own") MiB/s ($own s in share), node CPU $node_cpu s, blob folder $(du -sk "$work/node-data/blobs" | cut -f 1) KiB"
done
stop_node
node_pid=""

say "== get x$runs of the last shared stream into a fresh download folder, compared with cmp"
get_own=() get_wall=() get_rss=() get_anon=()
identical="yes"
for i in $(seq 1 "$runs"); do
  rm -rf "$work/download"
  sync
  timed "get$i" get "$sd_hash" --data-dir "$work/data" --download-dir "$work/download"
  json="$(cat "$work/get$i.json")"
  read -r wall rss user sys <"$work/get$i.time"
  foreign="$(cat "$work/get$i.foreign")"
  foreign_max="$(printf '%s\n' "$foreign_max" "$foreign" | maximum)"
  own="$(json_field seconds "$json")"
  out_path="$(json_field path "$json")"
  if cmp -s "$source_file" "$out_path"; then same="identical"; else same="DIFFERENT"; identical="no"; fi
  anon="$(cat "$work/get$i.anon")"
  get_own+=("$own") get_wall+=("$wall") get_rss+=("$rss") get_anon+=("$anon")
  say "   run $i: $(calc 1 "$size_mib / $own") MiB/s ($own s in get), $(calc 1 "$size_mib / $wall") MiB/s ($wall s wall), peak RSS $(kib_mib "$rss") MiB (RssAnon $(kib_mib "$anon")), CPU $user+$sys s (others $foreign s), output $same"
done

# --- 6. Summary. Targets are judged on the median run, with the command's own time.
share_best="$(printf '%s\n' "${share_own[@]}" | minimum)"
share_median="$(printf '%s\n' "${share_own[@]}" | median)"
share_wall_median="$(printf '%s\n' "${share_wall[@]}" | median)"
share_rss_max="$(printf '%s\n' "${share_rss[@]}" | maximum)"
share_anon_max="$(printf '%s\n' "${share_anon[@]}" | maximum)"
get_best="$(printf '%s\n' "${get_own[@]}" | minimum)"
get_median="$(printf '%s\n' "${get_own[@]}" | median)"
get_wall_median="$(printf '%s\n' "${get_wall[@]}" | median)"
get_rss_max="$(printf '%s\n' "${get_rss[@]}" | maximum)"
get_anon_max="$(printf '%s\n' "${get_anon[@]}" | maximum)"
node_share_best="$(printf '%s\n' "${node_share_own[@]}" | minimum)"
node_share_median="$(printf '%s\n' "${node_share_own[@]}" | median)"

rate() { calc 1 "$size_mib / $1"; }
percent() { calc 1 "100 * $size_bytes / $1 / $limit_bps"; }
pass() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
share_pct="$(percent "$share_median")"
share_verdict="$(pass "$share_pct >= 70")"
share_rss_verdict="$(pass "$share_rss_max < 100 * 1024")"
get_rss_verdict="$(pass "$get_rss_max < 100 * 1024")"
cmp_verdict="$([ "$identical" = yes ] && echo PASS || echo FAIL)"

say ""
say "== Summary: ${size_mib} MiB file, best and median of $runs run(s), $fs_type on disk, source in page cache"
printf '%-40s %14s %14s %8s\n' "" "median" "best" "target"
printf '%-40s %14s\n' "AES-128-CBC encrypt, 1 core (MB/s)" "$(mb "$aes_bps")"
printf '%-40s %14s\n' "SHA-384, 1 core (MB/s)" "$(mb "$sha_bps")"
printf '%-40s %14s\n' "L, $cores cores (MB/s)" "$(mb "$limit_bps")"
printf '%-40s %14s\n' "L, $cores cores (MiB/s)" "$(mib "$limit_bps")"
printf '%-40s %14s %14s\n' "share (MiB/s, time in share)" "$(rate "$share_median")" "$(rate "$share_best")"
printf '%-40s %14s %14s %8s  %s\n' "share (% of L)" "$share_pct" "$(percent "$share_best")" ">= 70" "$share_verdict"
printf '%-40s %14s\n' "share (MiB/s, wall incl. .NET startup)" "$(rate "$share_wall_median")"
printf '%-40s %14s %14s\n' "share via running node (MiB/s)" "$(rate "$node_share_median")" "$(rate "$node_share_best")"
printf '%-40s %14s %14s %8s\n' "share via running node (% of L)" "$(percent "$node_share_median")" "$(percent "$node_share_best")" ">= 70"
printf '%-40s %14s %14s %8s  %s\n' "share peak RSS (MiB, worst run)" "$(calc 1 "$share_rss_max / 1024")" "" "< 100" "$share_rss_verdict"
printf '%-40s %14s\n' "share peak RssAnon (MiB, worst run)" "$(kib_mib "$share_anon_max")"
printf '%-40s %14s %14s\n' "get (MiB/s, time in get)" "$(rate "$get_median")" "$(rate "$get_best")"
printf '%-40s %14s\n' "get (MiB/s, wall incl. .NET startup)" "$(rate "$get_wall_median")"
printf '%-40s %14s %14s %8s  %s\n' "get peak RSS (MiB, worst run)" "$(calc 1 "$get_rss_max / 1024")" "" "< 100" "$get_rss_verdict"
printf '%-40s %14s\n' "get peak RssAnon (MiB, worst run)" "$(kib_mib "$get_anon_max")"
printf '%-40s %14s %14s %8s  %s\n' "get output identical to source" "$identical" "" "yes" "$cmp_verdict"
printf '%-40s %14s\n' "CPU s used by others in a run (max)" "$foreign_max"
if awk "BEGIN { exit !($foreign_max > 0.5) }"; then
  say "WARNING: other processes used the CPU during the timed runs; rerun on an idle machine for the real figures."
fi

if [ "$strict" -eq 1 ]; then
  for verdict in "$share_verdict" "$share_rss_verdict" "$get_rss_verdict" "$cmp_verdict"; do
    [ "$verdict" = PASS ] || exit 1
  done
fi
[ "$cmp_verdict" = PASS ] || exit 1
