package failover

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gopulse/gopulse/internal/health"
)

// verdicts is a settable engine.
type verdicts struct {
	mu  sync.Mutex
	sts []health.Status
}

func (v *verdicts) Snapshot() []health.Status {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]health.Status(nil), v.sts...)
}

func (v *verdicts) set(sts ...health.Status) {
	v.mu.Lock()
	v.sts = sts
	v.mu.Unlock()
}

func st(pid int, s health.State, drained bool, reasons ...string) health.Status {
	out := health.Status{PID: pid, Exe: "/srv/api", Service: "api", State: s, Drained: drained, Measured: 5}
	if s == health.Unknown {
		out.Measured = 1
	}
	for _, r := range reasons {
		out.Reasons = append(out.Reasons, health.Reason{Signal: r, State: health.Unhealthy, Detail: r + " high"})
	}
	return out
}

func TestValidate(t *testing.T) {
	ok := Config{Checks: []Check{
		{Name: "api-1", AgentAddr: "127.0.0.1:9701", Target: Target{Port: 8081}},
		{Name: "api-2", Target: Target{PID: 42}, DegradedWeight: 0.25},
		{Name: "db", Target: Target{Exe: "postgres"}},
		{Name: "web", Target: Target{Service: "web"}},
	}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Config{Checks: []Check{
		{Name: "a b", Target: Target{PID: 1}},
		{Name: "x", AgentAddr: "9701", Target: Target{PID: 1}},
		{Name: "x", Target: Target{PID: 1, Port: 80}},
		{Name: "y", Target: Target{}},
		{Name: "z", AgentAddr: "127.0.0.1:70000", Target: Target{Port: 70000}, DegradedWeight: 2},
		{Name: "w", AgentAddr: "127.0.0.1:9701", Target: Target{PID: 1}},
		{Name: "v", AgentAddr: "127.0.0.1:9701", Target: Target{PID: 1}},
	}}
	err := bad.Validate()
	for _, want := range []string{`name "a b"`, `agent_check: want host:port, got "9701"`, `duplicate name "x"`,
		"exactly one of pid, exe, service, port (got 2)", "(got 0)", `bad port "70000"`, "port 70000 out of range",
		"degraded_weight must be in (0, 1]", "127.0.0.1:9701 is used by another check"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// The answers for each verdict, in both protocols.
func TestAnswers(t *testing.T) {
	for _, c := range []struct {
		name  string
		sts   []health.Status
		line  string // prefix of the agent line
		code  int
		kind  string
		words int // words HAProxy acts on
	}{
		{"healthy", []health.Status{st(1, health.Healthy, false)}, "ready 100% # ready: pid 1", 200, "ready", 2},
		{"degraded", []health.Status{st(1, health.Degraded, false, "sched_p99")}, "ready 30% # degraded: pid 1 sched_p99: sched_p99 high", 429, "degraded", 2},
		{"unhealthy", []health.Status{st(1, health.Unhealthy, true, "stw_max")}, "drain # drain: pid 1 stw_max: stw_max high", 503, "drain", 1},
		// Recovering: degraded again, but not restored until healthy.
		{"drained degraded", []health.Status{st(1, health.Degraded, true)}, "drain", 503, "drain", 1},
		{"unknown", []health.Status{st(1, health.Unknown, false)}, "# unknown: pid 1 measured 1 of 2 windows", 200, "unknown", 0},
		{"no process", nil, "# no watched process", 503, "unknown", 0},
		// Several processes: the worst verdict among those that have one.
		{"worst of", []health.Status{st(1, health.Healthy, false), st(2, health.Unknown, false), st(3, health.Degraded, false)}, "ready 30%", 429, "degraded", 2},
		{"all unknown", []health.Status{st(1, health.Unknown, false), st(2, health.Unknown, false)}, "# unknown: pid 1,2", 200, "unknown", 0},
	} {
		a := combine(c.sts, 2, "no watched process with pid 9")
		line := a.AgentLine(0.3)
		if !strings.HasPrefix(line, c.line) || !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
			t.Errorf("%s: line %q, want prefix %q", c.name, line, c.line)
		}
		if a.HTTPStatus() != c.code || a.Kind() != c.kind {
			t.Errorf("%s: %d %s, want %d %s", c.name, a.HTTPStatus(), a.Kind(), c.code, c.kind)
		}
		// What HAProxy parses: the words before '#'.
		words, _, _ := strings.Cut(strings.TrimSpace(line), "#")
		if n := len(strings.Fields(words)); n != c.words {
			t.Errorf("%s: %d words in %q", c.name, n, line)
		}
		if strings.Contains(words, "up") || strings.Contains(words, "down") {
			t.Errorf("%s: operational state in %q", c.name, line)
		}
	}
}

// agentCheck connects like HAProxy (optionally sending agent-send first)
// and returns the line read.
func agentCheck(t *testing.T, addr net.Addr, send string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr.String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if send != "" {
		if _, err := io.WriteString(conn, send); err != nil {
			t.Fatal(err)
		}
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("read agent line: %v (%q)", err, line)
	}
	return line
}

func TestServerAgentAndHTTP(t *testing.T) {
	v := &verdicts{}
	reg := prometheus.NewPedanticRegistry()
	s, err := New(Config{Checks: []Check{
		{Name: "api-1", AgentAddr: "127.0.0.1:0", Target: Target{PID: 11}},
		{Name: "api", Target: Target{Service: "api"}},
		{Name: "exe", AgentAddr: "127.0.0.1:0", Target: Target{Exe: "api"}},
	}}, Deps{Verdicts: v, MinWindows: 2, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		s.Close()
		s.Close()
	}()
	for s.Addr("api-1") == nil {
		time.Sleep(time.Millisecond)
	}
	if s.Addr("api") != nil {
		t.Error("an HTTP-only check has an agent address")
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/check/{name}", s.Handler())
	get := func(path string) (int, string, string) {
		rr := httptest.NewRecorder()
		mux.ServeHTTP(rr, httptest.NewRequest("GET", path, nil))
		return rr.Code, rr.Header().Get("X-Gopulse-Answer"), rr.Body.String()
	}

	v.set(st(11, health.Unknown, false), st(12, health.Healthy, false))
	if l := agentCheck(t, s.Addr("api-1"), ""); !strings.HasPrefix(l, "# unknown: pid 11 measured 1 of 2 windows") {
		t.Errorf("unknown: %q", l)
	}
	v.set(st(11, health.Healthy, false), st(12, health.Healthy, false))
	if l := agentCheck(t, s.Addr("api-1"), "api-1\n"); !strings.HasPrefix(l, "ready 100%") {
		t.Errorf("healthy, with agent-send: %q", l)
	}
	v.set(st(11, health.Unhealthy, true, "stw_max"), st(12, health.Healthy, false))
	if l := agentCheck(t, s.Addr("api-1"), ""); !strings.HasPrefix(l, "drain # drain: pid 11 stw_max") {
		t.Errorf("unhealthy: %q", l)
	}
	if l := agentCheck(t, s.Addr("exe"), ""); !strings.HasPrefix(l, "drain") {
		t.Errorf("exe api (pids 11, 12): %q", l)
	}
	if code, kind, body := get("/v1/check/api"); code != 503 || kind != "drain" || !strings.HasPrefix(body, "critical: drain: pid 11 stw_max") {
		t.Errorf("http: %d %s %q", code, kind, body)
	}
	v.set(st(11, health.Degraded, false, "gc_cpu"), st(12, health.Healthy, false))
	if code, kind, body := get("/v1/check/api-1"); code != 429 || kind != "degraded" || !strings.HasPrefix(body, "warning: degraded") {
		t.Errorf("http degraded: %d %s %q", code, kind, body)
	}
	v.set(st(12, health.Healthy, false))
	if code, _, body := get("/v1/check/api-1"); code != 503 || !strings.Contains(body, "no watched process with pid 11") {
		t.Errorf("http gone: %d %q", code, body)
	}
	if l := agentCheck(t, s.Addr("api-1"), ""); !strings.HasPrefix(l, "# no watched process with pid 11") {
		t.Errorf("gone: %q", l)
	}
	if code, _, body := get("/v1/check/nope"); code != 404 || !strings.Contains(body, `no check named "nope"`) {
		t.Errorf("unknown check: %d %q", code, body)
	}
	if code, _, _ := get("/v1/check/api?x=1"); code != 400 {
		t.Errorf("query: %d", code)
	}
	if n := testutil.ToFloat64(s.answers.WithLabelValues("api-1", "agent", "drain")); n != 1 {
		t.Errorf("agent drain answers %v", n)
	}
	if n := testutil.ToFloat64(s.answers.WithLabelValues("exe", "http", "ready")); n != 0 {
		t.Errorf("exe http ready answers %v", n)
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) != 0 {
		t.Errorf("lint: %v %v", probs, err)
	}
}

// The process listening on a port is found through procfs, among the
// candidates only.
func TestPortOwners(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("procfs")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	p := procPorts{root: "/proc"}
	me := os.Getpid()
	got, err := p.ListeningPIDs(port, []int{1, me, 999999999})
	if err != nil || len(got) != 1 || got[0] != me {
		t.Fatalf("owners of :%d = %v, %v", port, got, err)
	}
	// IPv6 too.
	ln6, err := net.Listen("tcp6", "[::1]:0")
	if err == nil {
		defer ln6.Close()
		if got, err := p.ListeningPIDs(ln6.Addr().(*net.TCPAddr).Port, []int{me}); err != nil || len(got) != 1 {
			t.Errorf("ipv6 owners %v %v", got, err)
		}
	}
	// A connected (not listening) socket does not count.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().(*net.TCPAddr).Port
	if got, _ := p.ListeningPIDs(local, []int{me}); len(got) != 0 {
		t.Errorf("a client socket's port found: %v", got)
	}
	// Not among the candidates: not found.
	if got, _ := p.ListeningPIDs(port, []int{1}); len(got) != 0 {
		t.Errorf("found outside the candidates: %v", got)
	}

	// Through the server, with the port target.
	v := &verdicts{}
	v.set(st(me, health.Healthy, false), st(1, health.Unhealthy, true))
	s, err := New(Config{Checks: []Check{{Name: "mine", Target: Target{Port: port}}}}, Deps{Verdicts: v, MinWindows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Answer("mine"); a.Kind() != "ready" || len(a.PIDs) != 1 || a.PIDs[0] != me {
		t.Fatalf("answer %+v", a)
	}
	ln.Close()
	s.checks[0].resolvedAt = time.Time{} // as after portTTL
	if a, _ := s.Answer("mine"); a.Kind() != "unknown" || a.HTTPStatus() != 503 || !strings.Contains(a.Detail, "no watched process listens on port") {
		t.Fatalf("after close: %+v", a)
	}
}

func TestListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := New(Config{Checks: []Check{
		{Name: "a", AgentAddr: "127.0.0.1:0", Target: Target{PID: 1}},
		{Name: "b", AgentAddr: ln.Addr().String(), Target: Target{PID: 2}},
	}}, Deps{Verdicts: &verdicts{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err == nil || !strings.Contains(err.Error(), "check b: agent-check listen") {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(Config{}, Deps{}); err == nil {
		t.Fatal("New without verdicts")
	}
}
