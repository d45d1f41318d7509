#!/usr/bin/env bash
# A node holding thousands of transfers, as the web UI sees it: one node makes T small torrents (5,000 by default,
# each a folder of one small file shared as a torrent) and shares N small files as LBRY streams (1,000 by default)
# through its JSON-RPC API, then the script measures, against that node:
#   - how long shares take to list (one `file_list` page of 1,000, all of them through pages, and the median and
#     largest time of several pages of 100 spread over the list),
#   - the web UI's live feed: time from opening /events to the end of its first (full) event, and its size,
#   - the node's CPU while one /events watcher is connected and nothing changes (the once-a-second snapshot),
#     next to the same time with no watcher,
#   - the node's resident memory with every transfer,
# then stops the node and starts it again on the same data, and measures the restart: time until the API answers
# and until every transfer is listed as seeding (torrents checked, streams ready), its resident memory then and once
# settled, the pages again, and its CPU over S seconds of idling.
# --smoke runs the same steps with 50 streams, 20 torrents and 3 s of CPU sampling, so the script cannot rot.
#
# Usage: bench/many-transfers.sh [--count N] [--torrents T] [--torrent-kib K] [--seconds S] [--smoke] [--keep]
# Environment (flags win): BENCH_COUNT (1000), BENCH_TORRENTS (5000), BENCH_TORRENT_KIB (16), BENCH_SECONDS (10),
# BENCH_TMPDIR (a folder on a real disk).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
count="${BENCH_COUNT:-1000}"
torrents="${BENCH_TORRENTS:-5000}"
torrent_kib="${BENCH_TORRENT_KIB:-16}"
seconds="${BENCH_SECONDS:-10}"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="${2:?--count needs a value}"; shift 2 ;;
    --torrents) torrents="${2:?--torrents needs a value}"; shift 2 ;;
    --torrent-kib) torrent_kib="${2:?--torrent-kib needs a value}"; shift 2 ;;
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --smoke) count=50; torrents=20; seconds=3; shift ;;
    --keep) keep=1; shift ;;
    --cores|--strict|--size-mib|--runs) [ "$1" = --cores ] || [ "$1" = --size-mib ] || [ "$1" = --runs ] && shift; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$count" "$seconds" "$torrent_kib"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Counts must be positive integers, not '$value'." >&2; exit 2; }
done
[[ "$torrents" =~ ^[0-9]+$ ]] || { echo "--torrents must be a whole number, not '$torrents'." >&2; exit 2; }
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

node_args=(--port 0 --bt-port 0 --no-bt-dht --no-local-discovery --no-port-mapping --bind 127.0.0.1
  --api http://127.0.0.1:0 --data-dir "$work/node" --download-dir "$work/downloads")
start_node "${node_args[@]}"

cat >"$work/measure.py" <<'PY'
import http.client, json, os, statistics, sys, threading, time, urllib.parse
phase, api, work, pid, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
count, torrents, torrent_kib = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
total = count + torrents
url = urllib.parse.urlparse(api)
token = open(os.path.join(work, "node", "api-token")).read().strip()
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
def timed(f):
    t = time.monotonic(); f(); return time.monotonic() - t
def page_times():
    # Pages of 100 spread over the whole list (the web UI's and the CLI's page size is of this order), each asked
    # three times; the median and the largest of them all.
    pages = max(1, (total + 99) // 100)
    chosen = sorted({1 + (pages - 1) * k // 9 for k in range(10)})
    times = [timed(lambda: call("file_list", {"page": p, "page_size": 100})) for _ in range(3) for p in chosen]
    return statistics.median(times), max(times)
out = {}
if phase == "create":
    files = os.path.join(work, "files")
    os.makedirs(files, exist_ok=True)
    started = time.monotonic()
    block = os.urandom(1024)
    for i in range(torrents):
        folder = os.path.join(files, f"torrent-{i:05}")
        os.makedirs(folder)
        with open(os.path.join(folder, "data.bin"), "wb") as f:
            f.write(f"torrent {i}\n".encode() + block * torrent_kib)
        call("stream_create", {"file_path": folder, "torrent": True})
    out["created_torrents"] = time.monotonic() - started
    started = time.monotonic()
    for i in range(count):
        path = os.path.join(files, f"file-{i:05}.txt")
        with open(path, "w") as f:
            f.write(f"transfer {i}\n")
        call("stream_create", {"file_path": path})
    out["created"] = time.monotonic() - started
    listed = call("file_list", {"page_size": 1})["total_items"]
    if listed != total:
        sys.exit(f"file_list lists {listed} transfers, not {total}")
    out["page"] = timed(lambda: call("file_list", {"page": 1, "page_size": 1000}))
    t = time.monotonic(); pages = 0
    for p in range(1, (total + 999) // 1000 + 1):
        pages += len(call("file_list", {"page": p, "page_size": 1000})["items"])
    out["all_pages"] = time.monotonic() - t
    assert pages == total, (pages, total)
    out["page_median"], out["page_max"] = page_times()
    # Idle CPU with no watcher, then with one /events watcher, over the same time, once the shares' background work
    # (announcing each new stream) has settled.
    time.sleep(seconds)
    c = cpu_seconds(); time.sleep(seconds); out["idle_cpu"] = cpu_seconds() - c
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
    out["first_event"] = time.monotonic() - t
    rows = len(json.loads(data)["rows"])
    assert rows == total, (rows, total)
    def drain():
        try:
            while response.readline():
                pass
        except (OSError, ValueError, http.client.HTTPException):
            pass
    threading.Thread(target=drain, daemon=True).start()
    c = cpu_seconds(); time.sleep(seconds); out["watched_cpu"] = cpu_seconds() - c
    out["event_bytes"] = len(data)
    out["rss_mib"] = rss_mib()
else:
    # The restart: the node was started at the wall-clock time in argv[9] and its API answers now; poll the
    # transfers' states until every one is seeding (a torrent checked, a stream ready to serve).
    launched = float(sys.argv[9])
    out["api"] = time.time() - launched
    deadline = time.monotonic() + 600
    while True:
        states = call("status", {})["transfers"]["by_state"]
        if states.get("seeding", 0) == total:
            break
        if time.monotonic() > deadline:
            sys.exit(f"not every transfer seeds 10 minutes after the restart: {states}")
        time.sleep(0.05)
    out["ready"] = time.time() - launched
    out["ready_cpu"] = cpu_seconds()
    out["rss_start"] = rss_mib()
    out["page_median"], out["page_max"] = page_times()
    time.sleep(seconds)
    out["rss_settled"] = rss_mib()
    out["settled_median"], out["settled_max"] = page_times()
    c = cpu_seconds(); time.sleep(seconds); out["idle_cpu"] = cpu_seconds() - c
    out["rss_end"] = rss_mib()
print(json.dumps(out))
PY

say "== Making $torrents torrents of ${torrent_kib} KiB and sharing $count small files through the API of the node at $node_api"
result="$(python3 "$work/measure.py" create "$node_api" "$work" "$node_pid" "$seconds" "$count" "$torrents" "$torrent_kib")"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$result" "$1"; }
ms() { calc 0 "$(field "$1") * 1000"; }
say "== Restarting the node on the same data"
stopping="$(date +%s.%N)"
stop_node
wait "$node_pid" 2>/dev/null || true
stopped="$(calc 1 "$(date +%s.%N) - $stopping")"
launched="$(date +%s.%N)"
start_node "${node_args[@]}"
first="$result"
result="$(python3 "$work/measure.py" restart "$node_api" "$work" "$node_pid" "$seconds" "$count" "$torrents" "$torrent_kib" "$launched")"
restart="$result"
result="$first"
total=$((count + torrents))
say
say "== Summary: one node with $total transfers ($count streams shared from small files, $torrents torrents of ${torrent_kib} KiB)"
say "   shares made:                   $(calc 1 "$(field created)") s ($(calc 0 "$count / $(field created)") per second, one stream_create at a time)"
say "   torrents made:                 $(calc 1 "$(field created_torrents)") s"
say "   file_list, one page of 1,000:  $(ms page) ms; all $total in pages of 1,000: $(ms all_pages) ms"
say "   file_list, pages of 100:       median $(ms page_median) ms, largest $(ms page_max) ms"
say "   /events first (full) event:    $(ms first_event) ms, $(calc 1 "$(field event_bytes) / 1048576") MiB ($(calc 0 "$(field event_bytes) / $total") bytes a row)"
say "   node CPU over ${seconds} s, nothing changing: $(calc 2 "$(field idle_cpu)") s with no watcher, $(calc 2 "$(field watched_cpu)") s with one /events watcher"
say "   node resident memory:          $(calc 0 "$(field rss_mib)") MiB"
result="$restart"
say "   stop (TERM until the process ended): ${stopped} s"
say "   restart, API answering:        $(calc 2 "$(field api)") s after launch; every transfer seeding: $(calc 2 "$(field ready)") s (node CPU $(calc 2 "$(field ready_cpu)") s)"
say "   restart, resident memory:      $(calc 0 "$(field rss_start)") MiB when all seed, $(calc 0 "$(field rss_settled)") MiB ${seconds} s later, $(calc 0 "$(field rss_end)") MiB at the end"
say "   restart, file_list pages of 100: median $(ms page_median) ms, largest $(ms page_max) ms once all seed; median $(ms settled_median) ms, largest $(ms settled_max) ms ${seconds} s later"
say "   restart, node CPU over ${seconds} s idle: $(calc 2 "$(field idle_cpu)") s ($(calc 1 "$(field idle_cpu) * 100 / $seconds") % of one core)"
