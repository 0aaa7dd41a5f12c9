package gopulsereceiver

import (
	"os"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.yaml.in/yaml/v3"

	"github.com/gopulse/gopulse/event"
)

// metadataFile is the part of metadata.yaml this test reads.
type metadataFile struct {
	Type               string `yaml:"type"`
	ResourceAttributes map[string]struct {
		Type string `yaml:"type"`
	} `yaml:"resource_attributes"`
	Metrics map[string]struct {
		Unit string `yaml:"unit"`
		Sum  *struct {
			Monotonic bool `yaml:"monotonic"`
		} `yaml:"sum"`
		Histogram  *struct{} `yaml:"histogram"`
		Attributes []string  `yaml:"attributes"`
	} `yaml:"metrics"`
}

// TestMetadataMatchesEmittedMetrics stands in for mdatagen's generated
// checks: every metric that the receiver emits is declared in metadata.yaml
// with the same unit, type and attributes, and every declared metric and
// resource attribute is emitted.
func TestMetadataMatchesEmittedMetrics(t *testing.T) {
	raw, err := os.ReadFile("metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var md metadataFile
	if err := yaml.Unmarshal(raw, &md); err != nil {
		t.Fatal(err)
	}
	if md.Type != NewFactory().Type().String() {
		t.Errorf("metadata.yaml type %q, factory type %s", md.Type, NewFactory().Type())
	}

	// Every kind of event, so that every metric is emitted.
	acc := newAccumulator(testConfig())
	sched := &event.SchedHistogram{Buckets: []float64{0, 1e-6, 1e-3, 1}, Counts: []uint64{1, 2, 3}}
	for _, ev := range []event.Runtime{
		{Kind: event.KindGCEnd, PID: 1, TS: 1, DurationNS: 1000},
		{Kind: event.KindSTW, PID: 1, TS: 1, DurationNS: 1000, Reason: event.STWGCMarkTermination},
		{Kind: event.KindSchedLatency, PID: 1, TS: 1, LatencyNS: 1000},
		{Kind: event.KindGoroutineCreate, PID: 1, TS: 1},
		{Kind: event.KindSample, PID: 1, TS: 1, Goroutines: 3, Sched: sched},
	} {
		acc.HandleRuntime(&ev)
	}
	out := pmetric.NewMetrics()
	acc.appendMetrics(out, 2, map[uint32]event.Proc{1: {PID: 1, Exe: "/x", Service: "x", GoVersion: "go1.26.8",
		Namespace: "n", Pod: "p", Container: "c"}})
	rm := out.ResourceMetrics().At(0)

	for k := range md.ResourceAttributes {
		if _, ok := rm.Resource().Attributes().Get(k); !ok {
			t.Errorf("resource attribute %s is declared but not emitted", k)
		}
	}
	for k := range rm.Resource().Attributes().AsRaw() {
		if _, ok := md.ResourceAttributes[k]; !ok {
			t.Errorf("resource attribute %s is emitted but not declared", k)
		}
	}

	emitted := metricsByName(rm)
	for name, decl := range md.Metrics {
		m, ok := emitted[name]
		if !ok {
			t.Errorf("metric %s is declared but not emitted", name)
			continue
		}
		if m.Unit() != decl.Unit {
			t.Errorf("%s: unit %q, declared %q", name, m.Unit(), decl.Unit)
		}
		switch {
		case decl.Sum != nil:
			if m.Type() != pmetric.MetricTypeSum || m.Sum().IsMonotonic() != decl.Sum.Monotonic {
				t.Errorf("%s: %v, declared a sum (monotonic %v)", name, m.Type(), decl.Sum.Monotonic)
			}
		case decl.Histogram != nil:
			if m.Type() != pmetric.MetricTypeHistogram {
				t.Errorf("%s: %v, declared a histogram", name, m.Type())
			}
		}
		if len(decl.Attributes) > 0 && m.Type() == pmetric.MetricTypeHistogram {
			attrs := m.Histogram().DataPoints().At(0).Attributes()
			for _, a := range decl.Attributes {
				if _, ok := attrs.Get(a); !ok {
					t.Errorf("%s: attribute %s is declared but not set", name, a)
				}
			}
		}
	}
	for name := range emitted {
		if _, ok := md.Metrics[name]; !ok {
			t.Errorf("metric %s is emitted but not declared in metadata.yaml", name)
		}
	}
}
