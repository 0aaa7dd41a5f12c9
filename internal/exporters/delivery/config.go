package delivery

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// FsyncPolicy says when the queue fsyncs its write-ahead log.
type FsyncPolicy string

const (
	// FsyncAlways fsyncs after every flush of the in-memory batch (group
	// commit): nothing acknowledged to Enqueue's caller is lost even on a
	// power failure, once the flush has happened.
	FsyncAlways FsyncPolicy = "always"
	// FsyncInterval fsyncs at most every Config.FsyncInterval.
	FsyncInterval FsyncPolicy = "interval"
	// FsyncNever leaves it to the kernel. A killed agent (kill -9) still
	// loses nothing that was flushed: the page cache survives the process.
	FsyncNever FsyncPolicy = "never"
)

// Config configures one exporter's delivery queue.
type Config struct {
	// Name is the exporter, used as the `exporter` label ("prom_rw", "loki", …).
	Name string `yaml:"name"`
	// Endpoints in priority order: traffic goes to the first healthy one and
	// fails back to it when it recovers.
	Endpoints []Endpoint `yaml:"endpoints"`
	// Dir holds the write-ahead log segments and the ack file.
	Dir string `yaml:"dir"`

	// MaxQueueBytes caps the on-disk queue; when full, the oldest segment is
	// dropped (counted with reason "queue_full").
	MaxQueueBytes int64 `yaml:"max_queue_bytes"`
	// SegmentBytes is the size at which a segment is closed; at most
	// MaxQueueBytes/2.
	SegmentBytes int64 `yaml:"segment_bytes"`
	// MaxRecordBytes rejects larger payloads (reason "too_large").
	MaxRecordBytes int           `yaml:"max_record_bytes"`
	Fsync          FsyncPolicy   `yaml:"fsync"`
	FsyncInterval  time.Duration `yaml:"fsync_interval"`

	// MemoryBytes bounds the in-memory batch in front of the log; FlushInterval
	// bounds how long a payload waits there.
	MemoryBytes   int           `yaml:"memory_bytes"`
	FlushInterval time.Duration `yaml:"flush_interval"`

	Retry       RetryConfig       `yaml:"retry"`
	Breaker     BreakerConfig     `yaml:"breaker"`
	Concurrency ConcurrencyConfig `yaml:"concurrency"`
	// Ordered keeps delivery in log order: one request in flight and no new
	// record while an older one waits for a retry.
	Ordered bool `yaml:"ordered"`
	// HealthInterval is the period of endpoint health checks (when the
	// endpoint has a HealthURL and the transport can check).
	HealthInterval time.Duration `yaml:"health_interval"`
}

// Endpoint is one destination.
type Endpoint struct {
	URL string `yaml:"url"`
	// HealthURL, when set, is polled with GET; a 2xx marks the endpoint healthy.
	HealthURL string `yaml:"health_url"`
}

// RetryConfig configures retries of retryable failures (429, 5xx, network).
// Retryable payloads are retried until delivered or dropped by the queue cap.
type RetryConfig struct {
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	MaxBackoff     time.Duration `yaml:"max_backoff"`
	Multiplier     float64       `yaml:"multiplier"`
	// Jitter is the random fraction (0..1) taken off each backoff.
	Jitter float64 `yaml:"jitter"`
	// MaxRetryAfter caps a server's Retry-After.
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
}

// BreakerConfig configures the per-endpoint circuit breaker.
type BreakerConfig struct {
	// FailureThreshold consecutive failures open the breaker.
	FailureThreshold int `yaml:"failure_threshold"`
	// OpenTimeout is how long it stays open before a probe request; it
	// doubles on each failed probe up to MaxOpenTimeout.
	OpenTimeout    time.Duration `yaml:"open_timeout"`
	MaxOpenTimeout time.Duration `yaml:"max_open_timeout"`
}

// ConcurrencyConfig configures per-endpoint adaptive concurrency (AIMD).
type ConcurrencyConfig struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
	// LatencyTarget: a success slower than this decreases the limit.
	LatencyTarget time.Duration `yaml:"latency_target"`
	// Backoff is the multiplicative decrease (0..1) on 429, 5xx, network
	// errors and slow responses.
	Backoff float64 `yaml:"backoff"`
}

// DefaultConfig returns a Config with every knob set except Name, Endpoints
// and Dir.
func DefaultConfig() Config {
	return Config{
		MaxQueueBytes:  256 << 20,
		SegmentBytes:   16 << 20,
		MaxRecordBytes: 8 << 20,
		Fsync:          FsyncInterval,
		FsyncInterval:  time.Second,
		MemoryBytes:    4 << 20,
		FlushInterval:  200 * time.Millisecond,
		Retry: RetryConfig{
			InitialBackoff: 250 * time.Millisecond,
			MaxBackoff:     30 * time.Second,
			Multiplier:     2,
			Jitter:         0.2,
			MaxRetryAfter:  5 * time.Minute,
		},
		Breaker: BreakerConfig{
			FailureThreshold: 5,
			OpenTimeout:      time.Second,
			MaxOpenTimeout:   30 * time.Second,
		},
		Concurrency: ConcurrencyConfig{
			Min: 1, Max: 8,
			LatencyTarget: 2 * time.Second,
			Backoff:       0.5,
		},
		HealthInterval: 5 * time.Second,
	}
}

// Validate reports every problem of c, joined.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Name == "" {
		add("name is empty")
	}
	if len(c.Endpoints) == 0 {
		add("no endpoints")
	}
	for i, ep := range c.Endpoints {
		if err := checkURL(ep.URL); err != nil {
			add("endpoint %d url: %w", i, err)
		}
		if ep.HealthURL != "" {
			if err := checkURL(ep.HealthURL); err != nil {
				add("endpoint %d health_url: %w", i, err)
			}
		}
	}
	if c.Dir == "" {
		add("dir is empty")
	}
	if c.MaxQueueBytes <= 0 {
		add("max_queue_bytes must be positive")
	}
	if c.SegmentBytes <= 0 || c.SegmentBytes > c.MaxQueueBytes/2 {
		add("segment_bytes must be in (0, max_queue_bytes/2]")
	}
	if c.MaxRecordBytes <= 0 || int64(c.MaxRecordBytes) > c.MaxQueueBytes/2 {
		add("max_record_bytes must be in (0, max_queue_bytes/2]")
	}
	switch c.Fsync {
	case FsyncAlways, FsyncNever:
	case FsyncInterval:
		if c.FsyncInterval <= 0 {
			add("fsync_interval must be positive")
		}
	default:
		add("fsync %q: want always, interval or never", c.Fsync)
	}
	if c.MemoryBytes <= 0 {
		add("memory_bytes must be positive")
	}
	if c.FlushInterval <= 0 {
		add("flush_interval must be positive")
	}
	r := c.Retry
	if r.InitialBackoff <= 0 || r.MaxBackoff < r.InitialBackoff {
		add("retry: need 0 < initial_backoff <= max_backoff")
	}
	if r.Multiplier < 1 {
		add("retry: multiplier must be >= 1")
	}
	if r.Jitter < 0 || r.Jitter > 1 {
		add("retry: jitter must be in [0, 1]")
	}
	if r.MaxRetryAfter <= 0 {
		add("retry: max_retry_after must be positive")
	}
	b := c.Breaker
	if b.FailureThreshold < 1 {
		add("breaker: failure_threshold must be >= 1")
	}
	if b.OpenTimeout <= 0 || b.MaxOpenTimeout < b.OpenTimeout {
		add("breaker: need 0 < open_timeout <= max_open_timeout")
	}
	cc := c.Concurrency
	if cc.Min < 1 || cc.Max < cc.Min {
		add("concurrency: need 1 <= min <= max")
	}
	if cc.LatencyTarget <= 0 {
		add("concurrency: latency_target must be positive")
	}
	if cc.Backoff <= 0 || cc.Backoff >= 1 {
		add("concurrency: backoff must be in (0, 1)")
	}
	if c.HealthInterval <= 0 {
		add("health_interval must be positive")
	}
	return errors.Join(errs...)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}
