package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse/miner"
	"github.com/gopulse/gopulse/schema"
)

// ErrSkipLine is returned by a LogParser for a line that produces no record
// yet (e.g. one part of a CRI partial line).
var ErrSkipLine = errors.New("skip line")

// errNotInFormat: the line is not in its source's detected format (the
// free-text fallback took it).
var errNotInFormat = errors.New("line not in the stream's format")

// LogParser parses the lines of one source into records. One parser serves
// one source, from one goroutine, so it may keep per-stream state. A record
// may span several lines (a stack trace): Parse then returns ErrSkipLine
// while it may go on, and the record comes out with a later line or from
// Flush. rec.Truncated says on input whether the line was cut.
type LogParser interface {
	Parse(line []byte, rec *event.LogRecord) error
	// Flush fills rec with a record the parser holds back, if any: with
	// force, any (the source ends); otherwise one that has waited long
	// enough for a next line that did not come (now is the current time;
	// called after each poll). It reports whether rec was filled; call it
	// again until it reports false.
	Flush(now time.Time, force bool, rec *event.LogRecord) (bool, error)
	// Stats describes the source after the last Parse; the router reads
	// it before the next one.
	Stats() *LogStats
}

// LogStats is what a LogParser knows about its source.
type LogStats struct {
	Format    string          // the source's format (detected, or the leader while detecting)
	Templates int             // templates mined so far
	Changes   []schema.Change // schema drift noticed at the last line
	Aliases   []miner.Alias   // template merges made at the last line: ids the sinks and observers follow
}

// ParserFactory returns the parser of a newly tailed source.
type ParserFactory func(path string, o LogOverride) (LogParser, error)

// LogOverride forces a format, pattern or service for matching paths.
type LogOverride struct {
	Path    string // glob
	Format  string
	Pattern string
	Service string
}

// LogObserver receives the level and template of each line of a process
// (the health engine).
type LogObserver interface {
	ObserveLog(pid uint32, level []byte, templateID uint64)
}

// ProcIndex finds the processes a log source belongs to (*Resolver).
type ProcIndex interface {
	PodProcs(namespace, pod, container string, dst []uint32) []uint32
	ServiceProcs(service string, dst []uint32) []uint32
}

// LogRouter parses tailed lines and shards them by service: each source
// gets bounded labels (service, namespace, pod, container), records go to
// the log sinks in order, and levels/templates go to the health engine for
// the source's processes. It runs on the tailer's goroutine: a slow sink
// slows the reading of files (backpressure, nothing lost), never the probes.
type LogRouter struct {
	factory   ParserFactory
	overrides []LogOverride
	sinks     []event.LogSink
	observer  LogObserver
	procs     ProcIndex
	pods      PodLookup
	node      string
	log       *slog.Logger

	mu       sync.Mutex
	streams  map[string]*logStream
	rec      event.LogRecord
	merge    event.LogRecord // a template merge's record (forwardAliases)
	mergedID []byte
	pids     []uint32

	lines, errs, changes *prometheus.CounterVec
	templates            *prometheus.GaugeVec
}

type logStream struct {
	ov      LogOverride // the override its parser and labels were made with
	parser  LogParser
	labels  []event.Label
	service string
	pod     PodLogRef
	inPod   bool
	line    uint64
	failed  bool // no parser: lines pass through unparsed

	format    string // format label of the templates gauge
	templates int    // templates counted in that gauge
	// linesOf is the lines counter of format linesFormat (looked up once,
	// not per line).
	linesFormat string
	linesOf     prometheus.Counter
	// held: lines handed over that are not in a record given to the sinks
	// yet (the parser holds them: a CRI partial line, a record being
	// assembled).
	held int
}

// LogSyncer is implemented by a log sink that can make every record handed
// to it durable (the Loki exporter: its batch written to its on-disk queue).
type LogSyncer interface {
	Sync(ctx context.Context) error
}

// LogRouterOptions configures NewLogRouter.
type LogRouterOptions struct {
	Factory   ParserFactory
	Overrides []LogOverride
	Sinks     []event.LogSink
	Observer  LogObserver // may be nil
	Procs     ProcIndex   // may be nil
	Pods      PodLookup   // may be nil
	// Node labels every stream ("node"): the machine's name.
	Node string
}

// NewLogRouter returns a router; reg may be nil.
func NewLogRouter(o LogRouterOptions, log *slog.Logger, reg prometheus.Registerer) (*LogRouter, error) {
	r := &LogRouter{
		factory: o.Factory, overrides: o.Overrides, sinks: o.Sinks, observer: o.Observer, procs: o.Procs, pods: o.Pods, log: log,
		node:    o.Node,
		streams: map[string]*logStream{},
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_log_lines_total",
			Help: "Log lines read, by detected format."}, []string{"format"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_log_parse_errors_total",
			Help: "Log lines that did not parse in their stream's format."}, []string{"format"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gopulse_log_schema_changes_total",
			Help: "Schema drift events of log streams (field added or removed, type changed), by stream format."}, []string{"format", "kind"}),
		templates: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gopulse_log_templates",
			Help: "Message templates mined from the open log streams, by stream format."}, []string{"format"}),
	}
	if reg != nil {
		for _, c := range r.Collectors() {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// Collectors are the router's metrics, to register with another registry
// when the router is kept across a reload.
func (r *LogRouter) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.lines, r.errs, r.changes, r.templates}
}

// Rebind points the router at the sinks, health observer and process and
// pod lookups of o (a reload's next agent) while its streams, and their
// parsers' state, go on. The factory, overrides and node stay: they make
// the streams' parsers and labels, so a change of them needs a new router.
// No line may be handled meanwhile (the tailer is stopped).
func (r *LogRouter) Rebind(o LogRouterOptions) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sinks, r.observer, r.procs, r.pods = o.Sinks, o.Observer, o.Procs, o.Pods
}

var (
	deployPodRe = regexp.MustCompile(`^(.+)-[0-9a-f]{6,10}-[0-9a-z]{5}$`)
	stsPodRe    = regexp.MustCompile(`^(.+)-[0-9]+$`)
	dsPodRe     = regexp.MustCompile(`^(.+)-[0-9a-z]{5}$`)
)

// guessService derives a workload name from a pod name when the pod's
// labels cannot be fetched.
func guessService(pod string) string {
	for _, re := range []*regexp.Regexp{deployPodRe, stsPodRe, dsPodRe} {
		if m := re.FindStringSubmatch(pod); m != nil {
			return m[1]
		}
	}
	return pod
}

// fileService derives a service name from a log file name: the base name
// without rotation and .log suffixes ("api.log.1" → "api").
func fileService(path string) string {
	b := filepath.Base(path)
	for {
		ext := filepath.Ext(b)
		if ext == "" || ext == b {
			break
		}
		if ext != ".log" && strings.Trim(ext[1:], "0123456789") != "" && ext != ".gz" {
			break
		}
		b = strings.TrimSuffix(b, ext)
	}
	return b
}

func (r *LogRouter) stream(path string) *logStream {
	if s := r.streams[path]; s != nil {
		return s
	}
	ov := overrideOf(r.overrides, path)
	s := &logStream{ov: ov}
	if ref, ok := ParsePodLogPath(path); ok {
		s.pod, s.inPod = ref, true
		s.service = guessService(ref.Pod)
		if r.pods != nil {
			if pm, ok := r.pods.Pod(contextBackground(), ref.UID); ok {
				s.service = pm.Service
			}
		}
	}
	if ov.Service != "" {
		s.service = ov.Service
	} else if !s.inPod {
		// A plain file is named after its program more often than not
		// (/var/log/billing.log): its lines count for the processes of that
		// service, if any.
		s.service = fileService(path)
	}
	if s.service != "" {
		s.labels = append(s.labels, event.Label{Name: "service", Value: s.service})
	}
	if r.node != "" {
		s.labels = append(s.labels, event.Label{Name: "node", Value: r.node})
	}
	if s.inPod {
		s.labels = append(s.labels, event.Label{Name: "namespace", Value: s.pod.Namespace},
			event.Label{Name: "pod", Value: s.pod.Pod}, event.Label{Name: "container", Value: s.pod.Container})
	}
	if r.factory != nil {
		p, err := r.factory(path, ov)
		if err != nil {
			r.log.Warn("log source kept unparsed: its parser could not be built", "path", path, "err", err)
			s.failed = true
		} else {
			s.parser = p
		}
	} else {
		s.failed = true
	}
	r.streams[path] = s
	return s
}

// overrideOf is the first of ovs whose glob matches path (none: zero).
func overrideOf(ovs []LogOverride, path string) LogOverride {
	for _, o := range ovs {
		if matchGlob(o.Path, path) {
			return o
		}
	}
	return LogOverride{}
}

// SetOverrides replaces the router's overrides (a reload that changes
// them): a stream whose override — the first that matches its path —
// changes is closed as CloseSource closes it (the record its parser holds
// is emitted, with the old parser), and its next line starts it again with
// the new override's parser and service; every other stream goes on with
// its parser's state. It returns the paths closed. No line may be handled
// meanwhile (the tailer is stopped).
func (r *LogRouter) SetOverrides(ovs []LogOverride) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.overrides = slices.Clone(ovs)
	var closed []string
	for path, s := range r.streams {
		if overrideOf(r.overrides, path) == s.ov {
			continue
		}
		r.flush(s, path, time.Now(), true)
		if s.format != "" {
			r.templates.WithLabelValues(s.format).Sub(float64(s.templates))
		}
		delete(r.streams, path)
		closed = append(closed, path)
	}
	slices.Sort(closed)
	return closed
}

// HandleLine implements LineHandler.
func (r *LogRouter) HandleLine(path string, line []byte, truncated bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stream(path)
	rec := r.newRecord(s, path)
	rec.Truncated = truncated
	var err error
	if s.failed {
		rec.Body, rec.Format = line, "raw"
	} else if err = s.parser.Parse(line, rec); errors.Is(err, ErrSkipLine) {
		s.held++ // joined a record still open (or a CRI partial line)
		return
	}
	if rec.Body == nil {
		rec.Body = line
	}
	r.deliver(s, rec, err)
	s.held = 0
	if p, ok := s.parser.(pendingParser); ok && p.Pending() {
		s.held = 1 // the record came out because this line starts the next one
	}
}

// pendingParser is a LogParser that says whether it holds a record open
// (a multi-line record waiting for its next line).
type pendingParser interface {
	Pending() bool
}

func (r *LogRouter) newRecord(s *logStream, path string) *event.LogRecord {
	rec := &r.rec
	*rec = event.LogRecord{Labels: s.labels, Fields: rec.Fields[:0]}
	rec.Source = path
	return rec
}

// Idle implements IdleHandler: it emits the records that the sources'
// parsers held back and that waited long enough.
func (r *LogRouter) Idle(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for path, s := range r.streams {
		r.flush(s, path, now, false)
	}
}

// flush emits the records a source's parser holds back (see
// LogParser.Flush).
func (r *LogRouter) flush(s *logStream, path string, now time.Time, force bool) {
	if s.failed {
		return
	}
	for {
		rec := r.newRecord(s, path)
		ok, err := s.parser.Flush(now, force, rec)
		if !ok {
			if st := s.parser.Stats(); len(st.Aliases) > 0 {
				// merges with no record to come (the provisional template
				// ids of a stream idle for the multi-line wait, or flushed)
				rec.Line, rec.TS = s.line, now.UnixNano()
				r.forwardAliases(s, rec, st)
			}
			return
		}
		r.deliver(s, rec, err)
		if p, ok := s.parser.(pendingParser); !ok || !p.Pending() {
			s.held = 0
		}
	}
}

// deliver hands a parsed record of s to the sinks and the health engine.
func (r *LogRouter) deliver(s *logStream, rec *event.LogRecord, err error) {
	s.line++
	if rec.Line == 0 {
		rec.Line = s.line
	}
	if rec.TS == 0 {
		rec.TS = time.Now().UnixNano()
	}
	if s.linesOf == nil || rec.Format != s.linesFormat {
		s.linesFormat, s.linesOf = rec.Format, r.lines.WithLabelValues(rec.Format)
	}
	s.linesOf.Inc()
	if !s.failed {
		st := s.parser.Stats()
		r.sourceStats(s, st, err != nil)
		r.forwardAliases(s, rec, st)
	}
	for _, sink := range r.sinks {
		sink.HandleLog(rec)
	}
	if r.observer == nil || r.procs == nil {
		return
	}
	r.pids = r.pids[:0]
	switch {
	case s.inPod:
		r.pids = r.procs.PodProcs(s.pod.Namespace, s.pod.Pod, s.pod.Container, r.pids)
	case s.service != "":
		r.pids = r.procs.ServiceProcs(s.service, r.pids)
	}
	for _, pid := range r.pids {
		r.observer.ObserveLog(pid, rec.Level, rec.TemplateID)
	}
}

// FormatTemplateMerge is the format of the records that announce a template
// merge (see forwardAliases).
const FormatTemplateMerge = "gopulse_template_merge"

// forwardAliases hands the template merges of a source to the sinks and the
// health engine that follow them (event.TemplateAliaser), before the record
// rec that came with them: a pending Loki entry then carries the merged id,
// and a burst of "new" error lines that turned out to be a known template
// is not new. Records already sent cannot change, so each merge also goes
// to the sinks as a record of its own (format FormatTemplateMerge, with the
// source's labels: template_id the id merged into, merged_template_id the
// id those records carry): no id sent is orphaned.
func (r *LogRouter) forwardAliases(s *logStream, rec *event.LogRecord, st *LogStats) {
	if len(st.Aliases) == 0 {
		return
	}
	for _, a := range st.Aliases {
		for _, sink := range r.sinks {
			if f, ok := sink.(event.TemplateAliaser); ok {
				f.AliasTemplate(a.From, a.To)
			}
		}
		if f, ok := r.observer.(event.TemplateAliaser); ok {
			f.AliasTemplate(a.From, a.To)
		}
		m := &r.merge
		*m = event.LogRecord{Source: rec.Source, Format: FormatTemplateMerge, Line: rec.Line, TS: rec.TS,
			Level: levelInfo, Labels: s.labels, TemplateID: a.To, Fields: m.Fields[:0]}
		m.Body = fmt.Appendf(m.Body[:0], "template %016x merged into %016x", a.From, a.To)
		m.Fields = append(m.Fields, event.Field{Key: keyMergedTemplate, Value: fmt.Appendf(r.mergedID[:0], "%016x", a.From), Type: event.TypeString})
		for _, sink := range r.sinks {
			sink.HandleLog(m)
		}
	}
	st.Aliases = st.Aliases[:0]
}

var (
	levelInfo         = []byte("info")
	keyMergedTemplate = []byte("merged_template_id")
)

// sourceStats updates the per-format series of a parsed line of s.
func (r *LogRouter) sourceStats(s *logStream, st *LogStats, failed bool) {
	if failed {
		r.errs.WithLabelValues(st.Format).Inc()
	}
	if st.Format != s.format {
		if s.format != "" {
			r.templates.WithLabelValues(s.format).Sub(float64(s.templates))
		}
		s.format, s.templates = st.Format, 0
		// The series of a format exist from its first line on, at zero
		// until something happens.
		r.errs.WithLabelValues(st.Format)
		for _, k := range []schema.ChangeKind{schema.FieldAdded, schema.FieldRemoved, schema.TypeChanged} {
			r.changes.WithLabelValues(st.Format, k.String())
		}
	}
	if st.Templates != s.templates {
		r.templates.WithLabelValues(s.format).Add(float64(st.Templates - s.templates))
		s.templates = st.Templates
	}
	for _, c := range st.Changes {
		r.changes.WithLabelValues(st.Format, c.Kind.String()).Inc()
	}
}

// Held implements LineHolder: the lines of path the parser still holds.
func (r *LogRouter) Held(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.streams[path]; s != nil {
		return s.held
	}
	return 0
}

// Sync implements Syncer: every sink that can make the records handed to
// it durable does so.
func (r *LogRouter) Sync(ctx context.Context) error {
	var errs []error
	for _, sink := range r.sinks {
		if s, ok := sink.(LogSyncer); ok {
			if err := s.Sync(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// StopSource implements SourceStopper: the source is let go without
// emitting what its parser holds (the tailer stops before those lines,
// and the next one reads them again from its committed offset).
func (r *LogRouter) StopSource(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.streams[path]
	if s == nil {
		return
	}
	if s.format != "" {
		r.templates.WithLabelValues(s.format).Sub(float64(s.templates))
	}
	delete(r.streams, path)
}

// CloseSource implements LineHandler: the records the source's parser still
// holds are emitted first.
func (r *LogRouter) CloseSource(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.streams[path]
	if s == nil {
		return
	}
	r.flush(s, path, time.Now(), true)
	if s.format != "" {
		r.templates.WithLabelValues(s.format).Sub(float64(s.templates))
	}
	delete(r.streams, path)
}
