#!/usr/bin/env bash
# Log throughput WITH schema inference, beside the OTel Collector filelog
# receiver, in one run: runs scripts/bench-logs.sh (the filelog receiver
# v0.160.0 and gopulse's parse-only figures on the same nginx combined file
# and the same records as JSON lines), then the shared log engine
# (logengine/internal/enginebench) on those files in three modes:
#   parse   format detection + parse + free-text refine
#   schema  the same + schema inference (type votes, cardinality, drift)
#   online  the agent's path: the same + template mining
# and prints each mode's MB per CPU-second and its ratio to the receiver.
#
#   scripts/bench-logs-schema.sh            # 2M lines
#   N=200000 scripts/bench-logs-schema.sh   # quicker
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000000}
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DATA=$CACHE/bench-logs
mkdir -p "$DATA"

out=$(N=$N scripts/bench-logs.sh)
echo "$out"
otel_combined=$(awk '/^filelog regex_parser/ {print $NF}' <<<"$out")
otel_json=$(awk '/^filelog json_parser/ {print $NF}' <<<"$out")

go build -o "$DATA/enginebench" ./logengine/internal/enginebench
echo
printf "%-34s %10s %12s %10s\n" "logengine run" "cpu_s" "MB/CPU-s" "vs filelog"
for kind in combined json; do
	file=$DATA/nginx-combined-$N.log
	otel=$otel_combined
	if [ $kind = json ]; then
		file=$DATA/nginx-json-$N.jsonl
		otel=$otel_json
	fi
	for mode in parse schema online; do
		res=$("$DATA/enginebench" -mode $mode "$file")
		cpu=$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$res")
		mbs=$(sed -n 's/.* mb_per_cpu_s=\([0-9.]*\).*/\1/p' <<<"$res")
		failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$res")
		ratio=$(awk -v g="$mbs" -v o="$otel" 'BEGIN {printf "%.1fx", g / o}')
		printf "%-34s %10s %12s %10s\n" "$mode ($kind, failed=$failed)" "$cpu" "$mbs" "$ratio"
	done
done
