package main

import (
	"fmt"

	"github.com/gopulse/gopulse/logparse"
	"github.com/gopulse/gopulse/schema"
)

// Observer receives every parsed record. This is the hook for schema
// inference: newObserver returns the schema package's per-stream inferrer,
// so that the benchmark measures parse + schema update; fieldCounter is
// the parse-only alternative (-observer none).
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

// schemaObserver feeds every record to one schema.Inferrer (one stream per
// file) and counts the drift events, so that they are used.
type schemaObserver struct {
	inf     *schema.Inferrer
	changes int
}

func (o *schemaObserver) Name() string { return "schema" }

func (o *schemaObserver) Observe(r *logparse.Record) {
	o.changes += len(o.inf.Observe(r))
}

func newObserver(name string) (Observer, error) {
	switch name {
	case "none":
		return &fieldCounter{}, nil
	case "schema", "":
		return &schemaObserver{inf: schema.New(schema.Config{})}, nil
	}
	return nil, fmt.Errorf("unknown observer %q (want schema or none)", name)
}
