#!/usr/bin/env bash
# make run: start the bundled demo workload and the agent on its embedded
# default config; stop the demo when the agent exits (Ctrl-C).
#   scripts/run.sh [agent flags…]   e.g. --listen 127.0.0.1:9999
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/gopulse ./cmd/gopulse
go build -o bin/gopulse-demo ./examples/demo

# The demo logs where the default config looks (/var/log/*.log) when it may.
demo_log=/var/log/gopulse-demo.log
if ! touch "$demo_log" 2>/dev/null; then
	demo_log="${TMPDIR:-/tmp}/gopulse-demo.log"
	echo "run: /var/log is not writable; demo logs go to $demo_log (not tailed by the default config)" >&2
fi
# The state dir (log offsets, queues) defaults to /var/lib/gopulse.
if ! mkdir -p "${GOPULSE_STATE_DIR:-/var/lib/gopulse}" 2>/dev/null; then
	export GOPULSE_STATE_DIR="${TMPDIR:-/tmp}/gopulse-state"
fi

./bin/gopulse-demo -exit-with-parent -log "$demo_log" >/dev/null &
demo_pid=$!
agent_pid=
cleanup() {
	[[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null
	kill "$demo_pid" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

listen=127.0.0.1:9464
for ((i = 1; i <= $#; i++)); do
	if [[ "${!i}" == --listen ]]; then j=$((i + 1)); listen="${!j}"; fi
	if [[ "${!i}" == --listen=* ]]; then listen="${!i#--listen=}"; fi
done
echo "run: demo workload pid $demo_pid, logs in $demo_log" >&2
echo "run: metrics on http://$listen/metrics  health on http://$listen/v1/health  (Ctrl-C stops both)" >&2
# Every Go process, the demo included, is watched in default mode (GC and
# pause probes plus the runtime's own goroutine and scheduling accounting).
./bin/gopulse agent "$@" &
agent_pid=$!
wait "$agent_pid"
