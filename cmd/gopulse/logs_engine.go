package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/logparse/freetext"
	"github.com/gopulse/gopulse/logparse/miner"
)

type analyzerConfig struct {
	Pattern string
}

// analysis is the result for one line; it is reused.
type analysis struct {
	rec     logparse.Record
	err     error
	partial bool
	tmpl    miner.Template
	params  []miner.Param // the line's parameter values
	hasTmpl bool
}

// analyzer turns lines into records and templates: learn() feeds the miner
// (first pass), analyze() reads the mined state (second pass). One Stream
// per input detects that input's format.
type analyzer struct {
	pattern logparse.Parser
	year    int
	stream  *logparse.Stream
	miner   *miner.Miner
	res     analysis
}

func newAnalyzer(cfg analyzerConfig) (*analyzer, error) {
	a := &analyzer{miner: miner.New(miner.Config{MaxClusters: 1 << 16}), year: time.Now().UTC().Year()}
	if cfg.Pattern != "" {
		p, err := logparse.CompilePattern(cfg.Pattern)
		if err != nil {
			return nil, fmt.Errorf("compile pattern: %w", err)
		}
		a.pattern = p
	}
	return a, nil
}

// startStream begins a new input: a fresh format detector.
func (a *analyzer) startStream() {
	parsers := logparse.DefaultParsers(a.year)
	for i, p := range parsers {
		if p.Name() == "syslog" {
			parsers[i] = strictSyslog{p}
		}
	}
	opts := logparse.StreamOptions{Year: a.year, Parsers: parsers, Fallback: freetext.Parser{Year: a.year}}
	if a.pattern != nil {
		opts = logparse.StreamOptions{Year: a.year, Parsers: []logparse.Parser{a.pattern}}
	}
	a.stream = logparse.NewStream(opts)
}

func (a *analyzer) parse(line []byte) {
	r := &a.res
	r.err = a.stream.Parse(line, &r.rec)
	r.partial = errors.Is(r.err, logparse.ErrPartial)
	if r.partial {
		r.err = nil
	}
	if r.err == nil && !r.partial {
		freetext.Refine(&r.rec)
	}
}

func (a *analyzer) learn(line []byte) {
	a.parse(line)
	if a.res.err == nil && !a.res.partial && len(a.res.rec.Message) > 0 {
		a.miner.Add(a.res.rec.Message)
	}
}

// learnFlush mines a partial wrapper line left at the end of an input and
// returns its record, if there was one.
func (a *analyzer) learnFlush() (*analysis, bool) {
	r := &a.res
	ok, err := a.stream.Flush(&r.rec)
	if !ok {
		return nil, false
	}
	r.err, r.partial = err, false
	if err == nil {
		freetext.Refine(&r.rec)
		if len(r.rec.Message) > 0 {
			a.miner.Add(r.rec.Message)
		}
	}
	return r, true
}

// analyzeFlush returns the record of a partial wrapper line left at the end
// of an input, if any.
func (a *analyzer) analyzeFlush() (*analysis, bool) {
	r := &a.res
	ok, err := a.stream.Flush(&r.rec)
	if !ok {
		return nil, false
	}
	r.err, r.partial, r.hasTmpl = err, false, false
	if err == nil {
		freetext.Refine(&r.rec)
		a.match()
	}
	return r, true
}

// analyzeOnline mines the line and returns it with its current template.
func (a *analyzer) analyzeOnline(line []byte) *analysis {
	a.learn(line)
	a.match()
	return &a.res
}

// endLearning finishes mining: late generalisations apply to every line.
func (a *analyzer) endLearning() { a.miner.Consolidate() }

func (a *analyzer) analyze(line []byte) *analysis {
	a.parse(line)
	a.match()
	return &a.res
}

func (a *analyzer) match() {
	r := &a.res
	r.hasTmpl = false
	r.params = r.params[:0]
	if r.err == nil && !r.partial && len(r.rec.Message) > 0 {
		if t := a.miner.Match(r.rec.Message); t != nil {
			r.tmpl = *t
		} else {
			r.tmpl = a.miner.Render(r.rec.Message)
		}
		r.params = a.miner.Params(r.rec.Message, r.params)
		r.hasTmpl = true
	}
}

// strictSyslog rejects what the lenient RFC 3164 parser takes for syslog
// in free-text logs with an ISO timestamp: no tag, and a "hostname" that is
// a level word or a dash ("2015-10-18 18:01:47,978 INFO [main] …"). Those
// lines go to the free-text parser, which finds their real header.
type strictSyslog struct{ logparse.Parser }

var errNotSyslog = errors.New("syslog: no hostname where the hostname should be")

func (p strictSyslog) Parse(line []byte, r *logparse.Record) error {
	if err := p.Parser.Parse(line, r); err != nil {
		return err
	}
	if _, ok := r.Get("appname"); ok {
		return nil
	}
	if h, ok := r.Get("hostname"); ok && notHostname(h) {
		return errNotSyslog
	}
	return nil
}

// notHostname: a dash, a level word, a number (a pid) or an upper-case
// time zone (UTC, CEST) stands where the hostname should be.
func notHostname(h []byte) bool {
	if string(h) == "-" || logparse.NormalizeLevel(h) != nil {
		return true
	}
	digits, upper := 0, 0
	for _, c := range h {
		switch {
		case c == '(' || c == ')' || c == '@' || c == '[' || c == ']':
			return true
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			upper++
		}
	}
	return digits == len(h) || upper == len(h) && len(h) <= 5
}
