# Helpers shared by the end-to-end benchmark scripts in bench/; sourced, never run. Each script sets `root`
# (the repository) before sourcing this file.

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
say() { printf '%s\n' "$*"; }
calc() { awk "BEGIN { printf \"%.${1}f\", $2 }"; }
mb() { calc 1 "$1 / 1000000"; }
mib() { calc 1 "$1 / 1048576"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { sort -g | head -n 1; }
maximum() { sort -g | tail -n 1; }
json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$2"; }
# Busy CPU ticks of the whole machine so far (/proc/stat), to tell what other processes used meanwhile.
cpu_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
ticks_per_second="$(getconf CLK_TCK)"
# process_ticks PID...: summed utime+stime ticks of the processes (their comm, "dotnet" or "python3", has no space,
# so fields 14 and 15 are safe); a process gone counts 0.
process_ticks() {
  local pid total=0 t
  for pid in "$@"; do
    t="$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)"
    total=$((total + t))
  done
  echo "$total"
}

# build_cli: builds the CLI (Release) into a private artifacts path and sets `build_dir` and `cli`; with
# BENCH_CLI naming a smartshare.dll already built (the tests' smoke runs), uses that instead.
build_cli() {
  if [ -n "${BENCH_CLI:-}" ]; then
    cli="$BENCH_CLI"
    [ -f "$cli" ] || { echo "BENCH_CLI names $cli, which does not exist." >&2; exit 1; }
    return 0
  fi
  build_dir="$root/artifacts/bench/build"
  # Published as scripts/smartshare publishes it (one composite ReadyToRun image with its .NET runtime, compiled for
  # this machine's CPU), so the figures are what a user runs, not a JIT-only build. BENCH_FRAMEWORK_DEPENDENT=1
  # publishes ReadyToRun on the installed .NET instead, to compare.
  local build_log self_contained=true composite=true
  if [ "${BENCH_FRAMEWORK_DEPENDENT:-0}" = 1 ]; then
    self_contained=false composite=false
  fi
  say "== Publishing smartshare (Release, ReadyToRun, self-contained: $self_contained) into ${build_dir#"$root"/}"
  rm -rf "$build_dir/cli"
  if ! build_log="$(dotnet publish "$root/src/SmartShare.Cli" -c Release --use-current-runtime --self-contained "$self_contained" \
      -p:PublishReadyToRun=true -p:PublishReadyToRunComposite="$composite" -p:ReadyToRunForThisMachine=true --artifacts-path "$build_dir" -o "$build_dir/cli" --nologo -v q 2>&1)"; then
    printf '%s\n' "$build_log" | grep -E ': error ' | sort -u >&2 || printf '%s\n' "$build_log" >&2
    echo "The smartshare build failed." >&2
    exit 1
  fi
  cli="$build_dir/cli/smartshare.dll"
  [ -f "$cli" ] || { echo "The build did not produce $cli." >&2; exit 1; }
}

# start_node ARGS...: starts our node (`smartshare start ARGS...`, its log in $work/node.log) in the background and
# waits up to 60 s for its API; sets `node_pid` and `node_api`. stop_node ends it (TERM, then KILL after 10 s); call
# it from the script's EXIT trap.
start_node() {
  dotnet "$cli" start "$@" 2>"$work/node.log" >/dev/null &
  node_pid=$!
  node_api=""
  for _ in $(seq 1 600); do
    node_api="$(grep -o 'API on http://127\.0\.0\.1:[0-9]*' "$work/node.log" 2>/dev/null | head -n 1 | cut -d ' ' -f 3)" && [ -n "$node_api" ] && break
    kill -0 "$node_pid" 2>/dev/null || { echo "The node exited:" >&2; cat "$work/node.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$node_api" ] || { echo "The node did not start within 60 s." >&2; exit 1; }
}
stop_node() {
  [ -n "${node_pid:-}" ] || return 0
  kill -TERM "$node_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$node_pid" 2>/dev/null || true
}

# require_disk DIR NEED_KIB: refuses a memory file system (blob writes and fsync would cost nothing there) and
# a disk with less than NEED_KIB free; sets `fs_type`. With `smoke=1` (a --smoke run checks that the script
# works, not how fast) a memory file system is only noted.
require_disk() {
  fs_type="$(findmnt -n -o FSTYPE -T "$1" 2>/dev/null || stat -f -c %T "$1")"
  case "$fs_type" in
    tmpfs|ramfs)
      if [ "${smoke:-0}" -eq 1 ]; then
        say "   (smoke run: $1 is on $fs_type, memory; fine for checking the script, not for its figures)"
        return 0
      fi
      echo "$1 is on $fs_type (memory), so blob writes and fsync would cost nothing." >&2
      echo "Set BENCH_TMPDIR to a folder on a disk." >&2
      exit 1 ;;
  esac
  local free_kib
  free_kib="$(df -Pk "$1" | awk 'NR == 2 { print $4 }')"
  if [ "$free_kib" -lt "$2" ]; then
    echo "$1 has $((free_kib / 1024)) MiB free; the benchmark needs about $(($2 / 1024)) MiB." >&2
    exit 1
  fi
}

# write_random_file PATH BYTES: incompressible bytes (AES-CTR over zeros; head closing the pipe ends openssl),
# then written back so their dirty pages do not compete with the first measured run for the disk.
write_random_file() {
  (openssl enc -aes-128-ctr -pass pass:smartshare-bench -nosalt -pbkdf2 </dev/zero 2>/dev/null || true) |
    head -c "$2" >"$1"
  local actual
  actual="$(stat -c %s "$1")"
  [ "$actual" -eq "$2" ] || { echo "Wrote $actual bytes instead of $2." >&2; exit 1; }
  sync
}

# write_ballast PATH MIB: writes MIB MiB of zeros to PATH (its page cache, not synced), deletes it, and prints the
# seconds the write took. Called right before a timed run, it lets that run's page cache take memory the kernel has just
# freed. On a virtual machine whose free memory goes back to its host (virtio-balloon free page reporting, as on the
# machine these figures come from: /sys/module/page_reporting), writing 512 MiB into the page cache took 3.1-3.7 s from
# memory handed back, against 0.11 s from memory just freed (dd of zeros, no process of ours running): a run that
# happens to get handed-back memory measures the host, not the program. The time printed shows which kind this was.
write_ballast() {
  local start end
  start="$(date +%s.%N)"
  dd if=/dev/zero of="$1" bs=1M count="$2" status=none
  end="$(date +%s.%N)"
  rm -f "$1"
  calc 2 "$end - $start"
}

# ballast_was_cold SECONDS MIB: true when the ballast took over 0.05 s and wrote under 1 GB/s (memory just freed
# takes it at about 5 GB/s here, memory handed back to the host at 0.15-0.2 GB/s): the run after it may measure the
# host more than the program.
ballast_was_cold() { awk -v s="$1" -v m="$2" 'BEGIN { exit !(s > 0.05 && s > m * 1048576 / 1e9) }'; }

# status_kib PID FIELD: a /proc/PID/status figure in KiB (VmHWM, VmRSS, RssAnon; empty once the process is gone).
status_kib() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null || true; }
kib_mib() { calc 1 "$1 / 1024"; }
# first_child PID: the first child process of PID (waits up to 1 s for it to appear), or nothing.
first_child() {
  local i child
  for i in $(seq 1 200); do
    child="$(pgrep -P "$1" | head -n 1 || true)"
    if [ -n "$child" ]; then echo "$child"; return; fi
    sleep 0.005
  done
}

# Processes a script started and has not stopped yet (PID -> 1); the exit trap of install_cleanup stops them.
declare -A live=()

# stop_process PID: TERM, up to 15 s to exit, then KILL; reaps it and forgets it.
stop_process() {
  local pid="$1" i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  unset "live[$pid]"
}

# await_line FILE REGEX PID LIMIT_S: waits until FILE has a line matching REGEX. Returns 0 once it has, 1 on the time
# limit, 2 when PID has ended without writing it (its exit status in await_status).
await_line() {
  local deadline=$(( $(date +%s) + $4 ))
  await_status=0
  until grep -aqE "$2" "$1" 2>/dev/null; do
    if ! kill -0 "$3" 2>/dev/null; then
      grep -aqE "$2" "$1" 2>/dev/null && return 0
      wait "$3" 2>/dev/null || await_status=$?
      return 2
    fi
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# wait_for_line FILE REGEX PID LIMIT_S WHAT: await_line, or exit 1 saying which (WHAT: what was waited for, as a clause)
# with FILE's last lines.
wait_for_line() {
  local status=0
  await_line "$1" "$2" "$3" "$4" || status=$?
  [ "$status" -eq 0 ] || wait_failed "$1" "$status" "$4" "$5"
}

# wait_failed FILE STATUS LIMIT_S WHAT: says how an await_line of STATUS 1 or 2 ended, with FILE's last lines; exits 1.
wait_failed() {
  if [ "$2" -eq 1 ]; then
    echo "Timed out after $3 s waiting until $4. Its output:" >&2
  else
    echo "Waiting until $4: its process ended first (exit $await_status). Its output:" >&2
  fi
  tail -n 30 "$1" >&2
  exit 1
}

# install_cleanup: on exit, closes descriptors 3 and 4, stops every process in `live` and deletes `$work` (unless
# `$keep` is 1). Only the script itself cleans up: a child forked for `cmd &` that receives TERM before it runs cmd
# would otherwise run the trap too and delete the work folder under the running script.
install_cleanup() {
  main_pid=$BASHPID
  trap cleanup_work EXIT
  trap 'exit 130' INT TERM
}

cleanup_work() {
  [ "$BASHPID" -eq "$main_pid" ] || return 0
  local pid
  exec 3>&- 4>&- 2>/dev/null || true
  for pid in "${!live[@]}"; do stop_process "$pid"; done
  if [ "$keep" -eq 1 ]; then echo "Kept the work folder $work"; else rm -rf "$work"; fi
}
