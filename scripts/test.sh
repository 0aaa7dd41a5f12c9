#!/usr/bin/env bash
# Runs all tests of the main module (and of collector/, when present).
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
go test -count=1 -timeout 14m ./...
if [ -f collector/go.mod ]; then
	(cd collector && go vet ./... && go test -count=1 -timeout 10m ./...)
fi
