package main

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"
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

func (j *jsonWriter) writeParsed(src string, n uint64, line []byte, truncated bool, r *analysis) error {
	b := append(j.buf[:0], `{"line":`...)
	b = strconv.AppendUint(b, n, 10)
	if src != "" {
		b = append(b, `,"source":`...)
		b = appendJSONString(b, []byte(src))
	}
	if r.err != nil {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, []byte(r.err.Error()))
		b = append(b, `,"raw":`...)
		b = appendJSONString(b, line)
	} else {
		b = append(b, `,"format":`...)
		b = appendJSONString(b, []byte(r.format))
		b = append(b, `,"fields":{`...)
		for i, f := range r.fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, []byte(f.key))
			b = append(b, ':')
			b = appendJSONString(b, f.val)
		}
		b = append(b, '}')
		if r.hasTmpl {
			b = append(b, `,"message":`...)
			b = appendJSONString(b, r.message)
			b = append(b, `,"template":`...)
			b = appendJSONString(b, []byte(r.tmpl.Text))
			b = append(b, `,"template_id":`...)
			b = appendTemplateID(b, r.tmpl.ID)
		}
	}
	if truncated {
		b = append(b, `,"truncated":true`...)
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}
