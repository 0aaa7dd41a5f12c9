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
	eng, err := logengine.New(logengine.Config{Pattern: o.Pattern, Format: o.Format,
		MaxTemplates: maxTemplatesPerSource, Schema: true, Names: opts.Names, SingleLine: opts.SingleLine,
		MaxRecordBytes: opts.MaxRecordBytes, MultilineWait: opts.MultilineWait})
	if err != nil {
		return nil, fmt.Errorf("log parser for %s: %w", path, err)
	}
	return &engineParser{eng: eng, st: eng.NewStream()}, nil
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
