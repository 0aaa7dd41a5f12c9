package prom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/klauspost/compress/s2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// RemoteWriteHeaders are the protocol headers of remote write 1.0.
func RemoteWriteHeaders() map[string]string {
	return map[string]string{
		"Content-Type":                      "application/x-protobuf",
		"Content-Encoding":                  "snappy",
		"X-Prometheus-Remote-Write-Version": "0.1.0",
		"User-Agent":                        "gopulse",
	}
}

// RemoteWriteConfig configures remote write.
type RemoteWriteConfig struct {
	// Interval between two snapshots of the series.
	Interval time.Duration `yaml:"interval"`
	// ExternalLabels are added to gopulse's own series (the runtime
	// series take them from RuntimeConfig.ExternalLabels), unless a series
	// has a label of that name.
	ExternalLabels map[string]string `yaml:"external_labels"`
	// MaxRequestBytes is the uncompressed size at which a request is cut.
	MaxRequestBytes int `yaml:"max_request_bytes"`
	// Queue is the delivery configuration (endpoints, on-disk queue, retries).
	Queue delivery.Config     `yaml:"queue"`
	HTTP  delivery.HTTPConfig `yaml:"http"`
}

// DefaultRemoteWriteConfig returns defaults; set Queue.Endpoints and Queue.Dir.
func DefaultRemoteWriteConfig() RemoteWriteConfig {
	q := delivery.DefaultConfig()
	q.Name = "prometheus_remote_write"
	// Prometheus refuses a sample older than the newest of its series (400
	// "out of order sample", dropped): requests must arrive in order, one
	// at a time, a retry before anything newer.
	q.Ordered = true
	return RemoteWriteConfig{
		Interval:        15 * time.Second,
		MaxRequestBytes: 1 << 20,
		Queue:           q,
		HTTP:            delivery.HTTPConfig{Timeout: 30 * time.Second},
	}
}

// Validate reports every problem, joined.
func (c *RemoteWriteConfig) Validate() error {
	var errs []error
	if c.Interval <= 0 {
		errs = append(errs, errors.New("remote write interval must be positive"))
	}
	if c.MaxRequestBytes < 1024 {
		errs = append(errs, errors.New("remote write max_request_bytes must be at least 1024"))
	}
	if err := c.Queue.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.HTTP.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RemoteWriteDeps are the writer's collaborators.
type RemoteWriteDeps struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer // for the delivery metrics
	Runtime    *Runtime              // runtime series; may be nil
	Gatherer   prometheus.Gatherer   // gopulse's own series; may be nil
	Transport  delivery.Transport    // nil: HTTP
}

// RemoteWriter periodically snapshots the series and remote-writes them
// through a delivery queue.
type RemoteWriter struct {
	cfg  RemoteWriteConfig
	deps RemoteWriteDeps
	log  *slog.Logger
	q    *delivery.Queue

	ext []labelPair // external labels

	mu     sync.Mutex // guards the buffers (Collect may run from tests)
	raw    []byte
	comp   []byte
	pairs  []labelPair
	sorted []labelPair

	closeOnce sync.Once
	closeErr  error
}

// NewRemoteWriter opens the delivery queue.
func NewRemoteWriter(cfg RemoteWriteConfig, deps RemoteWriteDeps) (*RemoteWriter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("remote write config: %w", err)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q, err := delivery.New(cfg.Queue, delivery.Deps{
		Logger: log, Registerer: deps.Registerer, Transport: deps.Transport,
		HTTP: cfg.HTTP, ProtocolHeaders: RemoteWriteHeaders(),
	})
	if err != nil {
		return nil, fmt.Errorf("remote write queue: %w", err)
	}
	w := &RemoteWriter{cfg: cfg, deps: deps, log: log, q: q}
	for k, v := range cfg.ExternalLabels {
		w.ext = append(w.ext, labelPair{k, v})
	}
	return w, nil
}

// Run snapshots every Interval and delivers until ctx is done.
func (w *RemoteWriter) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	qerr := make(chan error, 1)
	go func() { qerr <- w.q.Run(ctx) }()
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return <-qerr
		case now := <-t.C:
			if err := w.Collect(ctx, now); err != nil && !errors.Is(err, context.Canceled) {
				w.log.Warn("remote write snapshot", "err", err)
			}
		}
	}
}

// Stats returns the delivery queue's snapshot (backlog, drops), for
// readiness.
func (w *RemoteWriter) Stats() delivery.Stats { return w.q.Stats() }

// Collect snapshots the series at now and enqueues the requests.
func (w *RemoteWriter) Collect(ctx context.Context, now time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	ts := now.UnixMilli()
	if w.deps.Gatherer != nil {
		mfs, err := w.deps.Gatherer.Gather()
		if err != nil {
			w.log.Debug("gather for remote write", "err", err)
		}
		var n int
		w.raw, n = w.appendGathered(w.raw[:0], mfs, ts)
		if err := w.send(ctx, n); err != nil {
			return err
		}
	}
	if w.deps.Runtime == nil {
		return nil
	}
	w.deps.Runtime.Prune(now)
	for next := 0; next >= 0; {
		var n int
		w.raw, next, n = w.deps.Runtime.AppendWriteRequest(w.raw[:0], ts, next, w.cfg.MaxRequestBytes)
		if err := w.send(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func (w *RemoteWriter) send(ctx context.Context, samples int) error {
	if samples == 0 {
		return nil
	}
	w.comp = EncodeSnappy(w.comp, w.raw)
	return w.q.Enqueue(ctx, w.comp, samples)
}

// EncodeSnappy compresses src in the snappy block format (what remote write
// and Loki expect) into dst's storage, growing it only when too small. It
// uses s2's fast snappy-compatible encoder.
func EncodeSnappy(dst, src []byte) []byte {
	n := s2.MaxEncodedLen(len(src))
	if n < 0 {
		return nil
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.EncodeSnappy(dst[:n], src)
}

// appendGathered converts client_golang families to timeseries.
func (w *RemoteWriter) appendGathered(b []byte, mfs []*dto.MetricFamily, ts int64) ([]byte, int) {
	n := 0
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.Metric {
			base := w.pairs[:0]
			for _, lp := range m.Label {
				base = append(base, labelPair{lp.GetName(), lp.GetValue()})
			}
			for _, e := range w.ext {
				if !slices.ContainsFunc(base, func(lp labelPair) bool { return lp.name == e.name }) {
					base = append(base, e)
				}
			}
			emit := func(suffix, extraName, extraVal string, v float64) {
				pairs := append(w.sorted[:0], base...)
				if extraName != "" {
					pairs = append(pairs, labelPair{extraName, extraVal})
				}
				slices.SortFunc(pairs, func(a, b labelPair) int {
					switch {
					case a.name < b.name:
						return -1
					case a.name > b.name:
						return 1
					}
					return 0
				})
				b = appendSeries(b, name, suffix, pairs, &extraLabels{}, v, ts)
				w.sorted = pairs[:0]
				n++
			}
			switch {
			case m.Counter != nil:
				emit("", "", "", m.Counter.GetValue())
			case m.Gauge != nil:
				emit("", "", "", m.Gauge.GetValue())
			case m.Untyped != nil:
				emit("", "", "", m.Untyped.GetValue())
			case m.Histogram != nil:
				h := m.Histogram
				for _, bk := range h.Bucket {
					if math.IsInf(bk.GetUpperBound(), 1) {
						continue
					}
					emit("_bucket", "le", formatFloat(bk.GetUpperBound()), float64(bk.GetCumulativeCount()))
				}
				emit("_bucket", "le", "+Inf", float64(h.GetSampleCount()))
				emit("_sum", "", "", h.GetSampleSum())
				emit("_count", "", "", float64(h.GetSampleCount()))
			case m.Summary != nil:
				s := m.Summary
				for _, q := range s.Quantile {
					emit("", "quantile", formatFloat(q.GetQuantile()), q.GetValue())
				}
				emit("_sum", "", "", s.GetSampleSum())
				emit("_count", "", "", float64(s.GetSampleCount()))
			}
			w.pairs = base[:0]
		}
	}
	return b, n
}

func formatFloat(v float64) string { return string(appendFloat(nil, v)) }

// Close stops delivery and closes the queue (safe twice).
func (w *RemoteWriter) Close() error {
	w.closeOnce.Do(func() { w.closeErr = w.q.Close() })
	return w.closeErr
}
