#!/usr/bin/env bash
# Builds an OpenTelemetry Collector with the filelog receiver (the peer for
# the log-parsing benchmark) with the collector builder v0.160.0, outside the
# repository, in a cache directory keyed by version. Prints the binary path.
# The module proxy here refuses pkg/stanza from v0.161 on (see
# ../shared/notes/backends.md), hence the pinned version.
#
#   scripts/peers/filelog.sh            # build if missing, print the path
#   GOPULSE_CACHE=/some/dir scripts/peers/filelog.sh
set -euo pipefail

VERSION=v0.160.0
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DIR=$CACHE/peers/filelog-$VERSION
BIN=$DIR/build/otelcol-filelog

if [ -x "$BIN" ]; then
	echo "$BIN"
	exit 0
fi
mkdir -p "$DIR/bin"
if [ ! -x "$DIR/bin/builder" ]; then
	echo "installing builder $VERSION" >&2
	GOBIN=$DIR/bin GOFLAGS=-mod=mod go install "go.opentelemetry.io/collector/cmd/builder@$VERSION" >&2
fi
cat >"$DIR/manifest.yaml" <<YAML
dist:
  name: otelcol-filelog
  description: OTel Collector with the filelog receiver (gopulse benchmark peer)
  output_path: $DIR/build
receivers:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver $VERSION
exporters:
  - gomod: go.opentelemetry.io/collector/exporter/nopexporter $VERSION
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter $VERSION
YAML
echo "building the filelog collector (about 1.5 minutes on an empty cache)" >&2
(cd "$DIR" && GOWORK=off "$DIR/bin/builder" --config "$DIR/manifest.yaml" >&2)
echo "$BIN"
