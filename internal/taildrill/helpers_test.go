package taildrill

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// agentBin returns the gopulse binary under test: $GOPULSE_AGENT_BIN, or
// ./cmd/gopulse built once per test binary.
func agentBin(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("GOPULSE_AGENT_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "taildrill-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "gopulse")
		out, err := exec.Command("go", "build", "-o", builtBin, "../../cmd/gopulse").CombinedOutput()
		if err != nil {
			buildErr = err
			builtBin = string(out)
		}
	})
	if buildErr != nil {
		tb.Fatalf("build gopulse: %v\n%s", buildErr, builtBin)
	}
	return builtBin
}
