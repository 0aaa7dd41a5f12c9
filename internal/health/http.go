package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Report is the body of /v1/health.
type Report struct {
	Time      time.Time `json:"time"`
	Healthy   int       `json:"healthy"`
	Degraded  int       `json:"degraded"`
	Unhealthy int       `json:"unhealthy"`
	Unknown   int       `json:"unknown"`
	Processes []Status  `json:"processes"`
	// Error says why a query found nothing or was refused (404, 400).
	Error string `json:"error,omitempty"`
}

// Handler serves /v1/health as JSON: every watched process, or the ones a
// query selects (?pid=N or ?service=NAME, not both). For a load balancer
// polling one process or service the status code is the answer:
//
//   - 200: the selection is healthy, degraded or unknown (not yet measured)
//   - 503: a selected process is unhealthy
//   - 404: no such process (never seen, or exited: then the body holds its
//     last status, with "exited" set) or no process of that service
//   - 400: a malformed query: an unknown or repeated parameter, a pid that
//     is not a positive integer, an empty service
func (e *Engine) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := Report{Time: time.Now().UTC(), Processes: []Status{}}
		pid, svc, err := parseQuery(r.URL.RawQuery)
		if err != nil {
			rep.Error = err.Error()
			writeReport(w, http.StatusBadRequest, &rep)
			return
		}
		if pid != 0 {
			st, live, ok := e.Status(pid)
			switch {
			case !ok:
				rep.Error = fmt.Sprintf("no process with pid %d is watched", pid)
				writeReport(w, http.StatusNotFound, &rep)
				return
			case !live:
				rep.Processes = append(rep.Processes, st)
				rep.count(st.State)
				rep.Error = fmt.Sprintf("process %d exited at %s; its last status follows", pid, st.Exited.UTC().Format(time.RFC3339))
				writeReport(w, http.StatusNotFound, &rep)
				return
			}
			rep.Processes = append(rep.Processes, st)
			rep.count(st.State)
		} else {
			for _, s := range e.Snapshot() {
				if svc != "" && s.Service != svc {
					continue
				}
				rep.Processes = append(rep.Processes, s)
				rep.count(s.State)
			}
			if svc != "" && len(rep.Processes) == 0 {
				rep.Error = fmt.Sprintf("no watched process of service %q", svc)
				writeReport(w, http.StatusNotFound, &rep)
				return
			}
		}
		code := http.StatusOK
		if (pid != 0 || svc != "") && rep.Unhealthy > 0 {
			code = http.StatusServiceUnavailable
		}
		writeReport(w, code, &rep)
	})
}

func (r *Report) count(s State) {
	switch s {
	case Healthy:
		r.Healthy++
	case Degraded:
		r.Degraded++
	case Unhealthy:
		r.Unhealthy++
	default:
		r.Unknown++
	}
}

func writeReport(w http.ResponseWriter, code int, rep *Report) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
}

// ErrQuery wraps every problem with a /v1/health query.
var ErrQuery = errors.New("bad query")

// parseQuery accepts ?pid=N or ?service=NAME, each at most once, and
// nothing else.
func parseQuery(raw string) (pid int, svc string, err error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return 0, "", fmt.Errorf("%w: %v", ErrQuery, err)
	}
	for k, v := range q {
		switch k {
		case "pid", "service":
		default:
			return 0, "", fmt.Errorf("%w: unknown parameter %q (want pid or service)", ErrQuery, k)
		}
		if len(v) != 1 {
			return 0, "", fmt.Errorf("%w: parameter %q given %d times", ErrQuery, k, len(v))
		}
	}
	if v, ok := q["pid"]; ok {
		n, err := strconv.ParseUint(v[0], 10, 32)
		if err != nil || n == 0 {
			return 0, "", fmt.Errorf("%w: pid %q is not a positive integer", ErrQuery, v[0])
		}
		pid = int(n)
	}
	if v, ok := q["service"]; ok {
		if v[0] == "" {
			return 0, "", fmt.Errorf("%w: empty service", ErrQuery)
		}
		svc = v[0]
	}
	if pid != 0 && svc != "" {
		return 0, "", fmt.Errorf("%w: give pid or service, not both", ErrQuery)
	}
	return pid, svc, nil
}

// Collector exposes gopulse_health_state and gopulse_failover_decisions_total.
type Collector struct {
	e         *Engine
	state     *prometheus.Desc
	decisions *prometheus.Desc
}

// NewCollector returns a collector for the engine; register it on an
// injected registry.
func NewCollector(e *Engine) *Collector {
	labels := []string{"pid", "exe", "service", "namespace", "pod", "container"}
	return &Collector{
		e: e,
		state: prometheus.NewDesc("gopulse_health_state", "Health verdict of a watched process: 1 for the current state.",
			append(labels, "state"), nil),
		decisions: prometheus.NewDesc("gopulse_failover_decisions_total", "Failover decisions taken for a watched process.",
			append(labels, "decision"), nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.decisions
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.e.Snapshot() {
		lv := []string{strconv.Itoa(s.PID), s.Exe, s.Service, s.Namespace, s.Pod, s.Container}
		for _, st := range States {
			v := 0.0
			if st == s.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, append(lv, st.String())...)
		}
		for _, d := range []Decision{Drain, Restore} {
			ch <- prometheus.MustNewConstMetric(c.decisions, prometheus.CounterValue,
				float64(c.e.DecisionCount(uint32(s.PID), d)), append(lv, string(d))...)
		}
	}
}
