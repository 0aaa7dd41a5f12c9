// Package privtest decides whether tests that need BPF privileges run.
package privtest

import (
	"os"
	"testing"
)

// Required reports whether privileged tests must run: on CI (CI=true) or when
// GOPULSE_PRIV_TESTS=1.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("GOPULSE_PRIV_TESTS") == "1"
}

// Require skips t when the process cannot load BPF programs, unless
// privileged tests are required, in which case it fails t.
// ok reports whether the privileges are there (the caller decides how to
// probe; e.g. by loading a trivial program).
func Require(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if Required() {
		t.Fatalf("privileged test cannot run (%s) but CI=true or GOPULSE_PRIV_TESTS=1 requires it", why)
	}
	t.Skipf("skipping privileged test: %s", why)
}

// IsRoot reports whether the test runs with euid 0.
func IsRoot() bool { return os.Geteuid() == 0 }
