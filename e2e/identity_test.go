//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostAgent starts a `gopulse agent` playing one host: its own NODE_NAME,
// state dir and listen address (returned), probing the processes its
// discovery rules (probes.discovery, indented by four spaces) select, with
// the given exporters (indented by two spaces).
func hostAgent(t *testing.T, bin, node, discoveryYAML, exportersYAML string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), node)
	listen := freeAddr(t)
	cfg := fmt.Sprintf(`listen: %s
state_dir: %s
probes:
  mode: default
  sample_interval: 1s
  min_age: 0s
  discovery:
%s
logs:
  paths: []
kubernetes:
  enabled: false
exporters:
%s`, listen, filepath.Join(dir, "state"), discoveryYAML, exportersYAML)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "agent", "--config", cfgFile)
	cmd.Env = append(os.Environ(), "NODE_NAME="+node)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("agent %s output:\n%s", node, out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("agent %s exited: %v\n%s", node, err, out.String())
		case <-time.After(200 * time.Millisecond):
		}
		if resp, err := http.Get("http://" + listen + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return listen
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s did not serve /healthz\n%s", node, out.String())
		}
	}
}

// startProc starts app with args until it is killed at cleanup. With pid >
// 0 it gets that pid: the kernel hands out ns_last_pid+1 next (CRIU's way),
// retried while other processes of the machine fork in between.
func startProc(t *testing.T, pid int, app string, args ...string) *exec.Cmd {
	t.Helper()
	for try := 0; try < 500; try++ {
		if pid > 0 {
			if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(pid-1)), 0); err != nil {
				t.Fatalf("choose the next pid: %v", err)
			}
		}
		cmd := exec.Command(app, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if pid > 0 && cmd.Process.Pid != pid {
			cmd.Process.Kill()
			cmd.Wait()
			continue
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	t.Fatalf("could not start a process with pid %d", pid)
	return nil
}

type promSeries = map[string]string

// seriesOf lists the series matching sel written since from.
func seriesOf(ctx context.Context, base, sel string, from time.Time) ([]promSeries, error) {
	var resp struct {
		Data []promSeries `json:"data"`
	}
	err := getJSON(ctx, base, "/api/v1/series", url.Values{"match[]": {sel},
		"start": {strconv.FormatInt(from.Add(-time.Minute).Unix(), 10)}, "end": {strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)}}, nil, &resp)
	return resp.Data, err
}

// without returns the series's labels without the named ones, as a string.
func without(s promSeries, names ...string) string {
	var kv []string
	for k, v := range s {
		if !slices.Contains(names, k) {
			kv = append(kv, k+"="+strconv.Quote(v))
		}
	}
	sort.Strings(kv)
	return "{" + strings.Join(kv, ",") + "}"
}

// TestTwoHostsOnePrometheus: two agents as two hosts (NODE_NAME host-a and
// host-b) remote-write into one real Prometheus. Both run the same
// executable; host-a runs two processes of it, and host-b runs one with the
// very pid a process of host-a had (the kernel's ns_last_pid picks it). No
// series collide: each process of each host is its own series, told apart
// by node and pid, its counter never reset by another's samples, and every
// series of the agents themselves exists once per host.
func TestTwoHostsOnePrometheus(t *testing.T) {
	base := env(t, "GOPULSE_E2E_PROM_URL")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the agent attaches uprobes and needs root on CI")
		}
		t.Skip("the agent attaches uprobes and needs root")
	}
	bin := buildBinary(t, "../cmd/gopulse")
	app := filepath.Join(t.TempDir(), uniq("e2e-app"))
	if err := os.Rename(buildBinary(t, "./gctarget"), app); err != nil {
		t.Fatal(err)
	}
	run := uniq("twohosts")
	from := time.Now()
	// One executable; each host's processes are told by their command line.
	exporters := fmt.Sprintf(`  prometheus:
    interval: 1s
    external_labels: {e2e_run: %q}
    remote_write:
      endpoints:
        - url: %s/api/v1/write
`, run, base)
	hostAgent(t, bin, "host-a", fmt.Sprintf(`    include: [{exe: %q, cmdline: "-gc 100ms$"}]`, app), exporters)
	hostAgent(t, bin, "host-b", fmt.Sprintf(`    include: [{exe: %q, cmdline: "-gc 101ms$"}]`, app), exporters)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	gcSel := func(node string, pid int) string {
		return fmt.Sprintf(`gopulse_go_gc_cycles_total{e2e_run=%q,node=%q,pid="%d"}`, run, node, pid)
	}
	waitSeries := func(what, sel string) {
		eventually(t, 2*time.Minute, what, func() error {
			s, err := seriesOf(ctx, base, sel, from)
			if err != nil {
				return err
			}
			if len(s) != 1 {
				return fmt.Errorf("%d series for %s", len(s), sel)
			}
			return nil
		})
	}
	a1 := startProc(t, 0, app, "-gc", "100ms")
	a2 := startProc(t, 0, app, "-gc", "100ms")
	shared := a1.Process.Pid
	waitSeries("host-a's first process", gcSel("host-a", shared))
	waitSeries("host-a's second process", gcSel("host-a", a2.Process.Pid))
	// Let host-a's first process count a few GC cycles more, so that a
	// series shared with host-b's process would show a counter reset.
	eventually(t, time.Minute, "host-a's first process past 20 GC cycles", func() error {
		v, _, err := promQuery(ctx, base, gcSel("host-a", shared))
		if err == nil && v < 20 {
			err = fmt.Errorf("%v cycles", v)
		}
		return err
	})
	a1.Process.Kill()
	a1.Wait()
	b1 := startProc(t, shared, app, "-gc", "101ms")
	startProc(t, 0, app, "-gc", "101ms")
	waitSeries("host-b's process with host-a's pid", gcSel("host-b", b1.Process.Pid))
	// host-b's process has run a while: its own counter is past 5 cycles.
	eventually(t, time.Minute, "host-b's process past 5 GC cycles", func() error {
		v, _, err := promQuery(ctx, base, gcSel("host-b", shared))
		if err == nil && v < 5 {
			err = fmt.Errorf("%v cycles", v)
		}
		return err
	})

	// Each process's series appear as its first samples are read: wait
	// until host-b's second process has its own and the shared pid has the
	// same series on host-b as on host-a (a series that never appears, or a
	// second bucket set, fails below).
	eventually(t, time.Minute, "host-b's series of both its processes", func() error {
		s, err := seriesOf(ctx, base, fmt.Sprintf(`{e2e_run=%q,node="host-b",__name__=~"gopulse_go_.*"}`, run), from)
		if err != nil {
			return err
		}
		pids := map[string]bool{}
		for _, x := range s {
			pids[x["pid"]] = true
		}
		if len(pids) != 2 {
			return fmt.Errorf("host-b's processes %v", keys(pids))
		}
		n := func(node string) (int, error) {
			s, err := seriesOf(ctx, base, fmt.Sprintf(`{e2e_run=%q,node=%q,pid="%d"}`, run, node, shared), from)
			return len(s), err
		}
		na, err := n("host-a")
		if err != nil {
			return err
		}
		nb, err := n("host-b")
		if err == nil && nb < na {
			err = fmt.Errorf("pid %d: %d series on host-b, %d on host-a", shared, nb, na)
		}
		return err
	})
	all, err := seriesOf(ctx, base, fmt.Sprintf(`{e2e_run=%q}`, run), from)
	if err != nil {
		t.Fatal(err)
	}
	byNode := map[string]map[string]bool{} // node → series without node
	procs := map[string]map[string]bool{}  // node → pids with runtime series
	for _, s := range all {
		n := s["node"]
		if n != "host-a" && n != "host-b" {
			t.Errorf("series without a host's node label: %v", s)
			continue
		}
		if byNode[n] == nil {
			byNode[n], procs[n] = map[string]bool{}, map[string]bool{}
		}
		k := without(s, "node")
		if byNode[n][k] {
			t.Errorf("series %v listed twice", s)
		}
		byNode[n][k] = true
		if p := s["pid"]; p != "" && strings.HasPrefix(s["__name__"], "gopulse_go_") {
			procs[n][p] = true
			if s["exe"] != app || s["service"] != filepath.Base(app) {
				t.Errorf("runtime series of another executable: %v", s)
			}
		}
	}
	// Each host's processes, and only them.
	if want := []string{strconv.Itoa(shared), strconv.Itoa(a2.Process.Pid)}; !sameKeys(procs["host-a"], want) {
		t.Errorf("host-a's processes %v, want %v", keys(procs["host-a"]), want)
	}
	if len(procs["host-b"]) != 2 || !procs["host-b"][strconv.Itoa(shared)] {
		t.Errorf("host-b's processes %v, want 2 with pid %d", keys(procs["host-b"]), shared)
	}
	// The same pid on both hosts: the same runtime series but for node.
	onPID := func(n string) []string {
		var out []string
		for k := range byNode[n] {
			if strings.Contains(k, fmt.Sprintf(`pid="%d"`, shared)) {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	pa, pb := onPID("host-a"), onPID("host-b")
	if len(pa) < 3 || !slices.Equal(pa, pb) {
		t.Errorf("series of pid %d: host-a %d, host-b %d, not the same set without node:\n%v\n%v", shared, len(pa), len(pb), pa, pb)
	}
	// The agents' own series: every one on both hosts.
	own := func(n string) []string {
		var out []string
		for k := range byNode[n] {
			if !strings.Contains(k, `pid="`) {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	oa, ob := own("host-a"), own("host-b")
	var onlyA, onlyB []string
	for _, k := range oa {
		if !slices.Contains(ob, k) {
			onlyA = append(onlyA, k)
		}
	}
	for _, k := range ob {
		if !slices.Contains(oa, k) {
			onlyB = append(onlyB, k)
		}
	}
	if len(oa) < 10 || len(onlyA) > 0 || len(onlyB) > 0 {
		t.Errorf("agents' own series: host-a %d, host-b %d; only on host-a %v; only on host-b %v", len(oa), len(ob), onlyA, onlyB)
	}
	// No counter of the shared pid was ever reset: host-b's samples did not
	// land in host-a's series (it ran past 20 cycles, host-b's process
	// started from 1).
	for _, n := range []string{"host-a", "host-b"} {
		v, c, err := promQuery(ctx, base, fmt.Sprintf(`resets(%s[15m])`, gcSel(n, shared)))
		if err != nil || c != 1 || v != 0 {
			t.Errorf("%s pid %d: resets %v (%d series), %v", n, shared, v, c, err)
		}
	}
	t.Logf("%d series: host-a %d (processes %v), host-b %d (processes %v); pid %d on both hosts: %d series each",
		len(all), len(byNode["host-a"]), keys(procs["host-a"]), len(byNode["host-b"]), keys(procs["host-b"]), shared, len(pa))
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameKeys(m map[string]bool, want []string) bool {
	got := keys(m)
	w := slices.Clone(want)
	sort.Strings(w)
	return slices.Equal(got, w)
}
