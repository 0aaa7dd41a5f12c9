package gopulsereceiver

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"

	"github.com/gopulse/gopulse/collector/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	if f.Type() != metadata.Type || f.Type().String() != "gopulse" {
		t.Fatalf("type %s", f.Type())
	}
	if got := f.MetricsStability(); got != metadata.MetricsStability {
		t.Errorf("metrics stability %v", got)
	}
	cfg := f.CreateDefaultConfig()
	if err := componenttest.CheckConfigStruct(cfg); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(cfg); err != nil {
		t.Fatalf("the default config is invalid: %v", err)
	}
}

func TestConfigUnmarshal(t *testing.T) {
	cm := confmap.NewFromStringMap(map[string]any{
		"collection_interval": "2s",
		"pids":                []any{1234, 5678},
		"discover_all":        false,
		"trace":               true,
		"trace_budget":        0.02,
		"ring_buffer_size":    1 << 22,
		"sample_interval":     "500ms",
		"pause_buckets":       []any{0.001, 0.01, 0.1},
	})
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := cm.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.CollectionInterval != 2*time.Second || len(cfg.PIDs) != 2 || cfg.PIDs[1] != 5678 ||
		cfg.DiscoverAll || !cfg.Trace || cfg.TraceBudget != 0.02 || cfg.RingBufferSize != 1<<22 || cfg.SampleInterval != 500*time.Millisecond ||
		len(cfg.PauseBuckets) != 3 || len(cfg.GCBuckets) == 0 {
		t.Errorf("unmarshalled %+v", cfg)
	}
	if err := confmap.Validate(cfg); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}

	typo := confmap.NewFromStringMap(map[string]any{"colection_interval": "2s"})
	if err := typo.Unmarshal(NewFactory().CreateDefaultConfig()); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestConfigValidateJoinsEveryProblem(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.CollectionInterval = 0
	cfg.DiscoverAll = false
	cfg.PIDs = []int{12, -3}
	cfg.Trace = true
	cfg.TraceBudget = 1.5
	cfg.RingBufferSize = 3000
	cfg.SampleInterval = -time.Second
	cfg.GCBuckets = nil
	cfg.PauseBuckets = []float64{0.1, 0.01}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{
		"collection_interval must be positive",
		"pids[1]: -3 is not a process ID",
		"trace_budget must be in (0, 1]",
		"ring_buffer_size must be 0 or a power of two",
		"sample_interval must be positive",
		"gc_buckets must not be empty",
		"pause_buckets must be positive and strictly increasing",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 7 {
		t.Errorf("%d problems reported, want 7:\n%v", n, err)
	}

	cfg = NewFactory().CreateDefaultConfig().(*Config)
	cfg.DiscoverAll = false
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "nothing to watch") {
		t.Errorf("no pids and no discovery: %v", err)
	}
}
