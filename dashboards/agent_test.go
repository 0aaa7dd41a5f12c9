package dashboards

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/privtest"
)

// scraped is what the agent exposed: label names seen per metric name.
type scraped map[string]map[string]bool

// parseExposition reads metric and label names from the Prometheus text
// format.
func parseExposition(r io.Reader, into scraped) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end <= 0 {
			return fmt.Errorf("bad sample line %q", line)
		}
		name := line[:end]
		labels := into[name]
		if labels == nil {
			labels = map[string]bool{}
			into[name] = labels
		}
		if line[end] != '{' {
			continue
		}
		// name{a="x",b="y\"z"} value
		i := end + 1
		for i < len(line) && line[i] != '}' {
			eq := strings.IndexByte(line[i:], '=')
			if eq < 0 {
				return fmt.Errorf("bad labels in %q", line)
			}
			labels[strings.TrimSpace(strings.TrimLeft(line[i:i+eq], ","))] = true
			j := i + eq + 1
			if j >= len(line) || line[j] != '"' {
				return fmt.Errorf("bad label value in %q", line)
			}
			for j++; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			i = j + 1
			if i < len(line) && line[i] == ',' {
				i++
			}
		}
	}
	return sc.Err()
}

func TestParseExposition(t *testing.T) {
	in := `# HELP a_total x
# TYPE a_total counter
a_total{pid="1",exe="/x \"y\"",service="s"} 3
b 1
h_bucket{le="+Inf",reason="gc_mark_termination"} 2
`
	got := scraped{}
	if err := parseExposition(strings.NewReader(in), got); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]bool) []string {
		var k []string
		for s := range m {
			k = append(k, s)
		}
		sort.Strings(k)
		return k
	}
	if !slices.Equal(keys(got["a_total"]), []string{"exe", "pid", "service"}) || got["b"] == nil ||
		!slices.Equal(keys(got["h_bucket"]), []string{"le", "reason"}) || len(got) != 3 {
		t.Errorf("parsed %v", got)
	}
}

// promLabels are added by Prometheus at scrape time, not by the agent.
var promLabels = map[string]bool{"instance": true, "job": true}

// missing returns the dashboard metrics and labels that the agent did not
// expose, as sorted "file: problem" lines.
func missing(want map[string][]selector, got scraped) []string {
	seen := map[string]bool{}
	var out []string
	for file, sels := range want {
		for _, s := range sels {
			labels, ok := got[s.Metric]
			var p string
			if !ok {
				p = fmt.Sprintf("%s: metric %s is not exposed", file, s.Metric)
			}
			for _, l := range s.Labels {
				if ok && !promLabels[l] && !labels[l] {
					p = fmt.Sprintf("%s: metric %s has no label %s", file, s.Metric, l)
				}
			}
			if p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestMissing(t *testing.T) {
	want := map[string][]selector{"d.json": {
		{Metric: "a_total", Labels: []string{"pid", "instance"}},
		{Metric: "b", Labels: []string{"format"}},
		{Metric: "c"},
	}}
	got := scraped{"a_total": {"pid": true}, "b": {"source": true}}
	if m := missing(want, got); !slices.Equal(m, []string{"d.json: metric b has no label format", "d.json: metric c is not exposed"}) {
		t.Errorf("missing = %q", m)
	}
}

// agentMissing skips t while the agent command is the skeleton's
// placeholder, except on CI (privtest.Required), where it fails.
func agentMissing(t *testing.T, why string) {
	t.Helper()
	if privtest.Required() {
		t.Fatalf("the agent is required on CI: %s", why)
	}
	t.Skipf("the agent is not available: %s", why)
}

// goBuild builds pkg (relative to the repository root) into dir.
func goBuild(t *testing.T, dir, name, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestDashboardMetricsExposedByAgent starts the real agent (built from
// ./cmd/gopulse) against a real Go workload that also writes a log file (with
// a malformed line now and then) and a Loki stand-in that fails and rejects
// pushes before it accepts them, scrapes its /metrics until every metric and label that a
// dashboard queries is there, and fails if one never appears.
func TestDashboardMetricsExposedByAgent(t *testing.T) {
	if !privtest.IsRoot() {
		privtest.Require(t, false, "the agent attaches uprobes and needs root")
	}
	want := dashboardSelectors(t)
	dir := t.TempDir()
	bin := os.Getenv("GOPULSE_AGENT_BIN") // a prebuilt agent, to try a branch
	if bin == "" {
		bin = goBuild(t, dir, "gopulse", "./cmd/gopulse")
	}
	target := goBuild(t, dir, "target", "./dashboards/testdata/target")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	logDir := filepath.Join(dir, "logs")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tgt := exec.CommandContext(ctx, target, "-log", filepath.Join(logDir, "target.log"))
	if err := tgt.Start(); err != nil {
		t.Fatal(err)
	}
	defer tgt.Wait()

	// Loki stand-in: fails the first push (retried: failed_total), rejects
	// the second (dropped_total), accepts the rest (sent_total).
	var pushes atomic.Int64
	loki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch pushes.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			http.Error(w, "entry out of order", http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer loki.Close()

	addr := freeAddr(t)
	cfg := fmt.Sprintf(`listen: %s
state_dir: %s
probes:
  mode: default
  sample_interval: 1s
logs:
  paths: [%q]
  start_at: beginning
  rescan_interval: 1s
kubernetes:
  enabled: false
exporters:
  loki:
    endpoints:
      - url: %s/loki/api/v1/push
health:
  window: 2s
`, addr, filepath.Join(dir, "state"), filepath.Join(logDir, "*.log"), loki.URL)
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var agentOut lockedBuffer
	agent := exec.CommandContext(ctx, bin, "agent", "--config", cfgFile, "--listen", addr)
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	agent.Cancel = func() error { return agent.Process.Signal(os.Interrupt) }
	agent.WaitDelay = 10 * time.Second
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- agent.Wait() }()
	defer func() {
		cancel()
		<-exited
	}()

	got := scraped{}
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	var last []string
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			out := agentOut.String()
			if strings.Contains(out, "not built yet") {
				agentMissing(t, strings.TrimSpace(out))
			}
			t.Fatalf("the agent exited: %v\n%s", err, out)
		case <-time.After(time.Second):
		}
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			continue // not listening yet
		}
		err = parseExposition(resp.Body, got)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		if last = missing(want, got); len(last) == 0 {
			break
		}
	}
	if len(got) == 0 {
		t.Fatalf("the agent never served /metrics on %s\n%s", addr, agentOut.String())
	}
	for _, m := range last {
		t.Error(m)
	}
	if t.Failed() {
		var names []string
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Logf("exposed: %s\nagent output:\n%s", strings.Join(names, " "), agentOut.String())
	}
}
