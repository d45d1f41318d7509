#!/usr/bin/env bash
# Kademlia DHT simulation benchmark.
#
# Builds bench/SmartShare.Bench (Release) and runs its 10,000-node in-memory simulation in virtual time:
# every node joins through node 0, all refresh once, random nodes announce random keys, then each key is looked
# up from a random live node with 0%, 10% and 30% of the nodes killed. Prints lookup success, median and 99th
# percentile requests per lookup, CPU time per lookup and managed memory per node against the issue's targets:
# success >= 99.9% at 10% churn, median requests <= 2*log2(N), < 64 KiB per idle node.
#
# Usage: bench/dht-simulation.sh [--nodes N (10000)] [--keys K (1000)] [--seed S (2026)] [--smoke]
# --smoke checks the script still works, in seconds: 300 nodes and 30 keys (the figures of so small a network say
# little; targets are printed, never enforced by this script).
# Environment: BENCH_DHT_SIMULATION names a SmartShare.Bench.dll already built (the tests' smoke run), which skips
# the build.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

arguments=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --smoke) arguments+=(--nodes 300 --keys 30); shift ;;
    # accepted for scripts/bench, which passes one set of flags to all
    --cores|--size-mib|--runs) : "${2:?$1 needs a value}"; shift 2 ;;
    --strict) shift ;;
    *) arguments+=("$1"); shift ;;
  esac
done

if [ -n "${BENCH_DHT_SIMULATION:-}" ]; then
  dll="$BENCH_DHT_SIMULATION"
  [ -f "$dll" ] || { echo "BENCH_DHT_SIMULATION names $dll, which does not exist." >&2; exit 1; }
else
  # A private artifacts path keeps bin/ and obj/ apart from any other build.
  build_dir="$root/artifacts/bench/dht-simulation"
  printf '== Building SmartShare.Bench (Release) into %s\n' "${build_dir#"$root"/}"
  if ! build_log="$(dotnet build "$root/bench/SmartShare.Bench" -c Release --artifacts-path "$build_dir" --nologo -v q 2>&1)"; then
    printf '%s\n' "$build_log" | grep -E ': error ' | sort -u >&2 || printf '%s\n' "$build_log" >&2
    echo "The SmartShare.Bench build failed." >&2
    exit 1
  fi
  dll="$build_dir/bin/SmartShare.Bench/release/SmartShare.Bench.dll"
  [ -f "$dll" ] || { echo "The build did not produce $dll." >&2; exit 1; }
fi

printf '== dotnet %s dht-simulation %s\n' "${dll#"$root"/}" "${arguments[*]}"
exec dotnet "$dll" dht-simulation "${arguments[@]}"
