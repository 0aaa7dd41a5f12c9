package gopulsereceiver

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/semconvpin"
)

// TestCollectorVersionsConsistent: the versions of the collector modules
// that the README's table states are the ones the distribution's builder
// manifest pins, the ones both component modules require (no mix of core
// releases), the builder scripts/collector-dist.sh installs, and the
// semantic conventions the tests pin.
func TestCollectorVersionsConsistent(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	stated := map[string]string{}
	row := regexp.MustCompile(`(?m)^\| (stable core modules|v0\.x core modules|contrib|builder|semantic conventions)\b[^|]*\| (v[0-9.]+)`)
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		stated[m[1]] = m[2]
	}
	stable, v0, contrib, builder := stated["stable core modules"], stated["v0.x core modules"], stated["contrib"], stated["builder"]
	if stable == "" || v0 == "" || contrib == "" || builder == "" {
		t.Fatalf("README.md's version table states %v", stated)
	}
	if stated["semantic conventions"] != semconvpin.Version {
		t.Errorf("README.md states semantic conventions %s, the tests pin %s", stated["semantic conventions"], semconvpin.Version)
	}

	// want says which version a collector module must have, "" for another module.
	want := func(path, version string) string {
		switch {
		case strings.HasPrefix(path, "github.com/open-telemetry/opentelemetry-collector-contrib/"):
			return contrib
		case strings.HasPrefix(path, "go.opentelemetry.io/collector/"):
			if strings.HasPrefix(version, "v0.") {
				return v0
			}
			return stable
		}
		return ""
	}

	raw, err := os.ReadFile("../../distribution/otelcol-gopulse/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := yaml.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	pinned := 0
	for _, kind := range []string{"receivers", "processors", "exporters", "extensions", "providers", "connectors"} {
		list, _ := manifest[kind].([]any)
		for _, c := range list {
			gomod, _ := c.(map[string]any)["gomod"].(string)
			path, version, _ := strings.Cut(gomod, " ")
			if w := want(path, version); w != "" {
				pinned++
				if version != w {
					t.Errorf("manifest: %s %s, README states %s", path, version, w)
				}
			}
		}
	}
	if pinned == 0 {
		t.Fatal("the manifest pins no collector module")
	}

	for _, dir := range []string{".", "../../processor/gopulselogprocessor"} {
		cmd := exec.Command("go", "mod", "edit", "-json")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go mod edit -json in %s: %v", dir, err)
		}
		var mod struct {
			Require []struct{ Path, Version string }
		}
		if err := json.Unmarshal(out, &mod); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range mod.Require {
			w := want(r.Path, r.Version)
			if w == "" || strings.HasPrefix(r.Path, "go.opentelemetry.io/collector/cmd/") {
				continue
			}
			n++
			if r.Version != w {
				t.Errorf("%s/go.mod: %s %s, README states %s", dir, r.Path, r.Version, w)
			}
		}
		if n == 0 {
			t.Errorf("%s/go.mod requires no collector module", dir)
		}
	}

	script, err := os.ReadFile("../../scripts/collector-dist.sh")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^builder_version=(\S+)$`).FindSubmatch(script); m == nil || string(m[1]) != builder {
		t.Errorf("scripts/collector-dist.sh builds with builder %q, README states %s", m, builder)
	}
}
