#!/usr/bin/env bash
# BitTorrent download benchmark over loopback, against libtorrent as the yardstick.
#
# Writes a file of random bytes (1 GiB by default), makes a trackerless .torrent of it with mktorrent (1 MiB
# pieces, what libtorrent picks for 1 GiB), starts a libtorrent 2.0 seeder on 127.0.0.1 (Debian's
# python3-libtorrent driven by tests/SmartShare.Interop.Tests/Clients/lt_peer.py: TCP only, no uTP, no DHT,
# LSD, UPnP or NAT-PMP, an IP filter allowing only 127.0.0.0/8) and, for each run, times a download from it:
#   libtorrent  a second lt_peer.py on 127.0.0.2 told the seeder's address directly;
#   smartshare  `smartshare get FILE.torrent --peer 127.0.0.1:PORT --download-dir DIR --json` with a fresh
#               --data-dir (if the command fails, "smartshare: not available yet" is printed and the rest goes on).
# Right before each download (libtorrent's and ours alike), a page-cache ballast as large as the file is written and
# deleted, so both write into memory the kernel has just freed (write_ballast in bench/lib/common.sh; each run line
# ends with how long it took). Odd runs time libtorrent first, even runs ours first.
# Each download is a new process into an empty folder: wall seconds from its start to the file complete
# (libtorrent's "finished" line; smartshare's exit), MiB/s, peak RssAnon (/proc/PID/status every 0.1 s;
# libtorrent maps files, so RssAnon, not RSS, is its own memory), a byte comparison with the source (cmp) and the
# seeder's CPU seconds meanwhile (a run far above the others' found the seeder slow: the VM's cold memory reaches
# its sends as well, and then both downloaders wait on it).
# The summary gives the medians of both rates, the ratio smartshare/libtorrent and both peak RssAnon, and
# smartshare's peak RSS (VmHWM: with the pages of the .NET runtime's mapped image, shared and reclaimable; libtorrent's
# would count the file it maps, so it is not compared).
#
# --transport utp runs every peer over uTP (BEP 29) only: both libtorrents with "transport":"utp" (TCP neither dialled
# nor accepted) and smartshare with the setting bt_transport=utp (SMARTSHARE_BT_TRANSPORT); --transport tcp (the
# default) is TCP only, as above. The issue's uTP figure: bench/torrent-throughput.sh --transport utp --size-mib 512.
#
# --seeder-ramp held starts the seeder with send_buffer_low_watermark at libtorrent's send_buffer_watermark (500 KiB).
# By default (--seeder-ramp default) a libtorrent seeder keeps each new connection to a 10 KiB send watermark, one
# 16 KiB block read and sent at a time, until its once-a-second tick finds payload sent on that connection in the
# second before: the first 0-1 s of every download, at a phase no downloader controls. A 512 MiB download takes
# about a second, so that phase decides much of the time of both downloaders (architecture.md, "The ninth round").
# Held, both are timed with the seeder sending at its full watermark from the first request.
#
# Usage: bench/torrent-throughput.sh [--size-mib N] [--runs N] [--transport tcp|utp] [--seeder-ramp default|held]
#        [--libtorrent-only] [--smoke] [--keep]
# Environment (flags win): BENCH_SIZE_MIB (1024), BENCH_RUNS (3), BENCH_TMPDIR (a folder on a real disk).
# --libtorrent-only skips building and running smartshare. A differing file makes the script exit with 1.
# --smoke checks the script still works, in seconds: 4 MiB, one run, a memory file system allowed, and smartshare
# failing to download is an error rather than "not available yet" (BENCH_CLI, a smartshare.dll already built,
# skips the build).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bench/lib/common.sh
source "$root/bench/lib/common.sh"
size_mib="${BENCH_SIZE_MIB:-1024}"
runs="${BENCH_RUNS:-3}"
keep=0
smoke=0
ours=1
transport=tcp
seeder_ramp=default
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --libtorrent-only) ours=0; shift ;;
    --transport) transport="${2:?--transport needs tcp or utp}"; shift 2 ;;
    --seeder-ramp) seeder_ramp="${2:?--seeder-ramp needs default or held}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --smoke) smoke=1; shift ;;
    --cores|--strict) [ "$1" = --cores ] && shift; shift ;; # accepted for scripts/bench, which passes one set of flags to all
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$smoke" -eq 1 ]; then size_mib=4 runs=1; fi
# The one-off node of `get` keeps to loopback, as every node of a bench must: bound to 127.0.0.1, no Mainline DHT and
# no local discovery (which would otherwise join its multicast groups on every interface with multicast).
loopback_only=(SMARTSHARE_BIND=127.0.0.1 SMARTSHARE_BT_DHT=false SMARTSHARE_LOCAL_DISCOVERY=false)
case "$transport" in
  tcp) transport_name=TCP; ours_env=("${loopback_only[@]}") ;;
  utp) transport_name=uTP; ours_env=("${loopback_only[@]}" SMARTSHARE_BT_TRANSPORT=utp) ;;
  *) echo "--transport takes tcp or utp, not '$transport'." >&2; exit 2 ;;
esac
case "$seeder_ramp" in
  default) seeder_settings='{}' ;;
  held) seeder_settings='{"send_buffer_low_watermark":512000}' ;;
  *) echo "--seeder-ramp takes default or held, not '$seeder_ramp'." >&2; exit 2 ;;
esac
for value in "$size_mib" "$runs"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "Sizes and counts must be positive integers, not '$value'." >&2; exit 2; }
done
for tool in /usr/bin/python3 mktorrent openssl cmp awk grep sed; do
  command -v "$tool" >/dev/null 2>&1 || { echo "The benchmark needs $tool, which is not installed (scripts/test installs the BitTorrent tools)." >&2; exit 1; }
done
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null ||
  { echo "/usr/bin/python3 cannot import libtorrent: install the Debian package python3-libtorrent (scripts/test does)." >&2; exit 1; }
lt_peer="$root/tests/SmartShare.Interop.Tests/Clients/lt_peer.py"
[ -f "$lt_peer" ] || { echo "Missing $lt_peer." >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

size_bytes=$((size_mib * 1024 * 1024))
limit_s=$((120 + size_mib))

if [ "$ours" -eq 1 ]; then
  command -v dotnet >/dev/null 2>&1 || { echo "The benchmark needs dotnet (or pass --libtorrent-only)." >&2; exit 1; }
  build_cli
fi

parent="${BENCH_TMPDIR:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
work="$(mktemp -d "$parent/smartshare-torrent-bench.XXXXXX")"

install_cleanup

# The source, libtorrent's copy and ours, plus slack (the ballast is deleted before either copy is written).
require_disk "$work" $(( (size_bytes / 1024) * 3 + 256 * 1024 ))

mkdir -p "$work/seed"
source_name="random-${size_mib}MiB.bin"
source_file="$work/seed/$source_name"
say "== Writing ${size_mib} MiB of random bytes to $source_file ($fs_type)"
write_random_file "$source_file" "$size_bytes"
torrent="$work/bench.torrent"
say "== mktorrent -l 20 (1 MiB pieces, no tracker)"
mktorrent -l 20 -o "$torrent" "$source_file" >/dev/null

now() { date +%s.%N; }
lt_json() { # lt_json MODE SAVE_PATH LISTEN [PEER [SETTINGS]]
  local peers="[]" settings="${5:-}"
  [ -n "${4:-}" ] && peers="[\"$4\"]"
  [ -n "$settings" ] || settings='{}'
  printf '{"mode":"%s","torrent":"%s","save_path":"%s","listen":"%s","peers":%s,"transport":"%s","settings":%s}' \
    "$1" "$torrent" "$2" "$3" "$peers" "$transport" "$settings"
}

# --- The seeder: checks the file (not timed), then serves every run. Its stdin is a FIFO held open on fd 3.
mkfifo "$work/seed.in"
exec 3<>"$work/seed.in"
/usr/bin/python3 "$lt_peer" "$(lt_json seed "$work/seed" 127.0.0.1:0 "" "$seeder_settings")" <"$work/seed.in" >"$work/seed.out" 2>&1 &
seed_pid=$!
live[$seed_pid]=seeder
say "== Starting the libtorrent seeder on 127.0.0.1 ($transport_name only, send ramp $seeder_ramp) and checking the file"
wait_for_line "$work/seed.out" '"event": "finished"' "$seed_pid" "$limit_s" "the libtorrent seeder is ready"
seed_port="$(sed -n 's/.*"event": "listening".*"port": \([0-9]*\).*/\1/p' "$work/seed.out" | head -n 1)"
[ -n "$seed_port" ] || { echo "The seeder printed no port." >&2; cat "$work/seed.out" >&2; exit 1; }
say "   seeder: pid $seed_pid, 127.0.0.1:$seed_port"
sync

# measure_pid PID DONE_CMD: samples RssAnon (and VmHWM, the peak of all resident pages) of PID every 0.1 s until
# DONE_CMD succeeds or PID exits or the limit passes; sets peak_kib, hwm_kib and end_time.
peak_kib=0 hwm_kib=0 end_time=""
measure_pid() {
  local pid="$1" done_cmd="$2" deadline kib
  deadline=$(( $(date +%s) + limit_s ))
  peak_kib=0 hwm_kib=0
  while :; do
    kib="$(status_kib "$pid" RssAnon)"
    if [ -n "$kib" ] && [ "$kib" -gt "$peak_kib" ]; then peak_kib="$kib"; fi
    kib="$(status_kib "$pid" VmHWM)"
    if [ -n "$kib" ] && [ "$kib" -gt "$hwm_kib" ]; then hwm_kib="$kib"; fi
    if eval "$done_cmd"; then break; fi
    kill -0 "$pid" 2>/dev/null || break
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "   (timed out after $limit_s s)" >&2; break; fi
    sleep 0.1
  done
  end_time="$(now)"
}

identical=yes
cold_runs=0
: >"$work/lt.results"
: >"$work/ours.results"
ours_available="$ours"
# run_libtorrent I, run_ours I: one timed download each (run I), its ballast first.
run_libtorrent() {
  local i="$1"
  # --- libtorrent downloader on 127.0.0.2.
  dl="$work/lt-download"
  rm -rf "$dl"; mkdir -p "$dl"
  # A new output file per run: a finished line left from the run before must not end this one.
  dl_out="$work/dl-$i.out"
  rm -f "$work/dl.in"; mkfifo "$work/dl.in"
  exec 4<>"$work/dl.in"
  lt_ballast_s="$(write_ballast "$work/memory-ballast" "$size_mib")"
  if ballast_was_cold "$lt_ballast_s" "$size_mib"; then cold_runs=$((cold_runs + 1)); fi
  seeder_before="$(process_ticks "$seed_pid")"
  start="$(now)"
  /usr/bin/python3 "$lt_peer" "$(lt_json download "$dl" 127.0.0.2:0 "127.0.0.1:$seed_port")" <"$work/dl.in" >"$dl_out" 2>&1 &
  dl_pid=$!
  live[$dl_pid]=downloader
  measure_pid "$dl_pid" "grep -aqs '\"event\": \"finished\"' '$dl_out'"
  grep -aq '"event": "finished"' "$dl_out" || { echo "The libtorrent downloader did not finish:" >&2; tail -n 20 "$dl_out" >&2; exit 1; }
  # The downloader's own clock at "finished" (time.time()), not when the 0.1 s poll above saw the line.
  end_time="$(sed -n 's/.*"event": "finished", "time": \([0-9.]*\).*/\1/p' "$dl_out" | head -n 1)"
  [ -n "$end_time" ] || { echo "The libtorrent downloader's finished line has no time:" >&2; grep -a finished "$dl_out" >&2; exit 1; }
  echo '{"cmd":"quit"}' >&4
  exec 4>&-
  stop_process "$dl_pid"
  seeder_cpu="$(calc 2 "($(process_ticks "$seed_pid") - $seeder_before) / $ticks_per_second")"
  wall="$(calc 3 "$end_time - $start")"
  if cmp -s "$source_file" "$dl/$source_name"; then same=identical; else same=DIFFERENT; identical=no; fi
  printf '%s %s\n' "$wall" "$peak_kib" >>"$work/lt.results"
  say "   run $i libtorrent: $(calc 1 "$size_mib / $wall") MiB/s ($wall s wall), peak RssAnon $(kib_mib "$peak_kib") MiB, output $same (ballast $lt_ballast_s s, seeder CPU $seeder_cpu s)"
  rm -rf "$dl"
}

run_ours() {
  local i="$1"
  # --- our node, while its command is not available yet only tried once.
  if [ "$ours_available" -eq 1 ]; then
    ours_dir="$work/ours-download" ours_data="$work/ours-data"
    rm -rf "$ours_dir" "$ours_data"; mkdir -p "$ours_dir"
    ours_ballast_s="$(write_ballast "$work/memory-ballast" "$size_mib")"
    if ballast_was_cold "$ours_ballast_s" "$size_mib"; then cold_runs=$((cold_runs + 1)); fi
    seeder_before="$(process_ticks "$seed_pid")"
    start="$(now)"
    # A subshell notes the exit's time (and status) the moment get exits, not when the 0.1 s poll sees it.
    rm -f "$work/ours.end"
    (
      status=0
      env ${ours_env[@]+"${ours_env[@]}"} dotnet "$cli" get "$torrent" --peer "127.0.0.1:$seed_port" --download-dir "$ours_dir" --data-dir "$ours_data" --json \
        >"$work/ours.json" 2>"$work/ours.err" || status=$?
      printf '%s %s\n' "$status" "$(now)" >"$work/ours.end"
    ) &
    ours_pid=$!
    live[$ours_pid]=smartshare
    get_pid="$(first_child "$ours_pid")"
    measure_pid "${get_pid:-$ours_pid}" false
    # Still running after the time limit (the get, or the subshell if no child was seen): stop both, so the wait below
    # cannot hang.
    if kill -0 "${get_pid:-$ours_pid}" 2>/dev/null; then [ -z "$get_pid" ] || stop_process "$get_pid"; stop_process "$ours_pid"; status=124; else
      wait "$ours_pid" || true; unset "live[$ours_pid]"
      read -r status end_time <"$work/ours.end" || { status=1; end_time="$(now)"; }
    fi
    seeder_cpu="$(calc 2 "($(process_ticks "$seed_pid") - $seeder_before) / $ticks_per_second")"
    if [ "$status" -ne 0 ]; then
      say "   smartshare: not available yet (get exited with $status: $(grep -h -m 1 -E 'error' "$work/ours.err" "$work/ours.json" 2>/dev/null | head -n 1 | cut -c 1-160))"
      ours_available=0
      [ "$smoke" -eq 0 ] || { echo "smartshare did not download in a smoke run, which must not happen." >&2; exit 1; }
    else
      wall="$(calc 3 "$end_time - $start")"
      out_path="$(json_field path "$(cat "$work/ours.json")")"
      [ -n "$out_path" ] || out_path="$ours_dir/$source_name"
      if cmp -s "$source_file" "$out_path"; then same=identical; else same=DIFFERENT; identical=no; fi
      printf '%s %s %s\n' "$wall" "$peak_kib" "$hwm_kib" >>"$work/ours.results"
      say "   run $i smartshare: $(calc 1 "$size_mib / $wall") MiB/s ($wall s wall incl. .NET start-up), peak RssAnon $(kib_mib "$peak_kib") MiB (RSS $(kib_mib "$hwm_kib") MiB), output $same (ballast $ours_ballast_s s, seeder CPU $seeder_cpu s)"
    fi
    rm -rf "$ours_dir" "$ours_data"
  fi
}

# Odd runs time libtorrent first, even runs ours first, so neither always follows the other (its deleted output, the
# seeder's state after it): in one set of five with a fixed order, every ballast before libtorrent's runs took 0.10 s
# and every one before ours 0.8-1.6 s. With the order alternating (six runs) both sides' ballasts took 0.3-0.9 s.
for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then
    run_libtorrent "$i"
    run_ours "$i"
  else
    run_ours "$i"
    run_libtorrent "$i"
  fi
done

echo '{"cmd":"quit"}' >&3
exec 3>&-
stop_process "$seed_pid"

say ""
say "== Summary: ${size_mib} MiB over loopback from a libtorrent seeder ($transport_name, 1 MiB pieces, send ramp $seeder_ramp), $runs run(s), $fs_type, $(nproc) cores"
lt_wall="$(awk '{ print $1 }' "$work/lt.results" | median)"
lt_rate="$(calc 1 "$size_mib / $lt_wall")"
lt_peak="$(awk '{ print $2 }' "$work/lt.results" | maximum)"
printf '%-12s %16s %16s %20s\n' "downloader" "MiB/s (median)" "wall s (median)" "peak RssAnon MiB"
printf '%-12s %16s %16s %20s\n' "libtorrent" "$lt_rate" "$lt_wall" "$(kib_mib "$lt_peak")"
if [ -s "$work/ours.results" ]; then
  ours_wall="$(awk '{ print $1 }' "$work/ours.results" | median)"
  ours_rate="$(calc 1 "$size_mib / $ours_wall")"
  ours_peak="$(awk '{ print $2 }' "$work/ours.results" | maximum)"
  printf '%-12s %16s %16s %20s\n' "smartshare" "$ours_rate" "$ours_wall" "$(kib_mib "$ours_peak")"
  say "   ratio smartshare/libtorrent: $(calc 2 "$lt_wall / $ours_wall") (rate), $(calc 2 "$ours_peak / $lt_peak") (peak RssAnon)"
  # Not compared with libtorrent's: its RSS counts the pages of the file it maps, ours the mapped .NET runtime.
  say "   smartshare peak RSS (VmHWM, with the mapped .NET runtime's pages): $(kib_mib "$(awk '{ print $3 }' "$work/ours.results" | maximum)") MiB"
elif [ "$ours" -eq 1 ]; then
  say "   smartshare: not available yet (no ratio)"
fi
say "   outputs identical to the source: $identical"
if [ "$cold_runs" -gt 0 ]; then
  say "   The page-cache ballast wrote under 1 GB/s before $cold_runs download(s): the host was taking this machine's free"
  say "   memory back, and those downloads' writes ran into it (architecture.md, \"The ninth round\")."
fi
[ "$identical" = yes ] || exit 1
