package gopulsereceiver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/gopulse/gopulse/event"
)

// source produces runtime events into the sink it was created with: the
// probes manager in production.
type source interface {
	Run(ctx context.Context) error
	// Procs describes the processes watched now.
	Procs() []event.Proc
	Close() error
}

// newSourceFunc creates the event source; Start calls it.
type newSourceFunc func(cfg *Config, logger *slog.Logger, sink event.RuntimeSink) (source, error)

type gopulseReceiver struct {
	cfg       *Config
	logger    *zap.Logger
	slog      *slog.Logger
	next      consumer.Metrics
	newSource newSourceFunc
	now       func() time.Time

	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	src     source
	acc     *accumulator
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics, newSource newSourceFunc) *gopulseReceiver {
	return &gopulseReceiver{
		cfg:       cfg,
		logger:    set.Logger,
		slog:      slogFromZap(set.Logger),
		next:      next,
		newSource: newSource,
		now:       time.Now,
	}
}

// Start creates the probes and starts emitting metrics every
// collection_interval. A receiver starts at most once.
func (r *gopulseReceiver) Start(_ context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return nil
	}
	acc := newAccumulator(r.cfg)
	src, err := r.newSource(r.cfg, r.slog, acc)
	if err != nil {
		return fmt.Errorf("start runtime probes: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.started, r.cancel, r.src, r.acc = true, cancel, src, acc

	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		if err := src.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fmt.Errorf("runtime probes: %w", err)))
		}
	}()
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(r.cfg.CollectionInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.emit(ctx)
			}
		}
	}()
	return nil
}

// emit sends the accumulated metrics downstream.
func (r *gopulseReceiver) emit(ctx context.Context) {
	md := r.collect()
	if md.ResourceMetrics().Len() == 0 {
		return
	}
	if err := r.next.ConsumeMetrics(ctx, md); err != nil {
		r.logger.Warn("consume metrics", zap.Error(err))
	}
}

func (r *gopulseReceiver) collect() pmetric.Metrics {
	procs := r.src.Procs()
	byPID := make(map[uint32]event.Proc, len(procs))
	for _, p := range procs {
		byPID[uint32(p.PID)] = p
	}
	md := pmetric.NewMetrics()
	r.acc.appendMetrics(md, pcommon.NewTimestampFromTime(r.now()), byPID)
	return md
}

// Shutdown stops the probes; it is safe without Start and safe twice.
func (r *gopulseReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || !r.started {
		r.stopped = true
		return nil
	}
	r.stopped = true
	r.cancel()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("wait for the probes to stop: %w", ctx.Err())
	}
	if cerr := r.src.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close runtime probes: %w", cerr))
	}
	return err
}
