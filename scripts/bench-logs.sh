#!/usr/bin/env bash
# Side-by-side log parsing benchmark: gopulse's logparse vs the OpenTelemetry
# Collector filelog receiver (v0.160.0, built by scripts/peers/filelog.sh),
# on the same deterministic nginx "combined" file (and the same records as
# JSON lines), in one run. Reports MB per CPU-second for each and the ratio.
#
#   scripts/bench-logs.sh              # 2M lines (about 390 MB per file)
#   N=200000 scripts/bench-logs.sh     # quicker
#   COUNT=3 scripts/bench-logs.sh      # each run 3 times, interleaved: the median
#
# CPU time: gopulse reads its own getrusage; the collector's is read from
# /proc/PID/stat once its accepted-records counter reaches N. Both include
# their start-up. Files and binaries live in the cache directory, not in the
# repository.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000000}
COUNT=${COUNT:-1}
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DATA=$CACHE/bench-logs
mkdir -p "$DATA"
# The collector's own metrics endpoint (to count accepted records): the
# first free port from 28888 unless OTEL_METRICS_PORT is set.
free_port() {
	local p
	for p in $(seq 28888 28988); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "no free port in 28888-28988" >&2
	return 1
}
PORT=${OTEL_METRICS_PORT:-$(free_port)}

# built with the shipped binary's profile (cmd/gopulse/default.pgo);
# PGO=off: without
PGO=${PGO:-$PWD/cmd/gopulse/default.pgo}
go build -pgo="$PGO" -o "$DATA/logbench" ./logparse/internal/logbench
LOG=$DATA/nginx-combined-$N.log
JSONL=$DATA/nginx-json-$N.jsonl
[ -s "$LOG" ] || "$DATA/logbench" gen -n "$N" -format combined >"$LOG"
[ -s "$JSONL" ] || "$DATA/logbench" gen -n "$N" -format json >"$JSONL"
OTEL=$(scripts/peers/filelog.sh)
TICK=$(getconf CLK_TCK)

# otel_cpu NAME FILE OPERATORS_YAML: runs the collector on FILE until it has
# accepted N records; prints "cpu_seconds".
otel_cpu() {
	local name=$1 file=$2 ops=$3 dir
	dir=$(mktemp -d "$DATA/otel-$name.XXXX")
	cat >"$dir/config.yaml" <<YAML
receivers:
  filelog:
    include: [$file]
    start_at: beginning
    operators:
$ops
exporters:
  nop:
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: basic
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: $PORT
  pipelines:
    logs:
      receivers: [filelog]
      exporters: [nop]
YAML
	"$OTEL" --config "$dir/config.yaml" >"$dir/out.log" 2>&1 &
	local pid=$! count=0 deadline=$((SECONDS + 1800))
	while [ "$count" -lt "$N" ]; do
		sleep 0.5
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "collector exited; see $dir/out.log" >&2
			return 1
		fi
		if [ $SECONDS -gt $deadline ]; then
			kill "$pid"
			echo "collector timed out" >&2
			return 1
		fi
		count=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^otelcol_receiver_accepted_log_records/ {s += $NF} END {printf "%d", s}')
	done
	local stat
	stat=$(cut -d' ' -f14,15 "/proc/$pid/stat")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	awk -v s="$stat" -v t="$TICK" 'BEGIN {split(s, a, " "); printf "%.3f", (a[1] + a[2]) / t}'
}

REGEX_OPS='      - type: regex_parser
        regex: '"'"'^(?P<remote_addr>\S+) \S+ (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) (?P<protocol>[^"]+)" (?P<status>\d+) (?P<body_bytes_sent>\S+) "(?P<http_referer>[^"]*)" "(?P<http_user_agent>[^"]*)"'"'"'
        timestamp:
          parse_from: attributes.time_local
          layout_type: strptime
          layout: "%d/%b/%Y:%H:%M:%S %z"'
JSON_OPS='      - type: json_parser
        timestamp:
          parse_from: attributes.time_local
          layout_type: strptime
          layout: "%d/%b/%Y:%H:%M:%S %z"'

# median of the numbers on stdin
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
size() { stat -L -c %s "$1"; }
mb_per_s() { awk -v b="$1" -v c="$2" 'BEGIN {printf "%.1f", b / 1e6 / c}'; }

echo "# $N lines; COUNT=$COUNT (median CPU time); load $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(go version | cut -d' ' -f3); filelog $(basename "$(dirname "$(dirname "$OTEL")")")"
printf "%-34s %12s %10s %12s\n" "run" "bytes" "cpu_s" "MB/CPU-s"
declare -A RES
for kind in combined json; do
	file=$LOG
	ops=$REGEX_OPS
	label="filelog regex_parser+time"
	if [ $kind = json ]; then
		file=$JSONL
		ops=$JSON_OPS
		label="filelog json_parser+time"
	fi
	bytes=$(size "$file")
	ocpus=() gcpus=()
	declare -A ecpus=()
	for _ in $(seq "$COUNT"); do
		ocpus+=("$(otel_cpu "$kind" "$file" "$ops")")
		out=$("$DATA/logbench" parse "$file")
		gcpus+=("$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$out")")
		# ENGINEBENCH and ENGINE_MODES (scripts/bench-logs-schema.sh): the
		# shared engine's modes in the same iteration, so that a change of
		# the machine's load between runs hits the receiver and gopulse alike
		for mode in ${ENGINE_MODES:-}; do
			res=$("$ENGINEBENCH" -mode "$mode" "$file")
			ecpus[$mode]+="$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$res") "
			efailed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$res")
		done
	done
	for mode in ${ENGINE_MODES:-}; do
		echo "engine mode=$mode kind=$kind failed=$efailed cpu_s=$(tr ' ' '\n' <<<"${ecpus[$mode]}" | grep . | median) runs=${ecpus[$mode]% }"
	done
	cpu=$(printf '%s\n' "${ocpus[@]}" | median)
	gcpu=$(printf '%s\n' "${gcpus[@]}" | median)
	RES[otel_$kind]=$(mb_per_s "$bytes" "$cpu")
	printf "%-34s %12d %10s %12s\n" "$label ($kind)" "$bytes" "$cpu" "${RES[otel_$kind]}"
	fmt=$(sed -n 's/.*format=\([a-z_]*\).*/\1/p' <<<"$out")
	failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$out")
	RES[gp_$kind]=$(mb_per_s "$bytes" "$gcpu")
	printf "%-34s %12d %10s %12s\n" "gopulse logparse ($fmt, failed=$failed)" "$bytes" "$gcpu" "${RES[gp_$kind]}"
done
for kind in combined json; do
	awk -v g="${RES[gp_$kind]}" -v o="${RES[otel_$kind]}" -v k="$kind" 'BEGIN {printf "ratio %s: %.1fx the filelog receiver per CPU-second\n", k, g / o}'
done
