#!/usr/bin/env bash
# Regenerates committed generated code. bpf2go needs clang and llvm-strip.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang >/dev/null; then
	apt-get update -qq && apt-get install -y -qq clang llvm libbpf-dev >/dev/null
fi
go generate ./...
# The OTel Collector components' metadata code (mdatagen, own modules).
scripts/mdatagen.sh
