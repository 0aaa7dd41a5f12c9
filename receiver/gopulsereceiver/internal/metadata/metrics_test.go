package metadata

import (
	"os"
	"sort"
	"testing"

	"go.opentelemetry.io/collector/filter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.yaml.in/yaml/v3"
)

// metadataFile is the part of metadata.yaml the hand-written builder must
// agree with.
type metadataFile struct {
	Type       string `yaml:"type"`
	Attributes map[string]struct {
		Type string   `yaml:"type"`
		Enum []string `yaml:"enum"`
	} `yaml:"attributes"`
	Metrics map[string]struct {
		Description string `yaml:"description"`
		Unit        string `yaml:"unit"`
		Enabled     bool   `yaml:"enabled"`
		Sum         *struct {
			ValueType string `yaml:"value_type"`
			Monotonic bool   `yaml:"monotonic"`
			Temporal  string `yaml:"aggregation_temporality"`
		} `yaml:"sum"`
		Gauge *struct {
			ValueType string `yaml:"value_type"`
		} `yaml:"gauge"`
		Histogram *struct {
			ValueType string `yaml:"value_type"`
		} `yaml:"histogram"`
		Attributes []string `yaml:"attributes"`
	} `yaml:"metrics"`
}

func readMetadata(t *testing.T) metadataFile {
	t.Helper()
	raw, err := os.ReadFile("../../metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var md metadataFile
	if err := yaml.Unmarshal(raw, &md); err != nil {
		t.Fatal(err)
	}
	return md
}

// TestBuilderMatchesMetadata: every metric of metadata.yaml is in the
// builder with its description, unit, type, value type, monotonicity,
// attribute and default, and nothing else is.
func TestBuilderMatchesMetadata(t *testing.T) {
	md := readMetadata(t)
	if md.Type != Type.String() {
		t.Errorf("metadata.yaml type %q, generated %s", md.Type, Type)
	}
	var names []string
	for name := range md.Metrics {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) != int(numMetrics) {
		t.Fatalf("metadata.yaml has %d metrics, the builder %d", len(names), numMetrics)
	}
	defaults := settings(DefaultMetricsConfig())
	for i, name := range names {
		d, m := metricDefs[i], md.Metrics[name]
		if d.name != name {
			t.Errorf("metric %d: builder %q, metadata.yaml %q (keep both sorted)", i, d.name, name)
			continue
		}
		if d.description != m.Description || d.unit != m.Unit {
			t.Errorf("%s: builder %q %q, metadata.yaml %q %q", name, d.description, d.unit, m.Description, m.Unit)
		}
		var typ pmetric.MetricType
		var vt string
		switch {
		case m.Sum != nil:
			typ, vt = pmetric.MetricTypeSum, m.Sum.ValueType
			if d.monotonic != m.Sum.Monotonic || m.Sum.Temporal != "cumulative" {
				t.Errorf("%s: monotonic %v, metadata.yaml %v (%s)", name, d.monotonic, m.Sum.Monotonic, m.Sum.Temporal)
			}
		case m.Gauge != nil:
			typ, vt = pmetric.MetricTypeGauge, m.Gauge.ValueType
		case m.Histogram != nil:
			typ, vt = pmetric.MetricTypeHistogram, m.Histogram.ValueType
		}
		if d.typ != typ || d.double != (vt == "double") {
			t.Errorf("%s: builder %v double=%v, metadata.yaml %v %s", name, d.typ, d.double, typ, vt)
		}
		var attr string
		if len(m.Attributes) > 1 {
			t.Errorf("%s: the builder supports one attribute per metric, metadata.yaml has %v", name, m.Attributes)
		} else if len(m.Attributes) == 1 {
			attr = m.Attributes[0]
		}
		if d.attr != attr {
			t.Errorf("%s: attribute %q, metadata.yaml %q", name, d.attr, attr)
		}
		if defaults[i].enabled != m.Enabled || defaults[i].withAttr != (attr != "") {
			t.Errorf("%s: default %+v, metadata.yaml enabled %v", name, defaults[i], m.Enabled)
		}
	}
	// The attribute enums list metadata.yaml's values.
	for _, tc := range []struct {
		attr  string
		names []string
	}{
		{"go.cpu.state", []string{AttributeGoCPUStateUser.String(), AttributeGoCPUStateGc.String(), AttributeGoCPUStateScavenge.String(), AttributeGoCPUStateIdle.String()}},
		{"go.memory.type", []string{AttributeGoMemoryTypeStack.String(), AttributeGoMemoryTypeOther.String()}},
		{"gopulse.gc.phase", []string{AttributeGopulseGcPhaseSweepTermination.String(), AttributeGopulseGcPhaseMark.String(), AttributeGopulseGcPhaseMarkTermination.String()}},
		{"gopulse.stw.reason", stwReasonNames[1:]},
	} {
		want := md.Attributes[tc.attr].Enum
		if len(want) != len(tc.names) {
			t.Errorf("%s: enum %v, builder %v", tc.attr, want, tc.names)
			continue
		}
		for i := range want {
			if want[i] != tc.names[i] {
				t.Errorf("%s: enum %v, builder %v", tc.attr, want, tc.names)
				break
			}
		}
	}
}

func TestBuilderRecordsAndEmits(t *testing.T) {
	cfg := NewDefaultMetricsBuilderConfig()
	cfg.Metrics.GoCPUTime.Enabled = false
	cfg.Metrics.GopulseGoStwPauseDuration.EnabledAttributes = nil // merge the reasons
	cfg.ResourceAttributes.HostName.MetricsExclude = []filter.Config{{Strict: "excluded-host"}}
	set := receivertest.NewNopSettings(Type)
	set.BuildInfo.Version = "v9.9.9"
	mb := NewMetricsBuilder(cfg, set)
	start, now := pcommon.Timestamp(1e9), pcommon.Timestamp(2e9)

	mb.RecordGoMemoryGcCyclesDataPoint(start, now, 42)
	mb.RecordGoCPUTimeDataPoint(start, now, 1.5, AttributeGoCPUStateUser) // disabled
	mb.RecordGoMemoryUsedDataPoint(start, now, 100, AttributeGoMemoryTypeStack)
	mb.RecordGoMemoryUsedDataPoint(start, now, 900, AttributeGoMemoryTypeOther)
	bounds := []float64{0.001, 0.01}
	mb.RecordGopulseGoStwPauseDurationDataPoint(start, now, &Histogram{Bounds: bounds, Counts: []uint64{1, 2, 0}, Count: 3, Sum: 0.012, Min: 0.0005, Max: 0.006, HasMinMax: true}, AttributeGopulseStwReasonGcSweepTermination)
	mb.RecordGopulseGoStwPauseDurationDataPoint(start, now, &Histogram{Bounds: bounds, Counts: []uint64{0, 0, 1}, Count: 1, Sum: 0.5, Min: 0.5, Max: 0.5, HasMinMax: true}, AttributeGopulseStwReasonReadMemStats)
	rb := mb.NewResourceBuilder()
	rb.SetProcessPid(7)
	rb.SetHostName("a-host")
	mb.EmitForResource(rb.Emit())

	mb.RecordGoMemoryGcCyclesDataPoint(start, now, 1)
	rb = mb.NewResourceBuilder()
	rb.SetHostName("excluded-host")
	mb.EmitForResource(rb.Emit())

	out := mb.Emit()
	if n := out.ResourceMetrics().Len(); n != 1 {
		t.Fatalf("%d resources, want 1 (the other is excluded)", n)
	}
	rm := out.ResourceMetrics().At(0)
	sm := rm.ScopeMetrics().At(0)
	if sm.Scope().Name() != ScopeName || sm.Scope().Version() != "v9.9.9" || rm.SchemaUrl() == "" {
		t.Errorf("scope %s %s, schema %q", sm.Scope().Name(), sm.Scope().Version(), rm.SchemaUrl())
	}
	got := map[string]pmetric.Metric{}
	for i := 0; i < sm.Metrics().Len(); i++ {
		got[sm.Metrics().At(i).Name()] = sm.Metrics().At(i)
	}
	if len(got) != 3 {
		t.Fatalf("metrics %v", got)
	}
	if _, ok := got[MetricGoCPUTime]; ok {
		t.Error("a disabled metric was emitted")
	}
	c := got[MetricGoMemoryGcCycles]
	if dp := c.Sum().DataPoints().At(0); !c.Sum().IsMonotonic() || dp.IntValue() != 42 || dp.StartTimestamp() != start || dp.Timestamp() != now {
		t.Errorf("gc cycles %v", dp)
	}
	if n := got[MetricGoMemoryUsed].Sum().DataPoints().Len(); n != 2 {
		t.Errorf("memory used: %d points, want one per type", n)
	}
	h := got[MetricGopulseGoStwPauseDuration].Histogram()
	if h.DataPoints().Len() != 1 {
		t.Fatalf("pauses: %d points, want the reasons merged into one", h.DataPoints().Len())
	}
	dp := h.DataPoints().At(0)
	if dp.Count() != 4 || dp.Sum() != 0.512 || dp.Min() != 0.0005 || dp.Max() != 0.5 || dp.BucketCounts().At(2) != 1 ||
		h.AggregationTemporality() != pmetric.AggregationTemporalityCumulative || dp.Attributes().Len() != 0 {
		t.Errorf("merged histogram: count %d sum %g min %g max %g buckets %v attrs %v", dp.Count(), dp.Sum(), dp.Min(), dp.Max(), dp.BucketCounts().AsRaw(), dp.Attributes().AsRaw())
	}
	if out := mb.Emit(); out.ResourceMetrics().Len() != 0 {
		t.Error("Emit returned old data twice")
	}
}
