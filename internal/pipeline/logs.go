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

// Rebind points the router at the sinks, health observer, process and pod
// lookups and node name of o (a reload's next agent) while its streams,
// and their parsers' state, go on. The streams keep their labels until
// Relabel; the factory and overrides stay (Retune, SetOverrides). No line
// may be handled meanwhile (the tailer is stopped).
func (r *LogRouter) Rebind(o LogRouterOptions) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sinks, r.observer, r.procs, r.pods, r.node = o.Sinks, o.Observer, o.Procs, o.Pods, o.Node
}

// Relabel gives every open stream the labels it would get now — its
// service (from its override, its pod's lookup, or its file name), the
// node, its pod placement — after a Rebind to other pod lookups or another
// node (a reload that changed the kubernetes settings). A stream whose
// labels change keeps its parser and its state (format, templates,
// schema, the record being assembled): only the records that come out
// from now on carry the new labels. A pod's stream whose lookup does not
// answer for its pod now keeps the service it had (a lookup that fails
// for a moment must not rename it to the pod's name). It returns the
// paths relabelled. No line may be handled meanwhile.
func (r *LogRouter) Relabel() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var changed []string
	for path, s := range r.streams {
		service, labels := r.labelsOf(path, s.ov, s.service)
		if service == s.service && slices.Equal(labels, s.labels) {
			continue
		}
		s.service, s.labels = service, labels
		changed = append(changed, path)
	}
	slices.Sort(changed)
	return changed
}

// retunableParser is a LogParser whose engine settings can change while it
// runs (see engineParser.Retune).
type retunableParser interface {
	LogParser
	// Retune applies o from now on. While it reports true it filled rec
	// with a record it held that o does not let it hold: call it again.
	Retune(o LogEngineOptions, rec *event.LogRecord) (bool, error)
}

// Retune makes f the factory of the streams opened from now on and gives
// the open streams' parsers the settings o (a reload that changed
// logs.field_names or logs.multiline; f is LogParserFactory(o)): each goes
// on with its format, header model, templates and schema, and a record it
// emits doing so (the one being assembled, when o turns the assembly off)
// goes to the sinks now, under its labels. A stream whose parser cannot
// change its settings is closed as CloseSource closes it, and its next
// line starts it again with f; Retune returns those paths. No line may be
// handled meanwhile (the tailer is stopped).
func (r *LogRouter) Retune(f ParserFactory, o LogEngineOptions) (restarted []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.factory = f
	paths := make([]string, 0, len(r.streams))
	for path := range r.streams {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	for _, path := range paths {
		s := r.streams[path]
		if s.failed {
			continue
		}
		p, ok := s.parser.(retunableParser)
		if !ok {
			r.flush(s, path, time.Now(), true)
			if s.format != "" {
				r.templates.WithLabelValues(s.format).Sub(float64(s.templates))
			}
			delete(r.streams, path)
			restarted = append(restarted, path)
			continue
		}
		for {
			rec := r.newRecord(s, path)
			emitted, err := p.Retune(o, rec)
			if !emitted {
				if err != nil {
					r.log.Warn("log source keeps its multi-line settings", "path", path, "err", err)
				}
				break
			}
			r.deliver(s, rec, err)
			if pp, ok := s.parser.(pendingParser); !ok || !pp.Pending() {
				s.held = 0
			}
		}
	}
	return restarted
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
	var p LogParser
	var err error
	if r.factory != nil {
		p, err = r.factory(path, ov)
	}
	return r.open(path, ov, p, err)
}

// open starts the stream of path under the override ov with the parser p,
// or unparsed when p is nil or err (its parser could not be built).
func (r *LogRouter) open(path string, ov LogOverride, p LogParser, err error) *logStream {
	s := &logStream{ov: ov}
	s.pod, s.inPod = ParsePodLogPath(path)
	s.service, s.labels = r.labelsOf(path, ov, "")
	switch {
	case err != nil:
		r.log.Warn("log source kept unparsed: its parser could not be built", "path", path, "err", err)
		s.failed = true
	case p == nil:
		s.failed = true // no factory
	default:
		s.parser = p
	}
	r.streams[path] = s
	return s
}

// successorParser is a LogParser that can hand its source over to the
// parser of another override while keeping what does not depend on it
// (see engineParser.Successor).
type successorParser interface {
	LogParser
	Successor(path string, o LogOverride) (LogParser, error)
}

// labelsOf returns the service and labels of the stream of path under
// the override ov. had is the service the stream has (Relabel; "" for a
// new stream): a pod's stream keeps it when the pod lookup does not answer
// for its pod.
func (r *LogRouter) labelsOf(path string, ov LogOverride, had string) (service string, labels []event.Label) {
	pod, inPod := ParsePodLogPath(path)
	switch {
	case ov.Service != "":
		service = ov.Service
	case inPod:
		service = guessService(pod.Pod)
		if r.pods != nil {
			if pm, ok := r.pods.Pod(contextBackground(), pod.UID); ok {
				service = pm.Service
			} else if had != "" {
				service = had
			}
		}
	default:
		// A plain file is named after its program more often than not
		// (/var/log/billing.log): its lines count for the processes of that
		// service, if any.
		service = fileService(path)
	}
	if service != "" {
		labels = append(labels, event.Label{Name: "service", Value: service})
	}
	if r.node != "" {
		labels = append(labels, event.Label{Name: "node", Value: r.node})
	}
	if inPod {
		labels = append(labels, event.Label{Name: "namespace", Value: pod.Namespace},
			event.Label{Name: "pod", Value: pod.Pod}, event.Label{Name: "container", Value: pod.Container})
	}
	return service, labels
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
// them). A stream whose override — the first that matches its path —
// changes its format or pattern is closed as CloseSource closes it (the
// record its parser holds is emitted, with the old parser, under the old
// labels) and starts again at once with the new override's parser and
// service; when its parser can hand over (successorParser) the new one
// goes on with its templates, so their ids stay (only the format, header
// model and schema are learnt anew). A stream whose override changes only
// its service keeps its parser and state and gets its new labels (as
// Relabel); every other stream goes on untouched. It returns the paths
// started again and the paths relabelled. No line may be handled
// meanwhile (the tailer is stopped).
func (r *LogRouter) SetOverrides(ovs []LogOverride) (restarted, relabelled []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.overrides = slices.Clone(ovs)
	var handed map[string]LogParser
	for path, s := range r.streams {
		ov := overrideOf(r.overrides, path)
		if ov == s.ov {
			continue
		}
		if ov.Format == s.ov.Format && ov.Pattern == s.ov.Pattern {
			// The parser is the same: only the service (and the
			// override's glob) changed.
			s.ov = ov
			service, labels := r.labelsOf(path, ov, s.service)
			if service != s.service || !slices.Equal(labels, s.labels) {
				s.service, s.labels = service, labels
				relabelled = append(relabelled, path)
			}
			continue
		}
		r.flush(s, path, time.Now(), true)
		if s.format != "" {
			r.templates.WithLabelValues(s.format).Sub(float64(s.templates))
		}
		delete(r.streams, path)
		restarted = append(restarted, path)
		if sp, ok := s.parser.(successorParser); ok && !s.failed {
			np, err := sp.Successor(path, ov)
			if err != nil {
				// its next line builds it as a new source's
				r.log.Warn("log source's templates not handed over", "path", path, "err", err)
				continue
			}
			if handed == nil {
				handed = map[string]LogParser{}
			}
			handed[path] = np
		}
	}
	for path, np := range handed {
		r.open(path, overrideOf(r.overrides, path), np, nil)
	}
	slices.Sort(restarted)
	slices.Sort(relabelled)
	return restarted, relabelled
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
