// Package metadata holds the receiver's identity and stability, as declared
// in ../../metadata.yaml. mdatagen would generate it; it is not served by the
// module proxy at the pinned version, so this file is written by hand.
package metadata

import "go.opentelemetry.io/collector/component"

// Type is the receiver's component type.
var Type = component.MustNewType("gopulse")

const (
	// ScopeName is the instrumentation scope of the emitted metrics.
	ScopeName = "github.com/gopulse/gopulse/collector"
	// MetricsStability is the stability of the metrics signal.
	MetricsStability = component.StabilityLevelAlpha
)

// Metric names, as in metadata.yaml.
const (
	MetricGoroutineCount    = "go.goroutine.count"
	MetricScheduleDuration  = "go.schedule.duration"
	MetricGCCycles          = "gopulse.go.gc.cycles"
	MetricGCCycleDuration   = "gopulse.go.gc.cycle_duration"
	MetricSTWPause          = "gopulse.go.stw_pause"
	MetricSchedLatency      = "gopulse.go.sched_latency"
	MetricGoroutinesCreated = "gopulse.go.goroutines.created"
)

// Attribute and resource attribute keys, as in metadata.yaml.
const (
	AttrReason               = "reason"
	ResServiceName           = "service.name"
	ResProcessPID            = "process.pid"
	ResProcessExecutablePath = "process.executable.path"
	ResProcessRuntimeName    = "process.runtime.name"
	ResProcessRuntimeVersion = "process.runtime.version"
	ResK8sNamespaceName      = "k8s.namespace.name"
	ResK8sPodName            = "k8s.pod.name"
	ResK8sContainerName      = "k8s.container.name"
)
