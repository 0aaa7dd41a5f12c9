// Package semconvpin holds the semantic conventions the receiver follows,
// pinned: the generated goconv package of go.opentelemetry.io/otel/semconv
// at Version (the version that defines go.memory.gc.cycles and
// go.memory.gc.pause.duration), at the go.opentelemetry.io/otel version of
// this module's go.mod. Tests check the receiver's output against it, in
// process (semconv_test.go) and through the built collector distribution
// (e2e, via testdata/semconv); the receiver itself does not import it.
package semconvpin

import (
	"fmt"
	"reflect"
	"strings"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/semconv/v1.41.0/goconv"
)

// Version is the pinned semantic-conventions release.
const Version = "v1.41.0"

// Metric is one semconv Go runtime metric: its name, unit and description
// from the generated instrument type, its kind from the OTel instrument the
// type wraps.
type Metric struct {
	Name        string `json:"name"`
	Unit        string `json:"unit"`
	Description string `json:"description"`
	// Type is the OTLP data type: Sum, Gauge or Histogram.
	Type string `json:"type"`
	// Monotonic is true for a Counter (a monotonic Sum).
	Monotonic bool `json:"monotonic"`
	// Double is true for a Float64 instrument.
	Double bool `json:"double"`
}

type instrument interface {
	Name() string
	Unit() string
	Description() string
}

// instruments is every instrument type the pinned goconv package defines
// (TestSemconvListComplete checks the list against the package's source).
var instruments = []instrument{
	goconv.ConfigGogc{}, goconv.CPUTime{}, goconv.GoroutineCount{}, goconv.MemoryAllocated{},
	goconv.MemoryAllocations{}, goconv.MemoryGCCycles{}, goconv.MemoryGCGoal{}, goconv.MemoryGCPauseDuration{},
	goconv.MemoryLimit{}, goconv.MemoryUsed{}, goconv.ProcessorLimit{}, goconv.ScheduleDuration{},
}

// Metrics returns the pinned definitions by name.
func Metrics() (map[string]Metric, error) {
	out := make(map[string]Metric, len(instruments))
	for _, inst := range instruments {
		kind := reflect.TypeOf(inst).Field(0).Type.Name() // e.g. Int64ObservableUpDownCounter
		m := Metric{Name: inst.Name(), Unit: inst.Unit(), Description: inst.Description(),
			Double: strings.HasPrefix(kind, "Float64")}
		switch {
		case strings.HasSuffix(kind, "Histogram"):
			m.Type = pmetric.MetricTypeHistogram.String()
		case strings.HasSuffix(kind, "UpDownCounter"):
			m.Type = pmetric.MetricTypeSum.String()
		case strings.HasSuffix(kind, "Counter"):
			m.Type, m.Monotonic = pmetric.MetricTypeSum.String(), true
		case strings.HasSuffix(kind, "Gauge"):
			m.Type = pmetric.MetricTypeGauge.String()
		default:
			return nil, fmt.Errorf("semconv %s: unknown instrument %s", m.Name, kind)
		}
		out[m.Name] = m
	}
	return out, nil
}
