package health

import (
	"encoding/json"
	"net/http"
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
	Processes []Status  `json:"processes"`
}

// Handler serves /v1/health as JSON. ?pid=N or ?service=NAME filter; with a
// filter that matches one unhealthy process it answers 503, so a load
// balancer can use it directly.
func (e *Engine) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all := e.Snapshot()
		pid, _ := strconv.Atoi(r.URL.Query().Get("pid"))
		svc := r.URL.Query().Get("service")
		rep := Report{Time: time.Now().UTC(), Processes: all[:0]}
		for _, s := range all {
			if pid != 0 && s.PID != pid || svc != "" && s.Service != svc {
				continue
			}
			rep.Processes = append(rep.Processes, s)
			switch s.State {
			case Healthy:
				rep.Healthy++
			case Degraded:
				rep.Degraded++
			case Unhealthy:
				rep.Unhealthy++
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if (pid != 0 || svc != "") && rep.Unhealthy > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	})
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
