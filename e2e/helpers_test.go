//go:build e2e

// Package e2e holds end-to-end tests against real Prometheus, Loki and
// Jaeger servers that scripts/e2e.sh installs, starts on 127.0.0.1 and
// describes in GOPULSE_E2E_* variables (see scripts/backends.sh env).
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gopulse/gopulse/internal/exporters/delivery"
)

// env returns a GOPULSE_E2E_* variable; without it the test is skipped, or
// fails on CI (where scripts/e2e.sh must have set it).
func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: run the e2e tests with scripts/e2e.sh", name)
		}
		t.Skipf("%s is not set: run the e2e tests with scripts/e2e.sh (make e2e)", name)
	}
	return v
}

// backends runs scripts/backends.sh CMD NAME (e.g. stop loki).
func backends(t *testing.T, extraEnv []string, args ...string) {
	t.Helper()
	script := env(t, "GOPULSE_E2E_BACKENDS")
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	out, err := cmd.CombinedOutput()
	t.Logf("backends.sh %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("backends.sh %s: %v", strings.Join(args, " "), err)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// queueOpts tunes a test queue.
type queueOpts struct {
	name      string
	endpoints []delivery.Endpoint
	dir       string
	transport delivery.Transport
	headers   map[string]string
	maxBytes  int64
	reg       *prometheus.Registry
	// ordered: one request in flight, in log order (what the agent uses
	// for Loki, whose streams must arrive in order).
	ordered bool
}

// startQueue opens and runs a delivery queue; it is closed at cleanup.
func startQueue(t *testing.T, o queueOpts) *delivery.Queue {
	t.Helper()
	cfg := delivery.DefaultConfig()
	cfg.Name = o.name
	cfg.Endpoints = o.endpoints
	cfg.Ordered = o.ordered
	cfg.Dir = o.dir
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if o.maxBytes > 0 {
		cfg.MaxQueueBytes = o.maxBytes
		cfg.SegmentBytes = o.maxBytes / 8
		cfg.MaxRecordBytes = int(o.maxBytes / 4)
	}
	cfg.Retry.MaxBackoff = 2 * time.Second
	cfg.Breaker.MaxOpenTimeout = 2 * time.Second
	cfg.HealthInterval = 500 * time.Millisecond
	if o.reg == nil {
		o.reg = prometheus.NewRegistry()
	}
	q, err := delivery.New(cfg, delivery.Deps{
		Logger: testLogger(t), Registerer: o.reg, Transport: o.transport,
		HTTP: delivery.HTTPConfig{Timeout: 10 * time.Second}, ProtocolHeaders: o.headers,
	})
	if err != nil {
		t.Fatalf("delivery.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		q.Close()
	})
	return q
}

// waitDrained waits until q has delivered everything it holds.
func waitDrained(t *testing.T, q *delivery.Queue, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if err := q.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
		st := q.Stats()
		if st.Pending == 0 && st.Committed >= st.End {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("queue not drained after %s: %+v", timeout, st)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// counter sums a counter family in reg with the given label values.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if matches(m, labels) {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

func matches(m *dto.Metric, labels map[string]string) bool {
	for k, v := range labels {
		ok := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k && lp.GetValue() == v {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// getJSON GETs base+path?query and decodes the JSON answer into v.
func getJSON(ctx context.Context, base, path string, q url.Values, hdr map[string]string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %d: %.300s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, v)
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %s: %v", what, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// uniq returns a name unique to this run, for labels and service names.
func uniq(prefix string) string {
	return prefix + "-" + strconv.FormatInt(time.Now().UnixNano()%1e10, 36)
}

// buildBinary builds a main package of this module into a temp dir.
func buildBinary(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-tags", "e2e", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}
