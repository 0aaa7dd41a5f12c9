#!/usr/bin/env bash
# Builds the generated log corpus (docs/logcorpus.md) in the cache and
# scores template mining on its development part and its two held-back
# parts (means only for those).
#
#   scripts/logcorpus.sh             # build, score the three parts
#   LINES=500 scripts/logcorpus.sh   # smaller datasets
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${GOPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gopulse}
DIR=$CACHE/logcorpus
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/logcorpus" ./tools/logcorpus
"$bin/logcorpus" build -cache "$DIR" -lines "${LINES:-2000}" >&2
"$bin/logcorpus" score -cache "$DIR" -part dev
"$bin/logcorpus" score -cache "$DIR" -part held
"$bin/logcorpus" score -cache "$DIR" -part fresh
