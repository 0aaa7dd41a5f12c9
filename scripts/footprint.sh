#!/usr/bin/env bash
# Agent footprint: 50 Go processes (the demo workload at a low request rate)
# and 100 log files being appended to; the agent watches them all and its RSS
# and CPU are read from /proc over a minute.
#   scripts/footprint.sh [SECONDS]      (default 60; needs root for the probes)
# FOOTPRINT_PROBES=off measures the log side alone; FOOTPRINT_PROCS and
# FOOTPRINT_FILES change the counts; FOOTPRINT_AGENT_FLAGS=--pprof profiles.
# Goals: RSS ≤ 64 MiB, idle CPU ≤ 1% of a core.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
nproc_targets="${FOOTPRINT_PROCS:-50}"
nfiles="${FOOTPRINT_FILES:-100}"

go build -o bin/gopulse ./cmd/gopulse
go build -o bin/gopulse-demo ./examples/demo
work="$(mktemp -d "${TMPDIR:-/tmp}/gopulse-footprint.XXXXXX")"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/logs" "$work/state"
for i in $(seq 1 "$nproc_targets"); do
	./bin/gopulse-demo -exit-with-parent -rate 2 -log "$work/logs/demo-$i.log" >/dev/null &
	pids+=($!)
done
# files 51..100 get a plain line each per second from one writer
(
	n=0
	while :; do
		n=$((n + 1))
		for i in $(seq $((nproc_targets + 1)) "$nfiles"); do
			echo "2026-01-01T00:00:00Z INFO worker $i processed batch $n in 12ms" >>"$work/logs/app-$i.log"
		done
		sleep 1
	done
) &
pids+=($!)

cat >"$work/agent.yaml" <<YAML
listen: 127.0.0.1:${FOOTPRINT_PORT:-19470}
state_dir: $work/state
probes: {mode: ${FOOTPRINT_PROBES:-default}}
logs:
  paths: [$work/logs/*.log]
  start_at: beginning
YAML
./bin/gopulse agent ${FOOTPRINT_AGENT_FLAGS:-} --config "$work/agent.yaml" 2>"$work/agent.err" &
agent=$!
pids+=("$agent")

warm=15
echo "footprint: $nproc_targets Go processes, $nfiles log files; warming up ${warm}s, then measuring ${secs}s" >&2
sleep "$warm"
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$agent/status"; }
c0=$(cpu)
t0=$(date +%s.%N)
max_rss=0
sum_rss=0
n=0
end=$(($(date +%s) + secs))
while (($(date +%s) < end)); do
	r=$(rss)
	((r > max_rss)) && max_rss=$r
	sum_rss=$((sum_rss + r))
	n=$((n + 1))
	sleep 1
done
c1=$(cpu)
t1=$(date +%s.%N)
metrics=$(curl -s "127.0.0.1:${FOOTPRINT_PORT:-19470}/metrics" || true)
watched=$(echo "$metrics" | awk '/^gopulse_agent_processes_watched / {print $2}')
files=$(echo "$metrics" | awk '/^gopulse_tail_files / {print $2}')
lines=$(echo "$metrics" | awk '/^gopulse_tail_lines_total / {print $2}')
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v tck="$tck" -v mx="$max_rss" -v sum="$sum_rss" -v n="$n" \
	-v w="$watched" -v f="$files" -v l="$lines" 'BEGIN {
	cpu = (c1 - c0) / tck / (t1 - t0) * 100
	printf "processes watched: %s  files tailed: %s  lines read: %s\n", w, f, l
	printf "agent RSS: max %.1f MiB, mean %.1f MiB (goal ≤ 64 MiB)\n", mx / 1024, sum / n / 1024
	printf "agent CPU: %.2f%% of one core over %.0fs (goal ≤ 1%%)\n", cpu, t1 - t0
}'
