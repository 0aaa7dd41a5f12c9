package main

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logengine"
	"github.com/gopulse/gopulse/logparse/miner"
)

// jsonWriter writes JSON lines into a reused buffer.
type jsonWriter struct {
	w   *bufio.Writer
	buf []byte
}

func newJSONWriter(w io.Writer) *jsonWriter {
	return &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
}

func (j *jsonWriter) flush() error { return j.w.Flush() }

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func appendTemplateID(b []byte, id uint64) []byte {
	b = append(b, '"')
	var tmp [16]byte
	s := strconv.AppendUint(tmp[:0], id, 16)
	for i := len(s); i < 16; i++ {
		b = append(b, '0')
	}
	b = append(b, s...)
	return append(b, '"')
}

// writeMerge writes a template merge (logs parse --online).
func (j *jsonWriter) writeMerge(src string, m miner.Alias) error {
	b := append(j.buf[:0], `{"template_merge":{"merged_template_id":`...)
	b = appendTemplateID(b, m.From)
	b = append(b, `,"template_id":`...)
	b = appendTemplateID(b, m.To)
	b = append(b, '}')
	if src != "" {
		b = append(b, `,"source":`...)
		b = appendJSONString(b, []byte(src))
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// writeParsed writes the record of a, if the line completed one.
func (j *jsonWriter) writeParsed(src string, a *logengine.Result) error {
	if a.Partial {
		return nil // the record is out with a later line
	}
	r := &a.Rec
	b := append(j.buf[:0], `{"line":`...)
	b = strconv.AppendUint(b, r.Line, 10)
	if r.Lines > 1 {
		b = append(b, `,"lines":`...)
		b = strconv.AppendInt(b, int64(r.Lines), 10)
	}
	if src != "" {
		b = append(b, `,"source":`...)
		b = appendJSONString(b, []byte(src))
	}
	switch {
	case a.Err != nil:
		b = append(b, `,"error":`...)
		b = appendJSONString(b, []byte(a.Err.Error()))
		b = append(b, `,"raw":`...)
		b = appendJSONString(b, r.Body)
	default:
		b = append(b, `,"format":`...)
		b = appendJSONString(b, []byte(r.Format))
		if r.Wrapper != "" {
			b = append(b, `,"wrapper":`...)
			b = appendJSONString(b, []byte(r.Wrapper))
		}
		if len(r.Level) > 0 {
			b = append(b, `,"level":`...)
			b = appendJSONString(b, r.Level)
		}
		if r.TSLayout != "" {
			b = append(b, `,"ts":`...)
			b = strconv.AppendInt(b, r.TS, 10)
		}
		b = append(b, `,"fields":{`...)
		for i, f := range r.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Key)
			b = append(b, ':')
			b = appendFieldValue(b, f)
		}
		b = append(b, '}')
		if a.HasTemplate {
			b = append(b, `,"message":`...)
			b = appendJSONString(b, r.Message)
			b = append(b, `,"template":`...)
			b = appendJSONString(b, []byte(a.Template.Text))
			b = append(b, `,"template_id":`...)
			b = appendTemplateID(b, a.Template.ID)
			if len(a.Params) > 0 {
				b = append(b, `,"params":[`...)
				for i, p := range a.Params {
					if i > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"type":"`...)
					b = append(b, p.Type.String()...)
					b = append(b, `","value":`...)
					b = appendJSONString(b, p.Value)
					b = append(b, '}')
				}
				b = append(b, ']')
			}
		}
	}
	if r.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// appendFieldValue writes a field as its JSON kind (event.Field.JSONKind):
// numbers and booleans bare when they are valid JSON, no value as null,
// everything else as a string.
func appendFieldValue(b []byte, f event.Field) []byte {
	switch f.JSONKind() {
	case event.JSONNull:
		return append(b, "null"...)
	case event.JSONInteger, event.JSONNumber, event.JSONBool:
		return append(b, f.Value...)
	}
	return appendJSONString(b, f.Value)
}
