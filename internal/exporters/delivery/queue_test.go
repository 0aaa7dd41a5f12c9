package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func testConfig(t *testing.T, urls ...string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name = "test"
	cfg.Dir = t.TempDir()
	for _, u := range urls {
		cfg.Endpoints = append(cfg.Endpoints, Endpoint{URL: u})
	}
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.Retry.InitialBackoff = 20 * time.Millisecond
	cfg.Retry.MaxBackoff = 200 * time.Millisecond
	cfg.Breaker.OpenTimeout = 100 * time.Millisecond
	cfg.Breaker.MaxOpenTimeout = 400 * time.Millisecond
	cfg.HealthInterval = 50 * time.Millisecond
	return cfg
}

// recorder is a backend whose behaviour each test scripts.
type recorder struct {
	mu     sync.Mutex
	bodies []string
	times  []time.Time
	handle func(n int, w http.ResponseWriter, r *http.Request) bool // true: accepted
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.times)
	rc.times = append(rc.times, time.Now())
	h := rc.handle
	rc.mu.Unlock()
	if h != nil && !h(n, w, r) {
		return
	}
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, string(body))
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (rc *recorder) accepted() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...)
}

func (rc *recorder) requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.times)
}

type harness struct {
	t      *testing.T
	q      *Queue
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
	logs   *logCapture
}

func start(t *testing.T, cfg Config, deps Deps) *harness {
	t.Helper()
	h := &harness{t: t, reg: prometheus.NewPedanticRegistry(), logs: &logCapture{}}
	deps.Registerer = h.reg
	deps.Logger = slog.New(h.logs)
	if deps.HTTP.Timeout == 0 {
		deps.HTTP.Timeout = 2 * time.Second
	}
	q, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	h.q = q
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- q.Run(ctx) }()
	t.Cleanup(func() { h.stop() })
	return h
}

// stop ends Run and closes the queue (idempotent).
func (h *harness) stop() {
	h.cancel()
	if h.done != nil {
		if err := <-h.done; err != nil {
			h.t.Errorf("run: %v", err)
		}
		h.done = nil
	}
	if err := h.q.Close(); err != nil {
		h.t.Errorf("close: %v", err)
	}
}

func (h *harness) enqueue(bodies ...string) {
	h.t.Helper()
	for _, b := range bodies {
		if err := h.q.Enqueue(context.Background(), []byte(b), 1); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) metric(name string, labels ...string) float64 {
	return metricValue(h.t, h.reg, name, labels...)
}

func metricValue(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		sb.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	l.mu.Lock()
	l.msgs = append(l.msgs, sb.String())
	l.mu.Unlock()
	return nil
}
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCapture) WithGroup(string) slog.Handler      { return l }
func (l *logCapture) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

func bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

func TestDeliversEverythingInOrderOfLog(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	h := start(t, testConfig(t, srv.URL), Deps{ProtocolHeaders: map[string]string{"Content-Type": "application/x-test"}})
	want := bodies("ok", 200)
	h.enqueue(want...)
	waitFor(t, "delivery", 10*time.Second, func() bool { return len(rc.accepted()) == len(want) })
	got := map[string]bool{}
	for _, b := range rc.accepted() {
		got[b] = true
	}
	for _, b := range want {
		if !got[b] {
			t.Fatalf("missing %s", b)
		}
	}
	waitFor(t, "sent metric", time.Second, func() bool {
		return h.metric("gopulse_exporter_sent_total", "exporter", "test") == 200
	})
	waitFor(t, "segments reclaimed", 2*time.Second, func() bool { s := h.q.Stats(); return s.Committed == s.End })
}

func TestClientErrorIsDroppedCountedAndLoggedOnce(t *testing.T) {
	rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		http.Error(w, "bad labels", http.StatusBadRequest)
		return false
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	h := start(t, testConfig(t, srv.URL), Deps{})
	h.enqueue(bodies("bad", 5)...)
	waitFor(t, "drops", 5*time.Second, func() bool {
		return h.metric("gopulse_exporter_dropped_total", "reason", "status_400") == 5
	})
	if n := rc.requests(); n != 5 {
		t.Errorf("a 400 must not be retried: %d requests for 5 payloads", n)
	}
	if n := h.logs.count("backend rejected"); n != 1 {
		t.Errorf("logged %d times, want once per kind", n)
	}
	if h.metric("gopulse_exporter_endpoint_up", "endpoint", srv.URL) != 1 {
		t.Error("a 400 must not mark the endpoint down")
	}
}

func TestTooManyRequestsHonoursRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdr  func() string
	}{
		{"seconds", func() string { return "1" }},
		{"http-date", func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recorder{}
			rc.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					w.Header().Set("Retry-After", tc.hdr())
					http.Error(w, "slow down", http.StatusTooManyRequests)
					return false
				}
				return true
			}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			h := start(t, testConfig(t, srv.URL), Deps{})
			h.enqueue("a")
			waitFor(t, "delivery", 5*time.Second, func() bool { return len(rc.accepted()) == 1 })
			rc.mu.Lock()
			gap := rc.times[1].Sub(rc.times[0])
			rc.mu.Unlock()
			// HTTP-dates have one-second resolution.
			if gap < 900*time.Millisecond {
				t.Errorf("retried after %v, before Retry-After", gap)
			}
			if v := h.metric("gopulse_exporter_failed_total", "reason", "status_429"); v != 1 {
				t.Errorf("failed{status_429} = %v", v)
			}
		})
	}
}

func TestServerErrorsRetriedWithBackoffNoBusyLoop(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		if fail.Load() {
			http.Error(w, "boom", http.StatusInternalServerError)
			return false
		}
		return true
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	h := start(t, testConfig(t, srv.URL), Deps{})
	h.enqueue(bodies("x", 20)...)
	// The breaker opens after 5 failures (however slowly a loaded machine
	// gets there).
	waitFor(t, "breaker open", 10*time.Second, func() bool {
		return h.metric("gopulse_exporter_endpoint_up", "endpoint", srv.URL) == 0
	})
	// With 20 ms initial backoff doubling to 200 ms and the breaker open,
	// one second allows a few dozen attempts at most, not thousands.
	n0 := rc.requests()
	time.Sleep(time.Second)
	if n := rc.requests() - n0; n > 40 {
		t.Fatalf("%d requests in 1s against a failing backend", n)
	}
	if h.metric("gopulse_exporter_failed_total", "reason", "status_5xx") == 0 {
		t.Error("failures not counted")
	}
	fail.Store(false)
	waitFor(t, "delivery after recovery", 10*time.Second, func() bool { return len(rc.accepted()) == 20 })
	if h.metric("gopulse_exporter_dropped_total", "reason", "status_5xx") != 0 {
		t.Error("5xx must not drop")
	}
}

func TestSlowGarbageAndResetResponsesAreRetried(t *testing.T) {
	rc := &recorder{}
	rc.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
		switch n {
		case 0: // slower than the client timeout
			time.Sleep(400 * time.Millisecond)
			return true
		case 1: // connection reset
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return false
		case 2: // not HTTP at all
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				buf.WriteString("\x00\x01garbage\r\n\r\n")
				buf.Flush()
				conn.Close()
			}
			return false
		case 3: // a 503 with a binary body
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write(bytes.Repeat([]byte{0xff, 0x00}, 4096))
			return false
		}
		return true
	}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	cfg.Concurrency.Max = 1
	h := start(t, cfg, Deps{HTTP: HTTPConfig{Timeout: 150 * time.Millisecond}})
	h.enqueue("payload")
	waitFor(t, "delivery", 10*time.Second, func() bool { return len(rc.accepted()) >= 1 })
	if got := rc.accepted(); got[len(got)-1] != "payload" {
		t.Fatalf("got %q", got)
	}
	if v := h.metric("gopulse_exporter_failed_total", "reason", "network"); v < 3 {
		t.Errorf("failed{network} = %v, want >= 3 (timeout, reset, garbage)", v)
	}
	if v := h.metric("gopulse_exporter_failed_total", "reason", "status_5xx"); v != 1 {
		t.Errorf("failed{status_5xx} = %v", v)
	}
}

func TestGarbageBodyWithSuccessStatusIsDelivered(t *testing.T) {
	rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusOK)
		w.Write(bytes.Repeat([]byte("\xde\xad"), 100000))
		return false
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	h := start(t, testConfig(t, srv.URL), Deps{})
	h.enqueue("a", "b")
	waitFor(t, "delivery", 5*time.Second, func() bool {
		return h.metric("gopulse_exporter_sent_total") == 2
	})
	if rc.requests() != 2 {
		t.Errorf("%d requests", rc.requests())
	}
}

func TestSurvivesRestart(t *testing.T) {
	var up atomic.Bool
	rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return false
		}
		return true
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	h := start(t, cfg, Deps{})
	want := bodies("persist", 50)
	h.enqueue(want...)
	time.Sleep(100 * time.Millisecond)
	h.stop()
	if len(rc.accepted()) != 0 {
		t.Fatal("nothing should have been delivered")
	}
	up.Store(true)
	h2 := start(t, cfg, Deps{})
	waitFor(t, "redelivery", 10*time.Second, func() bool { return len(rc.accepted()) == 50 })
	waitFor(t, "acks", 2*time.Second, func() bool { s := h2.q.Stats(); return s.Committed == s.End })
	h2.stop()
	// A third start has nothing to send.
	h3 := start(t, cfg, Deps{})
	time.Sleep(100 * time.Millisecond)
	h3.stop()
	if n := len(rc.accepted()); n != 50 {
		t.Fatalf("%d deliveries, want 50 (no duplicates after a clean restart)", n)
	}
}

func TestTornTailSkippedAndCounted(t *testing.T) {
	var up atomic.Bool
	rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return false
		}
		return true
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	h := start(t, cfg, Deps{})
	h.enqueue(bodies("t", 10)...)
	h.stop()

	// A record cut short by a crash: a header promising more than is there.
	segs, _ := filepath.Glob(filepath.Join(cfg.Dir, "*.wal"))
	last := segs[len(segs)-1]
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	partial := appendFrame(nil, []byte("this record was torn by a crash"), 1)
	f.Write(partial[:len(partial)-7])
	f.Close()

	up.Store(true)
	h2 := start(t, cfg, Deps{})
	waitFor(t, "delivery", 10*time.Second, func() bool { return len(rc.accepted()) == 10 })
	if v := h2.metric("gopulse_exporter_queue_errors_total", "kind", "torn_tail"); v != 1 {
		t.Errorf("torn_tail = %v", v)
	}
	h2.enqueue("after")
	waitFor(t, "append after truncation", 5*time.Second, func() bool { return len(rc.accepted()) == 11 })
}

func TestCorruptRecordDetectedByCRC(t *testing.T) {
	dir := t.TempDir()
	w, _, err := openWAL(dir, 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	var frames []byte
	var metas []recMeta
	for _, p := range []string{"one", "two", "three"} {
		frames = appendFrame(frames, []byte(p), 1)
		metas = append(metas, recMeta{n: uint32(len(p)), items: 1})
	}
	if _, err := w.write(frames, metas); err != nil {
		t.Fatal(err)
	}
	w.close()
	// Flip one payload byte of "two".
	path := filepath.Join(dir, segName(0))
	raw, _ := os.ReadFile(path)
	raw[frameHeader+3+frameHeader] ^= 0xff
	os.WriteFile(path, raw, 0o640)

	w, st, err := openWAL(dir, 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if st.tornTail != 1 {
		t.Fatalf("stats %+v", st)
	}
	if n := len(w.active().recs); n != 1 {
		t.Fatalf("%d records survive, want 1", n)
	}
}

// A crash (no Close) after some deliveries: only records never acknowledged
// are sent again.
func TestCrashRedeliversOnlyUnacknowledged(t *testing.T) {
	var hang atomic.Bool
	release := make(chan struct{})
	rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		if hang.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return false
		}
		return true
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	defer close(release)
	cfg := testConfig(t, srv.URL)
	cfg.Fsync = FsyncAlways

	reg := prometheus.NewRegistry()
	q, err := New(cfg, Deps{Registerer: reg, HTTP: HTTPConfig{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	q.stopWait = 50 * time.Millisecond // a kill waits for nothing: the hanging push is cut short
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	for _, b := range bodies("acked", 30) {
		q.Enqueue(ctx, []byte(b), 1)
	}
	waitFor(t, "first deliveries", 5*time.Second, func() bool { return len(rc.accepted()) == 30 })
	hang.Store(true)
	for _, b := range bodies("lost", 3) {
		q.Enqueue(ctx, []byte(b), 1)
	}
	waitFor(t, "in flight", 5*time.Second, func() bool { return rc.requests() >= 31 })
	// Simulate kill -9: the files stay as they are; nothing is closed or
	// flushed. (The process-level test lives in the e2e suite.)
	snapshot := t.TempDir()
	copyDir(t, cfg.Dir, snapshot)
	cancel()
	<-done
	q.Close()

	hang.Store(false)
	cfg.Dir = snapshot
	h := start(t, cfg, Deps{})
	waitFor(t, "redelivery", 5*time.Second, func() bool { return len(rc.accepted()) == 33 })
	time.Sleep(100 * time.Millisecond)
	got := rc.accepted()
	if len(got) != 33 {
		t.Fatalf("%d deliveries, want 33", len(got))
	}
	for _, b := range got[30:] {
		if !strings.HasPrefix(b, "lost-") {
			t.Errorf("redelivered %q, which was acknowledged", b)
		}
	}
	_ = h
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func TestQueueCapDropsOldestAndCounts(t *testing.T) {
	var up atomic.Bool
	rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		if !up.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return false
		}
		return true
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	cfg.MaxQueueBytes = 64 << 10
	cfg.SegmentBytes = 8 << 10
	cfg.MaxRecordBytes = 4 << 10
	cfg.MemoryBytes = 2 << 10
	h := start(t, cfg, Deps{})
	payload := strings.Repeat("p", 500)
	const total = 1000 // ~500 KB through a 64 KB queue
	for i := 0; i < total; i++ {
		h.enqueue(payload + strconv.Itoa(i))
		if s := h.q.Stats(); s.DiskBytes > cfg.MaxQueueBytes {
			t.Fatalf("disk queue %d > cap %d", s.DiskBytes, cfg.MaxQueueBytes)
		}
	}
	if err := h.q.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	dropped := h.metric("gopulse_exporter_dropped_total", "reason", "queue_full")
	if dropped == 0 {
		t.Fatal("nothing counted as dropped")
	}
	if qb := h.metric("gopulse_exporter_queue_bytes"); qb > float64(cfg.MaxQueueBytes) || qb == 0 {
		t.Errorf("queue_bytes = %v", qb)
	}
	up.Store(true)
	waitFor(t, "all accounted for", 20*time.Second, func() bool {
		return h.metric("gopulse_exporter_sent_total")+h.metric("gopulse_exporter_dropped_total", "reason", "queue_full") == total
	})
	// The newest payload survived: drop-oldest.
	found := false
	for _, b := range rc.accepted() {
		if b == payload+strconv.Itoa(total-1) {
			found = true
		}
	}
	if !found {
		t.Error("newest payload was not delivered")
	}
}

func TestFailoverAndFailBack(t *testing.T) {
	var primaryUp atomic.Bool
	primaryUp.Store(true)
	primary := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
		if !primaryUp.Load() {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return false
		}
		return true
	}}
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			if primaryUp.Load() {
				w.WriteHeader(http.StatusOK)
			} else {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		primary.ServeHTTP(w, r)
	}))
	defer ps.Close()
	secondary := &recorder{}
	ss := httptest.NewServer(secondary)
	defer ss.Close()

	cfg := testConfig(t)
	cfg.Endpoints = []Endpoint{{URL: ps.URL + "/push", HealthURL: ps.URL + "/ready"}, {URL: ss.URL + "/push"}}
	cfg.Breaker.OpenTimeout = 2 * time.Second // fail-back must come from the health check
	cfg.Breaker.MaxOpenTimeout = 2 * time.Second
	h := start(t, cfg, Deps{})

	h.enqueue(bodies("a", 10)...)
	waitFor(t, "primary", 5*time.Second, func() bool { return len(primary.accepted()) == 10 })
	if len(secondary.accepted()) != 0 {
		t.Fatal("secondary used while primary healthy")
	}

	primaryUp.Store(false)
	h.enqueue(bodies("b", 10)...)
	waitFor(t, "failover", 10*time.Second, func() bool { return len(secondary.accepted()) == 10 })
	if h.metric("gopulse_exporter_endpoint_up", "endpoint", ps.URL+"/push") != 0 {
		t.Error("primary should be marked down")
	}

	primaryUp.Store(true)
	waitFor(t, "fail-back", 5*time.Second, func() bool {
		return h.metric("gopulse_exporter_endpoint_up", "endpoint", ps.URL+"/push") == 1
	})
	h.enqueue(bodies("c", 10)...)
	waitFor(t, "primary again", 5*time.Second, func() bool { return len(primary.accepted()) == 20 })
	if n := len(secondary.accepted()); n != 10 {
		t.Errorf("secondary got %d after fail-back, want 10", n)
	}
}

func TestAIMDEasesOffOnThrottling(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1")
	cfg.Concurrency = ConcurrencyConfig{Min: 1, Max: 16, LatencyTarget: 100 * time.Millisecond, Backoff: 0.5}
	es := newEndpointState(cfg.Endpoints[0], 0, &cfg)
	for i := 0; i < 200; i++ {
		es.acquire()
		es.success(time.Millisecond, &cfg)
	}
	if es.limit < 15 {
		t.Fatalf("limit %v after 200 fast successes", es.limit)
	}
	es.acquire()
	es.failure(time.Now(), outcome{retry: true, throttled: true}, &cfg)
	if es.limit > 8.01 {
		t.Fatalf("limit %v after a 429, want halved", es.limit)
	}
	if es.state != stateClosed {
		t.Fatal("a 429 must not open the breaker")
	}
	es.acquire()
	es.success(time.Second, &cfg)
	if es.limit > 4.01 {
		t.Fatalf("limit %v after a slow response", es.limit)
	}
}

func TestTLSAndAuth(t *testing.T) {
	var gotAuth atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("X-Scope-OrgID"))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeCertPEM(t, ca, srv.Certificate().Raw)

	tr, err := NewHTTPTransport(HTTPConfig{
		Timeout: time.Second, TLS: TLSConfig{CAFile: ca, ServerName: "example.com"},
		BearerToken: "s3cret", Headers: map[string]string{"X-Scope-OrgID": "tenant"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(context.Background(), Endpoint{URL: srv.URL}, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := gotAuth.Load(); got != "Bearer s3cret|tenant" {
		t.Errorf("headers %q", got)
	}
	// Without the CA the certificate is refused.
	tr2, _ := NewHTTPTransport(HTTPConfig{Timeout: time.Second}, nil)
	if err := tr2.Send(context.Background(), Endpoint{URL: srv.URL}, []byte("x")); err == nil {
		t.Error("untrusted certificate accepted")
	}
}

func TestValidateJoinsAllProblems(t *testing.T) {
	cfg := Config{Fsync: "sometimes", Endpoints: []Endpoint{{URL: "ftp://x"}}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"name is empty", "dir is empty", "scheme \"ftp\"", "fsync \"sometimes\"", "concurrency"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	good := testConfig(t, "http://127.0.0.1:9")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	hc := HTTPConfig{Timeout: 0, TLS: TLSConfig{CertFile: "x"}, Username: "u", BearerToken: "t"}
	if err := hc.Validate(); err == nil || !strings.Contains(err.Error(), "exclusive") || !strings.Contains(err.Error(), "key_file") {
		t.Errorf("http validate: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"-1":                            0,
		"junk":                          0,
		"Thu, 01 Jan 2026 00:00:10 GMT": 10 * time.Second,
		"Wed, 31 Dec 2025 23:00:00 GMT": 0,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err    error
		retry  bool
		reason string
	}{
		{&StatusError{Code: 429}, true, "status_429"},
		{&StatusError{Code: 503}, true, "status_5xx"},
		{&StatusError{Code: 404}, false, "status_404"},
		{&PermanentError{Kind: "encode", Err: errors.New("x")}, false, "encode"},
		{fmt.Errorf("post: %w", io.ErrUnexpectedEOF), true, "network"},
	} {
		o := classify(tc.err)
		if o.retry != tc.retry || o.reason != tc.reason {
			t.Errorf("classify(%v) = %+v", tc.err, o)
		}
	}
}

func TestCloseTwiceAndEnqueueAfterClose(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:9")
	q, err := New(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(context.Background(), []byte("x"), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after close: %v", err)
	}
	if err := q.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("run after close: %v", err)
	}
}

func TestOrderedKeepsLogOrderAcrossRetries(t *testing.T) {
	rc := &recorder{}
	rc.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n%3 == 1 { // every third request fails once
			http.Error(w, "flaky", http.StatusServiceUnavailable)
			return false
		}
		return true
	}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	cfg := testConfig(t, srv.URL)
	cfg.Ordered = true
	cfg.Breaker.FailureThreshold = 100
	h := start(t, cfg, Deps{})
	want := bodies("o", 30)
	h.enqueue(want...)
	waitFor(t, "delivery", 20*time.Second, func() bool { return len(rc.accepted()) == len(want) })
	got := rc.accepted()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("position %d: got %s, want %s", i, got[i], want[i])
		}
	}
	if h.metric("gopulse_exporter_failed_total", "reason", "status_5xx") == 0 {
		t.Fatal("no failure happened; the test proves nothing")
	}
}

// The backend process goes away entirely (connection refused) while
// payloads keep coming, then comes back on the same address.
func TestBackendDownAndBackLosesNothing(t *testing.T) {
	rc := &recorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{Handler: rc}
	go srv.Serve(ln)

	cfg := testConfig(t, "http://"+addr+"/push")
	cfg.MaxQueueBytes = 4 << 20
	cfg.SegmentBytes = 256 << 10
	cfg.MaxRecordBytes = 64 << 10
	h := start(t, cfg, Deps{})
	const total = 3000
	stop := make(chan struct{})
	var restarted *http.Server
	go func() {
		defer close(stop)
		time.Sleep(150 * time.Millisecond)
		srv.Close() // outage
		time.Sleep(time.Second)
		ln2, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("relisten: %v", err)
			return
		}
		restarted = &http.Server{Handler: rc}
		go restarted.Serve(ln2)
	}()
	for i := 0; i < total; i++ { // ~6k payloads/s for 0.5 s, then the rest
		h.enqueue(fmt.Sprintf("line-%05d", i))
		if i%30 == 29 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	<-stop
	if restarted == nil {
		t.FailNow()
	}
	defer restarted.Close()
	waitFor(t, "everything delivered", 20*time.Second, func() bool {
		seen := map[string]bool{}
		for _, b := range rc.accepted() {
			seen[b] = true
		}
		return len(seen) == total
	})
	if v := h.metric("gopulse_exporter_failed_total", "reason", "network"); v == 0 {
		t.Error("the outage was not noticed")
	}
	if v := h.metric("gopulse_exporter_dropped_total", "reason", "queue_full"); v != 0 {
		t.Errorf("dropped %v within the cap", v)
	}
	if dup := len(rc.accepted()) - total; dup > cfg.Concurrency.Max {
		t.Errorf("%d duplicates", dup)
	}
}

func TestBackpressureIsVisible(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:9")
	cfg.MemoryBytes = 1 << 10
	reg := prometheus.NewPedanticRegistry()
	q, err := New(cfg, Deps{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	payload := bytes.Repeat([]byte("b"), 300)
	for i := 0; i < 50; i++ { // no Run: every full batch is written by the caller
		if err := q.Enqueue(context.Background(), payload, 1); err != nil {
			t.Fatal(err)
		}
	}
	if v := metricValue(t, reg, "gopulse_exporter_enqueue_blocked_seconds_total"); v <= 0 {
		t.Errorf("blocked seconds = %v", v)
	}
	if v := metricValue(t, reg, "gopulse_exporter_queue_bytes"); v < 40*300 {
		t.Errorf("queue_bytes = %v", v)
	}
	if v := metricValue(t, reg, "gopulse_exporter_queue_memory_bytes"); v <= 0 || v > float64(cfg.MemoryBytes) {
		t.Errorf("memory bytes = %v", v)
	}
}

// A stop while a push is in flight: the push is let finish (the backend
// takes it, slowly) and acknowledged, so the next run does not send it
// again. Before, the stop cancelled it at once and the next run sent it a
// second time although the backend had it: a batch duplicated per reload
// of the agent. A backend that does not answer within the queue's stop
// wait gets the push again from the next run.
func TestStopLetsTheSendInFlightFinish(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration // the backend's answer time
		want  int           // deliveries of the record, over both runs
	}{
		{"answered within the stop wait", 200 * time.Millisecond, 1},
		{"not answered within the stop wait", 2 * time.Second, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var slow atomic.Bool
			slow.Store(true)
			arrived := make(chan struct{}, 4)
			rc := &recorder{handle: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if slow.Load() {
					arrived <- struct{}{}
					time.Sleep(tc.delay) // the backend has the push, whatever the client does
				}
				return true
			}}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			cfg := testConfig(t, srv.URL)
			h := start(t, cfg, Deps{HTTP: HTTPConfig{Timeout: 10 * time.Second}})
			h.q.stopWait = 500 * time.Millisecond
			h.enqueue("only")
			<-arrived
			t0 := time.Now()
			h.stop()
			if took := time.Since(t0); took > min(tc.delay, h.q.stopWait)+time.Second {
				t.Errorf("the stop took %s (backend %s, stop wait %s)", took, tc.delay, h.q.stopWait)
			}
			slow.Store(false)
			h2 := start(t, cfg, Deps{})
			waitFor(t, "nothing left to send", 5*time.Second, func() bool {
				s := h2.q.Stats()
				return s.Pending == 0 && s.Committed >= s.End
			})
			time.Sleep(tc.delay) // the first push's late acceptance
			if got := len(rc.accepted()); got != tc.want {
				t.Fatalf("the record was accepted %d times, want %d", got, tc.want)
			}
		})
	}
}
