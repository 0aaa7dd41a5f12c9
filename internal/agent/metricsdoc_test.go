package agent

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/config"
	"github.com/gopulse/gopulse/internal/pipeline"
)

var updateMetricsDoc = flag.Bool("update", false, "rewrite docs/metrics.md from the agent's metrics")

// metricsDocPath is the generated reference, from this package's directory.
const metricsDocPath = "../../docs/metrics.md"

// recorder is a Registry that remembers every collector registered.
type recorder struct {
	*prometheus.Registry
	cs []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	r.cs = append(r.cs, c)
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// metricDoc is one family of the reference.
type metricDoc struct {
	Name, Type, Help string
	Labels           []string
}

// knownTypes: families whose collector emits nothing until the agent has
// seen a process (const metrics built at collection), so that their type
// cannot be read from a sample. The test fails when one is not registered
// any more.
var knownTypes = map[string]string{
	"gopulse_health_state":             "gauge",
	"gopulse_failover_decisions_total": "counter",
}

// metricsReference builds the agent with every component configured (all
// exporters, webhooks, checks, log tailing, a runtime source) and lists
// every family it registers, plus the per-process families the Prometheus
// aggregation encodes by hand (gopulse_go_*), read from its exposition of
// a synthetic process. client_golang's go_* and process_* collectors are
// left out (their set follows the Go and client_golang releases).
func metricsReference(t *testing.T) []metricDoc {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse("t.yaml", []byte(`listen: 127.0.0.1:0
state_dir: `+dir+`/state
logs: {paths: ["`+dir+`/*.log"]}
kubernetes: {enabled: false}
exporters:
  prometheus: {remote_write: {endpoints: [{url: "http://127.0.0.1:9/api/v1/write"}], queue: {max_bytes: 4MiB}}}
  loki: {endpoints: [{url: "http://127.0.0.1:9/loki/api/v1/push"}], queue: {max_bytes: 4MiB}}
  jaeger: {endpoints: [{url: "http://127.0.0.1:9/v1/traces"}], queue: {max_bytes: 4MiB}}
webhooks: [{url: "http://127.0.0.1:9/hook"}]
checks: [{name: api, agent_check: "127.0.0.1:0", port: 9}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := &recorder{Registry: prometheus.NewRegistry()}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler), Registry: reg,
		Collectors: newDaemon(Options{Logger: slog.New(slog.DiscardHandler)}, cfg, nil).metrics, // the reload metrics
		NewRuntimeSource: func(sink event.RuntimeSink, _ *pipeline.Resolver) (RuntimeSource, error) {
			return &synthSource{}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	fams := map[string]*metricDoc{}
	for _, c := range reg.cs {
		descs := make(chan *prometheus.Desc, 64)
		go func() { c.Describe(descs); close(descs) }()
		var names []string
		for d := range descs {
			m, err := parseDesc(d.String())
			if err != nil {
				t.Fatalf("%v: %v", d, err)
			}
			if strings.HasPrefix(m.Name, "go_") || strings.HasPrefix(m.Name, "process_") {
				continue
			}
			if prev, ok := fams[m.Name]; ok && (prev.Help != m.Help || !slices.Equal(prev.Labels, m.Labels)) {
				t.Fatalf("%s registered twice, differently: %+v and %+v", m.Name, *prev, m)
			}
			fams[m.Name] = &m
			names = append(names, m.Name)
		}
		if len(names) == 0 {
			continue
		}
		// Types from samples: collect once.
		ms := make(chan prometheus.Metric, 256)
		go func() { c.Collect(ms); close(ms) }()
		for m := range ms {
			d, err := parseDesc(m.Desc().String())
			if err != nil {
				t.Fatal(err)
			}
			var pb dto.Metric
			if err := m.Write(&pb); err != nil {
				t.Fatal(err)
			}
			if f := fams[d.Name]; f != nil && f.Type == "" {
				f.Type = sampleType(&pb)
			}
		}
		// Vectors with no child yet.
		var typ string
		switch c.(type) {
		case *prometheus.CounterVec:
			typ = "counter"
		case *prometheus.GaugeVec:
			typ = "gauge"
		case *prometheus.HistogramVec:
			typ = "histogram"
		case *prometheus.SummaryVec:
			typ = "summary"
		}
		for _, n := range names {
			if fams[n].Type == "" {
				fams[n].Type = typ
			}
		}
	}
	for n, typ := range knownTypes {
		f := fams[n]
		if f == nil {
			t.Errorf("knownTypes names %s, which the agent does not register", n)
			continue
		}
		if f.Type == "" {
			f.Type = typ
		}
	}

	// The per-process families of the Prometheus aggregation.
	a.runtime.UpsertProc(&event.Proc{PID: 1, Exe: "/usr/bin/app", Service: "app", Node: "node", Namespace: "ns",
		Pod: "pod", Container: "ctr", GoVersion: "go1.26.0"})
	a.runtime.HandleRuntime(&event.Runtime{Kind: event.KindSTW, PID: 1, Reason: event.STWGCSweepTermination, DurationNS: 1000, StartNS: 1})
	// The scheduling-latency histogram is served once it has a sample.
	a.runtime.HandleRuntime(&event.Runtime{Kind: event.KindSchedLatency, PID: 1, LatencyNS: 1000})
	for _, m := range parseExposition(t, a.runtime.AppendExposition(nil, false)) {
		if fams[m.Name] != nil {
			t.Fatalf("%s is both registered and encoded by the Prometheus aggregation", m.Name)
		}
		fams[m.Name] = &m
	}

	var out []metricDoc
	for _, f := range fams {
		if f.Type == "" {
			t.Errorf("type of %s unknown: it emits no sample without a process; add it to knownTypes", f.Name)
		}
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sampleType(m *dto.Metric) string {
	switch {
	case m.Counter != nil:
		return "counter"
	case m.Gauge != nil:
		return "gauge"
	case m.Histogram != nil:
		return "histogram"
	case m.Summary != nil:
		return "summary"
	}
	return "untyped"
}

// parseDesc reads a prometheus.Desc's String():
// Desc{fqName: "n", help: "h", unit: "u", constLabels: {k="v",…}, variableLabels: {a,c(b),…}}.
func parseDesc(s string) (metricDoc, error) {
	var m metricDoc
	rest, ok := strings.CutPrefix(s, "Desc{fqName: ")
	if !ok {
		return m, errors.New("not a Desc")
	}
	next := func(field string) (string, error) {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		v, _ := strconv.Unquote(q)
		rest = rest[len(q):]
		return v, nil
	}
	var err error
	if m.Name, err = next("fqName"); err != nil {
		return m, err
	}
	if rest, ok = strings.CutPrefix(rest, ", help: "); !ok {
		return m, errors.New("no help")
	}
	if m.Help, err = next("help"); err != nil {
		return m, err
	}
	if rest, ok = strings.CutPrefix(rest, ", unit: "); !ok {
		return m, errors.New("no unit")
	}
	if _, err = next("unit"); err != nil {
		return m, err
	}
	if rest, ok = strings.CutPrefix(rest, ", constLabels: {"); !ok {
		return m, errors.New("no constLabels")
	}
	for !strings.HasPrefix(rest, "}") {
		name, r, ok := strings.Cut(rest, "=")
		if !ok {
			return m, errors.New("bad constLabels")
		}
		m.Labels = append(m.Labels, name)
		rest = r
		if _, err := next("constLabels"); err != nil {
			return m, err
		}
		rest = strings.TrimPrefix(rest, ",")
	}
	vl, ok := strings.CutPrefix(rest, "}, variableLabels: {")
	if !ok || !strings.HasSuffix(vl, "}}") {
		return m, errors.New("bad variableLabels")
	}
	if vl = strings.TrimSuffix(vl, "}}"); vl != "" {
		for _, l := range strings.Split(vl, ",") {
			l = strings.TrimSuffix(strings.TrimPrefix(l, "c("), ")")
			m.Labels = append(m.Labels, l)
		}
	}
	sort.Strings(m.Labels)
	return m, nil
}

// parseExposition reads the families of a text exposition (0.0.4): HELP,
// TYPE and the label names of their samples (le left out).
func parseExposition(t *testing.T, b []byte) []metricDoc {
	t.Helper()
	var out []metricDoc
	idx := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, _ := strings.Cut(line[len("# HELP "):], " ")
			idx[name] = len(out)
			out = append(out, metricDoc{Name: name, Help: help})
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(line[len("# TYPE "):], " ")
			out[idx[name]].Type = typ
		case line != "":
			series, _, _ := strings.Cut(line, "{")
			base := series
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if _, ok := idx[base]; !ok {
					base = strings.TrimSuffix(series, suf)
				}
			}
			i, ok := idx[base]
			if !ok {
				t.Fatalf("sample of no family: %s", line)
			}
			_, ls, _ := strings.Cut(line, "{")
			ls, _, _ = strings.Cut(ls, "}")
			for _, kv := range strings.Split(ls, ",") {
				k, _, _ := strings.Cut(kv, "=")
				if k != "" && k != "le" && !slices.Contains(out[i].Labels, k) {
					out[i].Labels = append(out[i].Labels, k)
				}
			}
		}
	}
	for i := range out {
		sort.Strings(out[i].Labels)
	}
	return out
}

func renderMetricsDoc(ms []metricDoc) []byte {
	var b bytes.Buffer
	b.WriteString(`# Metrics reference

<!-- Generated from the code by ` + "`make metrics-doc`" + ` (internal/agent TestMetricsDoc -update): do not edit. -->

Every metric family the agent serves on ` + "`/metrics`" + ` and remote-writes, as
registered by the code: the agent with every component configured, plus the
per-process ` + "`gopulse_go_*`" + ` families of the Prometheus aggregation. Remote
write adds ` + "`node`" + ` and ` + "`exporters.prometheus.external_labels`" + ` to every series
(not listed below). Histograms also have ` + "`le`" + `. client_golang's standard
` + "`go_*`" + ` and ` + "`process_*`" + ` families of the agent's own process are served too
and not listed. ` + "`TestMetricsDoc`" + ` fails when this file is stale.

| metric | type | labels | help |
|---|---|---|---|
`)
	for _, m := range ms {
		ls := make([]string, len(m.Labels))
		for i, l := range m.Labels {
			ls[i] = "`" + l + "`"
		}
		help := strings.ReplaceAll(m.Help, "|", `\|`)
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Name, m.Type, strings.Join(ls, ", "), help)
	}
	return b.Bytes()
}

// TestMetricsDoc: docs/metrics.md lists exactly what the code registers;
// `make metrics-doc` (go test -run TestMetricsDoc -update) rewrites it.
func TestMetricsDoc(t *testing.T) {
	ms := metricsReference(t)
	if len(ms) < 30 {
		t.Fatalf("only %d families found", len(ms))
	}
	for _, m := range ms {
		if !strings.HasPrefix(m.Name, "gopulse_") {
			t.Errorf("%s: the agent's metrics are named gopulse_*", m.Name)
		}
		if m.Help == "" {
			t.Errorf("%s has no help", m.Name)
		}
	}
	servedDocumented(t, ms)
	doc := renderMetricsDoc(ms)
	if *updateMetricsDoc {
		if err := os.WriteFile(metricsDocPath, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(metricsDocPath)
	if err != nil || !bytes.Equal(got, doc) {
		p, _ := filepath.Abs(metricsDocPath)
		t.Fatalf("%s is stale (%v): run `make metrics-doc`\n--- want:\n%s", p, err, doc)
	}
}

// servedDocumented runs an agent fed GC cycles of this process and checks
// that every gopulse_* family its /metrics serves is in the reference
// (a family registered late, after New, would be missing from it).
func servedDocumented(t *testing.T, ms []metricDoc) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.log"), []byte("level=info msg=hello\n"), 0o644)
	cfg, err := config.Parse("t.yaml", []byte(`listen: 127.0.0.1:0
state_dir: `+dir+`/state
logs: {paths: ["`+dir+`/*.log"], start_at: beginning}
health: {window: 200ms, worsen_after: 1, recover_after: 1}
kubernetes: {enabled: false}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Deps{Logger: slog.New(slog.DiscardHandler),
		Collectors: newDaemon(Options{Logger: slog.New(slog.DiscardHandler)}, cfg, nil).metrics,
		NewRuntimeSource: func(sink event.RuntimeSink, _ *pipeline.Resolver) (RuntimeSource, error) {
			return &gcSource{sink: sink, pid: uint32(os.Getpid())}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		a.Close()
	}()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, body = get(t, srv.URL+"/metrics")
		if strings.Contains(body, "gopulse_health_state{") && strings.Contains(body, "gopulse_go_gc_cycles_total{") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no health or runtime series served:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, line := range strings.Split(body, "\n") {
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
		if !strings.HasPrefix(line, "# TYPE gopulse_") {
			continue
		}
		if !slices.ContainsFunc(ms, func(m metricDoc) bool { return m.Name == name }) {
			t.Errorf("/metrics serves %s, which the reference lacks", name)
		}
	}
}
