#!/usr/bin/env bash
# Trackerless magnet benchmark over loopback: how fast a magnet link (xt only) turns into metadata, a first
# verified piece and a complete file when the only way to the seeder is the Mainline DHT (BEP 5 + BEP 9), with
# libtorrent as the yardstick.
#
# Writes a file of random bytes (64 MiB by default) and a trackerless .torrent of it (mktorrent, 256 KiB pieces),
# then starts one Python process (bench/lib/magnet_dht.py swarm; Debian's python3-libtorrent) hosting --nodes
# (50) pure libtorrent DHT nodes on 127.0.1.x and a libtorrent seeder on 127.0.2.1 that announces the torrent to
# them (TCP only, no uTP, LSD, UPnP or NAT-PMP, per-IP DHT limits relaxed, only loopback bootstrap nodes). Once
# at least 3 DHT nodes hold the announce, each run times, in alternating order:
#   libtorrent  a fresh session on 127.0.3.RUN bootstrapped from one of the nodes, joined to the DHT (8+ nodes)
#               before the clock starts; then the magnet is added: metadata_received_alert, the first
#               piece_finished_alert and torrent_finished_alert.
#   smartshare  a fresh `smartshare start` daemon (new --data-dir, --bt-bootstrap one of the nodes, --allow-lan,
#               --bind 127.0.0.1, free ports), joined once status shows bittorrent.dht.nodes > 0; then JSON-RPC
#               `get` of the magnet, file_list polled every 10 ms: status past "metadata", pieces_have >= 1,
#               status "completed". (If the daemon cannot do this yet, "smartshare: not available yet" is printed
#               with its error and the rest goes on.)
# Every download goes to an empty folder and is compared with the source (cmp). The summary gives the medians of
# the three times for both and the ratio smartshare/libtorrent (target: no more than 1).
#
# Usage: bench/magnet-dht.sh [--size-mib N] [--runs N] [--nodes N] [--libtorrent-only] [--smoke] [--keep] [--verbose]
# Environment (flags win): BENCH_MAGNET_SIZE_MIB (64), BENCH_RUNS (5), BENCH_TMPDIR (a folder on a real disk).
# --libtorrent-only skips building and running smartshare; --keep keeps the work folder with each run's smartshare
# data folder (logs/smartshare.log); --verbose runs the daemons with --verbose (Debug-level logs, which cost time).
# A differing file makes the script exit with 1.
# --smoke checks the script still works, in seconds: 4 MiB, one run, 10 DHT nodes, a memory file system allowed,
# and smartshare failing to download is an error rather than "not available yet" (BENCH_CLI, a smartshare.dll
# already built, skips the build).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_MAGNET_SIZE_MIB:-64}"
runs="${BENCH_RUNS:-5}"
node_count=50
keep=0
smoke=0
ours=1
verbose=()
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --nodes) node_count="${2:?--nodes needs a value}"; shift 2 ;;
    --libtorrent-only) ours=0; shift ;;
    --keep) keep=1; shift ;;
    --smoke) smoke=1; shift ;;
    --verbose) verbose=(--verbose); shift ;;
    --cores|--strict) [ "$1" = --cores ] && shift; shift ;; # accepted for scripts/bench, which passes one set of flags to all
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$smoke" -eq 1 ]; then size_mib=4 runs=1 node_count=10; fi
for value in "$size_mib" "$runs" "$node_count"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Sizes and counts must be positive integers, not '$value'." >&2; exit 2; }
done
[ "$node_count" -le 250 ] || { echo "--nodes is at most 250 (one 127.0.1.x address each)." >&2; exit 2; }
[ "$runs" -le 250 ] || { echo "--runs is at most 250 (one 127.0.3.x address each)." >&2; exit 2; }
for tool in /usr/bin/python3 mktorrent openssl cmp awk grep sed; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed (scripts/test installs the BitTorrent tools)." >&2; exit 1; }
done
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null ||
  { echo "/usr/bin/python3 cannot import libtorrent: install the Debian package python3-libtorrent (scripts/test does)." >&2; exit 1; }
helper="$root/bench/lib/magnet_dht.py"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

size_bytes=$((size_mib * 1024 * 1024))
limit_s=$((60 + size_mib))

if [ "$ours" -eq 1 ]; then
  command -v dotnet >/dev/null 2>&1 || { echo "The benchmark needs dotnet (or pass --libtorrent-only)." >&2; exit 1; }
  build_cli
fi

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
work="$(mktemp -d "$parent/smartshare-magnet-bench.XXXXXX")"

install_cleanup

# The source and two copies of it, plus slack.
require_disk "$work" $(( (size_bytes / 1024) * 3 + 64 * 1024 ))

mkdir -p "$work/seed"
source_name="random-${size_mib}MiB.bin"
source_file="$work/seed/$source_name"
say "== Writing ${size_mib} MiB of random bytes to $source_file ($fs_type)"
write_random_file "$source_file" "$size_bytes"
torrent="$work/bench.torrent"
say "== mktorrent -l 18 (256 KiB pieces, no tracker)"
mktorrent -l 18 -o "$torrent" "$source_file" >/dev/null

now() { date +%s.%N; }
# number FIELD LINE: a number field of a JSON line printed by magnet_dht.py.
number() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" <<<"$2"; }

# --- The DHT nodes and the seeder, one process; its stdin is a FIFO held open on fd 3.
nodes_json="$(awk -v n="$node_count" 'BEGIN { printf "["; for (i = 1; i <= n; i++) printf "%s\"127.0.1.%d\"", (i > 1 ? "," : ""), i; printf "]" }')"
mkfifo "$work/swarm.in"
exec 3<>"$work/swarm.in"
say "== Starting $node_count libtorrent DHT nodes on 127.0.1.x and a seeder on 127.0.2.1 (seed mode, announces to the DHT)"
swarm_start="$(now)"
/usr/bin/python3 "$helper" swarm \
  "{\"nodes\":$nodes_json,\"seeder\":\"127.0.2.1\",\"torrent\":\"$torrent\",\"save_path\":\"$work/seed\"}" \
  <"$work/swarm.in" >"$work/swarm.out" 2>&1 &
swarm_pid=$!
live[$swarm_pid]=swarm
wait_for_line "$work/swarm.out" '"event": "ready"' "$swarm_pid" 120 "the DHT nodes hold the seeder's announce"
mapfile -t node_endpoints < <(sed -n 's/.*"event": "node", "address": "\([0-9.]*\)", "port": \([0-9]*\).*/\1:\2/p' "$work/swarm.out")
[ "${#node_endpoints[@]}" -eq "$node_count" ] || { echo "The swarm printed ${#node_endpoints[@]} nodes, not $node_count." >&2; exit 1; }
info_hash="$(sed -n 's/.*"info_hash": "\([0-9a-f]\{40\}\)".*/\1/p' "$work/swarm.out" | head -n 1)"
magnet="magnet:?xt=urn:btih:$info_hash"
say "   ready after $(calc 1 "$(now) - $swarm_start") s: $(grep -c '"event": "announced"' "$work/swarm.out") node(s) hold the announce; magnet $magnet"

identical=yes
: >"$work/lt.results"
: >"$work/ours.results"
ours_available="$ours"

# report NAME RUN DONE_LINE FILE RESULTS: compares FILE with the source and appends the three times to RESULTS.
report() {
  local metadata first complete same
  metadata="$(number metadata_s "$3")" first="$(number first_piece_s "$3")" complete="$(number complete_s "$3")"
  if cmp -s "$source_file" "$4"; then same=identical; else same=DIFFERENT; identical=no; fi
  printf '%s %s %s\n' "$metadata" "$first" "$complete" >>"$5"
  say "   run $2 $1: metadata $(calc 3 "$metadata") s, first piece $(calc 3 "$first") s, complete $(calc 3 "$complete") s ($(calc 1 "$size_mib / $complete") MiB/s), output $same"
}

run_libtorrent() { # run_libtorrent RUN BOOTSTRAP
  local dl="$work/lt-download" out="$work/lt-$1.out" pid line
  rm -rf "$dl"; mkdir -p "$dl"
  /usr/bin/python3 "$helper" lt-download \
    "{\"magnet\":\"$magnet\",\"save_path\":\"$dl\",\"listen\":\"127.0.3.$1\",\"bootstrap\":\"$2\",\"min_nodes\":8,\"limit_s\":$limit_s}" \
    </dev/null >"$out" 2>&1 &
  pid=$!
  live[$pid]=lt-download
  wait_for_line "$out" '"event": "(done|error)"' "$pid" $((limit_s + 90)) "the libtorrent downloader finishes"
  stop_process "$pid"
  line="$(grep -a '"event": "done"' "$out" | head -n 1)" ||
    { echo "The libtorrent downloader failed:" >&2; tail -n 20 "$out" >&2; exit 1; }
  report libtorrent "$1" "$line" "$dl/$source_name" "$work/lt.results"
  rm -rf "$dl"
}

run_ours() { # run_ours RUN BOOTSTRAP
  local dl="$work/ours-download" data="$work/ours-data-$1" log="$work/ours-$1.log" out="$work/ours-$1.out"
  local api_port daemon client line path
  rm -rf "$dl" "$data"; mkdir -p "$dl"
  api_port="$(/usr/bin/python3 "$helper" free-port 127.0.0.1)"
  dotnet "$cli" --data-dir "$data" "${verbose[@]}" start --port 0 --bt-port 0 --bt-bootstrap "$2" --allow-lan --bind 127.0.0.1 \
    --api-port "$api_port" --download-dir "$dl" >"$log" 2>&1 &
  daemon=$!
  live[$daemon]=smartshare
  /usr/bin/python3 "$helper" ours-download \
    "{\"api\":\"http://127.0.0.1:$api_port\",\"magnet\":\"$magnet\",\"min_nodes\":1,\"poll_s\":0.01,\"limit_s\":$limit_s}" \
    </dev/null >"$out" 2>&1 &
  client=$!
  live[$client]=ours-download
  # The client ends by itself (done, error or its own limits); a daemon that exits first ends the run.
  while kill -0 "$client" 2>/dev/null; do
    if ! kill -0 "$daemon" 2>/dev/null; then stop_process "$client"; break; fi
    sleep 0.1
  done
  stop_process "$client"
  stop_process "$daemon"
  line="$(grep -a '"event": "done"' "$out" | head -n 1 || true)"
  if [ -z "$line" ]; then
    say "   smartshare: not available yet ($(grep -ah -m 1 '"error"' "$out" | cut -c 1-300)$(grep -aq '"error"' "$out" || tail -n 3 "$log" | tr '\n' ' ' | cut -c 1-300))"
    say "   (last lines of its log:)"; tail -n 8 "$log" | cut -c 1-240 | sed 's/^/     /'
    ours_available=0
    [ "$smoke" -eq 0 ] || { echo "smartshare did not download in a smoke run, which must not happen." >&2; exit 1; }
  else
    path="$(sed -n 's/.*"path": "\([^"]*\)".*/\1/p' <<<"$line")"
    report smartshare "$1" "$line" "${path:-$dl/$source_name}" "$work/ours.results"
  fi
  rm -rf "$dl"
  # --keep keeps each run's data folder, whose logs/smartshare.log has the node's debug lines.
  [ "$keep" -eq 1 ] || rm -rf "$data"
}

for i in $(seq 1 "$runs"); do
  bootstrap="${node_endpoints[$(( (i * 7) % node_count ))]}"
  if [ $((i % 2)) -eq 1 ]; then
    run_libtorrent "$i" "$bootstrap"
    [ "$ours_available" -eq 1 ] && run_ours "$i" "$bootstrap"
  else
    [ "$ours_available" -eq 1 ] && run_ours "$i" "$bootstrap"
    run_libtorrent "$i" "$bootstrap"
  fi
done

echo '{"cmd":"quit"}' >&3
exec 3>&-
stop_process "$swarm_pid"

# column N FILE: the median of column N.
column() { awk -v c="$1" '{ print $c }' "$2" | median; }
say ""
say "== Summary: magnet (xt only) of ${size_mib} MiB (256 KiB pieces) found through $node_count libtorrent DHT nodes on loopback, $runs run(s), $(nproc) cores; medians in seconds"
printf '%-12s %14s %14s %14s %12s\n' "downloader" "metadata" "first piece" "complete" "MiB/s"
lt_m="$(column 1 "$work/lt.results")" lt_f="$(column 2 "$work/lt.results")" lt_c="$(column 3 "$work/lt.results")"
printf '%-12s %14s %14s %14s %12s\n' libtorrent "$(calc 3 "$lt_m")" "$(calc 3 "$lt_f")" "$(calc 3 "$lt_c")" "$(calc 1 "$size_mib / $lt_c")"
if [ -s "$work/ours.results" ]; then
  o_m="$(column 1 "$work/ours.results")" o_f="$(column 2 "$work/ours.results")" o_c="$(column 3 "$work/ours.results")"
  printf '%-12s %14s %14s %14s %12s\n' smartshare "$(calc 3 "$o_m")" "$(calc 3 "$o_f")" "$(calc 3 "$o_c")" "$(calc 1 "$size_mib / $o_c")"
  printf '%-12s %14s %14s %14s\n' "ours/lt" "$(calc 2 "$o_m / $lt_m")" "$(calc 2 "$o_f / $lt_f")" "$(calc 2 "$o_c / $lt_c")"
  say "   target: ours/lt no more than 1.00 (smartshare times include its 10 ms file_list polling)"
elif [ "$ours" -eq 1 ]; then
  say "   smartshare: not available yet (no ratio)"
fi
say "   outputs identical to the source: $identical"
[ "$identical" = yes ] || exit 1
