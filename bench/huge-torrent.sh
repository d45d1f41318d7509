#!/usr/bin/env bash
# A torrent with a huge file list, as a hostile or merely enormous .torrent makes one: N empty files (99,999 by
# default, the parser's limit is 100,000) and one 32 KiB file. The script adds it to one node (no peers, so it
# stays downloading), then follows it as `smartshare get` does (a progress poll every 0.5 s for S seconds) and
# measures the node's resident memory (peak while polling, and after S quiet seconds), its CPU while polling and the
# add; then one whole file list (`files_limit` 100,000, what `smartshare files` asks for), its time and the memory
# peak and S quiet seconds after it. The reference, in the same run: libtorrent (python3-libtorrent)
# adding the same torrent, its resident memory before and after.
# --smoke runs the same steps with 2,000 files and 2 s, so the script cannot rot.
#
# Usage: bench/huge-torrent.sh [--files N] [--seconds S] [--smoke] [--keep]
# Environment (flags win): BENCH_FILES (99999), BENCH_SECONDS (15), BENCH_TMPDIR (a folder on a real disk).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
files="${BENCH_FILES:-99999}"
seconds="${BENCH_SECONDS:-15}"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files="${2:?--files needs a value}"; shift 2 ;;
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --smoke) files=2000; seconds=2; shift ;;
    --keep) keep=1; shift ;;
    --cores|--strict|--size-mib|--runs) [ "$1" = --cores ] || [ "$1" = --size-mib ] || [ "$1" = --runs ] && shift; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$files" "$seconds"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Counts must be positive integers, not '$value'." >&2; exit 2; }
done
[ "$files" -le 99999 ] || { echo "At most 99,999 empty files (with the data file, the parser's limit of 100,000)." >&2; exit 2; }
command -v dotnet >/dev/null 2>&1 || { echo "The benchmark needs dotnet, which is not installed." >&2; exit 1; }
[ -x /usr/bin/python3 ] || { echo "The benchmark needs /usr/bin/python3, which is not installed." >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build_cli

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
work="$(mktemp -d "$parent/huge-torrent-bench.XXXXXX")"
node_pid=""
cleanup() {
  stop_node
  if [ "$keep" -eq 1 ]; then echo "Kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The torrent: bencoded by hand (keys sorted), N empty files in folders of 1,000 and one 32 KiB file.
/usr/bin/python3 - "$work/huge.torrent" "$files" <<'PY'
import hashlib, sys
def b(x):
    if isinstance(x, int): return b"i%de" % x
    if isinstance(x, str): x = x.encode()
    if isinstance(x, bytes): return b"%d:" % len(x) + x
    if isinstance(x, list): return b"l" + b"".join(b(i) for i in x) + b"e"
    return b"d" + b"".join(b(k) + b(x[k]) for k in sorted(x)) + b"e"
data = bytes(range(256)) * 128
entries = [{"length": 0, "path": ["d%03d" % (i // 1000), "f%06d" % i]} for i in range(int(sys.argv[2]))]
entries.append({"length": len(data), "path": ["data.bin"]})
pieces = b"".join(hashlib.sha1(data[i:i + 16384]).digest() for i in range(0, len(data), 16384))
open(sys.argv[1], "wb").write(b({"info": {"name": "huge", "piece length": 16384, "pieces": pieces, "files": entries}}))
PY

start_node --port 0 --bt-port 0 --no-bt-dht --no-port-mapping --no-local-discovery --bind 127.0.0.1 \
  --api http://127.0.0.1:0 --data-dir "$work/node" --download-dir "$work/downloads"

cat >"$work/measure.py" <<'PY'
import http.client, json, os, sys, threading, time, urllib.parse
api, torrent, seconds, pid, data_dir, files = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
url = urllib.parse.urlparse(api)
token = open(os.path.join(data_dir, "api-token")).read().strip()
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
before = rss_mib()
peak = [before]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mib())
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()
cpu = cpu_seconds()
t = time.monotonic()
added = call("get", {"uri": torrent, "download_directory": os.path.join(data_dir, "..", "downloads")})
add = time.monotonic() - t
key = added["key"]
polls = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    item = call("file_list", {"key": key, "files_limit": 0})["items"][0]
    assert item["file_count"] == files + 1, item["file_count"]
    polls += 1
    time.sleep(0.5)
polling_cpu = cpu_seconds() - cpu
time.sleep(seconds)
after_polls, polls_peak = rss_mib(), peak[0]
t = time.monotonic()
whole = call("file_list", {"key": key, "files_limit": 100000})["items"][0]
whole_list = time.monotonic() - t
assert len(whole["files"]) == files + 1, len(whole["files"])
del whole
time.sleep(seconds)
stop.set()
print(json.dumps({"before": before, "polls_peak": polls_peak, "after_polls": after_polls, "peak": peak[0], "after": rss_mib(), "add": add, "polls": polls,
                  "polling_cpu": polling_cpu, "whole_list": whole_list}))
PY

cat >"$work/lt_reference.py" <<'PY'
import json, sys, time
import libtorrent as lt
def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
session = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False, "enable_lsd": False,
                      "enable_upnp": False, "enable_natpmp": False})
before = rss_mib()
params = lt.add_torrent_params()
params.ti = lt.torrent_info(sys.argv[1])
params.save_path = sys.argv[2]
t = time.monotonic()
handle = session.add_torrent(params)
add = time.monotonic() - t
end = time.monotonic() + float(sys.argv[3])
peak = rss_mib()
while time.monotonic() < end:
    handle.status(); peak = max(peak, rss_mib()); time.sleep(0.5)
print(json.dumps({"before": before, "peak": peak, "after": rss_mib(), "add": add}))
PY

say "== Adding a torrent of $((files + 1)) files to our node at $node_api, then following it for ${seconds} s"
ours="$(/usr/bin/python3 "$work/measure.py" "$node_api" "$work/huge.torrent" "$seconds" "$node_pid" "$work/node" "$files")"
theirs="n/a"
if /usr/bin/python3 -c 'import libtorrent' 2>/dev/null; then
  say "== The same torrent added to libtorrent $(/usr/bin/python3 -c 'import libtorrent; print(libtorrent.__version__)')"
  theirs="$(/usr/bin/python3 "$work/lt_reference.py" "$work/huge.torrent" "$work/lt-downloads" "$seconds")"
fi
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
say
say "== Summary: a torrent of $((files + 1)) files (all but one empty), no peers"
say "   ours: resident memory $(calc 0 "$(field "$ours" before)") MiB before, peak $(calc 0 "$(field "$ours" polls_peak)") MiB, $(calc 0 "$(field "$ours" after_polls)") MiB after ${seconds} quiet s (growth $(calc 0 "$(field "$ours" after_polls) - $(field "$ours" before)") MiB)"
say "   ours: add $(calc 0 "$(field "$ours" add) * 1000") ms; CPU while polling progress ($(field "$ours" polls) polls): $(calc 2 "$(field "$ours" polling_cpu)") s"
say "   ours: one whole file list: $(calc 0 "$(field "$ours" whole_list) * 1000") ms, memory peak $(calc 0 "$(field "$ours" peak)") MiB, $(calc 0 "$(field "$ours" after)") MiB ${seconds} quiet s after it"
if [ "$theirs" != "n/a" ]; then
  say "   libtorrent: resident memory $(calc 0 "$(field "$theirs" before)") MiB before, peak $(calc 0 "$(field "$theirs" peak)") MiB, $(calc 0 "$(field "$theirs" after)") MiB after (growth $(calc 0 "$(field "$theirs" after) - $(field "$theirs" before)") MiB); add $(calc 0 "$(field "$theirs" add) * 1000") ms"
else
  say "   libtorrent: not installed (python3-libtorrent), no reference"
fi
