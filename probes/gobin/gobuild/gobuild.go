// Package gobuild builds small Go programs with a chosen Go toolchain, for
// tools/offsetgen and for tests that need target binaries. Toolchains other
// than the local one are fetched through the module proxy (GOTOOLCHAIN).
package gobuild

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gopulse/gopulse/probes/offsets"
)

// Options describe one build of the main package in Dir.
type Options struct {
	Dir       string   // directory of the main package (with its own go.mod)
	Out       string   // output binary path
	Toolchain string   // e.g. "go1.21.13"; "" = the local toolchain
	LDFlags   string   // e.g. "-s -w"
	BuildMode string   // e.g. "pie"; "" = default
	CGO       bool     // CGO_ENABLED=1
	Env       []string // extra environment
}

// Build runs go build. The error includes the build output.
func Build(ctx context.Context, o Options) error {
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return fmt.Errorf("build %s: %w", o.Dir, err)
	}
	args := []string{"build", "-trimpath", "-o", out}
	if o.LDFlags != "" {
		args = append(args, "-ldflags="+o.LDFlags)
	}
	if o.BuildMode != "" {
		args = append(args, "-buildmode="+o.BuildMode)
	}
	args = append(args, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.Dir
	tc := o.Toolchain
	if tc == "" {
		tc = "local"
	}
	cgo := "0"
	if o.CGO {
		cgo = "1"
	}
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+tc, "GOFLAGS=-buildvcs=false -mod=mod", "GOWORK=off", "CGO_ENABLED="+cgo)
	cmd.Env = append(cmd.Env, o.Env...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s with %s: %w: %s", o.Dir, tc, err, strings.TrimSpace(buf.String()))
	}
	return nil
}

// LatestPatches asks the module proxy (go list -m -versions
// golang.org/toolchain) for the latest patch release of each Go minor
// version 1.minMinor … 1.maxMinor for linux/amd64, e.g. "go1.21.13".
func LatestPatches(ctx context.Context, minMinor, maxMinor int) ([]string, error) {
	dir, err := os.MkdirTemp("", "gobuild-versions")
	if err != nil {
		return nil, fmt.Errorf("list toolchains: %w", err)
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-json", "-versions", "golang.org/toolchain")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list toolchains: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var m struct{ Versions []string }
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("list toolchains: %w", err)
	}
	best := map[int]int{} // minor → patch
	for _, v := range m.Versions {
		// v0.0.1-go1.21.13.linux-amd64
		_, rest, ok := strings.Cut(v, "-go")
		if !ok {
			continue
		}
		rest, ok = strings.CutSuffix(rest, ".linux-amd64")
		if !ok {
			continue
		}
		parts := strings.Split(rest, ".")
		if len(parts) != 3 || parts[0] != "1" {
			continue // pre-releases have no patch number
		}
		mi, err1 := strconv.Atoi(parts[1])
		pa, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || mi < minMinor || mi > maxMinor {
			continue
		}
		if p, ok := best[mi]; !ok || pa > p {
			best[mi] = pa
		}
	}
	var vs []string
	for mi, pa := range best {
		vs = append(vs, fmt.Sprintf("go1.%d.%d", mi, pa))
	}
	sort.Slice(vs, func(i, j int) bool {
		_, a, _ := offsets.Minor(vs[i])
		_, b, _ := offsets.Minor(vs[j])
		return a < b
	})
	if len(vs) == 0 {
		return nil, fmt.Errorf("list toolchains: no release of go1.%d…go1.%d found", minMinor, maxMinor)
	}
	return vs, nil
}

// WriteProbeProgram writes a minimal main package (go.mod at go 1.21) into
// dir: enough to link the whole runtime and its DWARF.
func WriteProbeProgram(dir string) error {
	files := map[string]string{
		"go.mod":  "module gopulse.test/offsetprobe\n\ngo 1.21\n",
		"main.go": "package main\n\nimport \"runtime\"\n\nfunc main() { println(runtime.NumGoroutine()) }\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			return fmt.Errorf("write probe program: %w", err)
		}
	}
	return nil
}
