#!/usr/bin/env bash
# Runs the OTel Collector's mdatagen (pinned in tools/mdatagen: v0.158.0, the
# newest the module proxy serves) on the collector components' metadata.yaml,
# from the repository root or from a component's directory (go generate).
#
#   scripts/mdatagen.sh            # regenerate every component
#   scripts/mdatagen.sh check      # regenerate into a copy and fail on a diff
#
# mdatagen v0.158.0 cannot generate a metrics builder with histograms (it
# records number data points into them) nor per-data-point start times, so
# for the receiver its generated_metrics*.go are removed and
# internal/metadata/metrics.go is written by hand from metadata.yaml (its
# test checks the two agree). Everything else it generates is kept as is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
components=(receiver/gopulsereceiver processor/gopulselogprocessor)
bin=${GOPULSE_CACHE:-/var/cache/gopulse}/tools/mdatagen-v0.158.0/mdatagen
if [ ! -x "$bin" ]; then
	mkdir -p "$(dirname "$bin")"
	(cd "$root/tools/mdatagen" && go build -o "$bin" go.opentelemetry.io/collector/cmd/mdatagen)
fi

generate() { # dir
	local dir=$1
	[ -f "$dir/metadata.yaml" ] || return 0
	(cd "$dir" && "$bin" metadata.yaml)
	if [ -f "$dir/internal/metadata/metrics.go" ]; then
		rm -f "$dir/internal/metadata/generated_metrics.go" "$dir/internal/metadata/generated_metrics_test.go"
	fi
}

case ${1:-all} in
all)
	for c in "${components[@]}"; do generate "$root/$c"; done
	;;
check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	status=0
	for c in "${components[@]}"; do
		[ -d "$root/$c" ] || continue
		mkdir -p "$tmp/$c"
		cp -r "$root/$c/." "$tmp/$c/"
		# The copy resolves github.com/gopulse/gopulse through the real tree.
		(cd "$tmp/$c" && go mod edit -replace "github.com/gopulse/gopulse=$root")
		generate "$tmp/$c"
		if ! diff -r -x go.mod -x go.sum "$root/$c" "$tmp/$c" >"$tmp/diff" 2>&1; then
			echo "mdatagen: $c is not up to date (run scripts/mdatagen.sh):" >&2
			cat "$tmp/diff" >&2
			status=1
		else
			echo "mdatagen v0.158.0 accepts $c/metadata.yaml; generated files are up to date"
		fi
	done
	exit $status
	;;
*)
	# go generate in a component directory
	generate "$(pwd)"
	;;
esac
