#!/usr/bin/env bash
# backends.sh: install, build (cached), start and stop the real backends used
# by the e2e tests: Prometheus 2.42 (Debian), Grafana Loki v3.7.8, Jaeger v2
# (cmd/jaeger) and Jaeger v1 all-in-one (cmd/all-in-one) from module v1.76.0.
#
#   scripts/backends.sh build          install/build whatever is missing
#   scripts/backends.sh start [NAMES]  start on 127.0.0.1, wait for readiness
#   scripts/backends.sh stop [NAMES]   stop what start started
#   scripts/backends.sh status|env     show pids / print endpoint variables
#
# NAMES: prometheus loki jaeger2 jaeger1 (default: all).
# Binaries are cached outside the repo, keyed by version, in
# ${GOPULSE_CACHE:-/var/cache/gopulse}/backends/NAME-VERSION/ and built only
# when missing. Runtime state (data dirs, logs, pids) lives in
# ${GOPULSE_BACKENDS_RUN:-/tmp/gopulse-backends}.
set -euo pipefail

LOKI_VERSION=v3.7.8
JAEGER_VERSION=v1.76.0
CACHE=${GOPULSE_CACHE:-/var/cache/gopulse}/backends
RUN=${GOPULSE_BACKENDS_RUN:-/tmp/gopulse-backends}
HERE=$(cd "$(dirname "$0")" && pwd)
CONF=$HERE/backends

# Ports (all on 127.0.0.1). Override with the environment if they clash.
PROM_PORT=${PROM_PORT:-19090}
LOKI_HTTP_PORT=${LOKI_HTTP_PORT:-13100}
LOKI_GRPC_PORT=${LOKI_GRPC_PORT:-19095}
J2_OTLP_HTTP_PORT=${J2_OTLP_HTTP_PORT:-14318}
J2_OTLP_GRPC_PORT=${J2_OTLP_GRPC_PORT:-14317}
J2_QUERY_HTTP_PORT=${J2_QUERY_HTTP_PORT:-16686}
J2_QUERY_GRPC_PORT=${J2_QUERY_GRPC_PORT:-16685}
J2_ADMIN_PORT=${J2_ADMIN_PORT:-13133}
J1_GRPC_PORT=${J1_GRPC_PORT:-24250}
J1_QUERY_HTTP_PORT=${J1_QUERY_HTTP_PORT:-26686}
J1_ADMIN_PORT=${J1_ADMIN_PORT:-24269}

LOKI_BIN=$CACHE/loki-$LOKI_VERSION/loki
JAEGER2_BIN=$CACHE/jaeger-$JAEGER_VERSION/jaeger
JAEGER1_BIN=$CACHE/jaeger-all-in-one-$JAEGER_VERSION/all-in-one

log() { printf '[backends] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- build

build_prometheus() {
	if command -v prometheus >/dev/null 2>&1; then
		return
	fi
	log "installing prometheus (apt)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends prometheus; then
		apt-get update
		apt-get install -y --no-install-recommends prometheus
	fi
	# The Debian package may start a system instance on :9090; we run our own.
	if command -v systemctl >/dev/null 2>&1; then
		systemctl stop prometheus >/dev/null 2>&1 || true
	fi
}

# moddir MODULE@VERSION: download and print the module cache directory.
moddir() {
	GOFLAGS=-mod=mod GOWORK=off go mod download -json "$1" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

build_loki() {
	if [ -x "$LOKI_BIN" ]; then
		return
	fi
	local src=$CACHE/src/loki-$LOKI_VERSION dir pushver pushdir
	log "building loki $LOKI_VERSION (about 7 minutes on 2 cores)"
	mkdir -p "$CACHE/src" "$(dirname "$LOKI_BIN")"
	if [ ! -f "$src/go.mod" ]; then
		dir=$(moddir "github.com/grafana/loki/v3@$LOKI_VERSION")
		[ -n "$dir" ] || { log "cannot download loki"; return 1; }
		rm -rf "$src.tmp"
		cp -r "$dir" "$src.tmp"
		chmod -R u+w "$src.tmp"
		# The nested pkg/push module is not part of the module zip; fetch
		# the version its go.mod requires and put it where the replace
		# directive points.
		pushver=$(awk '$1=="github.com/grafana/loki/pkg/push" && $2 ~ /^v/ {print $2; exit}' "$src.tmp/go.mod")
		[ -n "$pushver" ] || { log "no pkg/push requirement in loki go.mod"; return 1; }
		pushdir=$(moddir "github.com/grafana/loki/pkg/push@$pushver")
		rm -rf "$src.tmp/pkg/push"
		cp -r "$pushdir" "$src.tmp/pkg/push"
		chmod -R u+w "$src.tmp/pkg/push"
		mv "$src.tmp" "$src"
	fi
	(cd "$src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$LOKI_BIN.tmp" ./cmd/loki)
	mv "$LOKI_BIN.tmp" "$LOKI_BIN"
}

jaeger_src() {
	local src=$CACHE/src/jaeger-$JAEGER_VERSION dir
	mkdir -p "$CACHE/src"
	if [ ! -f "$src/go.mod" ]; then
		dir=$(moddir "github.com/jaegertracing/jaeger@$JAEGER_VERSION")
		[ -n "$dir" ] || { log "cannot download jaeger"; return 1; }
		rm -rf "$src.tmp"
		cp -r "$dir" "$src.tmp"
		chmod -R u+w "$src.tmp"
		mv "$src.tmp" "$src"
	fi
	printf '%s\n' "$src"
}

build_jaeger2() {
	if [ -x "$JAEGER2_BIN" ]; then
		return
	fi
	local src
	log "building jaeger v2 $JAEGER_VERSION (about 6 minutes on 2 cores)"
	src=$(jaeger_src)
	mkdir -p "$(dirname "$JAEGER2_BIN")"
	(cd "$src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$JAEGER2_BIN.tmp" ./cmd/jaeger)
	mv "$JAEGER2_BIN.tmp" "$JAEGER2_BIN"
	# Keep the upstream all-in-one config next to the binary: start derives
	# a loopback-only config from it.
	cp "$src/cmd/jaeger/internal/all-in-one.yaml" "$(dirname "$JAEGER2_BIN")/all-in-one.yaml"
}

build_jaeger1() {
	if [ -x "$JAEGER1_BIN" ]; then
		return
	fi
	local src
	log "building jaeger v1 all-in-one $JAEGER_VERSION (about 2 minutes after v2)"
	src=$(jaeger_src)
	mkdir -p "$(dirname "$JAEGER1_BIN")"
	(cd "$src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$JAEGER1_BIN.tmp" ./cmd/all-in-one)
	mv "$JAEGER1_BIN.tmp" "$JAEGER1_BIN"
}

cmd_build() {
	local names=("$@")
	[ ${#names[@]} -gt 0 ] || names=(prometheus loki jaeger2 jaeger1)
	for n in "${names[@]}"; do
		case $n in
		prometheus) build_prometheus ;;
		loki) build_loki ;;
		jaeger2) build_jaeger2 ;;
		jaeger1) build_jaeger1 ;;
		*) log "unknown backend $n"; return 2 ;;
		esac
	done
	log "build done"
}

case ${1:-} in
build) shift; cmd_build "$@" ;;
*) echo "usage: $0 build|start|stop|status|env [prometheus loki jaeger2 jaeger1]" >&2; exit 2 ;;
esac
