#!/usr/bin/env bash
# Regenerate cmd/gopulse/default.pgo, the CPU profile `go build` uses for
# profile-guided optimization of the gopulse binary (go.dev/doc/pgo; `go
# build ./cmd/gopulse` reads it without a flag, `-pgo=off` builds without).
#
# The profile is the log engine's (logengine/internal/enginebench, built
# without PGO) on a mix of inputs, each run profiled on its own and the
# profiles merged:
#   - the agent's path (`-mode online`) and `gopulse logs parse`'s two
#     passes (`-mode twopass`) on each LogHub-2k development set
#     (../shared/data/loghub-dev, or LOGHUB_DIR; skipped when absent),
#     each file repeated 25 times;
#   - the agent's path on the nginx "combined" and JSON lines files of
#     scripts/bench-logs.sh (logbench gen, N lines each, default 200000);
#   - the agent's path on every other development set of the generated
#     corpus (docs/logcorpus.md; the first, third, … in name order; built
#     into the cache when missing, or read from LOGCORPUS_DIR/dev), and the
#     two passes on every sixth, each repeated 10 times (a stream's first
#     lines make its templates; a long-running agent mostly matches them);
#     the sets left out are where
#     scripts/bench-drain.sh's figures check that the gain holds off the
#     profile.
# A CPU profile samples, so two runs do not give the same bytes; the inputs
# and the procedure are fixed.
#
#   scripts/pgo.sh            # or: make pgo
#   OUT=/tmp/x.pgo scripts/pgo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
OUT=${OUT:-cmd/gopulse/default.pgo}
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DATA=$CACHE/pgo
shared=../shared
[ -d "$shared/data" ] || shared=../../shared
LOGHUB=${LOGHUB_DIR:-$shared/data/loghub-dev}
CORPUS=${LOGCORPUS_DIR:-$CACHE/logcorpus}
mkdir -p "$DATA"
prof=$(mktemp -d "$DATA/prof.XXXXXX")
trap 'rm -rf "$prof"' EXIT

go build -pgo=off -o "$DATA/enginebench" ./logengine/internal/enginebench
go build -pgo=off -o "$DATA/logbench" ./logparse/internal/logbench
if [ -z "$(ls "$CORPUS"/dev/*.log 2>/dev/null)" ]; then
	go build -o "$DATA/logcorpus" ./tools/logcorpus
	"$DATA/logcorpus" build -cache "$CORPUS" >&2
fi

n=0
run() { # mode times file: the file repeated (LogHub's without its CRs, as
	# scripts/bench-drain.sh writes them), read into memory first
	n=$((n + 1))
	"$DATA/enginebench" -preload -mode "$1" -cpuprofile "$prof/$n.pprof" <(for _ in $(seq "$2"); do if [[ $3 == "$LOGHUB"/* ]]; then tr -d '\r' <"$3"; else cat "$3"; fi; done) >/dev/null
}
if [ -d "$LOGHUB" ]; then
	for d in "$LOGHUB"/*/; do
		s=$(basename "$d")
		[ -f "$d/${s}_2k.log" ] || continue
		run online 25 "$d/${s}_2k.log"
		run twopass 25 "$d/${s}_2k.log"
	done
fi
[ -s "$DATA/nginx-combined-$N.log" ] || "$DATA/logbench" gen -n "$N" -format combined >"$DATA/nginx-combined-$N.log"
[ -s "$DATA/nginx-json-$N.jsonl" ] || "$DATA/logbench" gen -n "$N" -format json >"$DATA/nginx-json-$N.jsonl"
run online 1 "$DATA/nginx-combined-$N.log"
run online 1 "$DATA/nginx-json-$N.jsonl"
i=0
for f in "$CORPUS"/dev/*.log; do
	if [ $((i % 2)) -eq 0 ]; then
		run online 10 "$f"
		[ $((i % 6)) -ne 0 ] || run twopass 10 "$f"
	fi
	i=$((i + 1))
done
go tool pprof -proto "$prof"/*.pprof >"$OUT" 2>/dev/null
echo "$OUT: $n runs merged, $(stat -c %s "$OUT") bytes" >&2
