#!/usr/bin/env bash
# drill.sh (make drill): the failover drill alone (e2e/drill_test.go,
# docs/failover.md). Installs HAProxy from Debian when it is missing, runs
# TestFailoverDrill — three Go backends behind HAProxy with gopulse's
# agent-check, three without, the real gopulse agent — prints its table and
# exits non-zero when an acceptance figure is missed. Needs root (the agent
# attaches uprobes, the backends get CPU cgroups). DRILL_VERBOSE=1 shows the
# test's log (per-second latencies, the sick backends' signals).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/backends.sh build haproxy
export GOPULSE_E2E_BACKENDS=$PWD/scripts/backends.sh
report=$(mktemp /tmp/gopulse-drill.XXXXXX)
trap 'rm -f "$report"' EXIT
rc=0
GOPULSE_DRILL_REPORT=$report go test -tags e2e -count=1 -timeout 20m -run '^TestFailoverDrill$' ${DRILL_VERBOSE:+-v} ./e2e/ || rc=$?
if [ -s "$report" ]; then
	echo
	cat "$report"
fi
exit $rc
