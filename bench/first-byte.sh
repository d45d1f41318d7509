#!/usr/bin/env bash
# First byte of a transfer not yet downloaded, over loopback: how long a media player waits after the "click".
#
# Writes four files of random bytes (64 MiB each by default). A seeder node (ours) shares each as a stream and a
# torrent (`smartshare share --torrent`: .smartshare files naming 127.0.0.1, .torrent files); two libtorrent seeders
# (tests/SmartShare.Interop.Tests/Clients/lt_peer.py: TCP only, no DHT, LSD or UPnP) seed files V and B. The click,
# by bench/lib/first_byte.py on a running node of ours (own data folder, no bootstrap, no Mainline DHT, no local
# discovery, no port mapping): JSON-RPC `get` of the target, then at once GET of the streaming URL it answered with
# "Range: bytes=0-", as a player does. Times in ms from the `get` request: its answer, the /stream headers, the
# first body byte and the first MiB of the body (checked against the source's bytes). Rows:
#   first click after start  a fresh node clicks file A: LBRY (.smartshare), or BitTorrent (.torrent with "peers":
#                            [our seeder]); every code path runs for the first time (.NET JIT)
#   lbry / torrent rows      a node that first played W (LBRY, then BitTorrent from our seeder) and V (BitTorrent
#                            from libtorrent), not measured, clicks A over LBRY, A over BitTorrent from our seeder,
#                            and B from the libtorrent seeder
# The yardstick, measured in the same run: libtorrent 2.0 (Python binding) in a session already listening adds the
# .torrent with the seeder as its peer and streaming deadlines on the first MiB's pieces: time to piece 0 and to the
# first MiB, of A from our seeder and of B from libtorrent's. lbry-sdk is not available here, so the LBRY rows have
# no yardstick. Target: first byte under 100 ms (median of the runs).
#
# Usage: bench/first-byte.sh [--size-mib N] [--runs N] [--smoke] [--keep] [--verbose]
# Environment (flags win): BENCH_SIZE_MIB (64), BENCH_RUNS (5), BENCH_TMPDIR (a folder on a real disk).
# --keep keeps the work folder with every node's log (DATA/logs/smartshare.log); --verbose runs the nodes with
# --verbose (Debug-level logs, which cost time). --smoke checks the script still works, in seconds: 4 MiB, one
# run, a memory file system allowed (BENCH_CLI, a smartshare.dll already built, skips the build).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_SIZE_MIB:-64}"
runs="${BENCH_RUNS:-5}"
keep=0
smoke=0
verbose=()
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --verbose) verbose=(--verbose); shift ;;
    --smoke) smoke=1; shift ;;
    --cores|--strict) [ "$1" = --cores ] && shift; shift ;; # accepted for scripts/bench, which passes one set of flags to all
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$smoke" -eq 1 ]; then size_mib=4 runs=1; fi
for value in "$size_mib" "$runs"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Sizes and counts must be positive integers, not '$value'." >&2; exit 2; }
done
for tool in dotnet /usr/bin/python3 openssl sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed." >&2; exit 1; }
done
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null ||
  { echo "/usr/bin/python3 cannot import libtorrent: install the Debian package python3-libtorrent (scripts/test does)." >&2; exit 1; }
lt_peer="$root/tests/SmartShare.Interop.Tests/Clients/lt_peer.py"
helper="$root/bench/lib/first_byte.py"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build_cli

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
work="$(mktemp -d "$parent/smartshare-first-byte.XXXXXX")"
install_cleanup
# Four sources, the seeder's blobs of them, and per run the receivers' copies (they may finish their downloads).
require_disk "$work" $(( size_mib * 1024 * (8 + 6 * runs) + 256 * 1024 ))

now() { date +%s.%N; }
number() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" <<<"$2"; }
ms() { calc 0 "$1 * 1000"; }

# node NAME [flags...]: starts our node with its own data folder on free loopback ports, no bootstrap, no Mainline
# DHT, no local discovery, no port mapping; waits for its API. Sets node_api and node_pid.
node() {
  local name="$1"; shift
  dotnet "$cli" ${verbose[@]+"${verbose[@]}"} start --port 0 --bt-port 0 --no-bt-dht --no-local-discovery --no-port-mapping --bind 127.0.0.1 \
    --api http://127.0.0.1:0 --data-dir "$work/$name" --download-dir "$work/$name-downloads" "$@" \
    2>"$work/$name.log" >/dev/null &
  node_pid=$!
  live[$node_pid]="$name"
  node_api=""
  for _ in $(seq 1 600); do
    node_api="$(grep -o 'API on http://127\.0\.0\.1:[0-9]*' "$work/$name.log" 2>/dev/null | head -n 1 | cut -d ' ' -f 3)" && [ -n "$node_api" ] && return 0
    kill -0 "$node_pid" 2>/dev/null || { echo "Node $name exited:" >&2; cat "$work/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "Node $name did not start within 60 s." >&2; exit 1
}
rpc() { # rpc API METHOD PARAMS_JSON: the result, as JSON
  /usr/bin/python3 - "$@" <<'PY'
import json, sys, urllib.request
api, method, params = sys.argv[1:4]
request = urllib.request.Request(api + "/", json.dumps({"method": method, "params": json.loads(params)}).encode(), {"Content-Type": "application/json"})
answer = json.loads(urllib.request.urlopen(request, timeout=60).read())
if "error" in answer:
    sys.exit("%s failed: %s" % (method, answer["error"]))
print(json.dumps(answer["result"]))
PY
}

mkdir -p "$work/source"
size_bytes=$((size_mib * 1024 * 1024))
# Four files: W and V warm a running node up (not measured), A is clicked from our seeder, B from libtorrent's.
for file in W V A B; do
  write_random_file "$work/source/video-$file.mp4" "$size_bytes"
done
say "== Wrote four files of ${size_mib} MiB of random bytes ($fs_type)"

node seeder --allow-lan
seeder_api="$node_api"
declare -A smartshare=() torrent=() first_mib_sha=()
for file in W V A B; do
  dotnet "$cli" share "$work/source/video-$file.mp4" --torrent --api "$seeder_api" --advertise 127.0.0.1 \
    --out "$work/video-$file.smartshare" --json >"$work/share-$file.json"
  smartshare[$file]="$work/video-$file.smartshare"
  torrent[$file]="$(json_field torrent "$(cat "$work/share-$file.json")")"
  [ -f "${torrent[$file]}" ] || { echo "share --torrent wrote no .torrent file:" >&2; cat "$work/share-$file.json" >&2; exit 1; }
  first_mib_sha[$file]="$(head -c 1048576 "$work/source/video-$file.mp4" | sha256sum | cut -d ' ' -f 1)"
done
seeder_bt="127.0.0.1:$(rpc "$seeder_api" status '{}' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["networks"]["bittorrent"]["port"])')"
say "   our seeder: API $seeder_api, BitTorrent $seeder_bt; .smartshare and .torrent files written"

# lt_seed FILE: a libtorrent seeder of FILE's torrent on 127.0.0.2 (its stdin a FIFO held open); sets lt_seed to its address.
lt_fd=3
lt_seed() {
  mkfifo "$work/lt-$1.in"
  eval "exec $lt_fd<>\"\$work/lt-\$1.in\""
  lt_fd=$((lt_fd + 1))
  /usr/bin/python3 "$lt_peer" "{\"mode\":\"seed\",\"torrent\":\"${torrent[$1]}\",\"save_path\":\"$work/source\",\"listen\":\"127.0.0.2:0\"}" \
    <"$work/lt-$1.in" >"$work/lt-$1.out" 2>&1 &
  live[$!]="lt-seeder-$1"
  for _ in $(seq 1 1200); do
    grep -aq '"event": "finished"' "$work/lt-$1.out" && break
    kill -0 "$!" 2>/dev/null || { echo "The libtorrent seeder of $1 exited:" >&2; cat "$work/lt-$1.out" >&2; exit 1; }
    sleep 0.1
  done
  grep -aq '"event": "finished"' "$work/lt-$1.out" || { echo "The libtorrent seeder of $1 did not check its file in 120 s." >&2; exit 1; }
  lt_seed="127.0.0.2:$(sed -n 's/.*"event": "listening".*"port": \([0-9]*\).*/\1/p' "$work/lt-$1.out" | head -n 1)"
}
lt_seed V
lt_warm="$lt_seed"
lt_seed B
say "   libtorrent seeders (TCP only): $lt_warm (file V), $lt_seed (file B)"

rows=(cold-lbry cold-bt lbry bt-ours bt-lt lt-ours lt-lt)
declare -A title=(
  [cold-lbry]="lbry, first click after start" [cold-bt]="torrent, first click after start"
  [lbry]="lbry (.smartshare), our seeder" [bt-ours]="torrent (.torrent), our seeder" [bt-lt]="torrent (.torrent), libtorrent seeder"
  [lt-ours]="libtorrent, our seeder" [lt-lt]="libtorrent, libtorrent seeder")
for row in "${rows[@]}"; do : >"$work/$row.results"; done

# click ROW RUN NETWORK FILE PEER: clicks FILE (lbry: its .smartshare; bt: its .torrent with PEER) on the running node
# $node_api; appends get headers first mib (s) to ROW's results unless ROW is "-" (a warm-up).
click() {
  local row="$1" run="$2" network="$3" file="$4" peer="${5:-}" target peers="[]" line
  if [ "$network" = lbry ]; then target="${smartshare[$file]}"; else target="${torrent[$file]}" peers="[\"$peer\"]"; fi
  if ! line="$(/usr/bin/python3 "$helper" ours "{\"api\":\"$node_api\",\"target\":\"$target\",\"peers\":$peers,\"download_directory\":\"$work/$node_name-downloads\",\"mib\":1}")"; then
    echo "run $run: the click on $network $file failed; the node's log:" >&2
    tail -n 30 "$work/$node_name/logs/smartshare.log" >&2
    exit 1
  fi
  [ "$(sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' <<<"$line")" = "${first_mib_sha[$file]}" ] ||
    { echo "run $run: the first MiB of $network $file differs from the source's." >&2; exit 1; }
  [ "$row" != - ] || return 0
  local get headers first mib
  get="$(number get_s "$line")" headers="$(number headers_s "$line")" first="$(number first_byte_s "$line")" mib="$(number mib_s "$line")"
  printf '%s %s %s %s\n' "$get" "$headers" "$first" "$mib" >>"$work/$row.results"
  say "   run $run ${title[$row]}: get $(ms "$get") ms, headers $(ms "$headers") ms, first byte $(ms "$first") ms, first MiB $(ms "$mib") ms (/stream alone: $(ms "$(number stream_first_byte_s "$line")") ms)"
}
fresh_node() { node_name="$1-$2"; node "$node_name"; }

yardstick() { # yardstick ROW RUN FILE PEER: libtorrent's first piece and first MiB of FILE from PEER
  local line
  rm -rf "$work/lt-download"; mkdir -p "$work/lt-download"
  # The helper once died of SIGSEGV (exit 139) in about one smoke run of twenty: Debian's libtorrent 2.0.8 bindings'
  # session.wait_for_alert races the network thread (lt_common.AlertWaiter says how); no helper calls it any more.
  # The fault handler prints Python's stack should a helper crash again.
  line="$(PYTHONFAULTHANDLER=1 /usr/bin/python3 "$helper" lt "{\"torrent\":\"${torrent[$3]}\",\"save_path\":\"$work/lt-download\",\"listen\":\"127.0.0.3\",\"peer\":\"$4\",\"mib\":1}")" ||
    { echo "run $2, ${title[$1]}: libtorrent got no first piece (the helper exited with $?, having printed: ${line:-nothing})." >&2; exit 1; }
  printf '%s %s %s %s\n' - - "$(number first_piece_s "$line")" "$(number mib_s "$line")" >>"$work/$1.results"
  say "   run $2 ${title[$1]}: first piece $(ms "$(number first_piece_s "$line")") ms ($(number piece_length "$line") bytes), first MiB $(ms "$(number mib_s "$line")") ms"
}

say "== $runs run(s); the clock starts at the \`get\` request"
for run in $(seq 1 "$runs"); do
  # The first click a fresh node serves: every code path on it runs for the first time (.NET JIT).
  fresh_node cold-lbry "$run"; click cold-lbry "$run" lbry A; stop_process "$node_pid"
  fresh_node cold-bt "$run"; click cold-bt "$run" bt A "$seeder_bt"; stop_process "$node_pid"
  # A node that has played something before (file W on both networks, not measured).
  fresh_node warm "$run"
  click - "$run" lbry W; click - "$run" bt W "$seeder_bt"; click - "$run" bt V "$lt_warm"
  click lbry "$run" lbry A
  click bt-ours "$run" bt A "$seeder_bt"
  click bt-lt "$run" bt B "$lt_seed"
  stop_process "$node_pid"
  yardstick lt-ours "$run" A "$seeder_bt"
  yardstick lt-lt "$run" B "$lt_seed"
done

column_ms() { # column_ms FILE N: the median of column N in ms, or - when it holds none
  local values
  values="$(awk -v n="$2" '$n != "-" { print $n }' "$1")"
  if [ -z "$values" ]; then printf -- '-'; else ms "$(median <<<"$values")"; fi
}
say ""
say "== Summary: first byte of a ${size_mib} MiB file not yet downloaded, loopback, $runs run(s), medians in ms from the click ($fs_type, $(nproc) cores, shared machine)"
printf '%-40s %8s %8s %11s %10s %9s\n' scenario get headers "first byte" "first MiB" "< 100 ms"
for row in "${rows[@]}"; do
  first="$(column_ms "$work/$row.results" 3)"
  verdict=PASS
  [ "$first" -lt 100 ] || verdict=MISS
  case "$row" in lt-*) verdict="(ref)" ;; esac
  printf '%-40s %8s %8s %11s %10s %9s\n' "${title[$row]}" "$(column_ms "$work/$row.results" 1)" "$(column_ms "$work/$row.results" 2)" \
    "$first" "$(column_ms "$work/$row.results" 4)" "$verdict"
done
say "   our rows: a fresh node per run (first click), or one that first played file W (LBRY, then BitTorrent from us) and V (from libtorrent)"
say "   libtorrent rows: piece 0 (not the first byte) from add_torrent in a running session; no lbry-sdk here, so no LBRY yardstick"
say "   first MiB of every click identical to the source's: yes"
