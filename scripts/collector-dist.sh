#!/usr/bin/env bash
# Builds an OpenTelemetry Collector distribution (otelcol-gopulse) with the
# gopulse receiver and the debug exporter, using the OTel builder v0.162.0
# (stable modules v1.68.0), then smoke-tests it: the collector runs for a few
# seconds against a Go workload and must print gopulse metrics.
# Not part of `make test`: the build takes several minutes. Needs root for the
# smoke test (eBPF).
#
#   scripts/collector-dist.sh          # build, then smoke-test; output in out/otelcol-gopulse/
#   scripts/collector-dist.sh build    # only build
#   scripts/collector-dist.sh smoke    # only smoke-test the last build
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${OUT:-$root/out/otelcol-gopulse}
step=${1:-all}
case $step in all | build | smoke) ;; *) echo "usage: $0 [build|smoke]" >&2; exit 2 ;; esac

if [ "$step" != smoke ]; then

builder=$(go env GOPATH)/bin/builder
if [ ! -x "$builder" ]; then
	go install go.opentelemetry.io/collector/cmd/builder@v0.162.0
fi

mkdir -p "$out"
cat >"$out/builder.yaml" <<YAML
dist:
  name: otelcol-gopulse
  description: OpenTelemetry Collector with the gopulse receiver
  output_path: $out
receivers:
  - gomod: github.com/gopulse/gopulse/collector v0.0.0
    import: github.com/gopulse/gopulse/collector
    name: gopulsereceiver
exporters:
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.162.0
providers:
  - gomod: go.opentelemetry.io/collector/confmap/provider/envprovider v1.68.0
  - gomod: go.opentelemetry.io/collector/confmap/provider/fileprovider v1.68.0
replaces:
  - github.com/gopulse/gopulse/collector => $root/collector
  - github.com/gopulse/gopulse => $root
YAML
"$builder" --config="$out/builder.yaml"
echo "built $out/otelcol-gopulse"
fi
[ "$step" != build ] || exit 0
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
(cd collector && go build -o "$tmp/target" ./testdata/target)
"$tmp/target" &
target=$!
cat >"$tmp/config.yaml" <<YAML
receivers:
  gopulse:
    collection_interval: 1s
    discover_all: false
    pids: [$target]
exporters:
  debug:
    verbosity: detailed
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [gopulse]
      exporters: [debug]
YAML
"$out/otelcol-gopulse" --config="file:$tmp/config.yaml" >"$tmp/out.log" 2>&1 &
col=$!
sleep 8
kill -INT "$col" 2>/dev/null || true
wait "$col" || true
for m in gopulse.go.gc.cycles gopulse.go.stw_pause; do
	if ! grep -q "Name: $m" "$tmp/out.log"; then
		echo "smoke test: $m not emitted" >&2
		tail -50 "$tmp/out.log" >&2
		exit 1
	fi
done
echo "smoke test: the collector emitted gopulse metrics for pid $target"
