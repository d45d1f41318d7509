#!/usr/bin/env bash
# Speed limits measured end to end: two nodes on 127.0.0.1 (a seeder and a getter, the smartshare command) move a
# file under each limit in turn, and the getter's counters are polled every 50 ms through the API:
#   - LBRY stream, the getter's download limit (max_download_rate), one blob-exchange connection;
#   - LBRY stream, the seeder's upload limit (max_upload_rate);
#   - torrent, the getter's download limit; torrent, the seeder's upload limit;
#   - torrent, the getter's limit halved mid-transfer by settings_set: the rate in each second after the change.
# Each line gives the limit, the observed rate (bytes between the first counter step past the burst and the last
# step, over the time between them), its error, and the slowest and fastest 2-second window.
# --smoke runs every step with a 2 MiB/s limit and 6 MiB files, so the script cannot rot.
#
# Usage: bench/rate-limits.sh [--limit KIB_PER_S] [--seconds S] [--smoke] [--keep]
# Environment (flags win): BENCH_LIMIT (4096 KiB/s), BENCH_SECONDS (20: each transfer's length at the limit),
# BENCH_TMPDIR (where the nodes' folders go).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
limit="${BENCH_LIMIT:-4096}"
seconds="${BENCH_SECONDS:-20}"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) limit="${2:?--limit needs a value}"; shift 2 ;;
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --smoke) limit=2048; seconds=3; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$limit" "$seconds"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "The limit and seconds must be positive integers, not '$value'." >&2; exit 2; }
done
for tool in dotnet python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed." >&2; exit 1; }
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build_cli

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
work="$(mktemp -d "$parent/rate-limits-bench.XXXXXX")"
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

# start_node NAME: starts a node on free loopback ports and sets `api`.
start_node() {
  dotnet "$cli" start --port 0 --bt-port 0 --no-bt-dht --bind 127.0.0.1 --api http://127.0.0.1:0 --allow-lan \
    --data-dir "$work/$1" --download-dir "$work/$1-downloads" 2>"$work/$1.log" >/dev/null &
  pids+=($!)
  api=""
  for _ in $(seq 1 600); do
    api="$(grep -o 'API on http://127\.0\.0\.1:[0-9]*' "$work/$1.log" 2>/dev/null | head -n 1 | cut -d ' ' -f 3)" && [ -n "$api" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "The $1 node exited:" >&2; cat "$work/$1.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$api" ] || { echo "The $1 node did not start within 60 s." >&2; exit 1; }
}

start_node seeder; seeder_api="$api"
start_node getter; getter_api="$api"

cat >"$work/measure.py" <<'PY'
import http.client, json, os, sys, time, urllib.parse
seeder_api, getter_api, work, limit_kib, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
MiB = 1024 * 1024

class Node:
    def __init__(self, api, data):
        url = urllib.parse.urlparse(api)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        token = open(os.path.join(data, "api-token")).read().strip()
        self.headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    def call(self, method, params=None):
        self.connection.request("POST", "/api", json.dumps({"method": method, "params": params or {}}), self.headers)
        answer = json.loads(self.connection.getresponse().read())
        if "error" in answer:
            sys.exit(f"{method} failed: {answer['error']}")
        return answer["result"]
    def set(self, key, value):
        self.call("settings_set", {"key": key, "value": value})
    def item(self, key):
        items = self.call("file_list", {"key": key})["items"]
        return items[0] if items else None

seeder = Node(seeder_api, os.path.join(work, "seeder"))
getter = Node(getter_api, os.path.join(work, "getter"))
getter.set("max_connections_per_download", 1)
status = seeder.call("status")
blob_port = status["blob_exchange"]["tcp_port"]
bt_port = status["networks"]["bittorrent"]["port"]
limit = limit_kib * 1024
size = limit * seconds
counter = 0

def share(torrent):
    global counter
    counter += 1
    path = os.path.join(work, f"file-{counter}.bin")
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, MiB))
            f.write(chunk)
            left -= len(chunk)
    params = {"file_path": path}
    if torrent:
        params.update({"torrent": True, "torrent_path": path + ".torrent"})
    shared = seeder.call("stream_create", params)
    return shared, path

def poll(key, field, until, limit_s):
    changes, last, start = [], -1, time.monotonic()
    while time.monotonic() - start < limit_s:
        item = getter.item(key)
        value = (item or {}).get("progress", {}).get(field) or 0
        now = time.monotonic() - start
        if value != last:
            changes.append((now, value))
            last = value
        if until(value, now):
            break
        time.sleep(0.05)
    return changes

def rate(changes, t0, t1):
    inside = [c for c in changes if t0 <= c[0] <= t1]
    if len(inside) < 2 or inside[-1][0] - inside[0][0] < 0.5:
        return None
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

def report(name, changes, expected):
    burst = min(2 * MiB, size // 4)
    start = next(c for c in changes if c[1] >= burst)
    end = changes[-1]
    observed = rate(changes, start[0], end[0])
    windows = [w for w in (rate(changes, t, t + 2) for t in [start[0] + i for i in range(0, max(1, int(end[0] - start[0]) - 1))]) if w]
    return {"name": name, "limit": expected, "observed": observed, "error": (observed - expected) / expected * 100,
            "seconds": end[0] - start[0], "slowest": min(windows) if windows else observed, "fastest": max(windows) if windows else observed}

results = []
def stream_case(name, getter_down, seeder_up):
    getter.set("max_download_rate", getter_down); seeder.set("max_upload_rate", seeder_up)
    shared, _ = share(False)
    key = shared["sd_hash"]
    getter.call("get", {"uri": key, "peers": [f"127.0.0.1:{blob_port}"]})
    changes = poll(key, "bytes_have", lambda v, _: v >= size, seconds * 4 + 30)
    results.append(report(name, changes, limit))
    getter.call("file_delete", {"key": key, "delete_from_download_dir": True})

def torrent_case(name, getter_down, seeder_up):
    getter.set("max_download_rate", getter_down); seeder.set("max_upload_rate", seeder_up)
    shared, path = share(True)
    key = shared["info_hash"]
    getter.call("get", {"uri": path + ".torrent", "peers": [f"127.0.0.1:{bt_port}"]})
    changes = poll(key, "bytes_received", lambda v, _: v >= size, seconds * 4 + 30)
    results.append(report(name, changes, limit))
    getter.call("file_delete", {"key": key, "delete_from_download_dir": True})

stream_case("stream, getter's download limit", limit_kib, 0)
stream_case("stream, seeder's upload limit", 0, limit_kib)
torrent_case("torrent, getter's download limit", limit_kib, 0)
torrent_case("torrent, seeder's upload limit", 0, limit_kib)

# Live change: twice the limit until a third of the file is in, then half of it.
getter.set("max_download_rate", 2 * limit_kib); seeder.set("max_upload_rate", 0)
shared, path = share(True)
key = shared["info_hash"]
getter.call("get", {"uri": path + ".torrent", "peers": [f"127.0.0.1:{bt_port}"]})
before = poll(key, "bytes_received", lambda v, _: v >= size // 3, seconds * 2 + 30)
t_change = time.monotonic()
getter.set("max_download_rate", limit_kib // 2)
after_s = max(3, min(8, seconds))
after = poll(key, "bytes_received", lambda v, now: now >= after_s, after_s + 5)
per_second = [rate(after, i, i + 1) for i in range(0, after_s - 1)]
getter.call("file_delete", {"key": key, "delete_from_download_dir": True})
print(json.dumps({"results": results, "after_change": per_second, "before": rate(before, before[0][0], before[-1][0])}))
PY

say "== Seeder at $seeder_api, getter at $getter_api; limit $limit KiB/s, about $seconds s per transfer"
result="$(python3 "$work/measure.py" "$seeder_api" "$getter_api" "$work" "$limit" "$seconds")"
say
say "== Summary: observed rates under a $limit KiB/s limit (MiB/s; error against the limit; slowest and fastest 2 s window)"
python3 - "$result" "$limit" <<'PY'
import json, sys
data, limit = json.loads(sys.argv[1]), int(sys.argv[2])
MiB = 1024 * 1024
for r in data["results"]:
    print(f"   {r['name']:<34} {r['observed'] / MiB:6.3f} MiB/s ({r['error']:+5.1f}%) over {r['seconds']:4.1f} s; windows {r['slowest'] / MiB:.3f}-{r['fastest'] / MiB:.3f}")
after = ", ".join("-" if v is None else f"{v / MiB:.2f}" for v in data["after_change"])
before = "-" if data["before"] is None else f"{data['before'] / MiB:.2f}"
print(f"   torrent, limit {2 * limit} -> {limit // 2} KiB/s mid-transfer: before {before} MiB/s; each second after the change: {after} MiB/s")
PY
