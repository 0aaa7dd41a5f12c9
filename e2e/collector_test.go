//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The otelcol-gopulse distribution, built by scripts/collector-dist.sh
// (GOPULSE_E2E_OTELCOL), run as root against real Go programs.

// otlpJSON is the part of an OTLP/HTTP JSON metrics request the tests read
// (the otlphttp exporter with encoding: json).
type otlpJSON struct {
	ResourceMetrics []struct {
		Resource struct {
			Attributes []otlpAttr `json:"attributes"`
		} `json:"resource"`
		ScopeMetrics []struct {
			Metrics []otlpMetric `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}

type otlpAttr struct {
	Key   string `json:"key"`
	Value struct {
		StringValue *string `json:"stringValue"`
		IntValue    *string `json:"intValue"`
	} `json:"value"`
}

type otlpPoint struct {
	AsInt      *string    `json:"asInt"`
	AsDouble   *float64   `json:"asDouble"`
	Count      *string    `json:"count"`
	Sum        *float64   `json:"sum"`
	Attributes []otlpAttr `json:"attributes"`
}

type otlpMetric struct {
	Name        string `json:"name"`
	Unit        string `json:"unit"`
	Description string `json:"description"`
	Sum         *struct {
		DataPoints             []otlpPoint `json:"dataPoints"`
		IsMonotonic            bool        `json:"isMonotonic"`
		AggregationTemporality int         `json:"aggregationTemporality"`
	} `json:"sum"`
	Gauge *struct {
		DataPoints []otlpPoint `json:"dataPoints"`
	} `json:"gauge"`
	Histogram *struct {
		DataPoints             []otlpPoint `json:"dataPoints"`
		AggregationTemporality int         `json:"aggregationTemporality"`
	} `json:"histogram"`
}

// semconvDef is one semantic-convention Go runtime metric as the receiver
// module pins it (receiver/gopulsereceiver/internal/semconvpin: the
// generated goconv package of go.opentelemetry.io/otel/semconv at a fixed
// version), printed by its testdata/semconv.
type semconvDef struct {
	Name        string `json:"name"`
	Unit        string `json:"unit"`
	Description string `json:"description"`
	Type        string `json:"type"` // Sum, Gauge or Histogram
	Monotonic   bool   `json:"monotonic"`
	Double      bool   `json:"double"`
}

// pinnedSemconv returns the semconv version and metrics the receiver
// module pins.
func pinnedSemconv(t *testing.T) (string, map[string]semconvDef) {
	t.Helper()
	cmd := exec.Command("go", "run", "./testdata/semconv")
	cmd.Dir = "../receiver/gopulsereceiver"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the pinned semantic conventions (go run ./testdata/semconv): %v", err)
	}
	var pin struct {
		Version string                `json:"version"`
		Metrics map[string]semconvDef `json:"metrics"`
	}
	if err := json.Unmarshal(out, &pin); err != nil || len(pin.Metrics) == 0 {
		t.Fatalf("the pinned semantic conventions: %v\n%s", err, out)
	}
	return pin.Version, pin.Metrics
}

// semconvMismatch says how m, as the collector exported it over OTLP/JSON,
// differs from the pinned definition d ("" when it does not).
func semconvMismatch(m otlpMetric, d semconvDef) string {
	var problems []string
	if m.Unit != d.Unit {
		problems = append(problems, fmt.Sprintf("unit %q, semconv %q", m.Unit, d.Unit))
	}
	if m.Description != d.Description {
		problems = append(problems, fmt.Sprintf("description %q, semconv %q", m.Description, d.Description))
	}
	const cumulative = 2 // AGGREGATION_TEMPORALITY_CUMULATIVE
	var points []otlpPoint
	switch {
	case m.Sum != nil && d.Type == "Sum":
		if m.Sum.IsMonotonic != d.Monotonic {
			problems = append(problems, fmt.Sprintf("monotonic %v, semconv %v", m.Sum.IsMonotonic, d.Monotonic))
		}
		if m.Sum.AggregationTemporality != cumulative {
			problems = append(problems, fmt.Sprintf("temporality %d, want cumulative", m.Sum.AggregationTemporality))
		}
		points = m.Sum.DataPoints
	case m.Gauge != nil && d.Type == "Gauge":
		points = m.Gauge.DataPoints
	case m.Histogram != nil && d.Type == "Histogram":
		if m.Histogram.AggregationTemporality != cumulative {
			problems = append(problems, fmt.Sprintf("temporality %d, want cumulative", m.Histogram.AggregationTemporality))
		}
		if len(m.Histogram.DataPoints) == 0 || m.Histogram.DataPoints[0].Count == nil || m.Histogram.DataPoints[0].Sum == nil {
			problems = append(problems, "a histogram point without count and sum")
		}
	default:
		problems = append(problems, fmt.Sprintf("not a %s", d.Type))
	}
	if d.Type != "Histogram" {
		if len(points) == 0 {
			problems = append(problems, "no data point")
		} else if double := points[0].AsDouble != nil; double != d.Double || (!double && points[0].AsInt == nil) {
			problems = append(problems, fmt.Sprintf("double %v, semconv %v", double, d.Double))
		}
	}
	return strings.Join(problems, "; ")
}

func (a otlpAttr) str() string {
	switch {
	case a.Value.StringValue != nil:
		return *a.Value.StringValue
	case a.Value.IntValue != nil:
		return *a.Value.IntValue
	}
	return ""
}

// otlpSink is an OTLP/HTTP endpoint that keeps the JSON requests it gets.
type otlpSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []otlpJSON
}

func newOTLPSink(t *testing.T) *otlpSink {
	s := &otlpSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req otlpJSON
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.got = append(s.got, req)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// resource returns the newest batch's metrics and resource attributes of
// the process with pid.
func (s *otlpSink) resource(pid int) (map[string]otlpMetric, map[string]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.got) - 1; i >= 0; i-- {
		for _, rm := range s.got[i].ResourceMetrics {
			attrs := map[string]string{}
			for _, a := range rm.Resource.Attributes {
				attrs[a.Key] = a.str()
			}
			if attrs["process.pid"] != strconv.Itoa(pid) {
				continue
			}
			ms := map[string]otlpMetric{}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					ms[m.Name] = m
				}
			}
			return ms, attrs, true
		}
	}
	return nil, nil, false
}

func (m otlpMetric) intValue() int64 {
	if m.Sum == nil || len(m.Sum.DataPoints) == 0 || m.Sum.DataPoints[0].AsInt == nil {
		return -1
	}
	n, _ := strconv.ParseInt(*m.Sum.DataPoints[0].AsInt, 10, 64)
	return n
}

// collector is a running otelcol-gopulse.
type collector struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan error
	health string // base URL of the health check extension
	telem  string // the collector's own metrics
}

// startCollector runs the distribution with config (a YAML document whose
// HEALTH and TELEMETRY placeholders become free loopback addresses), wrapped
// by wrap (e.g. unshare) when given.
func startCollector(t *testing.T, config string, wrap ...string) *collector {
	t.Helper()
	bin := env(t, "GOPULSE_E2E_OTELCOL")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the gopulse receiver attaches uprobes and needs root on CI")
		}
		t.Skip("the gopulse receiver attaches uprobes and needs root")
	}
	health, telem := freeAddr(t), freeAddr(t)
	_, telemPort, _ := strings.Cut(telem, ":")
	config = strings.ReplaceAll(config, "HEALTH", health)
	config = strings.ReplaceAll(config, "TELEMETRY_PORT", telemPort)
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, wrap...), bin, "--config=file:"+file, "--feature-gates=extension.healthcheck.useComponentStatus")
	c := &collector{out: &lockedBuffer{}, exited: make(chan error, 1), health: "http://" + health, telem: "http://" + telem}
	c.cmd = exec.Command(args[0], args[1:]...)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
		}
		if t.Failed() {
			t.Logf("collector output:\n%s", c.out.String())
		}
	})
	return c
}

// status returns the component status of the receiver named id (e.g.
// "gopulse/targets") in the metrics pipeline, from the health check
// extension's /status?verbose.
func (c *collector) status(t *testing.T, id string) (string, string, error) {
	resp, err := http.Get(c.health + "/status?verbose")
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	type node struct {
		Status     string           `json:"status"`
		Error      string           `json:"error"`
		Components map[string]*node `json:"components"`
	}
	var root node
	if err := json.NewDecoder(resp.Body).Decode(&root); err != nil {
		return "", "", err
	}
	for name, pipe := range root.Components {
		if !strings.HasPrefix(name, "pipeline:metrics") {
			continue
		}
		if n, ok := pipe.Components["receiver:"+id]; ok {
			return n.Status, n.Error, nil
		}
	}
	return "", "", fmt.Errorf("no status for receiver %s", id)
}

// stop sends SIGTERM and waits for a clean exit.
func (c *collector) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exited:
		c.exited <- err
		if err != nil {
			t.Fatalf("the collector exited with %v after SIGTERM\n%s", err, c.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the collector did not stop within 30 s of SIGTERM\n%s", c.out.String())
	}
	if !strings.Contains(c.out.String(), "Shutdown complete") {
		t.Errorf("no clean shutdown in the log\n%s", c.out.String())
	}
}

// stopTarget is a Go program that stops collecting garbage on "stop" and
// prints its own GC count (receiver/gopulsereceiver/testdata/target).
type stopTarget struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startStopTarget(t *testing.T, env ...string) *stopTarget {
	t.Helper()
	bin := filepath.Join(t.TempDir(), uniq("gctarget"))
	build := exec.Command("go", "build", "-o", bin, "./testdata/target")
	build.Dir = "../receiver/gopulsereceiver"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build target: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &stopTarget{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
}

func (tg *stopTarget) stop(t *testing.T) int64 {
	t.Helper()
	io.WriteString(tg.stdin, "stop\n")
	if !tg.out.Scan() {
		t.Fatalf("target: %v", tg.out.Err())
	}
	f := strings.Fields(tg.out.Text())
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if len(f) != 2 || f[0] != "gc_cycles" || err != nil {
		t.Fatalf("target said %q", tg.out.Text())
	}
	return n
}

// TestCollectorGoodAndBadPIDs runs the distribution with one good pid (a Go
// program started before the collector), two bad ones (not Go, missing), a
// second gopulse receiver with a bad pid (the configuration whose start-up
// used to deadlock) and an OTLP receiver: the collector starts, serves the
// good target (go.memory.gc.cycles ends equal to its own count), reports the
// bad ones in the component status and its log, counts what it received in
// its own telemetry, and stops cleanly on SIGTERM.
func TestCollectorGoodAndBadPIDs(t *testing.T) {
	// A memory limit, so that go.memory.limit exists (semconv: "if a limit
	// exists"), and a GOGC other than the default.
	tg := startStopTarget(t, "GOMEMLIMIT=512MiB", "GOGC=150")
	notGo := exec.Command("sleep", "600")
	if err := notGo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { notGo.Process.Kill(); notGo.Wait() })
	time.Sleep(time.Second) // the target collects garbage before the collector attaches
	sink := newOTLPSink(t)
	good, bad := tg.cmd.Process.Pid, notGo.Process.Pid

	c := startCollector(t, fmt.Sprintf(`receivers:
  gopulse/targets:
    collection_interval: 500ms
    sample_interval: 250ms
    discover_all: false
    pids: [%d, %d, 4000000]
  gopulse/missing:
    discover_all: false
    pids: [4000001]
  otlp:
    protocols:
      grpc:
        endpoint: %s
exporters:
  otlphttp:
    endpoint: %s
    encoding: json
    compression: none
extensions:
  health_check:
    http:
      endpoint: HEALTH
      status:
        enabled: true
    component_health:
      include_permanent_errors: true
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: TELEMETRY_PORT
  pipelines:
    metrics:
      receivers: [gopulse/missing, gopulse/targets, otlp]
      exporters: [otlphttp]
`, good, bad, freeAddr(t), sink.srv.URL))

	eventually(t, 60*time.Second, "the collector ready", func() error {
		if !strings.Contains(c.out.String(), "Everything is ready") {
			return fmt.Errorf("not ready")
		}
		return nil
	})
	eventually(t, 60*time.Second, "the bad pids in the status", func() error {
		st, msg, err := c.status(t, "gopulse/targets")
		if err != nil {
			return err
		}
		if st != "StatusPermanentError" || !strings.Contains(msg, fmt.Sprintf("target pid %d", bad)) || !strings.Contains(msg, "target pid 4000000") {
			return fmt.Errorf("status %s: %s", st, msg)
		}
		if strings.Contains(msg, fmt.Sprintf("target pid %d:", good)) {
			return fmt.Errorf("the good pid is in the status: %s", msg)
		}
		return nil
	})
	if st, msg, err := c.status(t, "gopulse/missing"); err != nil || st != "StatusPermanentError" || !strings.Contains(msg, "4000001") {
		t.Errorf("gopulse/missing: %s %s %v", st, msg, err)
	}
	for _, pid := range []int{bad, 4000000} {
		if !collectorLogged(c.out.String(), "warn", "cannot watch a configured process", pid) {
			t.Errorf("no warning for pid %d", pid)
		}
	}

	// Every semconv Go runtime metric, with the pinned definitions' unit,
	// description and kind, as the distribution exports it.
	semconvVersion, semconv := pinnedSemconv(t)
	eventually(t, 60*time.Second, "the good target's metrics", func() error {
		ms, attrs, ok := sink.resource(good)
		if !ok {
			return fmt.Errorf("no metrics for pid %d yet", good)
		}
		for name, def := range semconv {
			m, ok := ms[name]
			if !ok {
				return fmt.Errorf("semconv %s metric %s missing", semconvVersion, name)
			}
			if p := semconvMismatch(m, def); p != "" {
				return fmt.Errorf("%s against semconv %s: %s", name, semconvVersion, p)
			}
		}
		if _, ok := ms["gopulse.go.stw.pause.duration"]; !ok {
			return fmt.Errorf("gopulse.go.stw.pause.duration missing")
		}
		if got := ms["go.memory.limit"].intValue(); got != 512<<20 {
			return fmt.Errorf("go.memory.limit %d, the target runs with GOMEMLIMIT=512MiB", got)
		}
		if got := ms["go.config.gogc"].intValue(); got != 150 {
			return fmt.Errorf("go.config.gogc %d, the target runs with GOGC=150", got)
		}
		for _, k := range []string{"service.name", "service.instance.id", "process.executable.name", "host.name", "process.runtime.version"} {
			if attrs[k] == "" {
				return fmt.Errorf("resource attribute %s missing", k)
			}
		}
		return nil
	})
	// Attaching is logged at info, with the service it was named.
	if !collectorLogged(c.out.String(), "info", "attached to process", good) {
		t.Errorf("no info line attaching to pid %d", good)
	}
	want := tg.stop(t)
	eventually(t, 30*time.Second, "go.memory.gc.cycles equal to the target's own count", func() error {
		ms, _, _ := sink.resource(good)
		if got := ms["go.memory.gc.cycles"].intValue(); got != want {
			return fmt.Errorf("go.memory.gc.cycles %d, the target's /gc/cycles/total:gc-cycles %d", got, want)
		}
		return nil
	})
	eventually(t, 30*time.Second, "otelcol_receiver_accepted_metric_points", func() error {
		resp, err := http.Get(c.telem + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "otelcol_receiver_accepted_metric_points") && strings.Contains(l, `receiver="gopulse/targets"`) {
				f := strings.Fields(l)
				if v, _ := strconv.ParseFloat(f[len(f)-1], 64); v > 0 {
					return nil
				}
			}
		}
		return fmt.Errorf("no accepted points of gopulse/targets")
	})
	c.stop(t)
	t.Logf("served pid %d, go.memory.gc.cycles = %d = its own count, %d semconv %s metrics as pinned; bad pids in the status",
		good, want, len(semconv), semconvVersion)
}

// collectorLogged says whether the collector's console log (zap's console
// encoding: time, level, caller, message, JSON fields) has a line at level
// with msg whose fields name pid.
func collectorLogged(out, level, msg string, pid int) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 4 || strings.ToLower(f[1]) != level {
			continue
		}
		if strings.Contains(l, msg) && strings.Contains(l, fmt.Sprintf(`"pid": %d`, pid)) {
			return true
		}
	}
	return false
}

// TestCollectorOutsideHostPIDNamespace runs the distribution in a PID
// namespace of its own (a container without hostPID): it says so in its
// status and log, and still serves what it reads from the target's runtime
// state.
func TestCollectorOutsideHostPIDNamespace(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare (util-linux) is needed: %v", err)
	}
	target := buildBinary(t, "./gctarget")
	sink := newOTLPSink(t)
	config := fmt.Sprintf(`receivers:
  gopulse:
    collection_interval: 500ms
    discover_all: true
exporters:
  otlphttp:
    endpoint: %s
    encoding: json
    compression: none
extensions:
  health_check:
    http:
      endpoint: HEALTH
      status:
        enabled: true
    component_health:
      include_permanent_errors: true
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [gopulse]
      exporters: [otlphttp]
`, sink.srv.URL)
	// The collector and the target in a new PID namespace (the network is
	// the host's, so the sink and the health check stay reachable).
	c := startCollector(t, config, "unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", target+` & exec "$@"`, "sh")
	eventually(t, 60*time.Second, "the PID namespace in the status", func() error {
		st, msg, err := c.status(t, "gopulse")
		if err != nil {
			return err
		}
		if st != "StatusPermanentError" || !strings.Contains(msg, "PID namespace") {
			return fmt.Errorf("status %s: %s", st, msg)
		}
		return nil
	})
	if !strings.Contains(c.out.String(), "hostPID") {
		t.Errorf("no warning naming hostPID in the log")
	}
	eventually(t, 60*time.Second, "goroutines of the target", func() error {
		s := sink
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, req := range s.got {
			for _, rm := range req.ResourceMetrics {
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						if m.Name == "go.goroutine.count" {
							return nil
						}
					}
				}
			}
		}
		return fmt.Errorf("no go.goroutine.count")
	})
}

// crashJava is a Java program that logs like an application with a logging
// framework and prints a real exception (with a cause) in between.
const crashJava = `import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

public class Crash {
    static String now() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS"));
    }
    public static void main(String[] args) {
        System.out.println(now() + " INFO  [main] shop.App: started in 2 s");
        try {
            place();
        } catch (Exception e) {
            System.out.println(now() + " ERROR [main] shop.App: order 42 failed");
            e.printStackTrace(System.out);
        }
        System.out.println(now() + " INFO  [main] shop.App: order 43 placed");
    }
    static void place() throws Exception {
        try {
            reserve();
        } catch (Exception e) {
            throw new IllegalStateException("inventory unavailable for sku-9", e);
        }
    }
    static void reserve() throws Exception {
        throw new java.net.SocketTimeoutException("Read timed out");
    }
}
`

// TestCollectorLogsToLoki runs filelog → the gopulse log processor →
// OTLP/HTTP → the real Loki: JSON lines arrive with their parsed fields as
// structured metadata (and the template), and a real Java stack trace
// arrives as one record.
func TestCollectorLogsToLoki(t *testing.T) {
	lokiURL := env(t, "GOPULSE_E2E_LOKI_URL")
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("java is needed for a real stack trace (scripts/test.sh installs default-jdk-headless): %v", err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "Crash.java")
	os.WriteFile(src, []byte(crashJava), 0o644)
	trace, err := exec.Command(java, src).Output()
	if err != nil {
		t.Fatalf("run Crash.java: %v", err)
	}
	if !strings.Contains(string(trace), "Caused by: java.net.SocketTimeoutException") {
		t.Fatalf("unexpected Java output:\n%s", trace)
	}
	shop := filepath.Join(dir, "shop.log")
	os.WriteFile(shop, trace, 0o644)
	var app strings.Builder
	t0 := time.Now().UTC().Add(-time.Minute)
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&app, `{"time":%q,"level":"info","msg":"order %d shipped","status":%d,"latency_ms":%d.5}`+"\n",
			t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), i, 200+i%2, i)
	}
	appLog := filepath.Join(dir, "app.log")
	os.WriteFile(appLog, []byte(app.String()), 0o644)
	service := uniq("e2e-otelcol-logs")

	c := startCollector(t, fmt.Sprintf(`receivers:
  filelog:
    include: [%s, %s]
    start_at: beginning
    include_file_path: true
    poll_interval: 100ms
    # filelog trims leading whitespace by default, and with it the
    # indentation that marks a stack frame as a continuation.
    preserve_leading_whitespaces: true
    resource:
      service.name: %s
processors:
  gopulselog: {}
  batch:
    timeout: 200ms
exporters:
  otlphttp:
    endpoint: %s/otlp
extensions:
  health_check:
    http:
      endpoint: HEALTH
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [filelog]
      processors: [gopulselog, batch]
      exporters: [otlphttp]
`, shop, appLog, service, lokiURL))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	from := time.Now().Add(-time.Hour).UnixNano()
	to := time.Now().Add(time.Hour).UnixNano()
	var entries []lokiEntry
	eventually(t, 90*time.Second, "every record in Loki", func() error {
		entries = entries[:0]
		err := queryLoki(ctx, lokiURL, fmt.Sprintf(`{service_name=%q}`, service), from, to, func(e lokiEntry) { entries = append(entries, e) })
		if err != nil {
			return err
		}
		if len(entries) < 23 {
			return fmt.Errorf("%d records in Loki, want 23", len(entries))
		}
		return nil
	})
	if len(entries) != 23 {
		for _, e := range entries {
			t.Logf("%q %v", e.Line, e.Metadata)
		}
		t.Fatalf("%d records in Loki, want 20 JSON lines and 3 shop records (the trace as one)", len(entries))
	}
	// Loki names structured metadata after the attributes, dots as underscores.
	meta := func(e lokiEntry, k string) string {
		if v, ok := e.Metadata[k]; ok {
			return v
		}
		return e.Metadata[strings.ReplaceAll(k, ".", "_")]
	}
	var traces, jsons int
	for _, e := range entries {
		switch {
		case strings.Contains(e.Line, "order 42 failed"):
			traces++
			if !strings.Contains(e.Line, "\tat Crash.place") || !strings.Contains(e.Line, "Caused by: java.net.SocketTimeoutException") {
				t.Errorf("the trace is not one record:\n%s", e.Line)
			}
			if n := strings.Count(string(trace), "\n") - 2; meta(e, "gopulse.log.lines") != strconv.Itoa(n) {
				t.Errorf("gopulse.log.lines %q, the trace has %d lines (metadata %v)", meta(e, "gopulse.log.lines"), n, e.Metadata)
			}
		case strings.HasPrefix(e.Line, "{"):
			jsons++
			if meta(e, "status") == "" || meta(e, "latency_ms") == "" || meta(e, "gopulse.log.format") != "json" ||
				meta(e, "gopulse.log.template.id") == "" || !strings.Contains(meta(e, "gopulse.log.template"), "shipped") {
				t.Errorf("parsed fields missing from the structured metadata: %v", e.Metadata)
			}
		case strings.Contains(e.Line, "\tat "):
			t.Errorf("a stack frame arrived on its own: %q", e.Line)
		}
	}
	if traces != 1 || jsons != 20 {
		t.Errorf("%d trace records, %d JSON records", traces, jsons)
	}
	c.stop(t)
}

// TestCollectorPrometheusSeparatesProcesses: two processes of one
// executable, through the distribution's Prometheus exporter, are two
// series (service.instance.id becomes the instance label), named after the
// service (the job label), with the semantic-convention names.
func TestCollectorPrometheusSeparatesProcesses(t *testing.T) {
	target := buildBinary(t, "./gctarget")
	var pids []int
	for i := 0; i < 2; i++ {
		cmd := exec.Command(target)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		pids = append(pids, cmd.Process.Pid)
	}
	prom := freeAddr(t)
	c := startCollector(t, fmt.Sprintf(`receivers:
  gopulse:
    collection_interval: 500ms
    discover_all: false
    pids: [%d, %d]
exporters:
  prometheus:
    endpoint: %s
extensions:
  health_check:
    http:
      endpoint: HEALTH
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [gopulse]
      exporters: [prometheus]
`, pids[0], pids[1], prom))
	service := filepath.Base(target)
	eventually(t, 60*time.Second, "one go_memory_gc_cycles_total series per process", func() error {
		resp, err := http.Get("http://" + prom + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		instances := map[string]bool{}
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "go_memory_gc_cycles_total{") {
				continue
			}
			if !strings.Contains(l, `job="`+service+`"`) {
				return fmt.Errorf("series without job=%q: %s", service, l)
			}
			if i := strings.Index(l, `instance="`); i >= 0 {
				instances[l[i:strings.IndexByte(l[i+10:], '"')+i+10]] = true
			}
		}
		if len(instances) != 2 {
			return fmt.Errorf("%d instances of go_memory_gc_cycles_total, want 2:\n%s", len(instances), b)
		}
		return nil
	})
	c.stop(t)
}
