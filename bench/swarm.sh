#!/usr/bin/env bash
# BitTorrent swarm benchmark on loopback: one seeder to many leechers, and many seeders to one leecher, with
# libtorrent as the yardstick measured in the same run.
#
# Writes a file of random bytes (128 MiB by default) that our node shares as a torrent (stream_create with
# torrent, so our node seeds it in place); every scenario gets a fresh opentracker on 127.0.0.1 and a copy of that
# .torrent naming it (the info hash is the same), so no peer of an earlier scenario is handed out. Scenarios, in
# alternating order from run to run:
#   seeder ours        a fresh `smartshare start` daemon (127.0.0.1, TCP) seeds; once the tracker counts it,
#                      --leechers (8) libtorrent sessions, each on its own address 127.0.0.11, .12, ..., all in one
#                      Python process (bench/lib/swarm.py), add the torrent at once and find the seeder and each
#                      other through the tracker. Timed from the add to the last leecher having every piece. Before
#                      that, not timed, the daemon seeds a warm-up torrent (16 MiB, or the size if smaller) to one
#                      libtorrent leecher (127.0.0.30), so the swarm meets a running seeder, not the .NET JIT
#                      compiling its upload path (as bench/download-throughput.sh warms its downloader); --cold skips it.
#   seeder libtorrent  the same with a libtorrent session on 127.0.0.2 (seed mode) as the only seeder.
# Then, unless --no-reverse, --leechers libtorrent seeders (127.0.0.21, ...) seed the same file to one leecher:
#   leecher libtorrent a libtorrent session on 127.0.0.3, timed from its add to finished;
#   leecher ours       a fresh daemon on 127.0.0.1 asked to `get` the .torrent through JSON-RPC, timed from the
#                      request to file_list saying "completed" (polled every 10 ms).
# libtorrent runs with its defaults (8 unchoke slots, its choker), TCP only, no DHT, LSD, UPnP or NAT-PMP, and an IP
# filter allowing only 127.0.0.0/8. Every copy is compared with the source (cmp). Each run also says what the seeder
# sent (all the leechers received less all they sent each other) and its CPU from the go to the last leecher done:
# on two cores the seeder and the eight leechers share the CPU, so a seeder's cost per byte shows in the swarm's time.
# The summary gives, per scenario, the median of the swarm times, the per-leecher times of the median run, the
# medians of what the seeder sent and of its CPU, and the ratio ours/libtorrent (target of issue 19: the swarm with
# our seeder finishes no later than with libtorrent's, ratio <= 1).
#
# Usage: bench/swarm.sh [--size-mib N] [--runs N] [--leechers N] [--no-reverse | --reverse-only] [--cold] [--smoke] [--keep]
# Environment (flags win): BENCH_SWARM_SIZE_MIB (128), BENCH_RUNS (3), BENCH_TMPDIR (a folder on a real disk).
# --smoke checks the script still works, in seconds: 8 MiB, 4 leechers, one run, a memory file system allowed
# (BENCH_CLI, a smartshare.dll already built, skips the build). A differing file or a failed download exits with 1.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_SWARM_SIZE_MIB:-128}"
runs="${BENCH_RUNS:-3}"
leecher_count=8
reverse=1
forward=1
smoke=0
keep=0
cold=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --leechers) leecher_count="${2:?--leechers needs a value}"; shift 2 ;;
    --no-reverse) reverse=0; shift ;;
    --reverse-only) forward=0; shift ;;
    --smoke) smoke=1; shift ;;
    --keep) keep=1; shift ;;
    --cold) cold=1; shift ;;
    --cores|--strict) [ "$1" = --cores ] && shift; shift ;; # accepted for scripts/bench, which passes one set of flags to all
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$smoke" -eq 1 ]; then size_mib=8 runs=1 leecher_count=4; fi
for value in "$size_mib" "$runs" "$leecher_count"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Sizes and counts must be positive integers, not '$value'." >&2; exit 2; }
done
[ "$leecher_count" -le 9 ] || { echo "--leechers is at most 9 (addresses 127.0.0.11-19 and 127.0.0.21-29)." >&2; exit 2; }
for tool in dotnet /usr/bin/python3 opentracker openssl cmp awk grep sed; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed (scripts/test installs the BitTorrent tools)." >&2; exit 1; }
done
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null ||
  { echo "/usr/bin/python3 cannot import libtorrent: install the Debian package python3-libtorrent (scripts/test does)." >&2; exit 1; }
helper="$root/bench/lib/swarm.py"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

size_bytes=$((size_mib * 1024 * 1024))
limit_s=$((120 + size_mib))

build_cli

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
work="$(mktemp -d "$parent/smartshare-swarm-bench.XXXXXX")"

install_cleanup

# The source, our node's LBRY blobs of it, and at most leechers + 1 copies at once, plus slack.
require_disk "$work" $(( (size_bytes / 1024) * (leecher_count + 4) + 256 * 1024 ))

mkdir -p "$work/seed"
source_name="random-${size_mib}MiB.bin"
source_file="$work/seed/$source_name"
say "== Writing ${size_mib} MiB of random bytes to $source_file ($fs_type)"
write_random_file "$source_file" "$size_bytes"
warm_mib=$(( size_mib < 16 ? size_mib : 16 ))
warm_file="$work/seed/warm-up.bin"
warm_info_hash=""
[ "$cold" -eq 1 ] || write_random_file "$warm_file" $((warm_mib * 1024 * 1024))

now() { date +%s.%N; }
# wait_for_line_or_error FILE REGEX PID LIMIT_S WHAT: wait_for_line (lib/common.sh), but also fails at once when the
# file has an error line.
wait_for_line_or_error() {
  local deadline
  deadline=$(( $(date +%s) + $4 ))
  until grep -aqE "$2" "$1" 2>/dev/null; do
    if ! kill -0 "$3" 2>/dev/null || grep -aq '"event": "error"' "$1" 2>/dev/null; then
      echo "$5 failed. Its output:" >&2; tail -n 30 "$1" >&2; exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "Timed out after $4 s waiting until $5. Its output:" >&2; tail -n 30 "$1" >&2; exit 1
    fi
    sleep 0.05
  done
}
# number FIELD LINE: a number field of a JSON line printed by swarm.py.
number() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" <<<"$2"; }
# helper_once MODE JSON OUT WHAT: runs a short helper mode to its end; fails with its output unless it succeeded.
helper_once() {
  if ! /usr/bin/python3 "$helper" "$1" "$2" </dev/null >"$3" 2>&1; then
    echo "$4 failed:" >&2; tail -n 20 "$3" >&2; exit 1
  fi
}
addresses() { # addresses FIRST COUNT: a JSON list of 127.0.0.FIRST, FIRST+1, ...
  awk -v f="$1" -v n="$2" 'BEGIN { printf "["; for (i = 0; i < n; i++) printf "%s\"127.0.0.%d\"", (i ? "," : ""), f + i; printf "]" }'
}

# --- A fresh opentracker per scenario (whitelist mode, like the interop tests' OpenTracker), and the torrent naming it.
tracker_pid="" tracker_url="" torrent=""
start_tracker() { # start_tracker NAME
  local chroot="$work/$1-tracker" port
  if [ -n "$tracker_pid" ]; then stop_process "$tracker_pid"; fi
  mkdir -p "$chroot"
  printf '%s\n' "$info_hash" ${warm_info_hash:+"$warm_info_hash"} >"$chroot/whitelist"
  port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  opentracker -i 127.0.0.1 -p "$port" -P "$port" -w /whitelist -d "$chroot" >"$work/$1-tracker.log" 2>&1 &
  tracker_pid=$!
  live[$tracker_pid]=opentracker
  tracker_url="http://127.0.0.1:$port"
  torrent="$work/$1.torrent"
}
retrack() { # retrack NAME: the reference torrent with this scenario's tracker
  if ! /usr/bin/python3 "$helper" retracker "$reference_torrent" "$torrent" "$tracker_url/announce" >"$work/$1-retracker.out" 2>&1; then
    echo "Rewriting the torrent's tracker failed:" >&2; cat "$work/$1-retracker.out" >&2; exit 1
  fi
}

# --- Our node: start_ours NAME ADDRESS sets ours_pid and ours_api.
ours_pid="" ours_api=""
start_ours() {
  local log="$work/$1.log" line i
  rm -rf "${work:?}/$1-data"
  dotnet "$cli" start --port 0 --bt-port 0 --no-bt-dht --bind "$2" --allow-lan --api "http://$2:0" \
    --data-dir "$work/$1-data" --download-dir "$work/$1-downloads" 2>"$log" >/dev/null &
  ours_pid=$!
  live[$ours_pid]="$1"
  line=""
  for i in $(seq 1 600); do
    line="$(grep -m 1 -oE 'API on http://[0-9.]+:[0-9]+' "$log" || true)"
    [ -n "$line" ] && break
    kill -0 "$ours_pid" 2>/dev/null || { echo "Our node $1 exited before it was ready:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$line" ] || { echo "Our node $1 did not print its API address within 60 s:" >&2; cat "$log" >&2; exit 1; }
  ours_api="${line#API on }"
}

# compare FILE: notes whether FILE is the source.
identical=yes
compare() {
  if ! cmp -s "$source_file" "$1"; then
    identical=no
    say "   DIFFERENT: $1"
  fi
}

# --- The reference torrent: our node makes it (so that it can seed it in place later) with a placeholder tracker.
say "== Our node makes the torrent (stream_create with torrent)"
start_ours maker 127.0.0.1
helper_once ours-seed "{\"api\":\"$ours_api\",\"file\":\"$source_file\",\"torrent\":\"$work/reference.torrent\",\"tracker\":\"http://127.0.0.1:9/announce\",\"limit_s\":$limit_s}" \
  "$work/maker.out" "our node sharing the file as a torrent"
if [ "$cold" -eq 0 ]; then
  helper_once ours-seed "{\"api\":\"$ours_api\",\"file\":\"$warm_file\",\"torrent\":\"$work/warm-reference.torrent\",\"tracker\":\"http://127.0.0.1:9/announce\",\"limit_s\":$limit_s}" \
    "$work/maker-warm.out" "our node sharing the warm-up file as a torrent"
  warm_info_hash="$(sed -n 's/.*"info_hash": "\([0-9a-f]\{40\}\)".*/\1/p' "$work/maker-warm.out")"
fi
stop_process "$ours_pid"
reference_torrent="$work/reference.torrent"
info_hash="$(sed -n 's/.*"info_hash": "\([0-9a-f]\{40\}\)".*/\1/p' "$work/maker.out")"
piece_length="$(number piece_length "$(cat "$work/maker.out")")"
[ -n "$info_hash" ] || { echo "The torrent has no info hash:" >&2; cat "$work/maker.out" >&2; exit 1; }
say "   info hash $info_hash, pieces of $((piece_length / 1024)) KiB"

# leech_run NAME SEEDER_DESCRIPTION RESULTS SEEDER_PID: the leechers in one process, told to go once the tracker counts
# the seeder; appends "swarm_s t1 t2 ..." to $work/RESULTS.results and "sent_mib cpu_s" (what the seeder sent, and
# its CPU from the go to the last leecher done) to $work/RESULTS.seeder, and compares every copy.
leech_run() {
  local name="$1" out="$work/$1-leechers.out" pid line times i ticks sent cpu
  rm -rf "${work:?}/$name-leechers"
  mkfifo "$work/$name-leechers.in"
  exec 4<>"$work/$name-leechers.in"
  /usr/bin/python3 "$helper" leechers \
    "{\"torrent\":\"$torrent\",\"addresses\":$(addresses 11 "$leecher_count"),\"save_root\":\"$work/$name-leechers\",\"limit_s\":$limit_s}" \
    <"$work/$name-leechers.in" >"$out" 2>&1 &
  pid=$!
  live[$pid]=leechers
  wait_for_line_or_error "$out" '"event": "ready"' "$pid" 60 "the libtorrent leechers start listening"
  helper_once wait-seeders "{\"tracker\":\"$tracker_url\",\"info_hash\":\"$info_hash\",\"complete\":1,\"limit_s\":60}" \
    "$work/$name-wait.out" "waiting until the tracker counts $2"
  ticks="$(process_ticks "$4")"
  echo '{"cmd":"go"}' >&4
  wait_for_line_or_error "$out" '"event": "done"' "$pid" $((limit_s + 30)) "the $leecher_count leechers finish"
  cpu="$(calc 2 "($(process_ticks "$4") - $ticks) / $ticks_per_second")"
  echo '{"cmd":"quit"}' >&4
  exec 4>&-
  stop_process "$pid"
  rm -f "$work/$name-leechers.in"
  line="$(grep -a '"event": "done"' "$out" | head -n 1)"
  times="$(sed -n 's/.*"times": \[\([^]]*\)\].*/\1/p' <<<"$line" | tr -d ' ' | tr ',' '\n' | sort -g | awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }')"
  for i in $(seq 0 $((leecher_count - 1))); do compare "$work/$name-leechers/$i/$source_name"; done
  rm -rf "${work:?}/$name-leechers"
  printf '%s %s\n' "$(number seconds "$line")" "$times" >>"$work/$3.results"
  sent="$(calc 1 "$(number seeder_bytes "$line") / 1048576")"
  printf '%s %s\n' "$sent" "$cpu" >>"$work/$3.seeder"
  say "   $2: all $leecher_count leechers done after $(calc 3 "$(number seconds "$line")") s (each: $times s); the seeder sent $sent MiB ($(calc 2 "$sent / $size_mib") copies), its CPU $cpu s"
}

# warm_up RUN: our seeder (ours_api) serves the warm-up torrent to one libtorrent leecher on 127.0.0.30, not timed.
warm_up() {
  local out="$work/warm-$1.out" pid
  helper_once ours-seed "{\"api\":\"$ours_api\",\"file\":\"$warm_file\",\"torrent\":\"$work/warm-$1.torrent\",\"tracker\":\"$tracker_url/announce\",\"limit_s\":$limit_s}" \
    "$work/warm-$1-seed.out" "our node seeding the warm-up torrent"
  mkfifo "$work/warm-$1.in"
  exec 5<>"$work/warm-$1.in"
  /usr/bin/python3 "$helper" leechers "{\"torrent\":\"$work/warm-$1.torrent\",\"addresses\":[\"127.0.0.30\"],\"save_root\":\"$work/warm-$1\",\"limit_s\":$limit_s}" \
    <"$work/warm-$1.in" >"$out" 2>&1 &
  pid=$!
  live[$pid]=warm-up-leecher
  wait_for_line_or_error "$out" '"event": "ready"' "$pid" 60 "the warm-up leecher starts listening"
  helper_once wait-seeders "{\"tracker\":\"$tracker_url\",\"info_hash\":\"$warm_info_hash\",\"complete\":1,\"limit_s\":60}" \
    "$work/warm-$1-wait.out" "waiting until the tracker counts our seeder of the warm-up torrent"
  echo '{"cmd":"go"}' >&5
  wait_for_line_or_error "$out" '"event": "done"' "$pid" $((limit_s + 30)) "the warm-up leecher finishes"
  echo '{"cmd":"quit"}' >&5
  exec 5>&-
  stop_process "$pid"
  rm -rf "$work/warm-$1.in" "${work:?}/warm-$1"
}

seed_ours() { # seed_ours RUN
  start_tracker "ours-$1"
  retrack "ours-$1"
  start_ours "seeder-ours-$1" 127.0.0.1
  helper_once ours-seed "{\"api\":\"$ours_api\",\"file\":\"$source_file\",\"torrent\":\"$work/ours-$1-made.torrent\",\"tracker\":\"$tracker_url/announce\",\"limit_s\":$limit_s}" \
    "$work/seeder-ours-$1.out" "our node seeding"
  [ "$cold" -eq 1 ] || warm_up "$1"
  leech_run "ours-$1" "seeder ours" seed-ours "$ours_pid"
  stop_process "$ours_pid"
}

seed_libtorrent() { # seed_libtorrent RUN
  local out="$work/seeder-lt-$1.out" pid
  start_tracker "lt-$1"
  retrack "lt-$1"
  mkfifo "$work/seeder-lt-$1.in"
  exec 3<>"$work/seeder-lt-$1.in"
  /usr/bin/python3 "$helper" seeders "{\"torrent\":\"$torrent\",\"addresses\":[\"127.0.0.2\"],\"save_path\":\"$work/seed\"}" \
    <"$work/seeder-lt-$1.in" >"$out" 2>&1 &
  pid=$!
  live[$pid]=seeder-libtorrent
  wait_for_line_or_error "$out" '"event": "ready"' "$pid" 60 "the libtorrent seeder announces"
  leech_run "lt-$1" "seeder libtorrent" seed-lt "$pid"
  echo '{"cmd":"quit"}' >&3
  exec 3>&-
  stop_process "$pid"
}

: >"$work/seed-ours.results"
: >"$work/seed-ours.seeder"
: >"$work/seed-lt.results"
: >"$work/seed-lt.seeder"
say "== 1 seeder to $leecher_count libtorrent leechers (127.0.0.11-$((10 + leecher_count))), x$runs, alternating which seeder goes first;$([ "$cold" -eq 1 ] && echo " our seeder cold (--cold)" || echo " our seeder first serves a $warm_mib MiB warm-up torrent to one leecher")"
for i in $(seq 1 "$runs"); do
  [ "$forward" -eq 1 ] || break
  if [ $((i % 2)) -eq 1 ]; then seed_ours "$i"; seed_libtorrent "$i"; else seed_libtorrent "$i"; seed_ours "$i"; fi
done

: >"$work/leech-ours.results"
: >"$work/leech-lt.results"
if [ "$reverse" -eq 1 ]; then
  say "== $leecher_count libtorrent seeders (127.0.0.21-$((20 + leecher_count))) to 1 leecher, x$runs"
  start_tracker reverse
  retrack reverse
  mkfifo "$work/seeders.in"
  exec 3<>"$work/seeders.in"
  /usr/bin/python3 "$helper" seeders "{\"torrent\":\"$torrent\",\"addresses\":$(addresses 21 "$leecher_count"),\"save_path\":\"$work/seed\"}" \
    <"$work/seeders.in" >"$work/seeders.out" 2>&1 &
  seeders_pid=$!
  live[$seeders_pid]=seeders
  wait_for_line_or_error "$work/seeders.out" '"event": "ready"' "$seeders_pid" 60 "the $leecher_count libtorrent seeders announce"
  helper_once wait-seeders "{\"tracker\":\"$tracker_url\",\"info_hash\":\"$info_hash\",\"complete\":$leecher_count,\"limit_s\":60}" \
    "$work/reverse-wait.out" "waiting until the tracker counts the $leecher_count seeders"
  for i in $(seq 1 "$runs"); do
    # libtorrent's leecher: the leechers helper with one session.
    out="$work/reverse-lt-$i.out"
    mkfifo "$work/reverse-lt-$i.in"
    exec 4<>"$work/reverse-lt-$i.in"
    /usr/bin/python3 "$helper" leechers "{\"torrent\":\"$torrent\",\"addresses\":[\"127.0.0.3\"],\"save_root\":\"$work/reverse-lt\",\"limit_s\":$limit_s}" \
      <"$work/reverse-lt-$i.in" >"$out" 2>&1 &
    pid=$!
    live[$pid]=leecher
    wait_for_line_or_error "$out" '"event": "ready"' "$pid" 60 "the libtorrent leecher starts listening"
    echo '{"cmd":"go"}' >&4
    wait_for_line_or_error "$out" '"event": "done"' "$pid" $((limit_s + 30)) "the libtorrent leecher finishes"
    echo '{"cmd":"quit"}' >&4
    exec 4>&-
    stop_process "$pid"
    seconds="$(number seconds "$(grep -a '"event": "done"' "$out" | head -n 1)")"
    compare "$work/reverse-lt/0/$source_name"
    rm -rf "$work/reverse-lt"
    echo "$seconds" >>"$work/leech-lt.results"
    say "   run $i leecher libtorrent: $(calc 3 "$seconds") s ($(calc 1 "$size_mib / $seconds") MiB/s)"

    # Our leecher: a fresh daemon (not timed), then get through JSON-RPC.
    start_ours "leecher-ours-$i" 127.0.0.1
    helper_once ours-leech "{\"api\":\"$ours_api\",\"torrent\":\"$torrent\",\"download_directory\":\"$work/reverse-ours\",\"limit_s\":$limit_s}" \
      "$work/reverse-ours-$i.out" "our node downloading from the $leecher_count seeders"
    line="$(grep -a '"event": "done"' "$work/reverse-ours-$i.out" | head -n 1)"
    seconds="$(number seconds "$line")"
    compare "$(sed -n 's/.*"path": "\([^"]*\)".*/\1/p' <<<"$line")"
    stop_process "$ours_pid"
    rm -rf "$work/reverse-ours"
    # --keep keeps each run's data folder, whose logs/smartshare.log has the node's lines.
    [ "$keep" -eq 1 ] || rm -rf "${work:?}/leecher-ours-$i-data"
    echo "$seconds" >>"$work/leech-ours.results"
    say "   run $i leecher ours:       $(calc 3 "$seconds") s ($(calc 1 "$size_mib / $seconds") MiB/s)"
  done
  echo '{"cmd":"quit"}' >&3
  exec 3>&-
  stop_process "$seeders_pid"
fi
if [ -n "$tracker_pid" ]; then stop_process "$tracker_pid"; fi

# median_run FILE: the line of the median run by its first column (the lower middle one for an even count).
median_run() { sort -g "$1" | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }
say ""
say "== Summary: ${size_mib} MiB torrent ($((piece_length / 1024)) KiB pieces) on loopback through opentracker, $runs run(s), $(nproc) cores, $fs_type"
printf '%-34s %12s %12s   %s\n' "scenario" "median s" "MiB/s each" "each leecher in the median run (s)"
if [ "$forward" -eq 1 ]; then
  ours_run="$(median_run "$work/seed-ours.results")" lt_run="$(median_run "$work/seed-lt.results")"
  ours_s="${ours_run%% *}" lt_s="${lt_run%% *}"
  printf '%-34s %12s %12s   %s\n' "1 seeder (ours) to $leecher_count leechers" "$(calc 3 "$ours_s")" "$(calc 1 "$size_mib / $ours_s")" "${ours_run#* }"
  printf '%-34s %12s %12s   %s\n' "1 seeder (libtorrent) to $leecher_count leechers" "$(calc 3 "$lt_s")" "$(calc 1 "$size_mib / $lt_s")" "${lt_run#* }"
  say "   swarm times ours: $(awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }' "$work/seed-ours.results") s; libtorrent: $(awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 }' "$work/seed-lt.results") s"
  say "   the seeder sent (median MiB): ours $(cut -d ' ' -f 1 "$work/seed-ours.seeder" | median), libtorrent $(cut -d ' ' -f 1 "$work/seed-lt.seeder" | median); its CPU (median s): ours $(cut -d ' ' -f 2 "$work/seed-ours.seeder" | median), libtorrent $(cut -d ' ' -f 2 "$work/seed-lt.seeder" | median)"
  say "   ratio ours/libtorrent (seeder): $(calc 2 "$ours_s / $lt_s") (target <= 1.00)"
fi
if [ "$reverse" -eq 1 ]; then
  lo="$(median <"$work/leech-ours.results")" ll="$(median <"$work/leech-lt.results")"
  printf '%-34s %12s %12s\n' "$leecher_count seeders to 1 leecher (ours)" "$(calc 3 "$lo")" "$(calc 1 "$size_mib / $lo")"
  printf '%-34s %12s %12s\n' "$leecher_count seeders to 1 leecher (libtorrent)" "$(calc 3 "$ll")" "$(calc 1 "$size_mib / $ll")"
  say "   ratio ours/libtorrent (leecher): $(calc 2 "$lo / $ll") (ours includes its 10 ms file_list polling)"
fi
say "   outputs identical to the source: $identical"
[ "$identical" = yes ] || exit 1
