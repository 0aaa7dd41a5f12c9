package gopulsereceiver

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/semconvpin"
)

// The semantic conventions this receiver follows, pinned in
// internal/semconvpin (the generated goconv package of
// go.opentelemetry.io/otel/semconv/v1.41.0).
type semconvMetric struct {
	name, unit, description string
	typ                     pmetric.MetricType
	monotonic, double       bool
}

func semconvMetrics(t *testing.T) map[string]semconvMetric {
	t.Helper()
	pinned, err := semconvpin.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]pmetric.MetricType{}
	for _, typ := range []pmetric.MetricType{pmetric.MetricTypeSum, pmetric.MetricTypeGauge, pmetric.MetricTypeHistogram} {
		types[typ.String()] = typ
	}
	out := map[string]semconvMetric{}
	for name, m := range pinned {
		out[name] = semconvMetric{name: m.Name, unit: m.Unit, description: m.Description, typ: types[m.Type],
			monotonic: m.Monotonic, double: m.Double}
	}
	return out
}

// TestSemconvListComplete: the pin lists every metric the pinned
// goconv package defines (read from its source, so a metric added to the
// pinned version cannot be missed).
func TestSemconvListComplete(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.opentelemetry.io/otel").Output()
	if err != nil {
		t.Fatalf("locate go.opentelemetry.io/otel: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(dir)), "semconv", semconvpin.Version, "goconv", "metric.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "Name" || fn.Recv == nil || len(fn.Body.List) != 1 {
			continue
		}
		if ret, ok := fn.Body.List[0].(*ast.ReturnStmt); ok && len(ret.Results) == 1 {
			if lit, ok := ret.Results[0].(*ast.BasicLit); ok {
				name, _ := strconv.Unquote(lit.Value)
				defined[name] = true
			}
		}
	}
	listed := semconvMetrics(t)
	var missing []string
	for name := range defined {
		if _, ok := listed[name]; !ok {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(defined) != len(listed) {
		t.Fatalf("goconv %s defines %d metrics, the pin lists %d; missing %v", semconvpin.Version, len(defined), len(listed), missing)
	}
}

// checkSemconv fails for every semconv Go metric that ms lacks or emits
// with another unit, type, monotonicity or value type.
func checkSemconv(t *testing.T, ms map[string]pmetric.Metric) {
	t.Helper()
	for name, want := range semconvMetrics(t) {
		m, ok := ms[name]
		if !ok {
			t.Errorf("semconv metric %s not emitted", name)
			continue
		}
		if m.Unit() != want.unit || m.Description() != want.description || m.Type() != want.typ {
			t.Errorf("%s: unit %q type %v %q, semconv %q %v %q", name, m.Unit(), m.Type(), m.Description(), want.unit, want.typ, want.description)
			continue
		}
		switch m.Type() {
		case pmetric.MetricTypeSum:
			s := m.Sum()
			if s.IsMonotonic() != want.monotonic || s.AggregationTemporality() != pmetric.AggregationTemporalityCumulative {
				t.Errorf("%s: monotonic %v, semconv %v", name, s.IsMonotonic(), want.monotonic)
			}
			if s.DataPoints().Len() == 0 {
				t.Errorf("%s: no data point", name)
				continue
			}
			double := s.DataPoints().At(0).ValueType() == pmetric.NumberDataPointValueTypeDouble
			if double != want.double {
				t.Errorf("%s: double %v, semconv %v", name, double, want.double)
			}
		case pmetric.MetricTypeHistogram:
			if m.Histogram().DataPoints().Len() == 0 {
				t.Errorf("%s: no data point", name)
			}
		}
	}
}
