GO ?= go
BIN := bin/gopulse

# The release version is internal/version/VERSION (embedded, so a plain
# `go build` knows it too); the source revision is stamped here.
VERSION := $(shell cat internal/version/VERSION)
REVISION := $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED := $(shell test -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" && echo true)
LDFLAGS := -X github.com/gopulse/gopulse/internal/version.revision=$(REVISION) -X github.com/gopulse/gopulse/internal/version.modified=$(MODIFIED)

.PHONY: all build run test test-toolchains e2e drill test-kernels generate metrics-doc bench pgo deps

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gopulse

# run: the agent on its embedded default config, plus a demo Go workload.
run: build
	scripts/run.sh

# test: every unit and BPF test. BPF tests fail (not skip) when CI=true.
test:
	scripts/test.sh

# test-toolchains: every supported Go release (1.21-1.27, fetched through
# the module proxy and kept in the module cache) for amd64 and arm64,
# stripped and not: the offsets table and the offsets derived from code
# against DWARF, recovered data symbols and probe sites against .symtab.
test-toolchains:
	GOPULSE_TOOLCHAIN_SWEEP=1 $(GO) test -count=1 -timeout 40m -run '^TestToolchainSweep$$' -v ./probes/offsets/

# e2e: end-to-end tests against real Prometheus, Loki and Jaeger servers
# that scripts/backends.sh installs, caches and starts on 127.0.0.1.
e2e:
	scripts/e2e.sh

# drill: the failover drill alone — real HAProxy (installed from Debian when
# missing) with and without gopulse's agent-check, real traffic; prints the
# table and fails when an acceptance figure is missed (docs/failover.md).
drill:
	scripts/drill.sh

# test-kernels: the probe checks on Debian's 5.10, 6.1 and 6.12 kernels
# (amd64, arm64) booted under QEMU; kernels, busybox and QEMU come from
# Debian's archive through apt-get (scripts/kernels.sh, cached under
# /var/cache/gopulse/kernels).
test-kernels:
	scripts/test-kernels.sh

# generate: regenerate bpf2go output (needs clang; installs it via apt-get).
generate:
	scripts/generate.sh

# metrics-doc: rewrite docs/metrics.md from the metrics the agent registers
# (internal/agent TestMetricsDoc, which fails in make test when it is stale).
metrics-doc:
	$(GO) test -count=1 -run '^TestMetricsDoc$$' ./internal/agent/ -args -update

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...

# pgo: regenerate cmd/gopulse/default.pgo, the CPU profile that `go build`
# uses for profile-guided optimization of bin/gopulse (scripts/pgo.sh: the
# log engine on LogHub, the generated corpus and the nginx bench inputs).
pgo:
	scripts/pgo.sh

# image: the OCI image (linux/amd64 + linux/arm64) in out/image, without a
# container daemon; tagged with internal/version/VERSION, which the
# manifests and the Helm chart reference.
image:
	scripts/image.sh
