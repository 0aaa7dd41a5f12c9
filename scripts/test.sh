#!/usr/bin/env bash
# Runs all tests of the main module and of the OTel Collector component
# modules (receiver/gopulsereceiver, processor/gopulselogprocessor).
# On CI (CI=true, root) it first installs what the tests use from Debian:
# promtool (package prometheus) for `promtool check metrics`, and the
# runtimes whose real stack traces the multi-line tests read (python3,
# nodejs, default-jdk-headless, ruby), zsh and fish for the completion
# scripts' test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" = "true" ] && [ "$(id -u)" = 0 ]; then
	pkgs=()
	command -v promtool >/dev/null || pkgs+=(prometheus)
	command -v python3 >/dev/null || pkgs+=(python3)
	command -v node >/dev/null || pkgs+=(nodejs)
	command -v java >/dev/null || pkgs+=(default-jdk-headless)
	command -v ruby >/dev/null || pkgs+=(ruby)
	command -v zsh >/dev/null || pkgs+=(zsh)
	command -v fish >/dev/null || pkgs+=(fish)
	if [ ${#pkgs[@]} -gt 0 ]; then
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
		# The prometheus package's service is not wanted; tests start their own servers.
		systemctl stop prometheus 2>/dev/null || true
	fi
fi
unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files are not formatted (run gofmt -w):" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go test -count=1 -timeout 14m ./...
# logcorpus's renderer of real logging libraries (its own module, so that the
# main module gains none of them as a dependency).
(cd tools/logcorpus/librender && go vet ./... && go test -count=1 -timeout 5m ./...)
# The probe tests' target (its own module, Go 1.21): its ground-truth readings.
(cd testdata/targets/gcload && go vet ./... && go test -count=1 -timeout 5m ./...)
for m in receiver/gopulsereceiver processor/gopulselogprocessor; do
	if [ -f "$m/go.mod" ]; then
		(cd "$m" && go vet ./... && go test -count=1 -timeout 10m ./...)
	fi
done
