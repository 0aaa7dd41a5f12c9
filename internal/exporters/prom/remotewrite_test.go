package prom

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/prompb"
)

// seriesKey renders a prompb series as name{sorted labels} value.
func seriesKeys(t *testing.T, wr *prompb.WriteRequest, tsMs int64) []string {
	t.Helper()
	var out []string
	for _, ts := range wr.Timeseries {
		var name string
		var ls []string
		for i, l := range ts.Labels {
			if i > 0 && ts.Labels[i-1].Name >= l.Name {
				t.Fatalf("labels not sorted: %v", ts.Labels)
			}
			if l.Name == "__name__" {
				name = l.Value
				continue
			}
			if l.Name == "namespace" || l.Name == "pod" || l.Name == "container" {
				continue
			}
			ls = append(ls, l.Name+"="+l.Value)
		}
		if len(ts.Samples) != 1 || ts.Samples[0].Timestamp != tsMs {
			t.Fatalf("samples %v", ts.Samples)
		}
		out = append(out, fmt.Sprintf("%s{%s} %.9g", name, strings.Join(ls, ","), ts.Samples[0].Value))
	}
	sort.Strings(out)
	return out
}

// expositionKeys renders the text exposition the same way.
func expositionKeys(t *testing.T, r *Runtime) []string {
	mfs := parseText(t, r.AppendExposition(nil, false))
	var out []string
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			var ls []string
			for _, lp := range m.Label {
				switch lp.GetName() {
				case "namespace", "pod", "container":
					continue
				}
				ls = append(ls, lp.GetName()+"="+lp.GetValue())
			}
			add := func(n string, extra string, v float64) {
				l := append([]string(nil), ls...)
				if extra != "" {
					l = append(l, extra)
				}
				sort.Strings(l)
				out = append(out, fmt.Sprintf("%s{%s} %.9g", n, strings.Join(l, ","), v))
			}
			switch {
			case m.Counter != nil:
				add(name, "", m.Counter.GetValue())
			case m.Gauge != nil:
				add(name, "", m.Gauge.GetValue())
			case m.Histogram != nil:
				for _, b := range m.Histogram.Bucket {
					le := string(appendFloat(nil, b.GetUpperBound()))
					add(name+"_bucket", "le="+le, float64(b.GetCumulativeCount()))
				}
				add(name+"_sum", "", m.Histogram.GetSampleSum())
				add(name+"_count", "", float64(m.Histogram.GetSampleCount()))
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestWriteRequestDecodesWithPrompb(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 5)
	const ts = 1_700_000_000_123
	b, next, n := r.AppendWriteRequest(nil, ts, 0, 0)
	if next != -1 {
		t.Fatalf("next %d", next)
	}
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if len(wr.Timeseries) != n {
		t.Fatalf("%d series, %d samples reported", len(wr.Timeseries), n)
	}
	got, want := seriesKeys(t, &wr, ts), expositionKeys(t, r)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("remote write differs from the exposition\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Same bytes as gogo's marshaller for the decoded request.
	again, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Error("encoding is not byte-identical to prompb's")
	}
}

func TestWriteRequestSplitsBySize(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 10)
	all, _, total := r.AppendWriteRequest(nil, 1, 0, 0)
	var seen, reqs int
	for next := 0; next >= 0; {
		var b []byte
		var n int
		b, next, n = r.AppendWriteRequest(nil, 1, next, len(all)/4)
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		seen += len(wr.Timeseries)
		if n != len(wr.Timeseries) {
			t.Fatal("sample count mismatch")
		}
		reqs++
	}
	if seen != total || reqs < 3 {
		t.Fatalf("%d series in %d requests, want %d in >= 3", seen, reqs, total)
	}
}

func TestRemoteWriterDeliversWithHeaders(t *testing.T) {
	var mu sync.Mutex
	var got []*prompb.WriteRequest
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		raw, err := snappy.Decode(nil, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(raw); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, &wr)
		hdr = req.Header.Clone()
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 2)
	own := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_agent_events_lost_total", Help: "x"}, []string{"Zone"})
	c.WithLabelValues("a").Add(3)
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gopulse_test_seconds", Help: "x", Buckets: []float64{1, 2}})
	h.Observe(1.5)
	own.MustRegister(c, h)

	cfg := DefaultRemoteWriteConfig()
	cfg.Interval = 50 * time.Millisecond
	cfg.Queue.Dir = t.TempDir()
	cfg.Queue.FlushInterval = 5 * time.Millisecond
	cfg.Queue.Endpoints = []delivery.Endpoint{{URL: srv.URL + "/api/v1/write"}}
	reg := prometheus.NewPedanticRegistry()
	w, err := NewRemoteWriter(cfg, RemoteWriteDeps{Runtime: r, Gatherer: own, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no remote write arrived")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Close()

	mu.Lock()
	defer mu.Unlock()
	for k, v := range RemoteWriteHeaders() {
		if k == "User-Agent" {
			continue
		}
		if hdr.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, hdr.Get(k), v)
		}
	}
	names := map[string]float64{}
	for _, wr := range got {
		for _, ts := range wr.Timeseries {
			var name, le string
			for i, l := range ts.Labels {
				if i > 0 && ts.Labels[i-1].Name >= l.Name {
					t.Fatalf("labels not sorted: %v", ts.Labels)
				}
				if l.Name == "__name__" {
					name = l.Value
				}
				if l.Name == "le" {
					le = l.Value
				}
			}
			if le != "" {
				name += "{le=" + le + "}"
			}
			names[name] = ts.Samples[0].Value
		}
	}
	for _, want := range []string{"gopulse_agent_events_lost_total", "gopulse_go_gc_cycles_total", "gopulse_go_sched_latency_seconds_count", "gopulse_test_seconds_bucket{le=+Inf}"} {
		if _, ok := names[want]; !ok {
			t.Errorf("series %s not written", want)
		}
	}
	if names["gopulse_test_seconds_bucket{le=2}"] != 1 || names["gopulse_test_seconds_bucket{le=1}"] != 0 {
		t.Errorf("histogram buckets wrong: %v", names)
	}
	if v := metricValue(t, reg, "gopulse_exporter_sent_total"); v == 0 {
		t.Error("sent_total not counted")
	}
}

func TestRemoteWriteEncoderZeroAllocs(t *testing.T) {
	r := NewRuntime(DefaultRuntimeConfig())
	populate(t, r, 10)
	var raw, comp []byte
	raw, _, _ = r.AppendWriteRequest(raw, 1, 0, 0)
	comp = EncodeSnappy(comp, raw)
	if n := testing.AllocsPerRun(50, func() {
		raw, _, _ = r.AppendWriteRequest(raw[:0], 2, 0, 0)
		comp = EncodeSnappy(comp, raw)
	}); n != 0 {
		t.Errorf("%v allocs per request", n)
	}
}

func metricValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return sumValues(mf.Metric)
		}
	}
	return math.NaN()
}

func sumValues(ms []*dto.Metric) float64 {
	var s float64
	for _, m := range ms {
		switch {
		case m.Counter != nil:
			s += m.Counter.GetValue()
		case m.Gauge != nil:
			s += m.Gauge.GetValue()
		}
	}
	return s
}

// Two hosts running the same executable with the same pid write distinct
// series: every series has the node, plus the external labels (which the
// /metrics exposition does not carry: the scraper labels it).
func TestIdentityAcrossHosts(t *testing.T) {
	keys := map[string]string{}
	for _, node := range []string{"node-a", "node-b"} {
		cfg := DefaultRuntimeConfig()
		cfg.ExternalLabels = map[string]string{"cluster": "prod", "region": "eu"}
		r := NewRuntime(cfg)
		r.UpsertProc(&event.Proc{PID: 4242, Exe: "/usr/bin/api", Service: "api", Node: node, GoVersion: "go1.26.8"})
		r.HandleRuntime(&event.Runtime{Kind: event.KindGCEnd, PID: 4242, TS: 1, Cycle: 1, DurationNS: 1e6})
		r.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: 4242, TS: 1, Reason: event.STWGCMarkTermination, DurationNS: 1e4})
		b, _, n := r.AppendWriteRequest(nil, 1000, 0, 0)
		var wr prompb.WriteRequest
		if err := wr.Unmarshal(b); err != nil || n == 0 {
			t.Fatal(err, n)
		}
		for _, k := range seriesKeys(t, &wr, 1000) {
			if !strings.Contains(k, "node="+node) || !strings.Contains(k, "cluster=prod") || !strings.Contains(k, "region=eu") {
				t.Errorf("%s: series without its node or external labels: %s", node, k)
			}
			series, _, _ := strings.Cut(k, "} ")
			if other, dup := keys[series]; dup {
				t.Errorf("series %s written by %s and %s", series, other, node)
			}
			keys[series] = node
		}
		out := string(r.AppendExposition(nil, false))
		if !strings.Contains(out, `node="`+node+`"`) || strings.Contains(out, "cluster=") {
			t.Errorf("exposition: want node, no external labels:\n%s", out)
		}
	}
}
