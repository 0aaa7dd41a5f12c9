#!/usr/bin/env bash
# Log throughput WITH schema inference, beside the OTel Collector filelog
# receiver, in one run: runs scripts/bench-logs.sh (the filelog receiver
# v0.160.0 and gopulse's parse-only figures on the same nginx combined file
# and the same records as JSON lines) and, in the same iterations (so that
# a change of the machine's load between runs hits both alike), the shared
# log engine (logengine/internal/enginebench) on those files in three modes:
#   parse   format detection + parse + free-text refine
#   schema  the same + schema inference (type votes, cardinality, drift)
#   online  the agent's path: the same + template mining
# and prints each mode's MB per CPU-second and its ratio to the receiver.
#
#   scripts/bench-logs-schema.sh            # 2M lines
#   N=200000 scripts/bench-logs-schema.sh   # quicker
#   COUNT=3 scripts/bench-logs-schema.sh    # every run 3 times: median CPU time
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000000}
COUNT=${COUNT:-1}
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DATA=$CACHE/bench-logs
mkdir -p "$DATA"

# built with the shipped binary's profile (cmd/gopulse/default.pgo);
# PGO=off: without
PGO=${PGO:-$PWD/cmd/gopulse/default.pgo}
go build -pgo="$PGO" -o "$DATA/enginebench" ./logengine/internal/enginebench
# the engine's runs are interleaved with the receiver's, iteration by
# iteration (bench-logs.sh runs them)
out=$(PGO=$PGO N=$N COUNT=$COUNT ENGINEBENCH=$DATA/enginebench ENGINE_MODES="parse schema online" scripts/bench-logs.sh)
grep -v '^engine ' <<<"$out"
otel_combined=$(awk '/^filelog regex_parser/ {print $NF}' <<<"$out")
otel_json=$(awk '/^filelog json_parser/ {print $NF}' <<<"$out")

echo
printf "%-34s %10s %12s %10s   %s\n" "logengine run" "cpu_s" "MB/CPU-s" "vs filelog" "runs (cpu_s)"
for kind in combined json; do
	file=$DATA/nginx-combined-$N.log
	otel=$otel_combined
	if [ $kind = json ]; then
		file=$DATA/nginx-json-$N.jsonl
		otel=$otel_json
	fi
	bytes=$(stat -L -c %s "$file")
	for mode in parse schema online; do
		line=$(grep "^engine mode=$mode kind=$kind " <<<"$out")
		cpu=$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$line")
		failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$line")
		mbs=$(awk -v b="$bytes" -v c="$cpu" 'BEGIN {printf "%.1f", b / 1e6 / c}')
		ratio=$(awk -v g="$mbs" -v o="$otel" 'BEGIN {printf "%.1fx", g / o}')
		printf "%-34s %10s %12s %10s   %s\n" "$mode ($kind, failed=$failed)" "$cpu" "$mbs" "$ratio" "${line#* runs=}"
	done
done
