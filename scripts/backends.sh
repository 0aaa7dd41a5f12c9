#!/usr/bin/env bash
# backends.sh: install, build (cached), start and stop the real backends used
# by the e2e tests: Prometheus 2.42 (Debian), Grafana Loki v3.7.8, Jaeger v2
# (cmd/jaeger) and Jaeger v1 all-in-one (cmd/all-in-one) from module v1.76.0,
# and HAProxy (Debian) for the failover drill.
#
#   scripts/backends.sh build [NAMES]  install/build whatever is missing
#   scripts/backends.sh start [NAMES]  start on 127.0.0.1, wait for readiness
#   scripts/backends.sh stop [NAMES]   stop what start started
#   scripts/backends.sh status|env     show pids / print endpoint variables
#
# NAMES: prometheus loki jaeger2 jaeger1 (default: all), haproxy (only when
# named: it is started by the drill test itself, with its ports in
# HAPROXY_* variables, see backends/haproxy-drill.cfg).
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
LOKI2_HTTP_PORT=${LOKI2_HTTP_PORT:-13101}
LOKI2_GRPC_PORT=${LOKI2_GRPC_PORT:-19096}
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

# build_haproxy installs Debian's haproxy without letting the package start
# (or enable) a system instance: the drill runs its own.
build_haproxy() {
	if command -v haproxy >/dev/null 2>&1; then
		return
	fi
	log "installing haproxy (apt)"
	export DEBIAN_FRONTEND=noninteractive
	local policy=/usr/sbin/policy-rc.d ours=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		ours=1
	fi
	local ok=0
	if apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends haproxy; then
		ok=1
	else
		apt-get -o DPkg::Lock::Timeout=600 update && apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends haproxy && ok=1
	fi
	[ "$ours" = 1 ] && rm -f "$policy"
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now haproxy >/dev/null 2>&1 || true
	fi
	[ "$ok" = 1 ] || { log "cannot install haproxy"; return 1; }
}

cmd_build() {
	local names=("$@")
	[ ${#names[@]} -gt 0 ] || names=(prometheus loki jaeger2 jaeger1)
	for n in "${names[@]}"; do
		case $n in
		prometheus) build_prometheus ;;
		haproxy) build_haproxy ;;
		loki | loki2) build_loki ;;
		jaeger2) build_jaeger2 ;;
		jaeger1) build_jaeger1 ;;
		*) log "unknown backend $n"; return 2 ;;
		esac
	done
	log "build done"
}

# ---------------------------------------------------------------- run

PROM_SCRAPE_TARGET=${PROM_SCRAPE_TARGET:-127.0.0.1:19100}
J2_METRICS_PORT=${J2_METRICS_PORT:-18888}

pidfile() { printf '%s/%s.pid\n' "$RUN" "$1"; }

running() {
	local pf
	pf=$(pidfile "$1")
	[ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null
}

# wait_http NAME URL SECONDS: poll until URL answers 2xx.
wait_http() {
	local name=$1 url=$2 secs=$3 i
	for ((i = 0; i < secs * 4; i++)); do
		if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
			log "$name ready ($url)"
			return 0
		fi
		if ! running "$name"; then
			log "$name exited; last log lines:"
			tail -n 30 "$RUN/$name.log" >&2 || true
			return 1
		fi
		sleep 0.25
	done
	log "$name not ready after ${secs}s; last log lines:"
	tail -n 30 "$RUN/$name.log" >&2 || true
	return 1
}

# spawn NAME CMD...: start CMD in the background, logging to $RUN/NAME.log.
spawn() {
	local name=$1
	shift
	mkdir -p "$RUN"
	if running "$name"; then
		log "$name already running (pid $(cat "$(pidfile "$name")"))"
		return 0
	fi
	setsid "$@" >>"$RUN/$name.log" 2>&1 </dev/null &
	echo $! >"$(pidfile "$name")"
}

# datadir NAME: a data dir, emptied unless KEEP_DATA=1.
datadir() {
	local d=$RUN/$1-data
	if [ "${KEEP_DATA:-0}" != 1 ]; then
		rm -rf "$d"
	fi
	mkdir -p "$d"
	printf '%s\n' "$d"
}

start_prometheus() {
	local data conf=$RUN/prometheus.yml
	build_prometheus
	data=$(datadir prometheus)
	mkdir -p "$RUN"
	sed "s/@SCRAPE_TARGET@/$PROM_SCRAPE_TARGET/" "$CONF/prometheus.yml" >"$conf"
	spawn prometheus prometheus --config.file="$conf" --storage.tsdb.path="$data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-remote-write-receiver \
		--web.enable-lifecycle --log.level=warn
	wait_http prometheus "http://127.0.0.1:$PROM_PORT/-/ready" 60
}

# loki_instance NAME HTTP_PORT GRPC_PORT
loki_instance() {
	local name=$1 data
	build_loki
	data=$(datadir "$name")
	LOKI_DATA=$data LOKI_HTTP_PORT=$2 LOKI_GRPC_PORT=$3 \
		spawn "$name" "$LOKI_BIN" -config.file="$CONF/loki.yaml" -config.expand-env=true
	wait_http "$name" "http://127.0.0.1:$2/ready" 180
}

start_loki() { loki_instance loki "$LOKI_HTTP_PORT" "$LOKI_GRPC_PORT"; }

# loki2: a second instance, the failover target.
start_loki2() { loki_instance loki2 "$LOKI2_HTTP_PORT" "$LOKI2_GRPC_PORT"; }

start_jaeger2() {
	local conf=$RUN/jaeger2.yaml
	build_jaeger2
	mkdir -p "$RUN"
	sed -e "s/@METRICS_PORT@/$J2_METRICS_PORT/" -e "s/@QUERY_HTTP_PORT@/$J2_QUERY_HTTP_PORT/" \
		-e "s/@QUERY_GRPC_PORT@/$J2_QUERY_GRPC_PORT/" -e "s/@OTLP_GRPC_PORT@/$J2_OTLP_GRPC_PORT/" \
		-e "s/@OTLP_HTTP_PORT@/$J2_OTLP_HTTP_PORT/" "$CONF/jaeger2.yaml" >"$conf"
	JAEGER_LISTEN_HOST=127.0.0.1 spawn jaeger2 "$JAEGER2_BIN" --config="$conf"
	wait_http jaeger2 "http://127.0.0.1:$J2_QUERY_HTTP_PORT/api/services" 60
}

start_jaeger1() {
	local flags=() f
	build_jaeger1
	# Every listener on loopback: the known ones on fixed ports, any other
	# *.host-port flag this version has on an ephemeral loopback port.
	while read -r f; do
		case $f in
		--collector.grpc-server.host-port) flags+=("$f=127.0.0.1:$J1_GRPC_PORT") ;;
		--query.http-server.host-port) flags+=("$f=127.0.0.1:$J1_QUERY_HTTP_PORT") ;;
		--admin.http.host-port) flags+=("$f=127.0.0.1:$J1_ADMIN_PORT") ;;
		*) flags+=("$f=127.0.0.1:0") ;;
		esac
	done < <(SPAN_STORAGE_TYPE=memory "$JAEGER1_BIN" --help 2>/dev/null | grep -o -- '--[a-z0-9.-]*host-port' | sort -u)
	SPAN_STORAGE_TYPE=memory spawn jaeger1 "$JAEGER1_BIN" "${flags[@]}" --log-level=warn
	wait_http jaeger1 "http://127.0.0.1:$J1_QUERY_HTTP_PORT/api/services" 60
}

# start_haproxy: the drill's HAProxy, its config made from
# backends/haproxy-drill.cfg with every @HAPROXY_X@ replaced by $HAPROXY_X
# (the drill picks the ports), its admin socket at $RUN/haproxy.sock.
start_haproxy() {
	local conf=$RUN/haproxy.cfg v args=()
	build_haproxy
	mkdir -p "$RUN"
	[ -n "${HAPROXY_MONITOR_PORT:-}" ] || { log "haproxy: HAPROXY_MONITOR_PORT and the other HAPROXY_* ports must be set"; return 2; }
	args=(-e "s#@RUN@#$RUN#g")
	for v in $(compgen -v HAPROXY_); do
		args+=(-e "s#@$v@#${!v}#g")
	done
	sed "${args[@]}" "$CONF/haproxy-drill.cfg" >"$conf"
	if grep -n '@[A-Z0-9_]*@' "$conf" >&2; then
		log "haproxy: unset placeholders in $conf"
		return 2
	fi
	haproxy -c -q -f "$conf" || { log "haproxy: invalid config $conf"; return 1; }
	spawn haproxy haproxy -db -f "$conf"
	wait_http haproxy "http://127.0.0.1:$HAPROXY_MONITOR_PORT/ready" 30
}

stop_one() {
	local name=$1 pf pid i
	pf=$(pidfile "$name")
	[ -f "$pf" ] || return 0
	pid=$(cat "$pf")
	if kill -0 "$pid" 2>/dev/null; then
		kill -s "${SIGNAL:-TERM}" "$pid" 2>/dev/null || true
		for ((i = 0; i < 120; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "$name (pid $pid) ignored SIG${SIGNAL:-TERM}; killing"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$pf"
	log "$name stopped"
}

names_or_all() {
	if [ $# -gt 0 ]; then printf '%s\n' "$@"; else printf '%s\n' prometheus loki loki2 jaeger2 jaeger1; fi
}

cmd_start() {
	local n
	for n in $(names_or_all "$@"); do
		case $n in
		prometheus | loki | loki2 | jaeger2 | jaeger1 | haproxy) "start_$n" ;;
		*) log "unknown backend $n"; return 2 ;;
		esac
	done
}

cmd_stop() {
	local n
	for n in $(names_or_all "$@"); do stop_one "$n"; done
}

cmd_status() {
	local n
	for n in $(names_or_all "$@"); do
		if running "$n"; then echo "$n running pid $(cat "$(pidfile "$n")")"; else echo "$n stopped"; fi
	done
}

# cmd_env prints the endpoints for the e2e tests, as shell assignments.
cmd_env() {
	cat <<EOV
export GOPULSE_E2E_BACKENDS=$HERE/backends.sh
export GOPULSE_E2E_PROM_URL=http://127.0.0.1:$PROM_PORT
export GOPULSE_E2E_PROM_SCRAPE=$PROM_SCRAPE_TARGET
export GOPULSE_E2E_LOKI_URL=http://127.0.0.1:$LOKI_HTTP_PORT
export GOPULSE_E2E_LOKI2_URL=http://127.0.0.1:$LOKI2_HTTP_PORT
export GOPULSE_E2E_JAEGER2_OTLP=http://127.0.0.1:$J2_OTLP_HTTP_PORT
export GOPULSE_E2E_JAEGER2_QUERY=http://127.0.0.1:$J2_QUERY_HTTP_PORT
export GOPULSE_E2E_JAEGER1_GRPC=127.0.0.1:$J1_GRPC_PORT
export GOPULSE_E2E_JAEGER1_QUERY=http://127.0.0.1:$J1_QUERY_HTTP_PORT
EOV
}

case ${1:-} in
build) shift; cmd_build "$@" ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
status) shift; cmd_status "$@" ;;
env) cmd_env ;;
*) echo "usage: $0 build|start|stop|status|env [prometheus loki jaeger2 jaeger1 haproxy]" >&2; exit 2 ;;
esac
