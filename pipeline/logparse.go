package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/logparse/freetext"
	"github.com/gopulse/gopulse/logparse/miner"
)

func contextBackground() context.Context { return context.Background() }

// streamParser parses one source with logparse: wrapper unwrapping and
// format detection per stream, a free-text header split for lines no format
// takes, and template mining of the messages.
type streamParser struct {
	s     *logparse.Stream
	miner *miner.Miner
	rec   logparse.Record
	hdr   freetext.Header
}

// maxTemplatesPerSource bounds each source's template miner.
const maxTemplatesPerSource = 1024

// NewLogParser is the ParserFactory built on logparse: an override's
// pattern (the pattern language) or format pins the parser; otherwise the
// format is detected.
func NewLogParser(path string, o LogOverride) (LogParser, error) {
	opts := logparse.StreamOptions{}
	switch {
	case o.Pattern != "":
		p, err := logparse.CompilePattern(o.Pattern)
		if err != nil {
			return nil, fmt.Errorf("compile pattern for %s: %w", path, err)
		}
		opts.Parsers = []logparse.Parser{p}
	case o.Format != "":
		for _, p := range logparse.DefaultParsers(0) {
			if p.Name() == o.Format {
				opts.Parsers = []logparse.Parser{p}
			}
		}
		if opts.Parsers == nil {
			names := []string{}
			for _, p := range logparse.DefaultParsers(0) {
				names = append(names, p.Name())
			}
			return nil, fmt.Errorf("unknown log format %q for %s (known: %s)", o.Format, path, strings.Join(names, ", "))
		}
	}
	return &streamParser{s: logparse.NewStream(opts), miner: miner.New(miner.Config{MaxClusters: maxTemplatesPerSource})}, nil
}

// Parse implements LogParser.
func (p *streamParser) Parse(line []byte, out *event.LogRecord) error {
	err := p.s.Parse(line, &p.rec)
	if errors.Is(err, logparse.ErrPartial) {
		return ErrSkipLine
	}
	r := &p.rec
	out.Format, out.Body, out.TS, out.Level = r.Format, r.Body, r.TS, r.Level
	out.Fields = append(out.Fields[:0], r.Fields...)
	out.Truncated = out.Truncated || r.Truncated
	msg := r.Message
	if err != nil {
		// No format took the line: split a free-text header.
		freetext.Split(r.Body, &p.hdr)
		out.Format, msg = "freetext", p.hdr.Message
		if len(p.hdr.Level) > 0 {
			out.Level = logparse.NormalizeLevel(p.hdr.Level)
		}
		if p.s.Format() == "" {
			err = nil // a free-text stream: nothing failed
		}
	}
	if len(msg) > 0 {
		if t := p.miner.Add(msg); t != nil {
			out.TemplateID, out.Template = t.ID, t.Text
		}
	}
	return err
}
