package gopulselogprocessor

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logengine"
	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/logparse/miner"
	"github.com/gopulse/gopulse/schema"
)

// Attributes the processor adds besides the parsed fields.
const (
	AttrFormat       = "gopulse.log.format"
	AttrTemplateID   = "gopulse.log.template.id"
	AttrTemplate     = "gopulse.log.template"
	AttrLines        = "gopulse.log.lines"
	AttrParseError   = "gopulse.log.parse_error"
	AttrTruncated    = "gopulse.log.truncated"
	AttrChangeKind   = "gopulse.log.schema.change"
	AttrChangeField  = "gopulse.log.schema.field"
	AttrChangeFrom   = "gopulse.log.schema.type.from"
	AttrChangeTo     = "gopulse.log.schema.type.to"
	AttrSchemaID     = "gopulse.log.schema.id"
	EventSchemaDrift = "gopulse.log.schema.change"
	// A template merge: the template of id AttrTemplateMergedID joined the
	// template of id AttrTemplateID; records sent with the first id belong
	// to the second.
	EventTemplateMerge   = "gopulse.log.template.merge"
	AttrTemplateMergedID = "gopulse.log.template.merged_id"
)

type logProcessor struct {
	cfg    *Config
	logger *zap.Logger
	next   consumer.Logs
	engine *logengine.Engine

	mu      sync.Mutex
	streams map[string]*stream
	tick    uint64
	keyBuf  []byte // the stream key being built
	// Strings made once: attribute names of parsed fields (with the
	// prefix) and template ids, up to maxInterned each.
	attrKeys    map[string]string
	templateIDs map[uint64]string
	aliases     []miner.Alias // template merges taken from the engine

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// stream is one input: its engine stream and the input lines whose record
// is not complete yet.
type stream struct {
	s    *logengine.Stream
	line uint64 // number of the last input line (engine streams count from 1)
	// lines holds each input line's record until the engine says which
	// record it starts or continues; a record's output keeps the
	// attributes, resource and scope of its first line.
	lines map[uint64]input
	used  uint64
	// The resource and scope of the last line, copied once and shared by
	// the lines that have the same (most do).
	res   pcommon.Resource
	scope pcommon.InstrumentationScope
	has   bool
	// what the template merges found with no record to follow (an idle
	// stream's provisional ids settled) are sent with: the times and the
	// file of the stream's last record
	ts, observed       pcommon.Timestamp
	filePath, fileName string
}

type input struct {
	rec   plog.LogRecord
	res   pcommon.Resource
	scope pcommon.InstrumentationScope
}

func newProcessor(set processor.Settings, cfg *Config, next consumer.Logs) (*logProcessor, error) {
	e, err := logengine.New(logengine.Config{
		Format: cfg.Format, Pattern: cfg.Pattern,
		MaxTemplates: cfg.Templates.Max,
		Schema:       cfg.SchemaDrift,
		SingleLine:   !cfg.Multiline.Enabled, MaxRecordBytes: cfg.Multiline.MaxRecordBytes, MultilineWait: cfg.Multiline.Wait,
	})
	if err != nil {
		return nil, fmt.Errorf("log engine: %w", err)
	}
	return &logProcessor{cfg: cfg, logger: set.Logger, next: next, engine: e, streams: make(map[string]*stream),
		attrKeys: make(map[string]string), templateIDs: make(map[uint64]string)}, nil
}

// maxInterned bounds each table of strings made once (field names, template
// ids); beyond it they are made per record.
const maxInterned = 4096

func (p *logProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// Start runs the timer that sends multi-line records whose next line does
// not come and settles the provisional template ids of a stream idle for
// multiline.wait (logengine.Stream.Expire): the merge events follow.
func (p *logProcessor) Start(context.Context, component.Host) error {
	wait := p.cfg.Multiline.Wait
	if wait <= 0 {
		wait = logparse.DefaultMaxWait // the engine's, multi-line off
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(max(wait/2, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				p.expire(ctx, now)
			}
		}
	}()
	return nil
}

// Shutdown stops the timer and sends every record still waiting; it is
// safe twice and without Start.
func (p *logProcessor) Shutdown(ctx context.Context) error {
	var err error
	p.once.Do(func() {
		if p.cancel != nil {
			p.cancel()
		}
		p.wg.Wait()
		out := newBatch()
		p.mu.Lock()
		keys := make([]string, 0, len(p.streams))
		for k := range p.streams {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p.flush(p.streams[k], out)
		}
		p.mu.Unlock()
		if out.logs.LogRecordCount() > 0 {
			if cerr := p.next.ConsumeLogs(ctx, out.logs); cerr != nil {
				err = fmt.Errorf("send the records still assembling: %w", cerr)
			}
		}
	})
	return err
}

// ConsumeLogs parses every string body and passes the completed records
// on; a record that may go on (a stack trace) waits for its next line or
// for multiline.wait.
func (p *logProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	out := newBatch()
	p.mu.Lock()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				p.consume(rl.Resource(), sl.Scope(), lrs.At(k), out)
			}
		}
	}
	p.mu.Unlock()
	if out.logs.LogRecordCount() == 0 {
		return nil
	}
	return p.next.ConsumeLogs(ctx, out.logs)
}

// consume feeds one record to its stream.
func (p *logProcessor) consume(res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord, out *batch) {
	// The records are the processor's to change (MutatesData): they move
	// instead of being copied.
	body := lr.Body()
	if body.Type() != pcommon.ValueTypeStr {
		lr.MoveTo(out.add(res, scope)) // not text: passed on as it is
		return
	}
	line := body.Str()
	st := p.stream(res, lr, out)
	st.line++
	if !st.has || !st.res.Attributes().Equal(res.Attributes()) || st.scope.Name() != scope.Name() ||
		st.scope.Version() != scope.Version() || !st.scope.Attributes().Equal(scope.Attributes()) {
		st.res, st.scope, st.has = pcommon.NewResource(), pcommon.NewInstrumentationScope(), true
		res.CopyTo(st.res)
		scope.CopyTo(st.scope)
	}
	in := input{rec: plog.NewLogRecord(), res: st.res, scope: st.scope}
	lr.MoveTo(in.rec)
	st.lines[st.line] = in
	r := st.s.Online([]byte(line))
	if !r.Partial {
		p.emit(st, r, out)
	}
	if !st.s.Pending() {
		clear(st.lines) // every line left was a continuation of an emitted record
	}
}

// expire sends the multi-line records that waited long enough, and the
// merge events of the provisional template ids of the streams that got no
// line for the wait.
func (p *logProcessor) expire(ctx context.Context, now time.Time) {
	out := newBatch()
	p.mu.Lock()
	for _, st := range p.streams {
		if !st.s.Pending() && !st.s.Provisional() {
			continue
		}
		for {
			r, ok := st.s.Expire(now, logengine.ModeOnline)
			if !ok {
				break
			}
			p.emit(st, r, out)
		}
		p.settled(st, out)
		if !st.s.Pending() {
			clear(st.lines)
		}
	}
	p.mu.Unlock()
	if out.logs.LogRecordCount() == 0 {
		return
	}
	if err := p.next.ConsumeLogs(ctx, out.logs); err != nil {
		p.logger.Warn("the next consumer refused multi-line records or template merges sent after their wait", zap.Error(err))
	}
}

// flush sends what a stream holds (at shutdown or eviction).
func (p *logProcessor) flush(st *stream, out *batch) {
	for {
		r, ok := st.s.Flush(logengine.ModeOnline)
		if !ok {
			break
		}
		p.emit(st, r, out)
	}
	p.settled(st, out) // Flush settled the stream's provisional ids
	clear(st.lines)
}

// settled sends the template merges the engine made with no record to
// follow (an idle or flushed stream's provisional ids), with the stream's
// resource, scope and last record's times and file.
func (p *logProcessor) settled(st *stream, out *batch) {
	if !st.has {
		return
	}
	p.aliases = p.engine.TakeAliases(p.aliases[:0])
	if len(p.aliases) == 0 {
		return
	}
	lr := plog.NewLogRecord()
	lr.SetTimestamp(st.ts)
	lr.SetObservedTimestamp(st.observed)
	if st.filePath != "" {
		lr.Attributes().PutStr("log.file.path", st.filePath)
	}
	if st.fileName != "" {
		lr.Attributes().PutStr("log.file.name", st.fileName)
	}
	p.send(lr, input{res: st.res, scope: st.scope}, out)
}

// stream returns the record's stream, creating it (and evicting the least
// recently used one beyond max_streams into out).
func (p *logProcessor) stream(res pcommon.Resource, lr plog.LogRecord, out *batch) *stream {
	p.keyBuf = p.streamKey(p.keyBuf[:0], res, lr)
	p.tick++
	st := p.streams[string(p.keyBuf)]
	if st == nil {
		if len(p.streams) >= p.cfg.MaxStreams {
			p.evict(out)
		}
		st = &stream{s: p.engine.NewStream(), lines: make(map[uint64]input)}
		p.streams[string(p.keyBuf)] = st
	}
	st.used = p.tick
	return st
}

// evict forgets the least recently used stream, sending what it holds.
func (p *logProcessor) evict(out *batch) {
	var oldest string
	var used uint64
	for k, st := range p.streams {
		if oldest == "" || st.used < used {
			oldest, used = k, st.used
		}
	}
	p.flush(p.streams[oldest], out)
	delete(p.streams, oldest)
}

// streamKey appends to b the name of a record's stream, from the configured
// attributes (record first, then resource).
func (p *logProcessor) streamKey(b []byte, res pcommon.Resource, lr plog.LogRecord) []byte {
	start := len(b)
	for _, k := range p.cfg.StreamKeys {
		v, ok := lr.Attributes().Get(k)
		if !ok {
			v, ok = res.Attributes().Get(k)
		}
		if ok {
			b = append(b, k...)
			b = append(b, '=')
			if v.Type() == pcommon.ValueTypeStr {
				b = append(b, v.Str()...)
			} else {
				b = append(b, v.AsString()...)
			}
			b = append(b, '|')
		}
	}
	if len(b) == start {
		// One stream per resource.
		raw := res.Attributes().AsRaw()
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, "resource|"...)
		for _, k := range keys {
			b = fmt.Appendf(b, "%s=%v|", k, raw[k])
		}
	}
	return b
}

// emit appends the record r completed, with the attributes of its first
// line, and its schema drift events.
func (p *logProcessor) emit(st *stream, r *logengine.Result, out *batch) {
	in, ok := st.lines[r.Rec.Line]
	lr := plog.LogRecord{}
	if ok {
		delete(st.lines, r.Rec.Line)
		lr = out.add(in.res, in.scope)
		in.rec.MoveTo(lr) // the line's record is used once
	} else {
		// The first line's input is gone (an evicted or flushed stream):
		// the record goes on with the last line's, which stays for its own.
		in, ok = st.lines[st.line]
		if !ok {
			p.logger.Debug("a record's input line is gone", zap.Uint64("line", r.Rec.Line))
			return
		}
		lr = out.add(in.res, in.scope)
		in.rec.CopyTo(lr)
	}
	p.annotate(lr, r)
	p.merges(lr, in, out)
	st.ts, st.observed = lr.Timestamp(), lr.ObservedTimestamp()
	if v, ok := lr.Attributes().Get("log.file.path"); ok && v.Str() != st.filePath {
		st.filePath = v.Str()
	}
	if v, ok := lr.Attributes().Get("log.file.name"); ok && v.Str() != st.fileName {
		st.fileName = v.Str()
	}
	if len(r.Changes) > 0 {
		for _, c := range r.Changes {
			ev := out.add(in.res, in.scope)
			driftEvent(ev, lr, c)
		}
	}
}

// merges sends an event record for each template merge the engine made
// since the last record (records already sent carry the merged id: the
// event says which template they belong to now), after the record whose
// line brought the merge.
func (p *logProcessor) merges(lr plog.LogRecord, in input, out *batch) {
	p.aliases = p.engine.TakeAliases(p.aliases[:0])
	p.send(lr, in, out)
}

// send sends an event record for each merge in p.aliases.
func (p *logProcessor) send(lr plog.LogRecord, in input, out *batch) {
	if !p.cfg.Templates.Enabled {
		return
	}
	for _, a := range p.aliases {
		ev := out.add(in.res, in.scope)
		ev.SetEventName(EventTemplateMerge)
		ev.SetTimestamp(lr.Timestamp())
		ev.SetObservedTimestamp(lr.ObservedTimestamp())
		ev.SetSeverityNumber(plog.SeverityNumberInfo)
		at := ev.Attributes()
		at.PutStr(AttrTemplateID, p.templateID(a.To))
		at.PutStr(AttrTemplateMergedID, p.templateID(a.From))
		for _, k := range []string{"log.file.path", "log.file.name"} {
			if v, ok := lr.Attributes().Get(k); ok {
				v.CopyTo(at.PutEmpty(k))
			}
		}
		ev.Body().SetStr(fmt.Sprintf("template %016x merged into %016x", a.From, a.To))
	}
}

// annotate sets what the engine found on the record.
func (p *logProcessor) annotate(lr plog.LogRecord, r *logengine.Result) {
	rec := &r.Rec
	attrs := lr.Attributes()
	attrs.EnsureCapacity(attrs.Len() + len(rec.Fields) + 4)
	if rec.Lines > 1 {
		lr.Body().SetStr(string(rec.Body))
		attrs.PutInt(AttrLines, int64(rec.Lines))
	}
	if rec.Format != "" {
		attrs.PutStr(AttrFormat, rec.Format)
	}
	if r.Err != nil {
		attrs.PutStr(AttrParseError, r.Err.Error())
	}
	if rec.Truncated {
		attrs.PutBool(AttrTruncated, true)
	}
	if lr.Timestamp() == 0 && rec.TS > 0 {
		lr.SetTimestamp(pcommon.Timestamp(rec.TS))
	}
	if lr.SeverityNumber() == plog.SeverityNumberUnspecified && len(rec.Level) > 0 {
		num, text := severity(rec.Level)
		lr.SetSeverityNumber(num)
		if lr.SeverityText() == "" {
			lr.SetSeverityText(text)
		}
	}
	for _, f := range rec.Fields {
		key := p.attrKey(f.Key)
		if _, exists := attrs.Get(key); exists || key == "" {
			continue
		}
		putTyped(attrs, key, f)
	}
	if r.HasTemplate && p.cfg.Templates.Enabled {
		attrs.PutStr(AttrTemplateID, p.templateID(r.Template.ID))
		attrs.PutStr(AttrTemplate, r.Template.Text)
	}
}

// attrKey returns the attribute name of a parsed field.
func (p *logProcessor) attrKey(field []byte) string {
	if k, ok := p.attrKeys[string(field)]; ok {
		return k
	}
	k := p.cfg.AttributePrefix + string(field)
	if len(p.attrKeys) < maxInterned {
		p.attrKeys[string(field)] = k
	}
	return k
}

// templateID returns a template's id as 16 hex digits.
func (p *logProcessor) templateID(id uint64) string {
	if s, ok := p.templateIDs[id]; ok {
		return s
	}
	s := fmt.Sprintf("%016x", id)
	if len(p.templateIDs) < maxInterned {
		p.templateIDs[id] = s
	}
	return s
}

// putTyped puts a parsed field with its inferred type.
func putTyped(attrs pcommon.Map, key string, f event.Field) {
	v := string(f.Value)
	switch f.Type {
	case event.TypeInt:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			attrs.PutInt(key, n)
			return
		}
	case event.TypeFloat:
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			attrs.PutDouble(key, x)
			return
		}
	case event.TypeBool:
		if b, err := strconv.ParseBool(v); err == nil {
			attrs.PutBool(key, b)
			return
		}
	}
	attrs.PutStr(key, v)
}

// severity maps the engine's normalized level to a severity number and
// text (upper case, as the record would show it).
func severity(level []byte) (plog.SeverityNumber, string) {
	switch string(level) {
	case "trace":
		return plog.SeverityNumberTrace, "TRACE"
	case "debug":
		return plog.SeverityNumberDebug, "DEBUG"
	case "info":
		return plog.SeverityNumberInfo, "INFO"
	case "warn":
		return plog.SeverityNumberWarn, "WARN"
	case "error":
		return plog.SeverityNumberError, "ERROR"
	case "fatal":
		return plog.SeverityNumberFatal, "FATAL"
	}
	return plog.SeverityNumberUnspecified, strings.ToUpper(string(level))
}

// driftEvent fills ev with a schema change noticed at record lr.
func driftEvent(ev, lr plog.LogRecord, c schema.Change) {
	ev.SetEventName(EventSchemaDrift)
	ev.SetTimestamp(lr.Timestamp())
	ev.SetObservedTimestamp(lr.ObservedTimestamp())
	ev.SetSeverityNumber(plog.SeverityNumberInfo)
	a := ev.Attributes()
	a.PutStr(AttrChangeKind, c.Kind.String())
	a.PutStr(AttrChangeField, c.Field)
	var text string
	switch c.Kind {
	case schema.FieldAdded:
		a.PutStr(AttrChangeTo, c.To.String())
		text = fmt.Sprintf("schema drift: field %s added (%s)", c.Field, c.To)
	case schema.FieldRemoved:
		a.PutStr(AttrChangeFrom, c.From.String())
		text = fmt.Sprintf("schema drift: field %s removed (was %s)", c.Field, c.From)
	default:
		a.PutStr(AttrChangeFrom, c.From.String())
		a.PutStr(AttrChangeTo, c.To.String())
		text = fmt.Sprintf("schema drift: field %s changed from %s to %s", c.Field, c.From, c.To)
	}
	if c.NewID != "" {
		a.PutStr(AttrSchemaID, c.NewID)
	}
	for _, k := range []string{"log.file.path", "log.file.name"} {
		if v, ok := lr.Attributes().Get(k); ok {
			v.CopyTo(a.PutEmpty(k))
		}
	}
	ev.Body().SetStr(text)
}

// batch builds the output, one ResourceLogs per run of records with the
// same resource and scope.
type batch struct {
	logs plog.Logs
	rl   plog.ResourceLogs
	sl   plog.ScopeLogs
	has  bool
}

func newBatch() *batch { return &batch{logs: plog.NewLogs()} }

// add appends an empty record under res and scope.
func (b *batch) add(res pcommon.Resource, scope pcommon.InstrumentationScope) plog.LogRecord {
	if !b.has || !b.rl.Resource().Attributes().Equal(res.Attributes()) {
		b.rl = b.logs.ResourceLogs().AppendEmpty()
		res.CopyTo(b.rl.Resource())
		b.sl = b.rl.ScopeLogs().AppendEmpty()
		scope.CopyTo(b.sl.Scope())
		b.has = true
	} else if b.sl.Scope().Name() != scope.Name() || b.sl.Scope().Version() != scope.Version() {
		b.sl = b.rl.ScopeLogs().AppendEmpty()
		scope.CopyTo(b.sl.Scope())
	}
	return b.sl.LogRecords().AppendEmpty()
}
