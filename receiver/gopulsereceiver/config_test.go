package gopulsereceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
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

func load(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.MustNewIDWithName("gopulse", name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatalf("unmarshal %s: %v", name, err)
	}
	return cfg
}

func TestLoadConfig(t *testing.T) {
	if got := load(t, ""); !equalConfig(got, NewFactory().CreateDefaultConfig().(*Config)) {
		t.Errorf("an empty section is not the default config: %+v", got)
	}

	cfg := load(t, "custom")
	if err := confmap.Validate(cfg); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	if cfg.CollectionInterval != 5*time.Second || len(cfg.PIDs) != 2 || cfg.PIDs[1] != 5678 || cfg.DiscoverAll ||
		!cfg.Trace || cfg.TraceBudget != 0.02 || cfg.RingBufferSize != 4<<20 || cfg.SampleInterval != 500*time.Millisecond ||
		len(cfg.PauseBuckets) != 3 || len(cfg.GCBuckets) == 0 || len(cfg.ScheduleLatencyQuantiles) != 2 || cfg.Kubernetes.Enabled {
		t.Errorf("unmarshalled %+v", cfg)
	}
	// mdatagen's metric and resource attribute switches.
	m := cfg.Metrics
	if m.GoCPUTime.Enabled || !m.GoMemoryGcCycles.Enabled || len(m.GopulseGoStwPauseDuration.EnabledAttributes) != 0 ||
		m.GopulseGoStwPauseDuration.AggregationStrategy != metadata.AggregationStrategySum {
		t.Errorf("metrics switches %+v", m)
	}
	ra := cfg.ResourceAttributes
	if ra.ProcessExecutablePath.Enabled || !ra.ServiceName.Enabled || len(ra.HostName.MetricsExclude) != 1 {
		t.Errorf("resource attribute switches %+v", ra)
	}
}

func TestConfigValidateJoinsEveryProblem(t *testing.T) {
	err := confmap.Validate(load(t, "invalid"))
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{
		"collection_interval must be positive",
		"pids[0]: -3 is not a process ID",
		"trace_budget must be in (0, 1]",
		"ring_buffer_size must be 0 or a power of two",
		"gc_buckets must not be empty",
		"pause_buckets must be positive and strictly increasing",
		"schedule_latency_quantiles[0]: 0 is not in (0, 1]",
		"schedule_latency_quantiles[1]: 2 is not in (0, 1]",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.DiscoverAll = false
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "nothing to watch") {
		t.Errorf("no pids and no discovery: %v", err)
	}
}

func TestConfigTypos(t *testing.T) {
	for _, raw := range []map[string]any{
		{"colection_interval": "2s"},
		{"metrics": map[string]any{"go.memory.nosuch": map[string]any{"enabled": false}}},
		{"resource_attributes": map[string]any{"process.pid": map[string]any{"enabeld": false}}},
		{"metrics": map[string]any{"go.memory.used": map[string]any{"attributes": []any{"go.memory.kind"}}}},
	} {
		cfg := NewFactory().CreateDefaultConfig()
		err := confmap.NewFromStringMap(raw).Unmarshal(cfg)
		if err == nil {
			err = confmap.Validate(cfg)
		}
		if err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}

func equalConfig(a, b *Config) bool {
	return a.CollectionInterval == b.CollectionInterval && a.DiscoverAll == b.DiscoverAll && len(a.PIDs) == len(b.PIDs) &&
		a.SampleInterval == b.SampleInterval && len(a.GCBuckets) == len(b.GCBuckets) && a.Kubernetes == b.Kubernetes &&
		a.Metrics.GoMemoryUsed.Enabled == b.Metrics.GoMemoryUsed.Enabled
}
