package main

import "github.com/gopulse/gopulse/logparse"

// Observer receives every parsed record. This is the hook for schema
// inference: to measure parse + schema, make newObserver return a type
// whose Observe updates a schema (e.g. the schema package's per-stream
// inferrer) and whose Name says so.
type Observer interface {
	Name() string
	Observe(r *logparse.Record)
}

// fieldCounter touches every field of every record, so that the parse
// results are used and not optimised away, without inferring anything.
type fieldCounter struct{ fields, valueBytes int }

func (c *fieldCounter) Name() string { return "none" }

func (c *fieldCounter) Observe(r *logparse.Record) {
	for _, f := range r.Fields {
		c.fields++
		c.valueBytes += len(f.Value)
	}
}

func newObserver() Observer { return &fieldCounter{} }
