package failover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/internal/health"
)

// PortOwners finds, among pids, the processes holding a TCP socket that
// listens on port.
type PortOwners interface {
	ListeningPIDs(port int, pids []int) ([]int, error)
}

// Deps are the server's collaborators.
type Deps struct {
	Logger   *slog.Logger
	Verdicts Verdicts // required
	// MinWindows is the engine's measured windows before a verdict (for
	// the detail of an unknown answer).
	MinWindows int
	Registerer prometheus.Registerer // nil: metrics not exported
	// Ports finds processes by listening port; nil reads /proc (Linux).
	Ports PortOwners
}

// portTTL is how long a port's owners are trusted before they are looked
// up again (sooner when one of them is gone).
const portTTL = 5 * time.Second

// maxConns bounds the agent-check connections served at once, per check.
const maxConns = 32

// Server answers the checks.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	checks  []*check
	byName  map[string]*check
	answers *prometheus.CounterVec

	mu       sync.Mutex
	listened bool
	closed   bool
	wg       sync.WaitGroup
}

type check struct {
	Check
	ln  net.Listener
	sem chan struct{}

	mu         sync.Mutex
	owners     []int // port target: the processes last found listening
	resolvedAt time.Time
	lastKind   string
}

// New validates cfg and returns a server; nothing is bound until Listen.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Verdicts == nil {
		return nil, errors.New("failover: verdicts are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Ports == nil {
		deps.Ports = procPorts{root: "/proc"}
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, byName: map[string]*check{},
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopulse_failover_check_answers_total",
			Help: "Answers given to load balancers' checks, by check, protocol (agent, http) and answer (ready, degraded, drain, unknown).",
		}, []string{"check", "protocol", "answer"})}
	for _, c := range cfg.Checks {
		ch := &check{Check: c, sem: make(chan struct{}, maxConns)}
		s.checks = append(s.checks, ch)
		s.byName[c.Name] = ch
		for _, p := range []string{"agent", "http"} {
			if p == "agent" && c.AgentAddr == "" {
				continue
			}
			for _, k := range []string{"ready", "degraded", "drain", "unknown"} {
				s.answers.WithLabelValues(c.Name, p, k)
			}
		}
	}
	if deps.Registerer != nil {
		if err := deps.Registerer.Register(s.answers); err != nil {
			return nil, fmt.Errorf("register failover metrics: %w", err)
		}
	}
	return s, nil
}

// Listen binds every agent-check address; on error nothing stays bound.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	if s.listened {
		return nil
	}
	for _, c := range s.checks {
		if c.AgentAddr == "" {
			continue
		}
		ln, err := net.Listen("tcp", c.AgentAddr)
		if err != nil {
			s.closeListenersLocked()
			return fmt.Errorf("check %s: agent-check listen %s: %w", c.Name, c.AgentAddr, err)
		}
		c.ln = ln
	}
	s.listened = true
	return nil
}

// Addr returns the bound agent-check address of a check (nil when none).
func (s *Server) Addr(name string) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byName[name]; c != nil && c.ln != nil {
		return c.ln.Addr()
	}
	return nil
}

// Run serves the agent checks until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	for _, c := range s.checks {
		if c.ln == nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.accept(ctx, c)
		}()
	}
	<-ctx.Done()
	s.mu.Lock()
	s.closeListenersLocked()
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Close releases the listeners; safe to call twice.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.closeListenersLocked()
	return nil
}

func (s *Server) closeListenersLocked() {
	for _, c := range s.checks {
		if c.ln != nil {
			c.ln.Close()
		}
	}
}

func (s *Server) accept(ctx context.Context, c *check) {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("agent-check accept", "check", c.Name, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case c.sem <- struct{}{}:
		default:
			conn.Close() // too many at once: HAProxy keeps the last state
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-c.sem }()
			s.serveAgent(c, conn)
		}()
	}
}

// serveAgent writes the answer line, then reads what HAProxy may have sent
// (agent-send) until it closes, so that closing does not reset the
// connection before HAProxy read the line.
func (s *Server) serveAgent(c *check, conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	a := s.answer(c)
	s.answers.WithLabelValues(c.Name, "agent", a.Kind()).Inc()
	if _, err := io.WriteString(conn, a.AgentLine(c.DegradedWeight)); err != nil {
		s.log.Debug("agent-check reply", "check", c.Name, "err", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(conn, 4096))
}

// Answer returns a check's current answer; false for an unknown name.
func (s *Server) Answer(name string) (Answer, bool) {
	c := s.byName[name]
	if c == nil {
		return Answer{}, false
	}
	return s.answer(c), true
}

func (s *Server) answer(c *check) Answer {
	all := s.deps.Verdicts.Snapshot()
	t := c.Target
	var sel []health.Status
	var none string
	switch {
	case t.PID != 0:
		for _, st := range all {
			if st.PID == t.PID {
				sel = append(sel, st)
			}
		}
		none = fmt.Sprintf("no watched process with pid %d", t.PID)
	case t.Exe != "":
		for _, st := range all {
			if matchExe(t.Exe, st.Exe) {
				sel = append(sel, st)
			}
		}
		none = fmt.Sprintf("no watched process runs %s", t.Exe)
	case t.Service != "":
		for _, st := range all {
			if st.Service == t.Service {
				sel = append(sel, st)
			}
		}
		none = fmt.Sprintf("no watched process of service %s", t.Service)
	default:
		owners, err := s.portOwners(c, all)
		none = fmt.Sprintf("no watched process listens on port %d", t.Port)
		if err != nil {
			none += ": " + err.Error()
		}
		for _, st := range all {
			if slices.Contains(owners, st.PID) {
				sel = append(sel, st)
			}
		}
	}
	a := combine(sel, s.deps.MinWindows, none)
	c.mu.Lock()
	if k := a.Kind(); k != c.lastKind {
		if c.lastKind != "" {
			s.log.Info("check answer changed", "check", c.Name, "from", c.lastKind, "to", k, "detail", a.Detail)
		}
		c.lastKind = k
	}
	c.mu.Unlock()
	return a
}

// portOwners returns the watched processes listening on the check's port,
// cached for portTTL while they are all still watched.
func (s *Server) portOwners(c *check, all []health.Status) ([]int, error) {
	pids := make([]int, 0, len(all))
	for _, st := range all {
		pids = append(pids, st.PID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := len(c.owners) > 0 && time.Since(c.resolvedAt) < portTTL
	for _, p := range c.owners {
		if !slices.Contains(pids, p) {
			fresh = false
		}
	}
	if fresh {
		return c.owners, nil
	}
	owners, err := s.deps.Ports.ListeningPIDs(c.Target.Port, pids)
	c.owners, c.resolvedAt = owners, time.Now()
	return owners, err
}

// Handler serves GET /v1/check/{name}: the answer as an HTTP status with
// Consul's convention, and a line of text (Consul keeps it as the check's
// output). The header X-Gopulse-Answer has the answer in one word.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		c := s.byName[name]
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.URL.RawQuery != "" {
			http.Error(w, "no query parameters: GET /v1/check/NAME", http.StatusBadRequest)
			return
		}
		if c == nil {
			http.Error(w, fmt.Sprintf("no check named %q", name), http.StatusNotFound)
			return
		}
		a := s.answer(c)
		s.answers.WithLabelValues(c.Name, "http", a.Kind()).Inc()
		code := a.HTTPStatus()
		w.Header().Set("X-Gopulse-Answer", a.Kind())
		w.WriteHeader(code)
		word := map[int]string{200: "passing", 429: "warning", 503: "critical"}[code]
		fmt.Fprintf(w, "%s: %s\n", word, a.Detail)
	})
}
