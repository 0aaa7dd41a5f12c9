package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The eighth round (2026-12-05) is written by real logging libraries and
// language runtimes' loggers (Go libraries, Python's logging, Ruby's
// Logger, java.util.logging), through the nested module librender, instead
// of by renderers written from documentation. Its
// logger configurations and its projects are split between two parts by
// libPartOf: r8, held back whole, and libdev, a development part. r8's
// configurations and projects are named only in r8* files
// (tools/logcorpus/r8*.go, librender/r8*.go), libdev's in libdev* files.

// Parts of the eighth round.
const (
	partR8     = "r8"
	partLibdev = "libdev"
	// libSplitSalt salts the split's hash; written before anything was
	// rendered (2026-12-05).
	libSplitSalt = "gopulse-r8-libsplit-2026-12-05"
)

// libPartOf is the eighth round's split rule: FNV-1a 64 of the salt, "|"
// and the name (a module path, or a configuration's group: a Go library,
// or one format of a runtime), even to r8, odd to libdev. librender's
// partOf is the same rule.
func libPartOf(name string) string {
	h := fnv.New64a()
	h.Write([]byte(libSplitSalt + "|" + name))
	if h.Sum64()%2 == 0 {
		return partR8
	}
	return partLibdev
}

// libSet is one dataset of the round: a project's statements written by
// one logger configuration.
type libSet struct {
	Project project
	Config  string
}

// libPlan deals a part's configurations to its projects: max(2 × projects,
// configurations) sets, so that every project is written by at least two
// configurations and every configuration writes at least one project; the
// order of both is shuffled by a seed from the part's name.
func libPlan(part string, projs []project, configs []string) []libSet {
	if len(projs) == 0 || len(configs) == 0 {
		return nil
	}
	ps := append([]project(nil), projs...)
	cs := append([]string(nil), configs...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Module < ps[j].Module })
	sort.Strings(cs)
	rng := rand.New(rand.NewPCG(hash64(libSplitSalt+"|"+part), 8))
	rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	n := max(2*len(ps), len(cs))
	out := make([]libSet, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, libSet{Project: ps[i%len(ps)], Config: cs[i%len(cs)]})
	}
	return out
}

// libConfig is a configuration as librender lists it.
type libConfig struct {
	Name, Part string
	Structured bool
	Library    string
}

// librender is the built renderer and its configurations.
type librender struct {
	bin     string
	configs map[string]libConfig
	python  string // the interpreter python3 runs (a shim's target), for LIBRENDER_PYTHON
}

// librenderDir is the nested module's directory in the checkout the
// command runs in.
func librenderDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("librender: run logcorpus inside the gopulse checkout (no go.mod here)")
	}
	dir := filepath.Join(filepath.Dir(mod), "tools", "logcorpus", "librender")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("librender: %w", err)
	}
	return dir, nil
}

// buildLibrender compiles the nested module into tmp and reads its list
// of configurations.
func buildLibrender(tmp string) (*librender, error) {
	dir, err := librenderDir()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "librender")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build librender: %w\n%s", err, out)
	}
	out, err := exec.Command(bin, "list").Output()
	if err != nil {
		return nil, fmt.Errorf("librender list: %w", err)
	}
	lr := &librender{bin: bin, configs: map[string]libConfig{}}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 4 {
			return nil, fmt.Errorf("librender list: bad line %q", l)
		}
		lr.configs[f[0]] = libConfig{Name: f[0], Part: f[1], Structured: f[2] == "true", Library: f[3]}
	}
	// resolved once: without python3, the Python configurations' renders
	// say so themselves
	if out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output(); err == nil {
		lr.python = strings.TrimSpace(string(out))
	}
	return lr, nil
}

// libEvent is an event as librender reads it.
type libEvent struct {
	T      time.Time   `json:"t"`
	Level  string      `json:"level"`
	Logger string      `json:"logger"`
	Class  string      `json:"class"`
	File   string      `json:"file"`
	Line   int         `json:"line"`
	PID    int         `json:"pid"`
	TID    int         `json:"tid"`
	Thread string      `json:"thread"`
	Host   string      `json:"host"`
	App    string      `json:"app"`
	Msg    string      `json:"msg"`
	KVs    [][2]string `json:"kvs"`
}

// renderLib writes evs through configuration c and returns the lines it
// wrote with each line's event index. A record of several lines gives
// each of its lines its event.
func (lr *librender) renderLib(c libConfig, evs []event) (lines []string, owner []int, err error) {
	cmd := exec.Command(lr.bin, "render", c.Name)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if lr.python != "" {
		cmd.Env = append(cmd.Env, "LIBRENDER_PYTHON="+lr.python)
	}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	enc.SetEscapeHTML(false)
	for i := range evs {
		e := &evs[i]
		if err := enc.Encode(libEvent{T: e.T, Level: e.Level, Logger: e.Comp, Class: e.Class, File: e.File, Line: e.Line,
			PID: e.PID, TID: e.TID, Thread: e.Thread, Host: e.Host, App: e.App, Msg: e.Msg, KVs: e.KVs}); err != nil {
			return nil, nil, err
		}
	}
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("librender render %s: %w: %s", c.Name, err, strings.TrimSpace(stderr.String()))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	i := 0
	for sc.Scan() {
		var r struct{ Out string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, nil, fmt.Errorf("librender render %s: record %d: %w", c.Name, i+1, err)
		}
		if !strings.HasSuffix(r.Out, "\n") {
			return nil, nil, fmt.Errorf("librender render %s: record %d does not end a line: %q", c.Name, i+1, r.Out)
		}
		for _, l := range strings.Split(strings.TrimSuffix(r.Out, "\n"), "\n") {
			lines = append(lines, l)
			owner = append(owner, i)
		}
		i++
	}
	if i != len(evs) {
		return nil, nil, fmt.Errorf("librender render %s: %d records for %d events", c.Name, i, len(evs))
	}
	return lines, owner, sc.Err()
}

// writeLibDataset renders project p's statements through configuration c
// into cache/part: at most lines lines, whole records only.
func (lr *librender) writeLibDataset(cache, part string, p project, c libConfig, st []stmt, lines int) (int, error) {
	evs, truth, k, err := genEvents(p, st, c.Structured, lines, hash64(p.Module+"|"+c.Name))
	if err != nil {
		return 0, err
	}
	out, owner, err := lr.renderLib(c, evs)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.Module, err)
	}
	n := min(lines, len(out))
	for n > 0 && n < len(out) && owner[n] == owner[n-1] {
		n-- // a record cut by the line limit is left out whole
	}
	base := filepath.Join(cache, part, slug(p.Module)+"__"+c.Name)
	var lb, tb bytes.Buffer
	for i := 0; i < n; i++ {
		lb.WriteString(out[i])
		lb.WriteByte('\n')
		tb.WriteString(truth[owner[i]])
		tb.WriteByte('\n')
	}
	if err := os.WriteFile(base+".log", lb.Bytes(), 0o644); err != nil {
		return 0, err
	}
	return k, os.WriteFile(base+".truth", tb.Bytes(), 0o644)
}

// libRound is one part of the eighth round: its plan, and whether the
// build names its sets.
type libRound struct {
	part  string
	sets  []libSet
	named bool
}

// buildLibRounds writes the eighth round's parts. librender is built only
// when a set has statements to render (the tests give the build only some
// projects' sources).
func buildLibRounds(cache string, lines int, rounds []libRound, load func(project) ([]stmt, bool, error), stderr io.Writer) error {
	var lr *librender
	for _, r := range rounds {
		if err := os.MkdirAll(filepath.Join(cache, r.part), 0o755); err != nil {
			return err
		}
		written := 0
		for _, set := range r.sets {
			st, ok, err := load(set.Project)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if lr == nil {
				tmp, err := os.MkdirTemp("", "logcorpus-librender")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				if lr, err = buildLibrender(tmp); err != nil {
					return err
				}
			}
			c, ok := lr.configs[set.Config]
			if !ok {
				return fmt.Errorf("%s: librender has no configuration %q", r.part, set.Config)
			}
			if c.Part != r.part {
				return fmt.Errorf("%s: configuration %q is librender's %s", r.part, c.Name, c.Part)
			}
			n, err := lr.writeLibDataset(cache, r.part, set.Project, c, st, lines)
			if err != nil {
				return err
			}
			written++
			if r.named {
				fmt.Fprintf(stderr, "%-45s %-6s %5d statements, %4d events, %s (%s)\n", set.Project.Module, r.part, len(st), n, c.Name, c.Library)
			}
		}
		if !r.named {
			fmt.Fprintf(stderr, "%s: %d sets, held back whole (build -part %s names them)\n", r.part, written, r.part)
		}
	}
	return nil
}
