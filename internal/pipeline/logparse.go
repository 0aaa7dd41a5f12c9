package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logengine"
	"github.com/gopulse/gopulse/logparse"
)

func contextBackground() context.Context { return context.Background() }

// maxTemplatesPerSource bounds each source's template miner.
const maxTemplatesPerSource = 1024

// engineParser parses one source with the shared log engine (logengine):
// wrapper unwrapping and format detection per stream with a free-text
// fallback, template mining in one pass, and schema inference with drift.
type engineParser struct {
	st    *logengine.Stream
	eng   *logengine.Engine
	opts  LogEngineOptions
	stats LogStats
}

// LogEngineOptions are the engine settings every source shares.
type LogEngineOptions struct {
	Names          logparse.Naming // field names
	SingleLine     bool            // no multi-line records
	MaxRecordBytes int             // multi-line record cap (logparse.DefaultMaxRecord when 0)
	MultilineWait  time.Duration   // logparse.DefaultMaxWait when 0
}

// NewLogParser is the ParserFactory built on logengine with the default
// options (see LogParserFactory).
func NewLogParser(path string, o LogOverride) (LogParser, error) {
	return LogParserFactory(LogEngineOptions{})(path, o)
}

// LogParserFactory returns the ParserFactory built on logengine: an
// override's pattern (the pattern language) or format pins the parser;
// otherwise the format is detected.
func LogParserFactory(opts LogEngineOptions) ParserFactory {
	return func(path string, o LogOverride) (LogParser, error) {
		return newEngineParser(path, o, opts)
	}
}

func newEngineParser(path string, o LogOverride, opts LogEngineOptions) (LogParser, error) {
	// The engine reads each format's own field names, whatever opts.Names:
	// the records are renamed on their way out (fill), so that what the
	// engine learns (templates, whose miner context is a logger or
	// component field, and schemas) does not depend on the naming, and a
	// reload that changes it renames the next records and relearns
	// nothing (Retune).
	eng, err := logengine.New(engineConfig(o, opts))
	if err != nil {
		return nil, fmt.Errorf("log parser for %s: %w", path, err)
	}
	return &engineParser{eng: eng, st: eng.NewStream(), opts: opts}, nil
}

func engineConfig(o LogOverride, opts LogEngineOptions) logengine.Config {
	return logengine.Config{Pattern: o.Pattern, Format: o.Format,
		MaxTemplates: maxTemplatesPerSource, Schema: true, SingleLine: opts.SingleLine,
		MaxRecordBytes: opts.MaxRecordBytes, MultilineWait: opts.MultilineWait}
}

// Successor implements successorParser: the parser of the same source
// under the override o (its format or pattern changed), going on with p's
// templates (logengine.Engine.Successor): a message mined before keeps its
// template id, so the ids sent for the source and the health engine's
// known error templates stay valid. The format, header model and schema
// are learnt anew. p must not be used afterwards; the caller emits what p
// holds first.
func (p *engineParser) Successor(path string, o LogOverride) (LogParser, error) {
	eng, err := p.eng.Successor(engineConfig(o, p.opts))
	if err != nil {
		return nil, fmt.Errorf("log parser for %s: %w", path, err)
	}
	return &engineParser{eng: eng, st: eng.NewStream(), opts: p.opts}, nil
}

// Retune implements retunableParser: o's field names apply to the records
// that come out from now on, o's multi-line settings from the next line on
// (to the record being assembled too). The stream's format, header model,
// templates and schema go on. When o turns the assembly of multi-line
// records off, the record being assembled is emitted first, into out.
func (p *engineParser) Retune(o LogEngineOptions, out *event.LogRecord) (bool, error) {
	p.opts.Names = o.Names
	if o.SingleLine && p.st.Pending() {
		res, ok := p.st.FlushRecords(logengine.ModeOnline)
		if ok {
			return true, p.fill(res, out)
		}
	}
	if err := p.st.SetMultiline(o.SingleLine, o.MaxRecordBytes, o.MultilineWait); err != nil {
		return false, fmt.Errorf("multi-line settings: %w", err)
	}
	p.opts = o
	return false, nil
}

// Parse implements LogParser.
func (p *engineParser) Parse(line []byte, out *event.LogRecord) error {
	if out.Truncated {
		p.st.MarkTruncated()
	}
	res := p.st.Online(line)
	if res.Partial {
		return ErrSkipLine
	}
	return p.fill(res, out)
}

// Pending reports whether a multi-line record waits for its next line (the
// router then counts the lines it holds: the tailer commits no offset past
// them).
func (p *engineParser) Pending() bool { return p.st.Pending() }

// Flush implements LogParser.
func (p *engineParser) Flush(now time.Time, force bool, out *event.LogRecord) (bool, error) {
	var res *logengine.Result
	var ok bool
	if force {
		res, ok = p.st.Flush(logengine.ModeOnline)
	} else {
		res, ok = p.st.Expire(now, logengine.ModeOnline)
	}
	if !ok {
		// an idle stream's provisional template ids settled (or the input
		// ended): the router forwards the merges with no record
		p.stats.Aliases = p.eng.TakeAliases(p.stats.Aliases)
		return false, nil
	}
	return true, p.fill(res, out)
}

func (p *engineParser) fill(res *logengine.Result, out *event.LogRecord) error {
	r := &res.Rec
	logparse.ApplyNames(r, p.opts.Names)
	out.Format, out.Body, out.TS, out.Level = r.Format, r.Body, r.TS, r.Level
	out.Fields = append(out.Fields[:0], r.Fields...)
	out.Truncated = r.Truncated
	out.Line = r.Line
	if res.HasTemplate {
		out.TemplateID, out.Template = res.Template.ID, res.Template.Text
	}
	p.stats.Format = p.st.Format()
	if p.stats.Format == "" {
		p.stats.Format = "freetext" // no format took a line so far
	}
	p.stats.Templates = p.eng.Templates()
	p.stats.Changes = res.Changes
	p.stats.Aliases = p.eng.TakeAliases(p.stats.Aliases) // the router forwards and clears them
	if res.Err != nil {
		return res.Err
	}
	if res.Mismatch {
		return errNotInFormat
	}
	return nil
}

// Stats implements LogParser.
func (p *engineParser) Stats() *LogStats { return &p.stats }
