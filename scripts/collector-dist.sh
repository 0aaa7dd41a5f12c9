#!/usr/bin/env bash
# Builds otelcol-gopulse, the OpenTelemetry Collector distribution of
# distribution/otelcol-gopulse/manifest.yaml, with the collector builder,
# outside the repository:
#
#   ${GOPULSE_CACHE:-/var/cache/gopulse}/otelcol-gopulse/<key>/otelcol-gopulse
#
# <key> is the builder version and a hash of the manifest and of the gopulse
# sources that go into the binary, so a CI run builds it once and a later
# run with the same sources reuses it (the Go build cache makes a rebuild
# after a change of gopulse's own code quick). The builder runs with strict
# versioning: a module version other than the manifest's fails the build.
#
#   scripts/collector-dist.sh build   # build when missing; prints the binary's path last
#   scripts/collector-dist.sh path    # the binary's path; exit status 1 when not built
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
builder_version=v0.165.0
cache=${GOPULSE_CACHE:-/var/cache/gopulse}
manifest=$root/distribution/otelcol-gopulse/manifest.yaml

sources_hash() {
	if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
		{ git -C "$root" ls-files -s; git -C "$root" diff HEAD; git -C "$root" ls-files -o --exclude-standard -- '*.go' | xargs -r -I{} sha256sum "$root/{}"; } | sha256sum | cut -c1-16
	else
		find "$root" -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.o' | sort | xargs sha256sum | sha256sum | cut -c1-16
	fi
}

key="$builder_version-$( { cat "$manifest"; sources_hash; } | sha256sum | cut -c1-16)"
dir=$cache/otelcol-gopulse/$key
bin=$dir/otelcol-gopulse

case ${1:-build} in
path)
	[ -x "$bin" ] && echo "$bin" && exit 0
	exit 1
	;;
build) ;;
*)
	echo "usage: $0 [build|path]" >&2
	exit 2
	;;
esac

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
builder=$cache/tools/builder-$builder_version/builder
if [ ! -x "$builder" ]; then
	mkdir -p "$(dirname "$builder")"
	GOBIN=$(dirname "$builder") go install "go.opentelemetry.io/collector/cmd/builder@$builder_version"
fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
# The manifest with the output path and the local replaces made absolute.
sed -e "s#^  output_path: .*#  output_path: $dir.tmp/src#" \
	-e "s# => \.\./\.\./\.\.# => $root#" "$manifest" >"$dir.tmp/manifest.yaml"
start=$(date +%s)
"$builder" --config="$dir.tmp/manifest.yaml" --skip-strict-versioning=false >"$dir.tmp/build.log" 2>&1 || {
	tail -50 "$dir.tmp/build.log" >&2
	echo "collector-dist: build failed (log: $dir.tmp/build.log)" >&2
	exit 1
}
echo "built in $(($(date +%s) - start)) s" >>"$dir.tmp/build.log"
mv "$dir.tmp/src/otelcol-gopulse" "$dir.tmp/otelcol-gopulse"
rm -rf "$dir.tmp/src" "$dir"
mv "$dir.tmp" "$dir"
# Keep the three newest builds.
ls -1dt "$cache"/otelcol-gopulse/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
echo "$bin"
