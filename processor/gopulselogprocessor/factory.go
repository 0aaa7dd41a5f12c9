package gopulselogprocessor

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/gopulse/gopulse/processor/gopulselogprocessor/internal/metadata"
)

// NewFactory returns the factory of the gopulse log processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(metadata.Type, createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	return &Config{
		// The filelog receiver's file attributes, then a container's.
		StreamKeys:  []string{"log.file.path", "log.file.name", "k8s.pod.uid", "k8s.namespace.name", "k8s.pod.name", "k8s.container.name", "container.id"},
		MaxStreams:  4096,
		Multiline:   MultilineConfig{Enabled: true, Wait: time.Second},
		Templates:   TemplatesConfig{Enabled: true},
		SchemaDrift: true,
	}
}

func createLogs(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("unexpected config type %T", cfg)
	}
	return newProcessor(set, c, next)
}
