#!/usr/bin/env bash
# e2e.sh (make e2e): end-to-end tests against real Prometheus, Loki and
# Jaeger servers. Installs/builds the backends (cached by version outside the
# repo, see scripts/backends.sh), starts them on 127.0.0.1, runs the e2e
# tests (build tag e2e) and stops the backends again.
set -euo pipefail
cd "$(dirname "$0")/.."

export GOPULSE_BACKENDS_RUN=${GOPULSE_BACKENDS_RUN:-$(mktemp -d /tmp/gopulse-e2e.XXXXXX)}
scripts/backends.sh build
trap 'scripts/backends.sh stop' EXIT
scripts/backends.sh start prometheus loki loki2 jaeger2 jaeger1
eval "$(scripts/backends.sh env)"

go test -tags e2e -count=1 -timeout 30m -v ${E2E_RUN:+-run "$E2E_RUN"} ./e2e/...
