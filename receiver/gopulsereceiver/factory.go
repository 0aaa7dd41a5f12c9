package gopulsereceiver

import (
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/gopulse/gopulse/internal/procstats"
	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
)

// NewFactory returns the factory of the gopulse receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithMetrics(createMetricsReceiver, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	agg := procstats.DefaultConfig() // the agent's buckets, so both report the same distributions
	return &Config{
		CollectionInterval:       10 * time.Second,
		DiscoverAll:              true,
		RescanInterval:           time.Second,
		SampleInterval:           time.Second,
		TraceBudget:              0.05,
		GCBuckets:                agg.GCBuckets,
		PauseBuckets:             agg.PauseBuckets,
		SchedBuckets:             agg.SchedBuckets,
		ScheduleLatencyQuantiles: []float64{0.5, 0.9, 0.99},
		Kubernetes:               KubernetesConfig{Enabled: true, Refresh: 30 * time.Second},
		MetricsBuilderConfig:     metadata.NewDefaultMetricsBuilderConfig(),
	}
}
