package main

import (
	"github.com/gopulse/gopulse/logparse/freetext"
	"github.com/gopulse/gopulse/logparse/miner"
)

type analyzerConfig struct {
	Pattern string
}

// kv is one output field.
type kv struct {
	key string
	val []byte
}

// analysis is the result for one line; its slices are reused.
type analysis struct {
	format  string
	fields  []kv
	message []byte
	tmpl    miner.Template
	hasTmpl bool
	err     error
}

// analyzer turns lines into records and templates. learn() feeds the
// miner; analyze() reads the mined state.
type analyzer struct {
	miner *miner.Miner
	hdr   freetext.Header
	res   analysis
}

func newAnalyzer(cfg analyzerConfig) (*analyzer, error) {
	return &analyzer{miner: miner.New(miner.Config{})}, nil
}

func (a *analyzer) startStream(name string) {}

func (a *analyzer) split(line []byte) {
	r := &a.res
	r.fields = r.fields[:0]
	r.err = nil
	r.format = "freetext"
	freetext.Split(line, &a.hdr)
	add := func(k string, v []byte) {
		if len(v) > 0 {
			r.fields = append(r.fields, kv{k, v})
		}
	}
	add("time", a.hdr.Time)
	add("level", a.hdr.Level)
	add("host", a.hdr.Host)
	add("program", a.hdr.Program)
	add("pid", a.hdr.PID)
	add("thread", a.hdr.Thread)
	add("component", a.hdr.Component)
	r.message = a.hdr.Message
}

func (a *analyzer) learn(line []byte) {
	a.split(line)
	if a.res.err == nil && len(a.res.message) > 0 {
		a.miner.Add(a.res.message)
	}
}

// endLearning finishes mining: late generalisations apply to every line.
func (a *analyzer) endLearning() { a.miner.Consolidate() }

func (a *analyzer) analyze(line []byte) *analysis {
	a.split(line)
	r := &a.res
	r.hasTmpl = false
	if r.err == nil && len(r.message) > 0 {
		if t := a.miner.Match(r.message); t != nil {
			r.tmpl = *t
		} else {
			r.tmpl = a.miner.Render(r.message)
		}
		r.hasTmpl = true
	}
	return r
}
