package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// recordShape records what `logs parse` prints for the records of one
// input, exactly, so that the JSON Schema written from it accepts every one
// of them: per field, the records that hold it and every JSON kind its
// values take, and the distinct string values while they are few. The
// inferred schema (types by vote over a sample) only adds annotations.
type recordShape struct {
	records uint64 // records with a "fields" object
	fields  []*fieldShape
	byName  map[string]*fieldShape
	formats map[string]bool
}

type fieldShape struct {
	name    string
	count   uint64 // records holding the field
	last    uint64 // the record it was last counted in
	kinds   uint8  // bit per event.JSONKind
	values  map[string]bool
	tooMany bool // more distinct strings than an enum holds
}

// shapeEnumMax is the most distinct values an enum lists (the schema's
// default EnumMax).
const shapeEnumMax = 16

func newRecordShape() *recordShape {
	return &recordShape{byName: map[string]*fieldShape{}, formats: map[string]bool{}}
}

// observe adds a parsed record (not an error, not a partial line).
func (s *recordShape) observe(r *logparse.Record) {
	s.records++
	s.formats[r.Format] = true
	for _, f := range r.Fields {
		fs := s.byName[string(f.Key)]
		if fs == nil {
			fs = &fieldShape{name: string(f.Key), values: map[string]bool{}}
			s.byName[fs.name] = fs
			s.fields = append(s.fields, fs)
		}
		if fs.last != s.records { // a key twice in a record counts once
			fs.last = s.records
			fs.count++
		}
		k := f.JSONKind()
		fs.kinds |= 1 << k
		if k == event.JSONString && !fs.tooMany && !fs.values[string(f.Value)] {
			if len(fs.values) == shapeEnumMax {
				fs.tooMany, fs.values = true, nil
			} else {
				fs.values[string(f.Value)] = true
			}
		}
	}
}

// writeJSONSchema prints a JSON Schema (2020-12) per input, of the objects
// `logs parse` prints for it: one document for one input, an array for
// several. Every record of the input validates against it (the tests check
// that with a JSON Schema validator).
func writeJSONSchema(w io.Writer, ins []inspectResult) error {
	docs := make([]map[string]any, 0, len(ins))
	for _, in := range ins {
		docs = append(docs, recordSchema(in))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(docs) == 1 {
		return enc.Encode(docs[0])
	}
	return enc.Encode(docs)
}

func recordSchema(in inspectResult) map[string]any {
	inferred := map[string]fieldJSON{}
	for _, f := range in.Schema.Fields {
		inferred[f.Name] = f
	}
	s := in.shape
	props := map[string]any{}
	required := []string{}
	for _, fs := range s.fields {
		props[fs.name] = fieldSchema(fs, inferred[fs.name])
		if fs.count == s.records {
			required = append(required, fs.name)
		}
	}
	formats := make([]string, 0, len(s.formats))
	for f := range s.formats {
		formats = append(formats, f)
	}
	sort.Strings(formats)
	str := map[string]any{"type": "string"}
	return map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "urn:gopulse:schema:" + in.Schema.ID,
		"title":       in.Source,
		"description": fmt.Sprintf("the records gopulse logs parse prints for %s: %d lines, format %s", in.Source, in.Lines, in.Format),
		"type":        "object",
		"properties": map[string]any{
			"line":        map[string]any{"type": "integer", "minimum": 1},
			"lines":       map[string]any{"type": "integer", "minimum": 2},
			"source":      str,
			"format":      map[string]any{"enum": formats},
			"wrapper":     map[string]any{"enum": []string{"cri", "docker"}},
			"level":       map[string]any{"enum": []string{"trace", "debug", "info", "warn", "error", "fatal"}},
			"ts":          map[string]any{"type": "integer"},
			"message":     str,
			"template":    str,
			"template_id": map[string]any{"type": "string", "pattern": "^[0-9a-f]{16}$"},
			"params": map[string]any{"type": "array", "items": map[string]any{
				"type": "object", "required": []string{"type", "value"},
				"properties": map[string]any{"type": str, "value": str}, "additionalProperties": false}},
			"error":     str,
			"raw":       str,
			"truncated": map[string]any{"const": true},
			"fields": map[string]any{
				"type":       "object",
				"properties": props,
				"required":   required,
			},
		},
		"required": []string{"line"},
		// a record that parsed, or one that did not (with its text)
		"oneOf": []any{
			map[string]any{"required": []string{"format", "fields"}, "not": map[string]any{"required": []string{"error"}}},
			map[string]any{"required": []string{"error", "raw"}, "not": map[string]any{"required": []string{"fields"}}},
		},
		"additionalProperties": false,
	}
}

// fieldSchema describes one field: the JSON types its values took, an enum
// when the inferred type is one and every string value is listed, and the
// inferred type, layout and examples as annotations.
func fieldSchema(fs *fieldShape, inf fieldJSON) map[string]any {
	var types []string
	for k := event.JSONNull; k <= event.JSONBool; k++ {
		if fs.kinds&(1<<k) != 0 {
			types = append(types, k.String())
		}
	}
	m := map[string]any{"type": types}
	if len(types) == 1 {
		m["type"] = types[0]
	}
	if inf.Name != "" {
		m["x-gopulse-type"] = inf.Type
		if inf.Layout != "" {
			m["x-gopulse-layout"] = inf.Layout
		}
		m["examples"] = nonNil(inf.Examples)
	}
	onlyStrings := fs.kinds&^(1<<event.JSONString|1<<event.JSONNull) == 0
	if inf.Type == event.TypeEnum.String() && !fs.tooMany && onlyStrings && len(fs.values) > 0 {
		vals := make([]any, 0, len(fs.values)+1)
		keys := make([]string, 0, len(fs.values))
		for v := range fs.values {
			keys = append(keys, v)
		}
		sort.Strings(keys)
		for _, v := range keys {
			vals = append(vals, v)
		}
		if fs.kinds&(1<<event.JSONNull) != 0 {
			vals = append(vals, nil)
		}
		m["enum"] = vals
	}
	return m
}
