// Package logengine is the one composition of the log engine that the CLI
// (gopulse logs) and the agent's pipeline share: per-stream format detection
// with a free-text fallback for lines no format takes, the free-text header
// refinement of messages, template mining, and schema inference with drift
// per stream. It does no I/O: lines in, results out.
package logengine

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"time"

	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/logparse/freetext"
	"github.com/gopulse/gopulse/logparse/miner"
	"github.com/gopulse/gopulse/schema"
)

// ErrUnknownFormat is returned by New for a Config.Format that no built-in
// parser has.
var ErrUnknownFormat = errors.New("unknown log format")

// Config configures an Engine. The zero value detects every built-in format.
type Config struct {
	// Pattern pins every stream to a pattern of the pattern language.
	Pattern string
	// Format pins every stream to one built-in format ("json", "combined", …).
	Format string
	// Year completes timestamps without a year (syslog, klog); 0 puts them
	// in the last 12 months (see logparse.StreamOptions.Year).
	Year int
	// MaxTemplates bounds the template miner (its MaxClusters); 0 means the
	// miner's default.
	MaxTemplates int
	// Schema enables schema inference per stream, configured by SchemaConfig.
	Schema       bool
	SchemaConfig schema.Config
	// SingleLine turns off the assembly of multi-line records (stack
	// traces, indented continuations; see logparse.MultilineOptions): every
	// line is then a record of its own.
	SingleLine bool
	// MaxRecordBytes caps a multi-line record (logparse.DefaultMaxRecord
	// when 0); MultilineWait is how long Expire waits for a record's next
	// line (logparse.DefaultMaxWait when 0).
	// A stream whose lines carry provisional template ids (its first
	// lines, before its free-text header model settles) and that gets no
	// line for MultilineWait settles them at Expire: each becomes an alias
	// of its template (see Stream.Expire).
	MaxRecordBytes int
	MultilineWait  time.Duration
	// Params fills Result.Params with each line's parameter values.
	Params bool
	// Names selects the field names: each format's own, or OpenTelemetry's
	// semantic names (logparse.NamesOTel).
	Names logparse.Naming
}

// Engine holds what the streams of one engine share: the parser
// configuration and the template miner. It is not safe for concurrent use;
// neither are its streams.
type Engine struct {
	cfg     Config
	year    int             // cfg.Year, or the current year when it is 0
	pinned  logparse.Parser // Pattern or Format; nil to detect
	seed    maphash.Seed    // of the context hash: contexts are only compared within the engine
	miner   *miner.Miner
	schemas bool

	// Templates' cache: recounted when the miner's signatures change, and
	// every recountEvery calls.
	templates, lastLen, sinceCount int
}

const recountEvery = 1024

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	e := &Engine{cfg: cfg, year: cfg.Year, seed: maphash.MakeSeed(), miner: miner.New(miner.Config{MaxClusters: cfg.MaxTemplates}), schemas: cfg.Schema}
	if e.year == 0 {
		e.year = time.Now().UTC().Year()
	}
	switch {
	case cfg.Pattern != "":
		p, err := logparse.CompilePattern(cfg.Pattern)
		if err != nil {
			return nil, fmt.Errorf("compile pattern: %w", err)
		}
		e.pinned = p
	case cfg.Format != "":
		var names []string
		for _, p := range logparse.DefaultParsers(e.year) {
			if p.Name() == cfg.Format {
				e.pinned = p
			}
			names = append(names, p.Name())
		}
		if e.pinned == nil {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownFormat, cfg.Format, strings.Join(names, ", "))
		}
	}
	if e.cfg.SchemaConfig.Year == 0 {
		e.cfg.SchemaConfig.Year = e.year
	}
	return e, nil
}

// Successor returns an Engine for cfg that goes on with e's templates: it
// takes over e's template miner (and the seed of the context hashes the
// miner was given), so that a message mined before keeps its template and
// that template's id, and cfg.MaxTemplates does not apply. It is for an
// input whose parser settings change while it is read (a reload that pins
// another format or pattern): what e's streams learnt about the input
// itself — its format, free-text header model and schema — is not taken
// over, since it does not hold under the new settings. e must not be used
// afterwards.
func (e *Engine) Successor(cfg Config) (*Engine, error) {
	n, err := New(cfg)
	if err != nil {
		return nil, err
	}
	n.seed, n.miner = e.seed, e.miner
	return n, nil
}

// Year returns the year used for timestamps without one (the current year
// when Config.Year is 0).
func (e *Engine) Year() int { return e.year }

// Miner returns the engine's template miner.
func (e *Engine) Miner() *miner.Miner { return e.miner }

// Templates returns the number of templates mined so far. It is cheap
// enough to call per line.
func (e *Engine) Templates() int {
	if n := e.miner.Len(); n != e.lastLen || e.sinceCount >= recountEvery {
		e.templates, e.lastLen, e.sinceCount = e.miner.NumTemplates(), n, 0
	}
	e.sinceCount++
	return e.templates
}

// Resolve returns the id that a template id handed out earlier stands for
// now: the id of the template it was merged into, or itself.
func (e *Engine) Resolve(id uint64) uint64 { return e.miner.Resolve(id) }

// TakeAliases appends to dst the template merges made since the last
// call (see miner.Miner.TakeAliases): what consumers of template ids follow.
func (e *Engine) TakeAliases(dst []miner.Alias) []miner.Alias { return e.miner.TakeAliases(dst) }

// EndLearning finishes a first mining pass: late generalisations apply to
// every line matched afterwards.
func (e *Engine) EndLearning() { e.miner.Consolidate() }

// NewStream starts one input (a file, a container): a fresh format
// detector and, when enabled, a fresh schema.
func (e *Engine) NewStream() *Stream {
	var ft *freetext.Parser
	if e.pinned == nil {
		ft = freetext.NewParser(e.year)
	}
	return e.newStream(ft)
}

// Again returns a Stream for reading the same input once more (the second
// pass of a two-pass read): it keeps what s learned about the input's
// free-text headers (their layout, the order of day, month and year), so
// that the second pass parses the input's first lines as the first pass
// ended up parsing all of them.
func (s *Stream) Again() *Stream { return s.e.newStream(s.ft) }

func (e *Engine) newStream(ft *freetext.Parser) *Stream {
	opts := logparse.StreamOptions{Year: e.cfg.Year, Multiline: logparse.MultilineOptions{
		Enabled: !e.cfg.SingleLine, MaxBytes: e.cfg.MaxRecordBytes, MaxWait: e.cfg.MultilineWait}}
	if e.pinned != nil {
		opts.Parsers = []logparse.Parser{e.pinned}
	} else {
		opts.Fallback = ft // every built-in format first
	}
	s := &Stream{e: e, s: logparse.NewStream(opts), ft: ft}
	if e.schemas {
		s.inf = schema.New(e.cfg.SchemaConfig)
	}
	return s
}

// Result is the outcome of one line: the record that the line completed, if
// any. With multi-line records a record is complete once the line after it
// arrives (or at Flush or Expire), so a line usually completes the record
// before it: Rec.Line and Rec.Lines tell which input lines a record holds.
// A Stream reuses its Result: it is valid until the next call on that
// Stream.
type Result struct {
	Rec logparse.Record
	// Err is a parse error; Rec.Body still holds the record's text.
	Err error
	// Partial: the line completed no record (nothing to emit yet): a
	// wrapper line that is only part of a log line, or a line of a record
	// that may go on.
	Partial bool
	// Mismatch: the stream's format is known but this line is not in it
	// (the free-text fallback took it).
	Mismatch bool
	// Template and Params are set when HasTemplate.
	Template    miner.Template
	Params      []miner.Param
	HasTemplate bool
	// Changes are the schema drift events noticed at this line (schema
	// inference only).
	Changes []schema.Change
}

// Failed reports whether the line counts as a parse error: it did not parse,
// or it is not in its stream's known format.
func (r *Result) Failed() bool { return r.Err != nil || r.Mismatch }

// Stream is one input of an Engine.
type Stream struct {
	e      *Engine
	ft     *freetext.Parser // the free-text fallback, nil when pinned
	warm   []warmLine       // free-text messages kept for rehead
	seen   int              // free-text messages mined, up to warmSpan
	layout uint32           // ft's layout generation at the last rehead
	// warm lines whose provisional id is not yet an alias (see
	// provisionalFor), and the template handed out for the last of them
	provisional int
	tmpl        miner.Template
	// the idle clock of the provisional ids (as logparse's multi-line
	// records': a line marks the stream fresh, the next Expire starts the
	// wait), and how many times they were settled while the model was
	// still unsettled (salts the ids handed out after; see settleIdle)
	idleFresh bool
	idleAt    int64
	epoch     uint64
	moves     []miner.Move // rehead's, reused
	s         *logparse.Stream
	inf       *schema.Inferrer
	res       Result
}

// Format returns the stream's format: the detected one, the leader while
// the first lines vote, or "" when no format took a line.
func (s *Stream) Format() string { return s.s.Format() }

// Formats returns how many lines each format parsed, in a new map.
func (s *Stream) Formats() map[string]int { return s.s.Formats() }

// Wrapper returns the detected wrapper ("cri", "docker" or "").
func (s *Stream) Wrapper() string { return s.s.Wrapper() }

// Schema returns the stream's inferred schema (the zero Schema without
// schema inference).
func (s *Stream) Schema() schema.Schema {
	if s.inf == nil {
		return schema.Schema{}
	}
	return s.inf.Schema()
}

// FlushSchema ends the stream's drift window (at the end of an input) and
// returns the drift events it finds.
func (s *Stream) FlushSchema() []schema.Change {
	if s.inf == nil {
		return nil
	}
	return s.inf.Flush()
}

// Parse parses and refines one line, without mining or schema inference.
func (s *Stream) Parse(line []byte) *Result {
	r := &s.res
	r.Err = s.s.Parse(line, &r.Rec)
	s.finish()
	return r
}

func (s *Stream) finish() {
	r := &s.res
	r.Changes, r.HasTemplate = nil, false
	r.Partial = errors.Is(r.Err, logparse.ErrPartial)
	if r.Partial {
		r.Err = nil
	}
	r.Mismatch = r.Err == nil && !r.Partial && s.s.Detected() && r.Rec.Format == "freetext"
	if r.Err == nil && !r.Partial && r.Rec.Format != logparse.FormatStackTrace {
		freetext.Refine(&r.Rec)
	}
	if !r.Partial {
		logparse.ApplyNames(&r.Rec, s.e.cfg.Names)
	}
}

// ok reports whether the record is a parsed, complete, non-empty line.
func (r *Result) ok() bool { return r.Err == nil && !r.Partial && r.Rec.Format != "empty" }

// Learn parses a line, mines its message and updates the schema (the first
// pass of a two-pass read; see Analyze).
func (s *Stream) Learn(line []byte) *Result {
	s.Parse(line)
	s.learn()
	return &s.res
}

func (s *Stream) learn() {
	r := &s.res
	if !r.ok() {
		return
	}
	if len(r.Rec.Message) > 0 {
		s.mine(false)
	}
	s.observe()
}

// mine adds the record's message to the miner and returns its template;
// online, the template handed out for the line (see provisionalFor).
func (s *Stream) mine(online bool) *miner.Template {
	r := &s.res
	ctx := context(&r.Rec, s.e.seed)
	warming := s.ft != nil && r.Rec.Format == "freetext" && s.seen < warmSpan
	if warming {
		s.seen++
	}
	if len(s.warm) > 0 {
		if g := s.ft.Layout(); g != s.layout {
			s.layout = g
			s.rehead()
		}
		if s.seen == warmSpan {
			s.warm = nil // the layout is known by now
		}
	}
	unsettled := warming && !s.ft.Settled()
	if s.provisional > 0 && !unsettled {
		s.settle()
	}
	m := s.e.miner
	t := m.AddIn(r.Rec.Message, ctx)
	kept := -1
	if warming && s.seen < warmSpan && len(s.warm) < warmLines && (s.seen <= warmFirst || m.Matched() == 1 || unsettled && m.NewSignature()) {
		// the stream's first lines, the first line of every template made
		// while its layout may still change, and the first line of every
		// signature before the header model settled
		if pre := s.ft.Unextended(); len(pre) >= len(r.Rec.Message) && string(pre[len(pre)-len(r.Rec.Message):]) == string(r.Rec.Message) {
			s.warm = append(s.warm, warmLine{pre: append([]byte(nil), pre...), off: len(pre) - len(r.Rec.Message), ctx: ctx, ext: s.ft.Extended()})
			kept = len(s.warm) - 1
		}
	}
	if !unsettled || !online {
		return t
	}
	s.idleFresh = true
	return s.provisionalFor(t, kept)
}

// provisionalFor returns the template to hand out for a line mined before
// the stream's header model settled: its signature's own text, under a
// provisional id that is later recorded as an alias of the template the
// signature ends up in (settle). Before the layout is known a message
// still holds the header's fields, and the miner may join the lines of
// several events into one template on them (a tail after a header that
// ends alike: bunyan's "name/pid on host:", a component and a level
// before a logger name); an id handed out for such a template could never
// be split again by an alias, so the lines of two events would carry one
// id for good. A provisional id covers one signature, whose lines are one
// event. kept is the index of the line's warm entry when it was just
// kept, else -1; a signature with no warm entry (its message was not the
// one the model extended) keeps the template's own id, and so does a
// signature whose template's id is its own (miner.Miner.OwnID): the
// template was made for it (the miner keeps that id with it when the
// signatures that joined the template by its tail leave it at a rehead,
// miner.Miner.RehomeAll), or it shapes a template that is no tail
// template (a merge or a cover joined it: one event). Its lines then
// carry, as read, the id its later lines get, with no alias to follow (a
// stream read with its layout from its first line, as LogHub's Zookeeper,
// keeps every first line's id); only a signature that joined by a tail or
// a fold, which may be another event whose text ended alike, gets a
// provisional id.
//
// Independent sources it helps: every free-text layout whose header the
// model extends only once it has seen its first lines — bunyan's long
// format, a constant program column (journald, containerd), a padded
// column found after 32 lines (log4j's %-23t, Windows CBS).
func (s *Stream) provisionalFor(t *miner.Template, kept int) *miner.Template {
	m := s.e.miner
	p := m.Render(s.res.Rec.Message)
	sig := p.ID ^ provisionalSalt
	w := (*warmLine)(nil)
	if kept >= 0 {
		w = &s.warm[kept]
		w.sig = sig
	} else {
		for i := range s.warm {
			if s.warm[i].sig == sig {
				w = &s.warm[i]
				break
			}
		}
	}
	if w == nil || m.OwnID() {
		return t
	}
	if w.tmp == 0 {
		// its first line, or its first since the ids were settled on an
		// idle stream: epoch 0 keeps the signature's own id
		w.tmp = sig ^ s.epoch*0x9e3779b97f4a7c15
		s.provisional++
	}
	id := w.tmp
	s.tmpl = p
	s.tmpl.ID, s.tmpl.Count = id, t.Count
	return &s.tmpl
}

// provisionalSalt sets the provisional ids apart from the ids of
// templates, which hash the same canonical texts.
const provisionalSalt = 0x5bd1e9955bd1e995

// settle records each provisional id as an alias of the template its
// signature is in now that the stream's header model has settled (its
// lines were reheaded at every change of the layout before).
func (s *Stream) settle() {
	m := s.e.miner
	for i := range s.warm {
		w := &s.warm[i]
		if w.tmp == 0 {
			continue
		}
		if to := m.IDOf(w.pre[w.off:], w.ctx); to != 0 {
			m.Adopt(w.tmp, to)
		}
		w.tmp = 0
	}
	s.provisional = 0
	s.epoch++
}

// settleIdle settles the provisional ids of a stream that got no line for
// the engine's MultilineWait (the same idle clock as a multi-line record's:
// the first call after a line starts it). A quiet input (a log that writes
// a few lines an hour) would otherwise keep one id per distinct message,
// for its first 32 lines, until its header model settled or the input
// ended, however long that takes: the consumers of its ids (the Loki
// exporter, the health engine's new_error_template) would see one id per
// message instead of one per event meanwhile. The aliases map each id
// handed out to the template its signature is in when the stream went
// idle; a line of that signature read after it, while the model is still
// unsettled, gets a new provisional id (salted by the settle count), so an
// id still covers one signature and a later rehead that splits a template
// moves no line already aliased.
func (s *Stream) settleIdle(now time.Time) {
	ns := now.UnixNano()
	if s.idleFresh {
		s.idleFresh, s.idleAt = false, ns
		return
	}
	wait := s.e.cfg.MultilineWait
	if wait <= 0 {
		wait = logparse.DefaultMaxWait
	}
	if ns-s.idleAt >= int64(wait) {
		s.settle()
	}
}

// Until a stream has read warmSpan free-text messages, its first warmFirst
// messages and the first message of each template it makes (warmLines at
// most) are kept for rehead.
const (
	warmFirst = 8
	warmLines = 512
	warmSpan  = 2048
)

type warmLine struct {
	pre []byte // the message before the header model took tokens of it
	off int    // where the message as mined starts in pre
	ctx uint64
	ext int    // header tokens the model took when it was mined
	sig uint64 // its signature's provisional id (the salted hash), 0 if none
	tmp uint64 // the provisional id its lines are handed, until settle
}

// rehead gives the lines kept from the start of a stream, read before the
// free-text header model knew the stream's layout or while it held
// another one, the header they would get now: when the model takes more
// (or fewer) of their leading tokens as header fields, their templates
// join the templates of the messages read as they would be now, so that
// one pass groups them as two passes do (the second pass reads them with
// the layout known; see Again). It runs when the layout changes.
func (s *Stream) rehead() {
	moves := s.moves[:0]
	for i := range s.warm {
		w := &s.warm[i]
		rest, k := s.ft.Rehead(w.pre)
		if k == w.ext {
			continue
		}
		moves = append(moves, miner.Move{Old: w.pre[w.off:], New: rest, Ctx: w.ctx})
		w.off, w.ext = len(w.pre)-len(rest), k
	}
	if len(moves) > 0 {
		s.e.miner.RehomeAll(moves)
	}
	s.moves = moves[:0]
}

// context hashes the field that names where a line was logged (a logger,
// component or call site) for the miner: a word that differs between
// lines of two loggers is not taken for a parameter.
func context(r *logparse.Record, seed maphash.Seed) uint64 {
	for i := range r.Fields {
		f := &r.Fields[i]
		switch string(f.Key) {
		case "component", "logger", "logger_name", "caller", "module":
		case "source":
			if r.Format != "klog" {
				continue // free text: a node or file name before the time
			}
		default:
			continue
		}
		return maphash.Bytes(seed, f.Value) | 1
	}
	return 0
}

// Context returns the hash of the current record's context (its logger,
// component or call site) that mining passes to the miner (see
// miner.Miner.AddIn); 0 for none. Benchmarks use it to mine the messages
// of records parsed beforehand.
func (s *Stream) Context() uint64 { return context(&s.res.Rec, s.e.seed) }

// observe updates the schema with the record, unless it is not in the
// stream's format (a free-text line in a JSON stream would otherwise show
// up as drift).
func (s *Stream) observe() {
	if r := &s.res; s.inf != nil && !r.Mismatch {
		r.Changes = s.inf.Observe(&r.Rec)
	}
}

// Infer parses a line and updates the schema, without mining.
func (s *Stream) Infer(line []byte) *Result {
	s.Parse(line)
	if s.res.ok() {
		s.observe()
	}
	return &s.res
}

// Analyze parses a line and finds its template in the mined state, without
// changing it (the second pass of a two-pass read).
func (s *Stream) Analyze(line []byte) *Result {
	s.Parse(line)
	s.match()
	return &s.res
}

// Online parses a line, mines it, updates the schema and returns it with
// its current template: one pass, for endless input. A template's text
// may still change as it generalises; its id does not, but a template that
// is merged into another later leaves its id as an alias of the other's
// (Engine.Resolve).
func (s *Stream) Online(line []byte) *Result {
	s.Parse(line)
	r := &s.res
	r.HasTemplate = false
	r.Params = r.Params[:0]
	if !r.ok() {
		return r
	}
	if len(r.Rec.Message) > 0 {
		r.Template = *s.mine(true)
		if s.e.cfg.Params {
			r.Params = s.e.miner.Params(r.Rec.Message, r.Params)
		}
		r.HasTemplate = true
	}
	s.observe()
	return r
}

func (s *Stream) match() {
	r := &s.res
	r.HasTemplate = false
	r.Params = r.Params[:0]
	if r.Err != nil || r.Partial || len(r.Rec.Message) == 0 {
		return
	}
	m := s.e.miner
	ctx := context(&r.Rec, s.e.seed)
	msg := r.Rec.Message
	t := m.MatchIn(msg, ctx)
	if !m.Exact() && s.ft != nil && r.Rec.Format == "freetext" {
		// The header model takes tokens of this message that it did not
		// take when the line was mined (its layout moved between the
		// passes), and no line was mined as read now: the line's template
		// is the one its message had when it was mined, as one pass gives
		// it.
		if pre := s.ft.Unextended(); len(pre) > len(msg) {
			if t2 := m.MatchIn(pre, ctx); t2 != nil && m.Exact() {
				t, msg = t2, pre
			} else {
				t = m.MatchIn(msg, ctx)
			}
		}
	}
	if t != nil {
		r.Template = *t
	} else {
		r.Template = m.Render(msg)
	}
	if s.e.cfg.Params {
		r.Params = m.Params(msg, r.Params)
	}
	r.HasTemplate = true
}

// Flush returns a record left at the end of an input (a partial wrapper
// line, a multi-line record), if any; call it until it returns false. mode
// says what to do with the record, as for the line methods.
func (s *Stream) Flush(mode Mode) (*Result, bool) {
	if s.provisional > 0 {
		s.settle() // the input ends before its header model settled
	}
	r := &s.res
	ok, err := s.s.Flush(&r.Rec)
	if !ok {
		return nil, false
	}
	return s.complete(err, mode), true
}

// FlushRecords returns a multi-line record being assembled, if any, as
// Flush does, but the input goes on: a partial wrapper line stays pending
// and provisional template ids stay provisional. Call it until it returns
// false (before turning the assembly off, see SetMultiline).
func (s *Stream) FlushRecords(mode Mode) (*Result, bool) {
	r := &s.res
	ok, err := s.s.FlushRecords(&r.Rec)
	if !ok {
		return nil, false
	}
	return s.complete(err, mode), true
}

// SetMultiline changes the engine's multi-line settings (Config.SingleLine,
// MaxRecordBytes, MultilineWait) while s runs (a configuration reload):
// s keeps what it learnt — its format, free-text header model, schema and
// the record being assembled — and the engine its templates; the settings
// apply from the next line on, and to the engine's next streams. Turning
// the assembly off while a record is being assembled is refused with
// logparse.ErrRecordPending: take it with FlushRecords first.
func (s *Stream) SetMultiline(single bool, maxBytes int, wait time.Duration) error {
	if err := s.s.SetMultiline(logparse.MultilineOptions{Enabled: !single, MaxBytes: maxBytes, MaxWait: wait}); err != nil {
		return err
	}
	c := &s.e.cfg
	c.SingleLine, c.MaxRecordBytes, c.MultilineWait = single, maxBytes, wait
	return nil
}

// MarkTruncated says that the next line was cut by its reader: its record
// is flagged Truncated.
func (s *Stream) MarkTruncated() { s.s.MarkTruncated() }

// Pending reports whether a multi-line record waits for its next line.
func (s *Stream) Pending() bool { return s.s.Pending() }

// Provisional reports whether lines of the stream were handed provisional
// template ids not yet recorded as aliases (an Expire after MultilineWait
// without a line, or Flush, records them).
func (s *Stream) Provisional() bool { return s.provisional > 0 }

// Expire returns a multi-line record that got no line for MultilineWait,
// if any (see logparse.Stream.Expire): call it periodically with the
// current time, again while it returns true. It also settles the
// provisional template ids of a stream idle for MultilineWait (see
// settleIdle): call it even when no record is pending, and take the
// engine's aliases (TakeAliases) after it whatever it returns.
func (s *Stream) Expire(now time.Time, mode Mode) (*Result, bool) {
	if s.provisional > 0 {
		s.settleIdle(now)
	}
	r := &s.res
	ok, err := s.s.Expire(now, &r.Rec)
	if !ok {
		return nil, false
	}
	return s.complete(err, mode), true
}

// complete finishes a record that Flush or Expire returned.
func (s *Stream) complete(err error, mode Mode) *Result {
	r := &s.res
	r.Err = err
	s.finish()
	switch mode {
	case ModeLearn:
		s.learn()
	case ModeAnalyze:
		s.match()
	case ModeOnline:
		s.learn()
		s.match()
	}
	return r
}

// Mode selects what Flush does with a flushed record.
type Mode uint8

// The modes of Flush: the same steps as Parse, Learn, Analyze and Online.
const (
	ModeParse Mode = iota
	ModeLearn
	ModeAnalyze
	ModeOnline
)
