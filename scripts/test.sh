#!/usr/bin/env bash
# Runs all tests of the main module and of the collector/ module.
# On CI (CI=true, root) it first installs what the tests use from Debian:
# promtool (package prometheus) for `promtool check metrics`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" = "true" ] && ! command -v promtool >/dev/null && [ "$(id -u)" = 0 ]; then
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
	# The package's service is not wanted; tests start their own servers.
	systemctl stop prometheus 2>/dev/null || true
fi
go vet ./...
go test -count=1 -timeout 14m ./...
if [ -f collector/go.mod ]; then
	(cd collector && go vet ./... && go test -count=1 -timeout 10m ./...)
fi
