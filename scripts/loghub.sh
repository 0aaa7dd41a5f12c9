#!/usr/bin/env bash
# Scores `gopulse logs parse` template mining on the LogHub-2k datasets.
# Usage: scripts/loghub.sh [GT_SUFFIX]   (default: _structured.csv; also
#        _structured_corrected.csv, _structured_corrected_loghub2.csv)
# Needs ../shared/data/loghub-dev and ../shared/tools/loghub_score.py.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
[ -d "$shared/data" ] || shared=../../shared   # from a worktree under wt/
data=${LOGHUB_DIR:-$shared/data/loghub-dev}
score=${LOGHUB_SCORE:-$shared/tools/loghub_score.py}
suffix=${1:-_structured.csv}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/gopulse" ./cmd/gopulse
printf '%-10s %6s %6s %6s %6s %6s\n' dataset GA FGA PA groups gt
for d in "$data"/*/; do
	name=$(basename "$d")
	log="$d/${name}_2k.log"
	gt="$d/${name}_2k.log${suffix}"
	[ -f "$log" ] && [ -f "$gt" ] || continue
	"$out/gopulse" logs parse "$log" >"$out/$name.jsonl"
	python3 "$score" --json "$gt" "$out/$name.jsonl" | python3 -c '
import json,sys
r=json.load(sys.stdin)
print("%-10s %6.4f %6.4f %6.4f %6d %6d" % (sys.argv[1], r["GA"], r["FGA"], r.get("PA",0), r["pred_groups"], r["gt_groups"]))' "$name"
done
