package gopulsereceiver

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Config configures the gopulse receiver.
type Config struct {
	// CollectionInterval is how often the accumulated metrics are emitted.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// PIDs are watched from the start.
	PIDs []int `mapstructure:"pids"`
	// DiscoverAll watches every Go process on the machine (rescanned every
	// RescanInterval).
	DiscoverAll bool `mapstructure:"discover_all"`
	// RescanInterval is how often processes are rediscovered.
	RescanInterval time.Duration `mapstructure:"rescan_interval"`
	// Trace enables trace mode (per-goroutine events: scheduling latency,
	// goroutine creation) within TraceBudget of one CPU.
	Trace       bool    `mapstructure:"trace"`
	TraceBudget float64 `mapstructure:"trace_budget"`
	// SampleInterval is how often each process's own runtime accounting
	// (live goroutines, scheduling-latency histogram) is read.
	SampleInterval time.Duration `mapstructure:"sample_interval"`
	// RingBufferSize is the BPF ring buffer size in bytes (0: the probes'
	// default).
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// Histogram upper bounds in seconds (ascending, without +Inf).
	GCBuckets    []float64 `mapstructure:"gc_buckets"`
	PauseBuckets []float64 `mapstructure:"pause_buckets"`
	SchedBuckets []float64 `mapstructure:"sched_buckets"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Buckets shared with gopulse's Prometheus exporter, so that both report
// the same distributions.
func defaultGCBuckets() []float64 {
	return []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

func defaultPauseBuckets() []float64 {
	return []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, .001, .0025, .005, .01, .025, .05, .1, .5}
}

func defaultSchedBuckets() []float64 {
	return []float64{1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, .001, .005, .01, .05, .1, .5, 1}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.CollectionInterval <= 0 {
		errs = append(errs, fmt.Errorf("collection_interval must be positive, got %s", cfg.CollectionInterval))
	}
	if !cfg.DiscoverAll && len(cfg.PIDs) == 0 {
		errs = append(errs, errors.New("nothing to watch: set pids or discover_all"))
	}
	for i, pid := range cfg.PIDs {
		if pid <= 0 {
			errs = append(errs, fmt.Errorf("pids[%d]: %d is not a process ID", i, pid))
		}
	}
	if cfg.DiscoverAll && cfg.RescanInterval <= 0 {
		errs = append(errs, fmt.Errorf("rescan_interval must be positive with discover_all, got %s", cfg.RescanInterval))
	}
	if cfg.SampleInterval <= 0 {
		errs = append(errs, fmt.Errorf("sample_interval must be positive, got %s", cfg.SampleInterval))
	}
	if cfg.Trace && (cfg.TraceBudget <= 0 || cfg.TraceBudget > 1) {
		errs = append(errs, fmt.Errorf("trace_budget must be in (0, 1], got %g", cfg.TraceBudget))
	}
	if cfg.RingBufferSize < 0 || cfg.RingBufferSize > 0 && cfg.RingBufferSize&(cfg.RingBufferSize-1) != 0 {
		errs = append(errs, fmt.Errorf("ring_buffer_size must be 0 or a power of two, got %d", cfg.RingBufferSize))
	}
	for _, b := range []struct {
		name   string
		bounds []float64
	}{{"gc_buckets", cfg.GCBuckets}, {"pause_buckets", cfg.PauseBuckets}, {"sched_buckets", cfg.SchedBuckets}} {
		if len(b.bounds) == 0 {
			errs = append(errs, fmt.Errorf("%s must not be empty", b.name))
			continue
		}
		if b.bounds[0] <= 0 || !slices.IsSorted(b.bounds) || len(slices.Compact(slices.Clone(b.bounds))) != len(b.bounds) {
			errs = append(errs, fmt.Errorf("%s must be positive and strictly increasing, got %v", b.name, b.bounds))
		}
	}
	return errors.Join(errs...)
}
