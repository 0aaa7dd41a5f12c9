#!/usr/bin/env bash
# e2e.sh (make e2e): end-to-end tests against real Prometheus, Loki and
# Jaeger servers, of the otelcol-gopulse collector distribution, and the
# failover drill with real HAProxy. Installs/builds the backends and the
# distribution (cached outside the repo, see scripts/backends.sh and
# scripts/collector-dist.sh), starts the backends on 127.0.0.1, runs the e2e
# tests (build tag e2e) and stops the backends again. The drill starts its
# own HAProxy; its table is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

export GOPULSE_BACKENDS_RUN=${GOPULSE_BACKENDS_RUN:-$(mktemp -d /tmp/gopulse-e2e.XXXXXX)}
scripts/backends.sh build
# The OTel Collector components: mdatagen accepts their metadata.yaml and
# the generated files are current; the otelcol-gopulse distribution is built
# once per source state (cached, see scripts/collector-dist.sh).
scripts/mdatagen.sh check
GOPULSE_E2E_OTELCOL=$(scripts/collector-dist.sh build | tail -1)
export GOPULSE_E2E_OTELCOL

scripts/backends.sh build haproxy
export GOPULSE_DRILL_REPORT=$GOPULSE_BACKENDS_RUN/drill.md
finish() {
	scripts/backends.sh stop
	if [ -s "$GOPULSE_DRILL_REPORT" ]; then
		echo
		cat "$GOPULSE_DRILL_REPORT"
	fi
}
trap finish EXIT
scripts/backends.sh start prometheus loki loki2 jaeger2 jaeger1
eval "$(scripts/backends.sh env)"

go test -tags e2e -count=1 -timeout 30m -v ${E2E_RUN:+-run "$E2E_RUN"} ./e2e/...
