package delivery

import (
	"fmt"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	sent        prometheus.Counter
	failed      *prometheus.CounterVec
	dropped     *prometheus.CounterVec
	queueBytes  prometheus.Gauge
	diskBytes   prometheus.Gauge
	memBytes    prometheus.Gauge
	blocked     prometheus.Counter
	walErrors   *prometheus.CounterVec
	up          *prometheus.GaugeVec
	limit       *prometheus.GaugeVec
	inflight    *prometheus.GaugeVec
	reqDuration prometheus.Histogram
}

func newMetrics(name string, reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry() // metrics not exported: keep them private
	}
	reg = prometheus.WrapRegistererWith(prometheus.Labels{"exporter": name}, reg)
	m := &metrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gopulse_exporter_sent_total",
			Help: "Items (samples, lines, spans) delivered to a backend.",
		}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopulse_exporter_failed_total",
			Help: "Items in send attempts that failed and will be retried, by reason.",
		}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopulse_exporter_dropped_total",
			Help: "Items given up on, by reason (queue_full, too_large, status_<4xx code>, read_error, write_error).",
		}, []string{"reason"}),
		queueBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gopulse_exporter_queue_bytes",
			Help: "Backlog: bytes written to the on-disk queue and not yet acknowledged by a backend.",
		}),
		diskBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gopulse_exporter_queue_disk_bytes",
			Help: "Bytes of the on-disk queue files (capped by max_bytes), delivered records included until their segment is deleted.",
		}),
		memBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gopulse_exporter_queue_memory_bytes",
			Help: "Bytes waiting in the in-memory batch in front of the on-disk queue.",
		}),
		blocked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gopulse_exporter_enqueue_blocked_seconds_total",
			Help: "Time producers spent blocked in Enqueue (backpressure).",
		}),
		walErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gopulse_exporter_queue_errors_total",
			Help: "Problems found in the on-disk queue at recovery, by kind (torn_tail, corrupt).",
		}, []string{"kind"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gopulse_exporter_endpoint_up",
			Help: "1 when the endpoint's circuit breaker is closed.",
		}, []string{"endpoint"}),
		limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gopulse_exporter_concurrency_limit",
			Help: "Adaptive (AIMD) concurrency limit per endpoint.",
		}, []string{"endpoint"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gopulse_exporter_inflight_requests",
			Help: "Requests in flight per endpoint.",
		}, []string{"endpoint"}),
		reqDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gopulse_exporter_request_duration_seconds",
			Help:    "Duration of send attempts.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.dropped, m.queueBytes, m.diskBytes, m.memBytes,
		m.blocked, m.walErrors, m.up, m.limit, m.inflight, m.reqDuration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	// Counters of known label values exist from the start, at zero, so that
	// rate() and alerts on them work before the first failure.
	for _, r := range FailReasons {
		m.failed.WithLabelValues(r)
	}
	for _, r := range DropReasons {
		m.dropped.WithLabelValues(r)
	}
	for _, k := range []string{"torn_tail", "corrupt"} {
		m.walErrors.WithLabelValues(k)
	}
	return m, nil
}

// FailReasons are the reasons of gopulse_exporter_failed_total: send
// attempts that failed and are retried.
var FailReasons = []string{"network", "status_429", "status_5xx"}

// DropReasons are the known reasons of gopulse_exporter_dropped_total:
// items given up on. A backend may reject a payload with another 4xx code,
// which adds its own status_<code> series.
var DropReasons = []string{"queue_full", "too_large", "read_error", "write_error", "bad_request", "bad_endpoint",
	"status_400", "status_401", "status_403", "status_404", "status_413", "status_other"}

// endpointLabel is the URL without credentials, query or fragment.
func endpointLabel(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
