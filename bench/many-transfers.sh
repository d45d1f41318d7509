#!/usr/bin/env bash
# A node holding thousands of transfers, as the web UI sees it: one node shares N small files (5,000 by default)
# through its JSON-RPC API, then the script measures, against that node:
#   - how long shares take to list (one `file_list` page of 1,000, and all N through pages),
#   - the web UI's live feed: time from opening /events to the end of its first (full) event, and its size,
#   - the node's CPU while one /events watcher is connected and nothing changes (the once-a-second snapshot),
#     next to the same time with no watcher,
#   - the node's resident memory with N transfers.
# --smoke runs the same steps with 50 transfers and 3 s of CPU sampling, so the script cannot rot.
#
# Usage: bench/many-transfers.sh [--count N] [--seconds S] [--smoke] [--keep]
# Environment (flags win): BENCH_COUNT (5000), BENCH_SECONDS (10), BENCH_TMPDIR (a folder on a real disk).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
count="${BENCH_COUNT:-5000}"
seconds="${BENCH_SECONDS:-10}"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="${2:?--count needs a value}"; shift 2 ;;
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --smoke) count=50; seconds=3; shift ;;
    --keep) keep=1; shift ;;
    --cores|--strict|--size-mib|--runs) [ "$1" = --cores ] || [ "$1" = --size-mib ] || [ "$1" = --runs ] && shift; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$count" "$seconds"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Counts must be positive integers, not '$value'." >&2; exit 2; }
done
for tool in dotnet python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed." >&2; exit 1; }
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build_cli

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
work="$(mktemp -d "$parent/many-transfers-bench.XXXXXX")"
node_pid=""
cleanup() {
  stop_node
  if [ "$keep" -eq 1 ]; then echo "Kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_node --port 0 --bt-port 0 --no-bt-dht --bind 127.0.0.1 --api http://127.0.0.1:0 \
  --data-dir "$work/node" --download-dir "$work/downloads"

cat >"$work/measure.py" <<'PY'
import http.client, json, os, sys, time, urllib.parse
api, files, count, seconds, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
url = urllib.parse.urlparse(api)
token = open(os.path.join(sys.argv[6], "api-token")).read().strip()
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
def call(method, params):
    connection.request("POST", "/api", json.dumps({"method": method, "params": params}), headers)
    answer = json.loads(connection.getresponse().read())
    if "error" in answer:
        sys.exit(f"{method} failed: {answer['error']}")
    return answer["result"]
def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def rss_mib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
os.makedirs(files, exist_ok=True)
started = time.monotonic()
for i in range(count):
    path = os.path.join(files, f"file-{i:05}.txt")
    with open(path, "w") as f:
        f.write(f"transfer {i}\n")
    call("stream_create", {"file_path": path})
created = time.monotonic() - started
listed = call("file_list", {"page_size": 1})["total_items"]
if listed != count:
    sys.exit(f"file_list lists {listed} transfers, not {count}")
t = time.monotonic(); call("file_list", {"page": 1, "page_size": 1000}); page = time.monotonic() - t
t = time.monotonic(); pages = 0
for p in range(1, (count + 999) // 1000 + 1):
    pages += len(call("file_list", {"page": p, "page_size": 1000})["items"])
all_pages = time.monotonic() - t
assert pages == count, (pages, count)
# Idle CPU with no watcher, then with one /events watcher, over the same time, once the shares' background work
# (announcing each new stream) has settled.
time.sleep(seconds)
c = cpu_seconds(); time.sleep(seconds); idle = cpu_seconds() - c
events = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
t = time.monotonic()
events.request("GET", "/events", headers={"Authorization": "Bearer " + token, "Accept": "text/event-stream"})
response = events.getresponse()
data = b""
while True:
    line = response.readline()
    if not line:
        sys.exit("/events ended before its first event")
    if line.startswith(b"data: "):
        data = line[6:]
        break
first_event = time.monotonic() - t
rows = len(json.loads(data)["rows"])
assert rows == count, (rows, count)
def drain():
    try:
        while response.readline():
            pass
    except (OSError, ValueError, http.client.HTTPException):
        pass
import threading
threading.Thread(target=drain, daemon=True).start()
c = cpu_seconds(); time.sleep(seconds); watched = cpu_seconds() - c
print(json.dumps({"created": created, "page": page, "all_pages": all_pages, "first_event": first_event,
                  "event_bytes": len(data), "idle_cpu": idle, "watched_cpu": watched, "rss_mib": rss_mib()}))
PY

say "== Sharing $count small files through the API of the node at $node_api"
result="$(python3 "$work/measure.py" "$node_api" "$work/files" "$count" "$seconds" "$node_pid" "$work/node")"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$result" "$1"; }
say
say "== Summary: one node with $count transfers (streams shared from small files)"
say "   shares made:                   $(calc 1 "$(field created)") s ($(calc 0 "$count / $(field created)") per second, one stream_create at a time)"
say "   file_list, one page of 1,000:  $(calc 0 "$(field page) * 1000") ms; all $count in pages of 1,000: $(calc 0 "$(field all_pages) * 1000") ms"
say "   /events first (full) event:    $(calc 0 "$(field first_event) * 1000") ms, $(calc 1 "$(field event_bytes) / 1048576") MiB ($(calc 0 "$(field event_bytes) / $count") bytes a row)"
say "   node CPU over ${seconds} s, nothing changing: $(calc 2 "$(field idle_cpu)") s with no watcher, $(calc 2 "$(field watched_cpu)") s with one /events watcher"
say "   node resident memory:          $(calc 0 "$(field rss_mib)") MiB"
