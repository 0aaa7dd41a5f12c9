// This file is written by hand from ../../metadata.yaml. mdatagen v0.158.0
// (the newest the module proxy serves) generates the configuration, resource
// and status files beside it, but its metrics builder cannot record
// histograms (it emits number data points into a histogram metric) and
// gives every data point the builder's one start time, whereas each
// watched process has its own. This builder keeps mdatagen's API shape
// (Record…DataPoint, EmitForResource, Emit, the attribute enums, the
// aggregation strategies of disabled attributes, the resource attribute
// filters) and adds histogram data points and per-point start times.
// metrics_test.go checks it against metadata.yaml.

package metadata

import (
	"slices"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/filter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	conventions "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Aggregation strategies for data points that a disabled attribute makes
// equal (the metrics' aggregation_strategy setting).
const (
	AggregationStrategySum = "sum"
	AggregationStrategyAvg = "avg"
	AggregationStrategyMin = "min"
	AggregationStrategyMax = "max"
)

// AttributeGoCPUState specifies the value of the go.cpu.state attribute.
type AttributeGoCPUState int

// go.cpu.state values.
const (
	_ AttributeGoCPUState = iota
	AttributeGoCPUStateUser
	AttributeGoCPUStateGc
	AttributeGoCPUStateScavenge
	AttributeGoCPUStateIdle
)

// String returns the string representation of the AttributeGoCPUState.
func (av AttributeGoCPUState) String() string {
	switch av {
	case AttributeGoCPUStateUser:
		return "user"
	case AttributeGoCPUStateGc:
		return "gc"
	case AttributeGoCPUStateScavenge:
		return "scavenge"
	case AttributeGoCPUStateIdle:
		return "idle"
	}
	return ""
}

// AttributeGoMemoryType specifies the value of the go.memory.type attribute.
type AttributeGoMemoryType int

// go.memory.type values.
const (
	_ AttributeGoMemoryType = iota
	AttributeGoMemoryTypeStack
	AttributeGoMemoryTypeOther
)

// String returns the string representation of the AttributeGoMemoryType.
func (av AttributeGoMemoryType) String() string {
	switch av {
	case AttributeGoMemoryTypeStack:
		return "stack"
	case AttributeGoMemoryTypeOther:
		return "other"
	}
	return ""
}

// AttributeGopulseGcPhase specifies the value of the gopulse.gc.phase attribute.
type AttributeGopulseGcPhase int

// gopulse.gc.phase values.
const (
	_ AttributeGopulseGcPhase = iota
	AttributeGopulseGcPhaseSweepTermination
	AttributeGopulseGcPhaseMark
	AttributeGopulseGcPhaseMarkTermination
)

// String returns the string representation of the AttributeGopulseGcPhase.
func (av AttributeGopulseGcPhase) String() string {
	switch av {
	case AttributeGopulseGcPhaseSweepTermination:
		return "sweep_termination"
	case AttributeGopulseGcPhaseMark:
		return "mark"
	case AttributeGopulseGcPhaseMarkTermination:
		return "mark_termination"
	}
	return ""
}

// AttributeGopulseStwReason specifies the value of the gopulse.stw.reason attribute.
type AttributeGopulseStwReason int

// gopulse.stw.reason values.
const (
	_ AttributeGopulseStwReason = iota
	AttributeGopulseStwReasonGcSweepTermination
	AttributeGopulseStwReasonGcMarkTermination
	AttributeGopulseStwReasonReadMemStats
	AttributeGopulseStwReasonGomaxprocs
	AttributeGopulseStwReasonGoroutineProfile
	AttributeGopulseStwReasonStackDump
	AttributeGopulseStwReasonStartTrace
	AttributeGopulseStwReasonStopTrace
	AttributeGopulseStwReasonForEachP
	AttributeGopulseStwReasonOther
	AttributeGopulseStwReasonUnknown
)

var stwReasonNames = [...]string{
	AttributeGopulseStwReasonGcSweepTermination: "gc_sweep_termination",
	AttributeGopulseStwReasonGcMarkTermination:  "gc_mark_termination",
	AttributeGopulseStwReasonReadMemStats:       "read_mem_stats",
	AttributeGopulseStwReasonGomaxprocs:         "gomaxprocs",
	AttributeGopulseStwReasonGoroutineProfile:   "goroutine_profile",
	AttributeGopulseStwReasonStackDump:          "stack_dump",
	AttributeGopulseStwReasonStartTrace:         "start_trace",
	AttributeGopulseStwReasonStopTrace:          "stop_trace",
	AttributeGopulseStwReasonForEachP:           "for_each_p",
	AttributeGopulseStwReasonOther:              "other",
	AttributeGopulseStwReasonUnknown:            "unknown",
}

// String returns the string representation of the AttributeGopulseStwReason.
func (av AttributeGopulseStwReason) String() string {
	if av > 0 && int(av) < len(stwReasonNames) {
		return stwReasonNames[av]
	}
	return ""
}

// MapAttributeGopulseStwReason is a helper map of string to AttributeGopulseStwReason attribute value.
var MapAttributeGopulseStwReason = func() map[string]AttributeGopulseStwReason {
	m := make(map[string]AttributeGopulseStwReason, len(stwReasonNames))
	for i, n := range stwReasonNames {
		if n != "" {
			m[n] = AttributeGopulseStwReason(i)
		}
	}
	return m
}()

// Metric names, as in metadata.yaml.
const (
	MetricGoConfigGogc                     = "go.config.gogc"
	MetricGoCPUTime                        = "go.cpu.time"
	MetricGoGoroutineCount                 = "go.goroutine.count"
	MetricGoMemoryAllocated                = "go.memory.allocated"
	MetricGoMemoryAllocations              = "go.memory.allocations"
	MetricGoMemoryGcCycles                 = "go.memory.gc.cycles"
	MetricGoMemoryGcGoal                   = "go.memory.gc.goal"
	MetricGoMemoryGcPauseDuration          = "go.memory.gc.pause.duration"
	MetricGoMemoryLimit                    = "go.memory.limit"
	MetricGoMemoryUsed                     = "go.memory.used"
	MetricGoProcessorLimit                 = "go.processor.limit"
	MetricGoScheduleDuration               = "go.schedule.duration"
	MetricGopulseGoGcDuration              = "gopulse.go.gc.duration"
	MetricGopulseGoGcPhaseDuration         = "gopulse.go.gc.phase.duration"
	MetricGopulseGoGoroutineCreated        = "gopulse.go.goroutine.created"
	MetricGopulseGoGoroutineLeakSuspects   = "gopulse.go.goroutine.leak.suspects"
	MetricGopulseGoScheduleLatency         = "gopulse.go.schedule.latency"
	MetricGopulseGoScheduleLatencyQuantile = "gopulse.go.schedule.latency.quantile"
	MetricGopulseGoStwPauseDuration        = "gopulse.go.stw.pause.duration"
)

// metricID indexes metricDefs, in metadata.yaml's (sorted) order.
type metricID int

const (
	idGoConfigGogc metricID = iota
	idGoCPUTime
	idGoGoroutineCount
	idGoMemoryAllocated
	idGoMemoryAllocations
	idGoMemoryGcCycles
	idGoMemoryGcGoal
	idGoMemoryGcPauseDuration
	idGoMemoryLimit
	idGoMemoryUsed
	idGoProcessorLimit
	idGoScheduleDuration
	idGopulseGoGcDuration
	idGopulseGoGcPhaseDuration
	idGopulseGoGoroutineCreated
	idGopulseGoGoroutineLeakSuspects
	idGopulseGoScheduleLatency
	idGopulseGoScheduleLatencyQuantile
	idGopulseGoStwPauseDuration
	numMetrics
)

// metricDef is one metric of metadata.yaml.
type metricDef struct {
	name, description, unit string
	typ                     pmetric.MetricType
	double                  bool // value type (number metrics)
	monotonic               bool // sums
	attr                    string
}

var metricDefs = [numMetrics]metricDef{
	idGoConfigGogc:                     {MetricGoConfigGogc, "Heap size target percentage configured by the user, otherwise 100.", "%", pmetric.MetricTypeSum, false, false, ""},
	idGoCPUTime:                        {MetricGoCPUTime, "Estimated CPU time spent by the Go runtime.", "s", pmetric.MetricTypeSum, true, true, "go.cpu.state"},
	idGoGoroutineCount:                 {MetricGoGoroutineCount, "Count of live goroutines.", "{goroutine}", pmetric.MetricTypeSum, false, false, ""},
	idGoMemoryAllocated:                {MetricGoMemoryAllocated, "Memory allocated to the heap by the application.", "By", pmetric.MetricTypeSum, false, true, ""},
	idGoMemoryAllocations:              {MetricGoMemoryAllocations, "Count of allocations to the heap by the application.", "{allocation}", pmetric.MetricTypeSum, false, true, ""},
	idGoMemoryGcCycles:                 {MetricGoMemoryGcCycles, "Number of completed GC cycles.", "{gc_cycle}", pmetric.MetricTypeSum, false, true, ""},
	idGoMemoryGcGoal:                   {MetricGoMemoryGcGoal, "Heap size target for the end of the GC cycle.", "By", pmetric.MetricTypeSum, false, false, ""},
	idGoMemoryGcPauseDuration:          {MetricGoMemoryGcPauseDuration, "Distribution of individual GC-related stop-the-world pause latencies. This is the time from deciding to stop the world until the world is started again.", "s", pmetric.MetricTypeHistogram, true, false, ""},
	idGoMemoryLimit:                    {MetricGoMemoryLimit, "Go runtime memory limit configured by the user, if a limit exists.", "By", pmetric.MetricTypeSum, false, false, ""},
	idGoMemoryUsed:                     {MetricGoMemoryUsed, "Memory used by the Go runtime.", "By", pmetric.MetricTypeSum, false, false, "go.memory.type"},
	idGoProcessorLimit:                 {MetricGoProcessorLimit, "The number of OS threads that can execute user-level Go code simultaneously.", "{thread}", pmetric.MetricTypeSum, false, false, ""},
	idGoScheduleDuration:               {MetricGoScheduleDuration, "The time goroutines have spent in the scheduler in a runnable state before actually running.", "s", pmetric.MetricTypeHistogram, true, false, ""},
	idGopulseGoGcDuration:              {MetricGopulseGoGcDuration, "Duration of each GC cycle, from its start to the end of mark termination.", "s", pmetric.MetricTypeHistogram, true, false, ""},
	idGopulseGoGcPhaseDuration:         {MetricGopulseGoGcPhaseDuration, "Duration of each phase of each GC cycle; the stop-the-world phases take the pauses' own clock readings.", "s", pmetric.MetricTypeHistogram, true, false, "gopulse.gc.phase"},
	idGopulseGoGoroutineCreated:        {MetricGopulseGoGoroutineCreated, "Goroutines created (trace mode).", "{goroutine}", pmetric.MetricTypeSum, false, true, ""},
	idGopulseGoGoroutineLeakSuspects:   {MetricGopulseGoGoroutineLeakSuspects, "Goroutine creation sites flagged as leaking (trace mode).", "{site}", pmetric.MetricTypeGauge, false, false, ""},
	idGopulseGoScheduleLatency:         {MetricGopulseGoScheduleLatency, "Runnable-to-running latency of each traced goroutine switch (trace mode).", "s", pmetric.MetricTypeHistogram, true, false, ""},
	idGopulseGoScheduleLatencyQuantile: {MetricGopulseGoScheduleLatencyQuantile, "Quantiles of the scheduling latency over the last collection interval, from the runtime's own histogram at its full resolution (the upper bound of the bucket holding the quantile).", "s", pmetric.MetricTypeGauge, true, false, "gopulse.quantile"},
	idGopulseGoStwPauseDuration:        {MetricGopulseGoStwPauseDuration, "Duration of every stop-the-world pause, by reason (GC and others such as ReadMemStats, GOMAXPROCS, goroutine profiles, stack dumps, tracing).", "s", pmetric.MetricTypeHistogram, true, false, "gopulse.stw.reason"},
}

// metricSettings is what MetricsConfig says about one metric.
type metricSettings struct {
	enabled  bool
	withAttr bool   // its attribute is enabled
	strategy string // for data points made equal by a disabled attribute
}

func settings(mc MetricsConfig) [numMetrics]metricSettings {
	plain := func(enabled bool) metricSettings { return metricSettings{enabled: enabled} }
	attr := func(enabled bool, strategy string, n int) metricSettings {
		return metricSettings{enabled: enabled, withAttr: n > 0, strategy: strategy}
	}
	return [numMetrics]metricSettings{
		idGoConfigGogc:                     plain(mc.GoConfigGogc.Enabled),
		idGoCPUTime:                        attr(mc.GoCPUTime.Enabled, mc.GoCPUTime.AggregationStrategy, len(mc.GoCPUTime.EnabledAttributes)),
		idGoGoroutineCount:                 plain(mc.GoGoroutineCount.Enabled),
		idGoMemoryAllocated:                plain(mc.GoMemoryAllocated.Enabled),
		idGoMemoryAllocations:              plain(mc.GoMemoryAllocations.Enabled),
		idGoMemoryGcCycles:                 plain(mc.GoMemoryGcCycles.Enabled),
		idGoMemoryGcGoal:                   plain(mc.GoMemoryGcGoal.Enabled),
		idGoMemoryGcPauseDuration:          plain(mc.GoMemoryGcPauseDuration.Enabled),
		idGoMemoryLimit:                    plain(mc.GoMemoryLimit.Enabled),
		idGoMemoryUsed:                     attr(mc.GoMemoryUsed.Enabled, mc.GoMemoryUsed.AggregationStrategy, len(mc.GoMemoryUsed.EnabledAttributes)),
		idGoProcessorLimit:                 plain(mc.GoProcessorLimit.Enabled),
		idGoScheduleDuration:               plain(mc.GoScheduleDuration.Enabled),
		idGopulseGoGcDuration:              plain(mc.GopulseGoGcDuration.Enabled),
		idGopulseGoGcPhaseDuration:         attr(mc.GopulseGoGcPhaseDuration.Enabled, mc.GopulseGoGcPhaseDuration.AggregationStrategy, len(mc.GopulseGoGcPhaseDuration.EnabledAttributes)),
		idGopulseGoGoroutineCreated:        plain(mc.GopulseGoGoroutineCreated.Enabled),
		idGopulseGoGoroutineLeakSuspects:   plain(mc.GopulseGoGoroutineLeakSuspects.Enabled),
		idGopulseGoScheduleLatency:         plain(mc.GopulseGoScheduleLatency.Enabled),
		idGopulseGoScheduleLatencyQuantile: attr(mc.GopulseGoScheduleLatencyQuantile.Enabled, mc.GopulseGoScheduleLatencyQuantile.AggregationStrategy, len(mc.GopulseGoScheduleLatencyQuantile.EnabledAttributes)),
		idGopulseGoStwPauseDuration:        attr(mc.GopulseGoStwPauseDuration.Enabled, mc.GopulseGoStwPauseDuration.AggregationStrategy, len(mc.GopulseGoStwPauseDuration.EnabledAttributes)),
	}
}

// Histogram is one cumulative explicit-bounds histogram data point's value.
type Histogram struct {
	Bounds   []float64 // upper bounds, ascending, without +Inf
	Counts   []uint64  // per bucket, len(Bounds)+1 (the last is +Inf)
	Count    uint64
	Sum      float64
	Min, Max float64 // set when HasMinMax
	// HasMinMax: Min and Max are known (not for histograms mapped from the
	// runtime's own, whose extremes are unknown).
	HasMinMax bool
}

// metricBuffer holds one metric's data points for the resource being built.
type metricBuffer struct {
	data pmetric.Metric
	agg  []float64 // data points merged into each point (avg strategy)
}

// MetricsBuilder records data points and emits them per resource.
type MetricsBuilder struct {
	config    MetricsBuilderConfig
	settings  [numMetrics]metricSettings
	buildInfo component.BuildInfo
	buffer    pmetric.Metrics
	metrics   [numMetrics]metricBuffer
	include   map[string]filter.Filter
	exclude   map[string]filter.Filter
}

// NewMetricsBuilder returns a builder for the enabled metrics and resource
// attributes of mbc.
func NewMetricsBuilder(mbc MetricsBuilderConfig, set receiver.Settings) *MetricsBuilder {
	mb := &MetricsBuilder{
		config:    mbc,
		settings:  settings(mbc.Metrics),
		buildInfo: set.BuildInfo,
		buffer:    pmetric.NewMetrics(),
		include:   make(map[string]filter.Filter),
		exclude:   make(map[string]filter.Filter),
	}
	ra := mbc.ResourceAttributes
	for name, rac := range map[string]ResourceAttributeConfig{
		"host.name": ra.HostName, "k8s.container.name": ra.K8sContainerName, "k8s.namespace.name": ra.K8sNamespaceName,
		"k8s.pod.name": ra.K8sPodName, "process.executable.name": ra.ProcessExecutableName,
		"process.executable.path": ra.ProcessExecutablePath, "process.pid": ra.ProcessPid,
		"process.runtime.name": ra.ProcessRuntimeName, "process.runtime.version": ra.ProcessRuntimeVersion,
		"service.instance.id": ra.ServiceInstanceID, "service.name": ra.ServiceName,
	} {
		if rac.MetricsInclude != nil {
			mb.include[name] = filter.CreateFilter(rac.MetricsInclude)
		}
		if rac.MetricsExclude != nil {
			mb.exclude[name] = filter.CreateFilter(rac.MetricsExclude)
		}
	}
	return mb
}

// NewResourceBuilder returns a resource builder for the enabled resource
// attributes.
func (mb *MetricsBuilder) NewResourceBuilder() *ResourceBuilder {
	return NewResourceBuilder(mb.config.ResourceAttributes)
}

// Enabled reports whether the metric named name is enabled.
func (mb *MetricsBuilder) Enabled(name string) bool {
	for i, d := range metricDefs {
		if d.name == name {
			return mb.settings[i].enabled
		}
	}
	return false
}

// buffer returns metric id's buffer, initialised, or nil when disabled.
func (mb *MetricsBuilder) buf(id metricID) *metricBuffer {
	if !mb.settings[id].enabled {
		return nil
	}
	b := &mb.metrics[id]
	if b.data == (pmetric.Metric{}) || b.data.Type() == pmetric.MetricTypeEmpty {
		d := &metricDefs[id]
		b.data = pmetric.NewMetric()
		b.data.SetName(d.name)
		b.data.SetDescription(d.description)
		b.data.SetUnit(d.unit)
		switch d.typ {
		case pmetric.MetricTypeSum:
			s := b.data.SetEmptySum()
			s.SetIsMonotonic(d.monotonic)
			s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		case pmetric.MetricTypeGauge:
			b.data.SetEmptyGauge()
		case pmetric.MetricTypeHistogram:
			b.data.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		}
		b.agg = b.agg[:0]
	}
	return b
}

// putAttr sets the metric's attribute when it is enabled; attrVal is a
// string or a float64.
func (mb *MetricsBuilder) putAttr(id metricID, attrs pcommon.Map, attrVal any) {
	d := &metricDefs[id]
	if d.attr == "" || !mb.settings[id].withAttr {
		return
	}
	switch v := attrVal.(type) {
	case string:
		attrs.PutStr(d.attr, v)
	case float64:
		attrs.PutDouble(d.attr, v)
	}
}

func (mb *MetricsBuilder) recordNumber(id metricID, start, ts pcommon.Timestamp, ival int64, fval float64, attrVal any) {
	b := mb.buf(id)
	if b == nil {
		return
	}
	var dps pmetric.NumberDataPointSlice
	if metricDefs[id].typ == pmetric.MetricTypeSum {
		dps = b.data.Sum().DataPoints()
	} else {
		dps = b.data.Gauge().DataPoints()
	}
	dp := pmetric.NewNumberDataPoint()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(ts)
	mb.putAttr(id, dp.Attributes(), attrVal)
	double := metricDefs[id].double
	if metricDefs[id].attr != "" && !mb.settings[id].withAttr {
		// The disabled attribute made this point equal to an earlier one:
		// merge them with the configured strategy.
		for i := 0; i < dps.Len(); i++ {
			p := dps.At(i)
			if p.StartTimestamp() != start || p.Timestamp() != ts || !p.Attributes().Equal(dp.Attributes()) {
				continue
			}
			if double {
				p.SetDoubleValue(merge(mb.settings[id].strategy, p.DoubleValue(), fval))
			} else {
				p.SetIntValue(int64(merge(mb.settings[id].strategy, float64(p.IntValue()), float64(ival))))
			}
			b.agg[i]++
			return
		}
	}
	if double {
		dp.SetDoubleValue(fval)
	} else {
		dp.SetIntValue(ival)
	}
	b.agg = append(b.agg, 1)
	dp.MoveTo(dps.AppendEmpty())
}

func merge(strategy string, a, b float64) float64 {
	switch strategy {
	case AggregationStrategyMin:
		return min(a, b)
	case AggregationStrategyMax:
		return max(a, b)
	}
	return a + b // sum, and avg (divided at emit)
}

func (mb *MetricsBuilder) recordHistogram(id metricID, start, ts pcommon.Timestamp, h *Histogram, attrVal any) {
	b := mb.buf(id)
	if b == nil || len(h.Counts) != len(h.Bounds)+1 {
		return
	}
	dps := b.data.Histogram().DataPoints()
	if metricDefs[id].attr != "" && !mb.settings[id].withAttr {
		// Histograms made equal by a disabled attribute add up.
		for i := 0; i < dps.Len(); i++ {
			p := dps.At(i)
			if p.StartTimestamp() != start || p.Timestamp() != ts || !slices.Equal(p.ExplicitBounds().AsRaw(), h.Bounds) {
				continue
			}
			counts := p.BucketCounts()
			for k, c := range h.Counts {
				counts.SetAt(k, counts.At(k)+c)
			}
			p.SetCount(p.Count() + h.Count)
			p.SetSum(p.Sum() + h.Sum)
			if h.HasMinMax && h.Count > 0 {
				if !p.HasMin() || h.Min < p.Min() {
					p.SetMin(h.Min)
				}
				if !p.HasMax() || h.Max > p.Max() {
					p.SetMax(h.Max)
				}
			}
			return
		}
	}
	dp := dps.AppendEmpty()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(ts)
	mb.putAttr(id, dp.Attributes(), attrVal)
	dp.ExplicitBounds().FromRaw(h.Bounds)
	dp.BucketCounts().FromRaw(h.Counts)
	dp.SetCount(h.Count)
	dp.SetSum(h.Sum)
	if h.HasMinMax && h.Count > 0 {
		dp.SetMin(h.Min)
		dp.SetMax(h.Max)
	}
}

// RecordGoConfigGogcDataPoint adds a data point to go.config.gogc.
func (mb *MetricsBuilder) RecordGoConfigGogcDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoConfigGogc, start, ts, val, 0, nil)
}

// RecordGoCPUTimeDataPoint adds a data point to go.cpu.time.
func (mb *MetricsBuilder) RecordGoCPUTimeDataPoint(start, ts pcommon.Timestamp, val float64, state AttributeGoCPUState) {
	mb.recordNumber(idGoCPUTime, start, ts, 0, val, state.String())
}

// RecordGoGoroutineCountDataPoint adds a data point to go.goroutine.count.
func (mb *MetricsBuilder) RecordGoGoroutineCountDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoGoroutineCount, start, ts, val, 0, nil)
}

// RecordGoMemoryAllocatedDataPoint adds a data point to go.memory.allocated.
func (mb *MetricsBuilder) RecordGoMemoryAllocatedDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoMemoryAllocated, start, ts, val, 0, nil)
}

// RecordGoMemoryAllocationsDataPoint adds a data point to go.memory.allocations.
func (mb *MetricsBuilder) RecordGoMemoryAllocationsDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoMemoryAllocations, start, ts, val, 0, nil)
}

// RecordGoMemoryGcCyclesDataPoint adds a data point to go.memory.gc.cycles.
func (mb *MetricsBuilder) RecordGoMemoryGcCyclesDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoMemoryGcCycles, start, ts, val, 0, nil)
}

// RecordGoMemoryGcGoalDataPoint adds a data point to go.memory.gc.goal.
func (mb *MetricsBuilder) RecordGoMemoryGcGoalDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoMemoryGcGoal, start, ts, val, 0, nil)
}

// RecordGoMemoryGcPauseDurationDataPoint adds a data point to go.memory.gc.pause.duration.
func (mb *MetricsBuilder) RecordGoMemoryGcPauseDurationDataPoint(start, ts pcommon.Timestamp, h *Histogram) {
	mb.recordHistogram(idGoMemoryGcPauseDuration, start, ts, h, nil)
}

// RecordGoMemoryLimitDataPoint adds a data point to go.memory.limit.
func (mb *MetricsBuilder) RecordGoMemoryLimitDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoMemoryLimit, start, ts, val, 0, nil)
}

// RecordGoMemoryUsedDataPoint adds a data point to go.memory.used.
func (mb *MetricsBuilder) RecordGoMemoryUsedDataPoint(start, ts pcommon.Timestamp, val int64, typ AttributeGoMemoryType) {
	mb.recordNumber(idGoMemoryUsed, start, ts, val, 0, typ.String())
}

// RecordGoProcessorLimitDataPoint adds a data point to go.processor.limit.
func (mb *MetricsBuilder) RecordGoProcessorLimitDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGoProcessorLimit, start, ts, val, 0, nil)
}

// RecordGoScheduleDurationDataPoint adds a data point to go.schedule.duration.
func (mb *MetricsBuilder) RecordGoScheduleDurationDataPoint(start, ts pcommon.Timestamp, h *Histogram) {
	mb.recordHistogram(idGoScheduleDuration, start, ts, h, nil)
}

// RecordGopulseGoGcDurationDataPoint adds a data point to gopulse.go.gc.duration.
func (mb *MetricsBuilder) RecordGopulseGoGcDurationDataPoint(start, ts pcommon.Timestamp, h *Histogram) {
	mb.recordHistogram(idGopulseGoGcDuration, start, ts, h, nil)
}

// RecordGopulseGoGcPhaseDurationDataPoint adds a data point to gopulse.go.gc.phase.duration.
func (mb *MetricsBuilder) RecordGopulseGoGcPhaseDurationDataPoint(start, ts pcommon.Timestamp, h *Histogram, phase AttributeGopulseGcPhase) {
	mb.recordHistogram(idGopulseGoGcPhaseDuration, start, ts, h, phase.String())
}

// RecordGopulseGoGoroutineCreatedDataPoint adds a data point to gopulse.go.goroutine.created.
func (mb *MetricsBuilder) RecordGopulseGoGoroutineCreatedDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGopulseGoGoroutineCreated, start, ts, val, 0, nil)
}

// RecordGopulseGoGoroutineLeakSuspectsDataPoint adds a data point to gopulse.go.goroutine.leak.suspects.
func (mb *MetricsBuilder) RecordGopulseGoGoroutineLeakSuspectsDataPoint(start, ts pcommon.Timestamp, val int64) {
	mb.recordNumber(idGopulseGoGoroutineLeakSuspects, start, ts, val, 0, nil)
}

// RecordGopulseGoScheduleLatencyDataPoint adds a data point to gopulse.go.schedule.latency.
func (mb *MetricsBuilder) RecordGopulseGoScheduleLatencyDataPoint(start, ts pcommon.Timestamp, h *Histogram) {
	mb.recordHistogram(idGopulseGoScheduleLatency, start, ts, h, nil)
}

// RecordGopulseGoScheduleLatencyQuantileDataPoint adds a data point to gopulse.go.schedule.latency.quantile.
func (mb *MetricsBuilder) RecordGopulseGoScheduleLatencyQuantileDataPoint(start, ts pcommon.Timestamp, val, quantile float64) {
	mb.recordNumber(idGopulseGoScheduleLatencyQuantile, start, ts, 0, val, quantile)
}

// RecordGopulseGoStwPauseDurationDataPoint adds a data point to gopulse.go.stw.pause.duration.
func (mb *MetricsBuilder) RecordGopulseGoStwPauseDurationDataPoint(start, ts pcommon.Timestamp, h *Histogram, reason AttributeGopulseStwReason) {
	mb.recordHistogram(idGopulseGoStwPauseDuration, start, ts, h, reason.String())
}

// EmitForResource moves the recorded data points under a new resource (the
// resource attribute filters may drop it) and gets ready for the next one.
func (mb *MetricsBuilder) EmitForResource(res pcommon.Resource) {
	rm := pmetric.NewResourceMetrics()
	rm.SetSchemaUrl(conventions.SchemaURL)
	res.CopyTo(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(ScopeName)
	sm.Scope().SetVersion(mb.buildInfo.Version)
	for id := range mb.metrics {
		b := &mb.metrics[id]
		if b.data == (pmetric.Metric{}) || b.data.Type() == pmetric.MetricTypeEmpty {
			continue
		}
		if mb.settings[id].strategy == AggregationStrategyAvg && metricDefs[id].typ != pmetric.MetricTypeHistogram {
			var dps pmetric.NumberDataPointSlice
			if metricDefs[id].typ == pmetric.MetricTypeSum {
				dps = b.data.Sum().DataPoints()
			} else {
				dps = b.data.Gauge().DataPoints()
			}
			for i, n := range b.agg {
				if n > 1 {
					p := dps.At(i)
					if metricDefs[id].double {
						p.SetDoubleValue(p.DoubleValue() / n)
					} else {
						p.SetIntValue(int64(float64(p.IntValue()) / n))
					}
				}
			}
		}
		b.data.MoveTo(sm.Metrics().AppendEmpty())
		b.agg = b.agg[:0]
	}
	if sm.Metrics().Len() == 0 {
		return
	}
	for attr, f := range mb.include {
		if v, ok := rm.Resource().Attributes().Get(attr); ok && !f.Matches(v.AsString()) {
			return
		}
	}
	for attr, f := range mb.exclude {
		if v, ok := rm.Resource().Attributes().Get(attr); ok && f.Matches(v.AsString()) {
			return
		}
	}
	rm.MoveTo(mb.buffer.ResourceMetrics().AppendEmpty())
}

// Emit returns everything emitted since the last call.
func (mb *MetricsBuilder) Emit() pmetric.Metrics {
	out := mb.buffer
	mb.buffer = pmetric.NewMetrics()
	return out
}
