package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopulse/gopulse/internal/privtest"
)

// buildAgent builds ./cmd/gopulse into a temporary directory.
func buildAgent(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gopulse")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gopulse")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gopulse: %v\n%s", err, out)
	}
	return bin
}

// agentMissing skips t while the agent command is the skeleton's
// placeholder, except on CI (privtest.Required), where it fails.
func agentMissing(t *testing.T, why string) {
	t.Helper()
	if privtest.Required() {
		t.Fatalf("the agent is required on CI: %s", why)
	}
	t.Skipf("the agent is not built yet: %s", why)
}

// TestAgentAcceptsConfig runs `gopulse config validate` on the agent config
// that the manifest and the chart ship, so that a key the agent does not
// know fails here and not in the cluster.
func TestAgentAcceptsConfig(t *testing.T) {
	plain, err := decodeStrict(manifestPath, readManifest(t))
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := renderChart(t, "gopulse", "gopulse", nil)
	if err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("GOPULSE_AGENT_BIN") // a prebuilt agent, to try a branch
	if bin == "" {
		bin = buildAgent(t)
	}
	dir := t.TempDir()
	for name, b := range map[string]*bundle{"manifest": plain, "chart": rendered} {
		file := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(file, []byte(b.configMaps[0].Data["config.yaml"]), 0o644); err != nil {
			t.Fatal(err)
		}
		// Checked with and without the pod's environment: a user
		// validating the shipped config on a workstation has no NODE_NAME.
		for _, env := range [][]string{{"NODE_NAME=node-1", "POD_IP=10.0.0.1"}, nil} {
			cmd := exec.Command(bin, "config", "validate", file)
			cmd.Env = append(withoutEnv(os.Environ(), "NODE_NAME", "POD_IP"), env...)
			out, err := cmd.CombinedOutput()
			if strings.Contains(string(out), "not built yet") {
				agentMissing(t, strings.TrimSpace(string(out)))
			}
			if err != nil {
				t.Errorf("%s (env %v): gopulse config validate: %v\n%s", name, env, err, out)
			}
		}
	}
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}
