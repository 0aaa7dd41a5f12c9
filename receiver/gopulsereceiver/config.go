package gopulsereceiver

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
)

// Config configures the gopulse receiver.
type Config struct {
	// CollectionInterval is how often the aggregated metrics are emitted.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// PIDs are watched from the start. A pid that is missing, exits, is not
	// a Go program or cannot be probed is reported in the component status
	// and logged; the others are watched all the same.
	PIDs []int `mapstructure:"pids"`
	// DiscoverAll watches every Go process on the machine (rescanned every
	// RescanInterval).
	DiscoverAll bool `mapstructure:"discover_all"`
	// RescanInterval is how often processes are rediscovered.
	RescanInterval time.Duration `mapstructure:"rescan_interval"`
	// Trace enables trace mode (per-goroutine events: scheduling latency,
	// goroutine creation, leak suspects) within TraceBudget of one CPU.
	Trace       bool    `mapstructure:"trace"`
	TraceBudget float64 `mapstructure:"trace_budget"`
	// SampleInterval is how often each process's own runtime state
	// (goroutines, scheduling latency, memory, GC configuration) is read.
	SampleInterval time.Duration `mapstructure:"sample_interval"`
	// RingBufferSize is the BPF ring buffer size in bytes (0: the probes'
	// default).
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// Histogram upper bounds in seconds (ascending, without +Inf); the
	// same defaults as the gopulse agent's Prometheus exporter.
	GCBuckets    []float64 `mapstructure:"gc_buckets"`
	PauseBuckets []float64 `mapstructure:"pause_buckets"`
	SchedBuckets []float64 `mapstructure:"sched_buckets"`
	// ScheduleLatencyQuantiles are the quantiles of
	// gopulse.go.schedule.latency.quantile, each in (0, 1].
	ScheduleLatencyQuantiles []float64 `mapstructure:"schedule_latency_quantiles"`
	// Kubernetes names processes after their pods (k8s.* resource
	// attributes, service.name from the pod's labels).
	Kubernetes KubernetesConfig `mapstructure:"kubernetes"`

	metadata.MetricsBuilderConfig `mapstructure:",squash"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// KubernetesConfig says where the pod list comes from. Outside a cluster
// (nothing configured, no service account) processes are named after their
// executables.
type KubernetesConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// KubeletURL is the kubelet's read-only API, e.g. http://127.0.0.1:10255.
	KubeletURL string `mapstructure:"kubelet_url"`
	// APIServer defaults to the in-cluster environment.
	APIServer string `mapstructure:"api_server"`
	// NodeName filters the API server's pod list (default $NODE_NAME).
	NodeName string `mapstructure:"node_name"`
	// Refresh is how often the pod list is refetched.
	Refresh time.Duration `mapstructure:"refresh"`
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
	for i, q := range cfg.ScheduleLatencyQuantiles {
		if q <= 0 || q > 1 {
			errs = append(errs, fmt.Errorf("schedule_latency_quantiles[%d]: %g is not in (0, 1]", i, q))
		}
	}
	if cfg.Kubernetes.Refresh < 0 {
		errs = append(errs, fmt.Errorf("kubernetes.refresh must not be negative, got %s", cfg.Kubernetes.Refresh))
	}
	return errors.Join(errs...)
}
