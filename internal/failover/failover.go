// Package failover serves the health engine's verdicts to load balancers,
// one check per backend: HAProxy's agent-check protocol on a TCP address of
// its own, and an HTTP check with Consul's status codes (Consul, Nomad, any
// proxy with HTTP health checks).
//
// A check speaks for the process (or processes) a Target selects: a pid, an
// executable, a service, or the process listening on a TCP port. The answer
// follows the failover decision and the verdict:
//
//	drained (unhealthy, not yet restored)  agent "drain"          HTTP 503 critical
//	degraded                               agent "ready 50%"      HTTP 429 warning
//	healthy                                agent "ready 100%"     HTTP 200 passing
//	unknown (not measured yet, no process) agent: no change       HTTP 200 / 503
//
// The agent never reports HAProxy's operational state (up/down): that
// belongs to HAProxy's own health check, and an agent "up" would reset the
// regular check's counter. It only sets the administrative state (ready,
// drain) and the weight, which HAProxy keeps while the agent is unreachable:
// a restarting gopulse changes nothing.
package failover

import (
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gopulse/gopulse/internal/health"
)

// ErrConfig wraps every configuration problem found by Config.Validate.
var ErrConfig = errors.New("failover config")

// ErrNotSupported: finding a process by its listening port needs Linux's
// procfs.
var ErrNotSupported = errors.New("finding processes by listening port is supported on Linux only")

// Target selects the processes a check speaks for; exactly one field is set.
type Target struct {
	PID     int
	Exe     string // executable path, or its base name when it has no '/'
	Service string
	Port    int // the process holding a TCP socket listening on this port
}

func (t Target) String() string {
	switch {
	case t.PID != 0:
		return "pid " + strconv.Itoa(t.PID)
	case t.Exe != "":
		return "exe " + t.Exe
	case t.Service != "":
		return "service " + t.Service
	default:
		return "port " + strconv.Itoa(t.Port)
	}
}

// Check is one backend.
type Check struct {
	Name string // /v1/check/NAME; a label of the metrics
	// AgentAddr is where HAProxy's agent-check connects (host:port); empty
	// for an HTTP check only.
	AgentAddr string
	Target    Target
	// DegradedWeight is the weight answered while degraded, a fraction of
	// the configured weight in (0, 1]; 0 means DefaultDegradedWeight.
	DegradedWeight float64
}

// DefaultDegradedWeight halves a degraded backend's traffic.
const DefaultDegradedWeight = 0.5

// Config is the set of checks.
type Config struct {
	Checks []Check
}

// Validate reports every problem, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf("%w: "+f, append([]any{ErrConfig}, a...)...)) }
	names, addrs := map[string]bool{}, map[string]bool{}
	for i, ch := range c.Checks {
		p := fmt.Sprintf("checks[%d]", i)
		if !validName(ch.Name) {
			bad("%s: name %q: want letters, digits, '.', '_' or '-'", p, ch.Name)
		} else if names[ch.Name] {
			bad("%s: duplicate name %q", p, ch.Name)
		}
		names[ch.Name] = true
		if ch.AgentAddr != "" {
			if _, port, err := net.SplitHostPort(ch.AgentAddr); err != nil {
				bad("%s: agent_check: want host:port, got %q", p, ch.AgentAddr)
			} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				bad("%s: agent_check: bad port %q", p, port)
			} else if addrs[ch.AgentAddr] && n != 0 {
				bad("%s: agent_check %s is used by another check", p, ch.AgentAddr)
			}
			addrs[ch.AgentAddr] = true
		}
		t := ch.Target
		set := 0
		for _, on := range []bool{t.PID != 0, t.Exe != "", t.Service != "", t.Port != 0} {
			if on {
				set++
			}
		}
		if set != 1 {
			bad("%s: set exactly one of pid, exe, service, port (got %d)", p, set)
		}
		if t.PID < 0 || t.PID > math.MaxInt32 {
			bad("%s: pid %d out of range", p, t.PID)
		}
		if t.Port < 0 || t.Port > 65535 {
			bad("%s: port %d out of range", p, t.Port)
		}
		if ch.DegradedWeight < 0 || ch.DegradedWeight > 1 {
			bad("%s: degraded_weight must be in (0, 1] (e.g. 50%%), got %g", p, ch.DegradedWeight)
		}
	}
	return errors.Join(errs...)
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Answer is a check's current answer.
type Answer struct {
	// State is the worst verdict among the selected processes that have
	// one; Unknown when none has (or no process is selected).
	State health.State
	// Drained: a selected process is drained (unhealthy, and not yet
	// healthy again).
	Drained bool
	PIDs    []int  // the selected processes
	Detail  string // why, for people: reasons, or why there is no verdict
}

// Kind is the answer in one word: drain, degraded, ready or unknown.
func (a Answer) Kind() string {
	switch {
	case a.Drained || a.State == health.Unhealthy:
		return "drain"
	case a.State == health.Degraded:
		return "degraded"
	case a.State == health.Healthy:
		return "ready"
	}
	return "unknown"
}

// AgentLine is the HAProxy agent-check reply: a line of words, and a
// description after '#' (HAProxy ignores it without a health word; it is
// for people reading the reply with nc). Unknown is a line without words:
// HAProxy changes nothing.
func (a Answer) AgentLine(degradedWeight float64) string {
	desc := a.Detail
	if desc != "" {
		desc = " # " + desc
	}
	desc = strings.NewReplacer("\n", " ", "\r", " ").Replace(desc)
	switch a.Kind() {
	case "drain":
		return "drain" + desc + "\n"
	case "degraded":
		return "ready " + weight(degradedWeight) + desc + "\n"
	case "ready":
		return "ready 100%" + desc + "\n"
	}
	return "# " + strings.NewReplacer("\n", " ", "\r", " ").Replace(a.Detail) + "\n"
}

func weight(w float64) string {
	if w <= 0 {
		w = DefaultDegradedWeight
	}
	return strconv.Itoa(max(1, int(math.Round(w*100)))) + "%"
}

// HTTPStatus is the answer with Consul's convention: 200 passing, 429
// warning, 503 critical. A process not measured yet is passing (gopulse has
// no verdict to hold it back); no process at all is critical.
func (a Answer) HTTPStatus() int {
	switch a.Kind() {
	case "drain":
		return 503
	case "degraded":
		return 429
	case "ready":
		return 200
	}
	if len(a.PIDs) == 0 {
		return 503
	}
	return 200
}

// Verdicts is what the checks need from the health engine.
type Verdicts interface {
	Snapshot() []health.Status
}

// combine answers for the processes in sts.
func combine(sts []health.Status, minWindows int, none string) Answer {
	a := Answer{State: health.Unknown}
	if len(sts) == 0 {
		a.Detail = none
		return a
	}
	var reasons []string
	for _, s := range sts {
		a.PIDs = append(a.PIDs, s.PID)
		a.Drained = a.Drained || s.Drained
		if s.State == health.Unknown {
			continue
		}
		if a.State == health.Unknown || s.State > a.State {
			a.State = s.State
		}
		for _, r := range s.Reasons {
			reasons = append(reasons, fmt.Sprintf("pid %d %s", s.PID, r))
		}
	}
	slices.Sort(a.PIDs)
	switch {
	case a.State == health.Unknown && !a.Drained:
		m := 0
		for _, s := range sts {
			m = max(m, s.Measured)
		}
		a.Detail = fmt.Sprintf("unknown: pid %s measured %d of %d windows", joinPIDs(a.PIDs), m, minWindows)
	case len(reasons) > 0:
		a.Detail = a.Kind() + ": " + strings.Join(reasons, "; ")
	default:
		a.Detail = a.Kind() + ": pid " + joinPIDs(a.PIDs)
	}
	return a
}

func joinPIDs(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

// matchExe reports whether exe (a path) is what t.Exe names.
func matchExe(want, exe string) bool {
	if strings.Contains(want, "/") {
		return filepath.Clean(want) == exe
	}
	return filepath.Base(exe) == want
}
