#!/usr/bin/env bash
# Disk used per GiB hosted, and serving rate, with and without a second copy of each hosted stream. One node shares
# a file of N MiB (256 by default) twice over, in two fresh data directories:
#   - before: keep_stream_blobs = true, as lbrynet does: the encrypted blobs are kept beside the plain file;
#   - after:  keep_stream_blobs = false (the default): once the plain file is verified its data blobs are deleted and
#             each blob a peer asks for is re-encrypted from the file (checked against its hash).
# For each, the script reports the bytes on disk (the blob folder as `du` counts it, plus the plain file) per GiB
# hosted, then a second node of ours downloads the stream from it over loopback and the script reports the rate
# (from `get` to completed, best of --runs) and the seeder's CPU time per GiB served (user + system, least of --runs;
# steadier than the rate on a shared machine), and checks the copy is byte-identical.
# --smoke runs the same steps with a 6 MiB file and one run, so the script cannot rot.
#
# Usage: bench/hosted-disk.sh [--size-mib N] [--runs R] [--smoke] [--keep]
# Environment (flags win): BENCH_SIZE_MIB (256), BENCH_RUNS (2), BENCH_TMPDIR (a folder on a real disk).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_SIZE_MIB:-256}"
runs="${BENCH_RUNS:-2}"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --smoke) size_mib=6; runs=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
for value in "$size_mib" "$runs"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Sizes and counts must be positive integers, not '$value'." >&2; exit 2; }
done
for tool in dotnet python3 openssl du; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed." >&2; exit 1; }
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build_cli

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
work="$(mktemp -d "$parent/hosted-disk-bench.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$keep" -eq 1 ]; then echo "Kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
require_disk "$work" $(( (size_mib * 5 + 64) * 1024 ))

# start_node NAME KEEP_STREAM_BLOBS: a node on free loopback ports in $work/NAME; sets `node_api`.
start_node() {
  mkdir -p "$work/$1"
  SMARTSHARE_KEEP_STREAM_BLOBS="$2" dotnet "$cli" start --port 0 --bt-port 0 --no-bt-dht --bind 127.0.0.1 \
    --api http://127.0.0.1:0 --data-dir "$work/$1/data" --download-dir "$work/$1/downloads" 2>"$work/$1/node.log" >/dev/null &
  local pid=$!
  pids+=("$pid")
  node_api=""
  for _ in $(seq 1 600); do
    node_api="$(grep -o 'API on http://127\.0\.0\.1:[0-9]*' "$work/$1/node.log" 2>/dev/null | head -n 1 | cut -d ' ' -f 3)" && [ -n "$node_api" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "The node $1 exited:" >&2; cat "$work/$1/node.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$node_api" ] || { echo "The node $1 did not start within 60 s." >&2; exit 1; }
}

cat >"$work/measure.py" <<'PY'
import hashlib, http.client, json, os, subprocess, sys, time, urllib.parse
seeder_api, seeder_dir, source, keep, runs, seeder_pid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "true", int(sys.argv[5]), int(sys.argv[6])
leechers = sys.argv[7:]
def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def client(api, data_dir):
    url = urllib.parse.urlparse(api)
    token = open(os.path.join(data_dir, "api-token")).read().strip()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    def call(method, params=None):
        connection.request("POST", "/api", json.dumps({"method": method, "params": params or {}}), headers)
        answer = json.loads(connection.getresponse().read())
        if "error" in answer:
            sys.exit(f"{method} failed: {answer['error']}")
        return answer["result"]
    return call
def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
def du_bytes(path):
    return int(subprocess.run(["du", "-s", "-B1", path], capture_output=True, text=True, check=True).stdout.split()[0])
def wait(what, condition, limit=600):
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {what} after {limit} s")
        time.sleep(0.05)
seeder = client(seeder_api, seeder_dir)
sd_hash = seeder("stream_create", {"file_path": source})["sd_hash"]
length = os.path.getsize(source)
# Held once every blob was rebuilt from the file and matched; then (keep off) the data blobs leave the blob folder.
wait("the share to be held as its plain file", lambda: seeder("status")["blob_storage"]["plain_file_streams"] == 1)
if not keep:
    wait("the share's data blobs to be dropped", lambda: seeder("status")["blob_storage"]["used_bytes"] < 4 << 20)
storage = seeder("status")["blob_storage"]
blob_folder = du_bytes(os.path.join(seeder_dir, "blobs"))
plain = du_bytes(source)
port = seeder("status")["blob_exchange"]["tcp_port"]
expected = sha256(source)
rates = []
cpu = []
for i, leecher in enumerate(leechers[:runs]):
    api, data_dir = leecher.split("|")
    get = client(api, data_dir)
    started = time.monotonic()
    cpu_before = cpu_seconds(seeder_pid)
    get("get", {"uri": sd_hash, "peers": [f"127.0.0.1:{port}"]})
    def done():
        item = get("file_list", {"sd_hash": sd_hash})["items"][0]
        if item["status"] == "failed":
            sys.exit(f"the download failed: {item.get('error')}")
        return item if item["status"] == "completed" else None
    item = wait("the download to complete", done)
    elapsed = time.monotonic() - started
    cpu.append(cpu_seconds(seeder_pid) - cpu_before)
    if sha256(item["download_path"]) != expected:
        sys.exit("the downloaded copy differs from the source")
    rates.append(length / elapsed)
print(json.dumps({"length": length, "blob_folder": blob_folder, "plain": plain, "index_bytes": storage["used_bytes"],
                  "rate": max(rates), "rates": rates, "cpu_per_gib": min(cpu) * (1 << 30) / length}))
PY

say "== Writing a $size_mib MiB file of random bytes"
write_random_file "$work/source.bin" $((size_mib * 1048576))

measure() { # LABEL KEEP
  start_node "$1-seeder" "$2"
  local seeder_api="$node_api" seeder_pid="${pids[-1]}"
  local leechers=()
  for run in $(seq 1 "$runs"); do
    start_node "$1-leecher-$run" false
    leechers+=("$node_api|$work/$1-leecher-$run/data")
  done
  cp --reflink=never "$work/source.bin" "$work/$1-source.bin"
  python3 "$work/measure.py" "$seeder_api" "$work/$1-seeder/data" "$work/$1-source.bin" "$2" "$runs" "$seeder_pid" "${leechers[@]}"
}

# measure runs in this shell, not in a $(...) subshell: the nodes it starts must reach `pids`, or the cleanup would
# leave them running (every run of this script, the suite's smoke run too, left four nodes behind).
say "== Before: keep_stream_blobs = true (blobs kept beside the plain file, as lbrynet does)"
measure before true >"$work/before.json"
before="$(cat "$work/before.json")"
say "   $before"
say "== After: keep_stream_blobs = false (served from the plain file, re-encrypted per blob)"
measure after false >"$work/after.json"
after="$(cat "$work/after.json")"
say "   $after"

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
per_gib() { calc 3 "($(field "$1" blob_folder) + $(field "$1" plain)) / $(field "$1" length)"; }
say
say "== Summary: one $size_mib MiB stream hosted, served to a second node of ours over loopback"
say "   disk per GiB hosted, before:  $(per_gib "$before") GiB (blob folder $(mib "$(field "$before" blob_folder)") MiB + plain file $(mib "$(field "$before" plain)") MiB)"
say "   disk per GiB hosted, after:   $(per_gib "$after") GiB (blob folder $(mib "$(field "$after" blob_folder)") MiB + plain file $(mib "$(field "$after" plain)") MiB)"
say "   serving rate from blobs:      $(mib "$(field "$before" rate)") MiB/s (best of $runs)"
say "   serving rate from plain file: $(mib "$(field "$after" rate)") MiB/s (best of $runs)"
say "   seeder CPU per GiB served:    $(calc 2 "$(field "$before" cpu_per_gib)") s from blobs, $(calc 2 "$(field "$after" cpu_per_gib)") s from the plain file (least of $runs)"
