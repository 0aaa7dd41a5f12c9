//go:build linux

package gopulsereceiver

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/probes"
)

func createMetricsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("unexpected config type %T", cfg)
	}
	return newReceiver(set, c, next, newProbesSource), nil
}

// probesSource is the probes manager seen as a source.
type probesSource struct {
	m *probes.Manager
}

func newProbesSource(cfg *Config, logger *slog.Logger, sink event.RuntimeSink) (source, error) {
	m, err := probes.New(probes.Config{
		PIDs:           cfg.PIDs,
		All:            cfg.DiscoverAll,
		Trace:          cfg.Trace,
		TraceBudget:    cfg.TraceBudget,
		RingBytes:      cfg.RingBufferSize,
		RescanInterval: cfg.RescanInterval,
	}, probes.Deps{Logger: logger, Sink: sink, SampleInterval: cfg.SampleInterval})
	if err != nil {
		return nil, fmt.Errorf("create probes manager: %w", err)
	}
	return probesSource{m: m}, nil
}

func (s probesSource) Run(ctx context.Context) error { return s.m.Run(ctx) }

func (s probesSource) Close() error { return s.m.Close() }

func (s probesSource) Procs() []event.Proc {
	infos := s.m.Procs()
	out := make([]event.Proc, len(infos))
	for i, p := range infos {
		out[i] = p.Proc
	}
	return out
}
