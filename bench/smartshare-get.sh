#!/usr/bin/env bash
# End-to-end .smartshare benchmark: a creator node shares a file of random bytes (100 MiB by default) and
# writes X.smartshare advertising 127.0.0.1; for each run a fresh receiver node, started with no bootstrap at
# all, is asked to `get` X.smartshare through its JSON-RPC API, and the script times, from that request:
#   - the first byte written to the output file (file_list's written_bytes > 0, polled every 2 ms), and
#   - completion (status "completed": every blob verified, the file renamed to its final name),
# checks the file is byte-identical to the source, and also times one `smartshare get X.smartshare` command
# (which includes .NET start-up).
#
# Usage: bench/smartshare-get.sh [--size-mib N] [--runs N] [--smoke] [--keep]
# Environment (flags win): BENCH_SIZE_MIB (100), BENCH_RUNS (3), BENCH_TMPDIR (a folder on a real disk).
# --smoke checks the script still works, in seconds: 4 MiB, one run, a memory file system allowed (BENCH_CLI, a
# smartshare.dll already built, skips the build).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_SIZE_MIB:-100}"
runs="${BENCH_RUNS:-3}"
keep=0
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --keep) keep=1; shift ;;
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
for tool in dotnet python3 openssl cmp; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed." >&2; exit 1; }
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build_cli

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
work="$(mktemp -d "$parent/smartshare-get-bench.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$keep" -eq 1 ]; then echo "Kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_node NAME [flags...]: starts a node in the background; sets node_api and node_pid.
start_node() {
  local name="$1"; shift
  dotnet "$cli" start --port 0 --bt-port 0 --no-bt-dht --bind 127.0.0.1 --api http://127.0.0.1:0 \
    --data-dir "$work/$name" --download-dir "$work/$name-downloads" "$@" 2>"$work/$name.log" >/dev/null &
  node_pid=$!
  pids+=("$node_pid")
  for _ in $(seq 1 600); do
    if node_api="$(grep -o 'API on http://127\.0\.0\.1:[0-9]*' "$work/$name.log" 2>/dev/null | head -n 1 | cut -d ' ' -f 3)" && [ -n "$node_api" ]; then
      return 0
    fi
    kill -0 "$node_pid" 2>/dev/null || { echo "Node $name exited:" >&2; cat "$work/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "Node $name did not start within 60 s:" >&2; cat "$work/$name.log" >&2; exit 1
}

# The source, the creator's blobs, and each receiver's blobs and file.
require_disk "$work" $(( size_mib * 1024 * (2 + 2 * (runs + 1)) + 512 * 1024 ))
source_file="$work/video-${size_mib}MiB.bin"
echo "== Writing ${size_mib} MiB of random bytes"
write_random_file "$source_file" "$((size_mib * 1024 * 1024))"

start_node creator --allow-lan
creator_api="$node_api"
share_file="$work/video.smartshare"
dotnet "$cli" share "$source_file" --api "$creator_api" --advertise 127.0.0.1 --out "$share_file" --json >"$work/share.json"
echo "== Creator at $creator_api shared the file; $(wc -c <"$share_file") bytes of .smartshare (descriptor embedded)"

cat >"$work/measure.py" <<'PY'
import http.client, json, sys, time, urllib.parse
api, target, downloads = sys.argv[1:4]
url = urllib.parse.urlparse(api)
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
def call(method, params):
    connection.request("POST", "/", json.dumps({"method": method, "params": params}), {"Content-Type": "application/json"})
    answer = json.loads(connection.getresponse().read())
    if "error" in answer:
        sys.exit(f"{method} failed: {answer['error']}")
    return answer["result"]
started = time.monotonic()
sd_hash = call("get", {"uri": target, "download_directory": downloads})["sd_hash"]
first = None
while True:
    item = call("file_list", {"sd_hash": sd_hash})["items"][0]
    now = time.monotonic() - started
    if first is None and (item.get("written_bytes") or 0) > 0:
        first = now
    if item["status"] == "completed":
        print(json.dumps({"first_byte": first if first is not None else now, "complete": now, "path": item["download_path"]}))
        break
    if item["status"] in ("failed", "stopped"):
        sys.exit(f"the download {item['status']}: {item.get('error')}")
    time.sleep(0.002)
PY

echo "== get X.smartshare on a fresh receiver node with no bootstrap, x$runs (times from the API request)"
firsts=() completes=()
for run in $(seq 1 "$runs"); do
  start_node "receiver$run"
  result="$(python3 "$work/measure.py" "$node_api" "$share_file" "$work/receiver$run-downloads")"
  first="$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["first_byte"])' "$result")"
  complete="$(python3 -c 'import json,sys; print("%.3f" % json.loads(sys.argv[1])["complete"])' "$result")"
  path="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["path"])' "$result")"
  cmp -s "$source_file" "$path" || { echo "run $run: the downloaded file differs from the source" >&2; exit 1; }
  echo "   run $run: first byte after $first s, complete after $complete s ($(python3 -c "print('%.1f' % ($size_mib / $complete))") MiB/s), identical"
  firsts+=("$first") completes+=("$complete")
  kill -TERM "$node_pid"
done

start_node cli-receiver
wall_start="$(date +%s.%N)"
dotnet "$cli" get "$share_file" --api "$node_api" --download-dir "$work/cli-downloads" --json >"$work/cli-get.json"
wall="$(python3 -c "print('%.3f' % ($(date +%s.%N) - $wall_start))")"
echo "   \`smartshare get X.smartshare\` command through a running receiver: $wall s wall (includes .NET start-up of the command)"

echo
echo "== Summary: ${size_mib} MiB over loopback from the creator named in X.smartshare, receiver without bootstrap"
echo "   time to first byte written: median $(printf '%s\n' "${firsts[@]}" | median) s (runs: ${firsts[*]})"
echo "   time to complete:           median $(printf '%s\n' "${completes[@]}" | median) s (runs: ${completes[*]})"
