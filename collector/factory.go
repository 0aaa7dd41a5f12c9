package gopulsereceiver

import (
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/gopulse/gopulse/collector/internal/metadata"
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
	return &Config{
		CollectionInterval: 10 * time.Second,
		DiscoverAll:        true,
		RescanInterval:     time.Second,
		SampleInterval:     time.Second,
		TraceBudget:        0.05,
		GCBuckets:          defaultGCBuckets(),
		PauseBuckets:       defaultPauseBuckets(),
		SchedBuckets:       defaultSchedBuckets(),
	}
}
