# A two-host network-namespace lab for benchmarks over an emulated link; sourced, never run (needs root).
# The same shape as tests/SmartShare.Cli.Tests/NetworkFaults/FaultLab.cs: host h0 (10.78.N.1) hangs off a bridge on
# side a of a router namespace, host h1 (10.78.N.2) off side b, and every frame between them crosses
# link_emulator.py (the kernel has no netem), driven through `lab_wire COMMAND` ("impair 25 1 2", "rate 16000 500").
# Namespaces are named ub + a random suffix; lab_destroy (call it from the EXIT trap) kills what runs inside and
# deletes them.

lab_emulator="$root/tests/SmartShare.Cli.Tests/NetworkFaults/link_emulator.py"
lab_flow="$root/tests/SmartShare.Cli.Tests/NetworkFaults/tcp_flow.py"

# lab_create: makes the lab; sets lab_prefix, lab_subnet, lab_h0, lab_h1, lab_a0 and lab_a1 (addresses).
lab_create() {
  lab_prefix="ub$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  lab_subnet=$((RANDOM % 249 + 1))
  lab_h0="${lab_prefix}h0" lab_h1="${lab_prefix}h1"
  lab_a0="10.78.$lab_subnet.1" lab_a1="10.78.$lab_subnet.2"
  local r="${lab_prefix}r" side host i
  ip netns add "$r"
  lab_namespaces=("$r")
  ip -n "$r" link set lo up
  for side in a b; do
    ip -n "$r" link add name "br$side" type bridge
    ip -n "$r" link add name "t$side" type veth peer name "x$side"
    ip -n "$r" link set "t$side" master "br$side"
    for i in "br$side" "t$side" "x$side"; do ip -n "$r" link set "$i" up; done
    ip -n "$r" link set "x$side" promisc on
  done
  for i in 0 1; do
    host="${lab_prefix}h$i"
    ip netns add "$host"
    lab_namespaces+=("$host")
    ip -n "$r" link add name "p$i" type veth peer name eth0 netns "$host"
    ip -n "$r" link set "p$i" master "$([ "$i" -eq 0 ] && echo bra || echo brb)"
    ip -n "$r" link set "p$i" up
    ip -n "$host" link set lo up
    ip -n "$host" addr add "10.78.$lab_subnet.$((i + 1))/24" dev eth0
    ip -n "$host" link set eth0 up
    ip netns exec "$host" python3 "$lab_emulator" --no-offload eth0
  done
  lab_dir="$(mktemp -d)"
  mkfifo "$lab_dir/in"
  ip netns exec "$r" python3 "$lab_emulator" xa xb <"$lab_dir/in" >>"$lab_dir/out" 2>&1 &
  lab_wire_pid=$!
  exec 5>"$lab_dir/in"
  lab_wait_line ready >/dev/null
}

# lab_wait_line PREFIX: waits up to 20 s for a line of the wire starting with PREFIX; prints it.
lab_wait_line() {
  local i line
  for i in $(seq 1 200); do
    line="$(tail -n +"$((${lab_mark:-0} + 1))" "$lab_dir/out" 2>/dev/null | grep -m 1 "^$1" || true)"
    if [ -n "$line" ]; then printf '%s\n' "$line"; return 0; fi
    sleep 0.1
  done
  echo "link_emulator.py did not answer '$1': $(cat "$lab_dir/out")" >&2
  return 1
}

# lab_wire COMMAND...: sends one command to the wire and waits for its answer (prints it for "stats").
lab_wire() {
  lab_mark="$(wc -l <"$lab_dir/out")"
  printf '%s\n' "$*" >&5
  if [ "$1" = stats ]; then lab_wait_line stats; else lab_wait_line "ok $*" >/dev/null; fi
}

lab_destroy() {
  local name pid
  exec 5>&- 2>/dev/null || true
  [ -n "${lab_wire_pid:-}" ] && { kill "$lab_wire_pid" 2>/dev/null || true; wait "$lab_wire_pid" 2>/dev/null || true; }
  for name in "${lab_namespaces[@]}"; do
    for pid in $(ip netns pids "$name" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$name" 2>/dev/null || true
  done
  lab_namespaces=()
  [ -n "${lab_dir:-}" ] && rm -rf "$lab_dir"
}
