package gopulsereceiver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/procstats"
	"github.com/gopulse/gopulse/receiver/gopulsereceiver/internal/metadata"
)

// source produces runtime events into the sink it was created with: the
// probes manager in production.
type source interface {
	// Run drains events until ctx is done.
	Run(ctx context.Context) error
	// Watch attaches to one process; it may take seconds (binary analysis).
	Watch(pid int) error
	Close() error
}

// newSourceFunc creates the event source (in Start's goroutine: loading
// the BPF objects never delays the collector's start).
type newSourceFunc func(cfg *Config, logger *slog.Logger, sink event.RuntimeSink) (source, error)

// identity is what the receiver knows of a process besides its runtime: the
// resource attributes.
type identity struct {
	proc event.Proc
	// startNS is the process's start (Unix ns), the start time of the
	// counters the runtime keeps since then; 0 when unknown.
	startNS    int64
	instanceID string
	hostName   string
}

// env is the receiver's environment; tests replace parts of it.
type env struct {
	newSource newSourceFunc
	// identify names a process (nil: only the pid is known).
	identify func(pid uint32) (identity, bool)
	// checkTarget says why a configured pid cannot be watched before the
	// probes try (nil error: try).
	checkTarget func(pid int) error
	// pidNamespace returns nil when the collector sees the host's
	// processes, else why not.
	pidNamespace func() error
	now          func() time.Time
}

// procState is the receiver's own per-process state, kept by the
// aggregation with the process.
type procState struct {
	gen   uint64 // procstats.Process.ProcGen the resource was built for
	built bool
	res   pcommon.Resource
	start pcommon.Timestamp // process start; FirstNS when unknown

	prevSched []uint64 // runtime histogram at the last collection (quantile window)

	baseCycles uint64 // GC count at the first collection without gc_end events
	baseSet    bool
	warned     bool // "runtime GCs, but no probe events" said once
}

type gopulseReceiver struct {
	cfg     *Config
	set     receiver.Settings
	logger  *zap.Logger
	slog    *slog.Logger
	next    consumer.Metrics
	obs     *receiverhelper.ObsReport
	env     env
	mb      *metadata.MetricsBuilder
	agg     *procstats.Aggregator[procState]
	pending chan uint32 // pids whose identity is to be resolved

	mu       sync.Mutex // guards the lifecycle fields and ids
	started  bool
	stopped  bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	src      source
	ids      map[uint32]identity
	seen     map[uint32]bool // pids sent to resolution
	explicit map[uint32]bool // configured pids

	status *statusReporter
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics, e env) (*gopulseReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "ebpf", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, fmt.Errorf("create obsreport: %w", err)
	}
	if e.now == nil {
		e.now = time.Now
	}
	aggCfg := procstats.DefaultConfig()
	aggCfg.GCBuckets, aggCfg.PauseBuckets, aggCfg.SchedBuckets = cfg.GCBuckets, cfg.PauseBuckets, cfg.SchedBuckets
	aggCfg.KeepExited = true // the last batch of an exited process keeps its identity
	r := &gopulseReceiver{
		cfg:      cfg,
		set:      set,
		logger:   set.Logger,
		slog:     slogFromZap(set.Logger),
		next:     next,
		obs:      obs,
		env:      e,
		mb:       metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, set),
		agg:      procstats.New[procState](aggCfg),
		pending:  make(chan uint32, 4096),
		ids:      make(map[uint32]identity),
		seen:     make(map[uint32]bool),
		explicit: make(map[uint32]bool),
		status:   &statusReporter{},
	}
	for _, pid := range cfg.PIDs {
		r.explicit[uint32(pid)] = true
	}
	return r, nil
}

// Start returns at once: loading the probes, attaching to the targets and
// emitting run in the receiver's goroutines. Nothing a target does (missing,
// exiting, not Go, unprobeable) and nothing the probes fail at stops the
// collector: it is reported in the component status and logged.
func (r *gopulseReceiver) Start(_ context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.started, r.cancel = true, cancel
	r.status.setHost(host)
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		r.run(ctx)
	}()
	go func() {
		defer r.wg.Done()
		r.resolve(ctx)
	}()
	return nil
}

// run loads the probes, attaches to the configured pids, drains events and
// emits every collection interval until ctx is done.
func (r *gopulseReceiver) run(ctx context.Context) {
	// Problems found while starting are reported together: a permanent
	// error is the component's last status but stopping.
	var problems []error
	if r.env.pidNamespace != nil {
		if err := r.env.pidNamespace(); err != nil {
			r.logger.Warn("the collector does not see the host's processes: GC and pause events cannot be matched to the watched pids (run it with hostPID: true)", zap.Error(err))
			problems = append(problems, err)
		}
	}
	src, err := r.env.newSource(r.cfg, r.slog, sink{r})
	if err != nil {
		err = fmt.Errorf("start runtime probes: %w", err)
		r.logger.Error("the gopulse receiver cannot watch any process", zap.Error(err))
		r.status.permanent(errors.Join(append(problems, err)...))
		<-ctx.Done()
		return
	}
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		src.Close()
		return
	}
	r.src = src
	r.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := src.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("runtime probes stopped: %w", err)
			r.logger.Error("the gopulse receiver stopped watching", zap.Error(err))
			r.status.permanent(err)
		}
	}()
	for _, pid := range r.cfg.PIDs {
		if ctx.Err() != nil {
			break
		}
		if err := r.watch(pid); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		r.status.permanent(errors.Join(problems...))
	} else {
		r.status.ok()
	}

	t := time.NewTicker(r.cfg.CollectionInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
			r.emit(ctx)
		}
	}
}

// watch attaches to one configured pid and says why it cannot.
func (r *gopulseReceiver) watch(pid int) error {
	err := error(nil)
	if r.env.checkTarget != nil {
		err = r.env.checkTarget(pid)
	}
	if err == nil {
		err = r.src.Watch(pid)
	}
	if err != nil {
		err = fmt.Errorf("target pid %d: %w", pid, err)
		r.logger.Warn("cannot watch a configured process; the others are watched", zap.Int("pid", pid), zap.Error(err))
		return err
	}
	r.logger.Info("watching process", zap.Int("pid", pid))
	return nil
}

// sink feeds the aggregation and asks for the identity of new processes.
type sink struct{ r *gopulseReceiver }

func (s sink) HandleRuntime(ev *event.Runtime) {
	r := s.r
	if ev.Kind == event.KindProcExit {
		r.mu.Lock()
		delete(r.seen, ev.PID)
		explicit := r.explicit[ev.PID]
		r.mu.Unlock()
		if explicit {
			err := fmt.Errorf("target pid %d exited", ev.PID)
			if ev.ExitErr != nil {
				err = fmt.Errorf("target pid %d exited: %w", ev.PID, ev.ExitErr)
			}
			r.logger.Warn("a watched process exited", zap.Uint32("pid", ev.PID), zap.Error(err))
			r.status.recoverable(err)
		}
	} else {
		r.mu.Lock()
		isNew := !r.seen[ev.PID]
		if isNew {
			r.seen[ev.PID] = true
		}
		r.mu.Unlock()
		if isNew {
			select {
			case r.pending <- ev.PID:
			default: // resolution is behind; the next collection retries
				r.mu.Lock()
				delete(r.seen, ev.PID)
				r.mu.Unlock()
			}
		}
	}
	r.agg.HandleRuntime(ev)
}

// resolve names new processes as they appear.
func (r *gopulseReceiver) resolve(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case pid := <-r.pending:
			r.identify(pid)
		}
	}
}

func (r *gopulseReceiver) identify(pid uint32) {
	if r.env.identify == nil {
		return
	}
	id, ok := r.env.identify(pid)
	if !ok {
		return
	}
	r.mu.Lock()
	r.ids[pid] = id
	r.mu.Unlock()
	p := id.proc
	p.PID = int(pid)
	r.agg.UpsertProc(&p)
	r.logger.Info("attached to process", zap.Uint32("pid", pid), zap.String("service.name", p.Service),
		zap.String("process.executable.path", p.Exe), zap.String("process.runtime.version", p.GoVersion))
}

// emit sends what has been aggregated downstream.
func (r *gopulseReceiver) emit(ctx context.Context) {
	md := r.collect()
	n := md.DataPointCount()
	if n == 0 {
		return
	}
	ctx = r.obs.StartMetricsOp(ctx)
	err := r.next.ConsumeMetrics(ctx, md)
	r.obs.EndMetricsOp(ctx, metadata.Type.String(), n, err)
	if err != nil {
		r.logger.Warn("the next consumer refused the runtime metrics", zap.Error(err))
	}
}

// collect encodes every process; exited ones one last time, with their
// identity.
func (r *gopulseReceiver) collect() pmetric.Metrics {
	now := pcommon.NewTimestampFromTime(r.env.now())
	var problems []error
	r.agg.Collect(func(p *procstats.Process[procState]) {
		st := &p.Ext
		if !st.built || st.gen != p.ProcGen {
			r.buildResource(p)
		}
		r.record(p, now)
		r.mb.EmitForResource(st.res)
		if err := r.checkEvents(p); err != nil {
			problems = append(problems, err)
		}
	})
	for _, err := range problems {
		r.logger.Warn("no GC events from the probes for a process whose runtime collects garbage", zap.Error(err))
		r.status.recoverable(err)
	}
	return r.mb.Emit()
}

// checkEvents says when the runtime's own GC count moves but no gc_end
// event arrives: the probes cannot see the process (typically a pid from
// another PID namespace than the one the kernel reports).
func (r *gopulseReceiver) checkEvents(p *procstats.Process[procState]) error {
	st := &p.Ext
	if st.warned || p.GCDuration.Count > 0 || !p.HasGoroutines {
		return nil
	}
	if !st.baseSet {
		st.baseCycles, st.baseSet = p.GCCycles, true
		return nil
	}
	if p.GCCycles >= st.baseCycles+3 {
		st.warned = true
		return fmt.Errorf("pid %d: its runtime ran %d GC cycles since it was sampled first, the probes saw none (is the pid from another PID namespace than the kernel's view?)",
			p.PID, p.GCCycles-st.baseCycles)
	}
	return nil
}

func (r *gopulseReceiver) buildResource(p *procstats.Process[procState]) {
	st := &p.Ext
	r.mu.Lock()
	id, known := r.ids[p.PID]
	r.mu.Unlock()
	rb := r.mb.NewResourceBuilder()
	rb.SetProcessPid(int64(p.PID))
	rb.SetProcessRuntimeName("go")
	set := func(f func(string), v string) {
		if v != "" {
			f(v)
		}
	}
	proc := p.Proc
	if known && proc.Exe == "" {
		proc = id.proc
	}
	set(rb.SetServiceName, proc.Service)
	set(rb.SetProcessExecutablePath, proc.Exe)
	set(rb.SetProcessExecutableName, baseName(proc.Exe))
	set(rb.SetProcessRuntimeVersion, proc.GoVersion)
	set(rb.SetK8sNamespaceName, proc.Namespace)
	set(rb.SetK8sPodName, proc.Pod)
	set(rb.SetK8sContainerName, proc.Container)
	if proc.Pod != "" {
		set(rb.SetK8sNodeName, id.hostName) // in a pod, the node is the host
	}
	set(rb.SetHostName, id.hostName)
	set(rb.SetServiceInstanceID, id.instanceID)
	st.res = rb.Emit()
	st.start = pcommon.Timestamp(p.FirstNS)
	if id.startNS > 0 {
		st.start = pcommon.Timestamp(id.startNS)
	}
	st.gen, st.built = p.ProcGen, known
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// record adds one process's data points to the metrics builder. Counters
// the runtime keeps since the process started (GC cycles, allocations, CPU
// time) start at the process's start; what gopulse counts since it
// attached starts then.
func (r *gopulseReceiver) record(p *procstats.Process[procState], now pcommon.Timestamp) {
	mb, st := r.mb, &p.Ext
	attached, started := pcommon.Timestamp(p.FirstNS), st.start
	cfg := r.agg.Config()

	if p.GCCycles > 0 || p.HasGoroutines {
		mb.RecordGoMemoryGcCyclesDataPoint(started, now, int64(p.GCCycles))
	}
	if p.HasGoroutines {
		mb.RecordGoGoroutineCountDataPoint(attached, now, p.Goroutines)
	}
	if s := &p.Stats; p.HasStats {
		if s.GOMAXPROCS > 0 {
			mb.RecordGoProcessorLimitDataPoint(attached, now, int64(s.GOMAXPROCS))
		}
		if s.Have&event.HaveMemory != 0 {
			mb.RecordGoMemoryUsedDataPoint(attached, now, int64(s.MemoryStack), metadata.AttributeGoMemoryTypeStack)
			mb.RecordGoMemoryUsedDataPoint(attached, now, int64(s.MemoryOther), metadata.AttributeGoMemoryTypeOther)
			mb.RecordGoMemoryAllocationsDataPoint(started, now, int64(s.Allocations))
		}
		if s.Have&event.HaveController != 0 {
			mb.RecordGoMemoryAllocatedDataPoint(started, now, int64(s.Allocated))
			mb.RecordGoMemoryGcGoalDataPoint(attached, now, int64(s.HeapGoal))
			mb.RecordGoConfigGogcDataPoint(attached, now, int64(s.GOGC))
			if s.MemoryLimit != math.MaxInt64 {
				mb.RecordGoMemoryLimitDataPoint(attached, now, s.MemoryLimit)
			}
		}
		if s.Have&event.HaveCPU != 0 {
			mb.RecordGoCPUTimeDataPoint(started, now, float64(s.CPUUserNS)/1e9, metadata.AttributeGoCPUStateUser)
			mb.RecordGoCPUTimeDataPoint(started, now, float64(s.CPUGCNS)/1e9, metadata.AttributeGoCPUStateGc)
			mb.RecordGoCPUTimeDataPoint(started, now, float64(s.CPUScavengeNS)/1e9, metadata.AttributeGoCPUStateScavenge)
			mb.RecordGoCPUTimeDataPoint(started, now, float64(s.CPUIdleNS)/1e9, metadata.AttributeGoCPUStateIdle)
		}
	}

	// GC pauses: the semconv histogram, and every pause by reason.
	var gcPauses metadata.Histogram
	for reason := range p.Pauses {
		h := &p.Pauses[reason]
		if h.Count == 0 {
			continue
		}
		hv := histogram(cfg.PauseBuckets, h)
		if event.STWReason(reason).IsGC() {
			addHistogram(&gcPauses, &hv)
		}
		mb.RecordGopulseGoStwPauseDurationDataPoint(attached, now, &hv, stwReason(event.STWReason(reason)))
	}
	if gcPauses.Count > 0 || p.GCDuration.Count > 0 {
		if gcPauses.Counts == nil {
			gcPauses = metadata.Histogram{Bounds: cfg.PauseBuckets, Counts: make([]uint64, len(cfg.PauseBuckets)+1)}
		}
		mb.RecordGoMemoryGcPauseDurationDataPoint(attached, now, &gcPauses)
	}
	if p.HasSched {
		s := &p.Sched
		mb.RecordGoScheduleDurationDataPoint(attached, now, schedHistogram(s))
		r.recordQuantiles(p, now)
	}
	if p.GCDuration.Count > 0 {
		hv := histogram(cfg.GCBuckets, &p.GCDuration)
		mb.RecordGopulseGoGcDurationDataPoint(attached, now, &hv)
		for ph := procstats.Phase(0); ph < procstats.NumPhases; ph++ {
			if h := &p.Phases[ph]; h.Count > 0 {
				hv := histogram(cfg.GCBuckets, h)
				mb.RecordGopulseGoGcPhaseDurationDataPoint(attached, now, &hv, gcPhase(ph))
			}
		}
	}
	if p.Created > 0 || p.SchedTrace.Count > 0 {
		mb.RecordGopulseGoGoroutineCreatedDataPoint(attached, now, int64(p.Created))
		mb.RecordGopulseGoGoroutineLeakSuspectsDataPoint(attached, now, int64(p.Suspects))
		if p.SchedTrace.Count > 0 {
			hv := histogram(cfg.SchedBuckets, &p.SchedTrace)
			mb.RecordGopulseGoScheduleLatencyDataPoint(attached, now, &hv)
		}
	}
}

// recordQuantiles emits the scheduling-latency quantiles of the runtime's
// histogram over the last collection interval.
func (r *gopulseReceiver) recordQuantiles(p *procstats.Process[procState], now pcommon.Timestamp) {
	st, raw := &p.Ext, &p.SchedRaw
	if len(raw.Counts) == 0 || len(raw.Buckets) != len(raw.Counts)+1 {
		return
	}
	defer func() { st.prevSched = append(st.prevSched[:0], raw.Counts...) }()
	if len(st.prevSched) != len(raw.Counts) {
		return // the first window starts now
	}
	delta := make([]uint64, len(raw.Counts))
	var total uint64
	for i, c := range raw.Counts {
		if c >= st.prevSched[i] {
			delta[i] = c - st.prevSched[i]
		}
		total += delta[i]
	}
	if total == 0 {
		return
	}
	for _, q := range r.cfg.ScheduleLatencyQuantiles {
		i := quantileBucket(delta, total, q)
		upper := raw.Buckets[i+1]
		if math.IsInf(upper, 1) {
			upper = raw.Buckets[i] // the overflow bucket: its lower bound
		}
		r.mb.RecordGopulseGoScheduleLatencyQuantileDataPoint(pcommon.Timestamp(0), now, max(upper, 0), q)
	}
}

// quantileBucket returns the index of the bucket holding the q-quantile.
func quantileBucket(counts []uint64, total uint64, q float64) int {
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var cum uint64
	for i, c := range counts {
		cum += c
		if cum >= rank {
			return i
		}
	}
	return len(counts) - 1
}

func histogram(bounds []float64, h *procstats.Hist) metadata.Histogram {
	return metadata.Histogram{Bounds: bounds, Counts: h.Counts, Count: h.Count, Sum: h.Sum,
		Min: h.Min, Max: h.Max, HasMinMax: true}
}

// addHistogram adds b to a (same bounds).
func addHistogram(a, b *metadata.Histogram) {
	if a.Counts == nil {
		*a = metadata.Histogram{Bounds: b.Bounds, Counts: make([]uint64, len(b.Counts)), HasMinMax: true, Min: b.Min, Max: b.Max}
	}
	for i, c := range b.Counts {
		a.Counts[i] += c
	}
	if b.Count > 0 {
		if a.Count == 0 || b.Min < a.Min {
			a.Min = b.Min
		}
		if a.Count == 0 || b.Max > a.Max {
			a.Max = b.Max
		}
	}
	a.Count += b.Count
	a.Sum += b.Sum
}

// schedHistogram converts the runtime histogram mapped onto fixed bounds
// (cumulative counts) to per-bucket counts.
func schedHistogram(s *procstats.SchedHist) *metadata.Histogram {
	h := &metadata.Histogram{Bounds: s.Bounds, Counts: make([]uint64, len(s.Bounds)+1), Count: s.Count, Sum: s.Sum}
	var prev uint64
	for k, c := range s.Cum {
		h.Counts[k] = c - prev
		prev = c
	}
	h.Counts[len(s.Bounds)] = s.Count - prev
	return h
}

func stwReason(r event.STWReason) metadata.AttributeGopulseStwReason {
	if v, ok := metadata.MapAttributeGopulseStwReason[r.String()]; ok {
		return v
	}
	return metadata.AttributeGopulseStwReasonOther
}

func gcPhase(ph procstats.Phase) metadata.AttributeGopulseGcPhase {
	switch ph {
	case procstats.PhaseSweepTermination:
		return metadata.AttributeGopulseGcPhaseSweepTermination
	case procstats.PhaseMark:
		return metadata.AttributeGopulseGcPhaseMark
	}
	return metadata.AttributeGopulseGcPhaseMarkTermination
}

// Shutdown stops the probes and sends the last values; it is safe without
// Start and safe twice.
func (r *gopulseReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if r.stopped || !r.started {
		r.stopped = true
		r.mu.Unlock()
		return nil
	}
	r.stopped = true
	r.cancel()
	r.mu.Unlock()
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
	r.mu.Lock()
	src := r.src
	r.mu.Unlock()
	if src != nil {
		if cerr := src.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close runtime probes: %w", cerr))
		}
		if err == nil {
			r.emit(ctx) // the values since the last collection
		}
	}
	return err
}

// statusReporter reports the component's status: a permanent error is
// final (the collector accepts no later change but stopping), a recoverable
// one is cleared by OK.
type statusReporter struct {
	mu    sync.Mutex
	host  component.Host
	final bool
}

func (s *statusReporter) setHost(h component.Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.host = h
}

func (s *statusReporter) report(ev *componentstatus.Event) {
	if s.host != nil {
		componentstatus.ReportStatus(s.host, ev)
	}
}

func (s *statusReporter) ok() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.final {
		s.report(componentstatus.NewEvent(componentstatus.StatusOK))
	}
}

func (s *statusReporter) recoverable(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.final {
		s.report(componentstatus.NewRecoverableErrorEvent(err))
	}
}

func (s *statusReporter) permanent(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.final {
		s.final = true
		s.report(componentstatus.NewPermanentErrorEvent(err))
	}
}
