package logparse

import (
	"github.com/gopulse/gopulse/event"
)

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// JSON parses one JSON object per line. Nested objects are flattened to
// dotted paths ("http.status"); arrays are kept as their raw JSON text;
// null gives a field with a nil Value and TypeUnknown.
type JSON struct{}

// Name returns "json".
func (JSON) Name() string { return "json" }

// Parse parses one JSON line.
func (JSON) Parse(line []byte, r *Record) error {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return r.Fail("json", "expected {", i)
	}
	e, msg := jsonObject(r, line, i, nil, 0)
	if e < 0 {
		return r.Fail("json", msg, -e-1)
	}
	if e = skipWS(line, e); e != len(line) {
		return r.Fail("json", "trailing data", e)
	}
	r.Format = "json"
	r.Body = line
	return nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonObject parses an object at b[i]=='{'. It returns the end position, or
// -(col+1) and a message.
func jsonObject(r *Record, b []byte, i int, prefix []byte, depth int) (int, string) {
	if depth >= maxJSONDepth {
		return -(i + 1), "nesting too deep"
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		if len(prefix) > 0 {
			r.Add(prefix, b[i-1:i+1:i+1], event.TypeUnknown)
		}
		return i + 1, ""
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -(i + 1), "expected object key"
		}
		ke, esc := scanQuoted(b, i+1, '"')
		if ke < 0 {
			return -(i + 1), "unterminated key"
		}
		key := b[i+1 : ke : ke]
		if esc {
			key = unescape(r, key)
		}
		key = r.joinKey(prefix, key)
		i = skipWS(b, ke+1)
		if i >= len(b) || b[i] != ':' {
			return -(i + 1), "expected :"
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return -(i + 1), "expected value"
		}
		var e int
		var msg string
		switch c := b[i]; {
		case c == '{':
			e, msg = jsonObject(r, b, i, key, depth+1)
			if e < 0 {
				return e, msg
			}
		case c == '"':
			se, esc := scanQuoted(b, i+1, '"')
			if se < 0 {
				return -(i + 1), "unterminated string"
			}
			v := b[i+1 : se : se]
			if esc {
				v = unescape(r, v)
			}
			t := event.TypeString
			if prefix == nil || depth <= 1 {
				if rt := applyRole(r, key, v, 0); rt != 0 {
					t = rt
				}
			}
			r.Add(key, v, t)
			e = se + 1
		case c == '[':
			e = skipJSONValue(b, i, depth+1)
			if e < 0 {
				return -(i + 1), "bad array"
			}
			r.Add(key, b[i:e:e], event.TypeString)
		case c == '-' || digit(c):
			e = scanNumber(b, i)
			if e < 0 {
				return -(i + 1), "bad number"
			}
			v := b[i:e:e]
			t := event.TypeInt
			for _, d := range v {
				if d == '.' || d == 'e' || d == 'E' {
					t = event.TypeFloat
				}
			}
			if prefix == nil || depth <= 1 {
				if rt := applyRole(r, key, v, 0); rt != 0 {
					t = rt
				}
			}
			r.Add(key, v, t)
		case hasLit(b, i, "true"):
			e = i + 4
			r.Add(key, b[i:e:e], event.TypeBool)
		case hasLit(b, i, "false"):
			e = i + 5
			r.Add(key, b[i:e:e], event.TypeBool)
		case hasLit(b, i, "null"):
			e = i + 4
			r.Add(key, nil, event.TypeUnknown)
		default:
			return -(i + 1), "unexpected value"
		}
		i = skipWS(b, e)
		if i >= len(b) {
			return -(i + 1), "unterminated object"
		}
		if b[i] == '}' {
			return i + 1, ""
		}
		if b[i] != ',' {
			return -(i + 1), "expected , or }"
		}
		i = skipWS(b, i+1)
	}
}

func hasLit(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

// skipJSONValue returns the end of the JSON value at i, or -1.
func skipJSONValue(b []byte, i, depth int) int {
	if depth > maxJSONDepth || i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '{' || c == '[':
		closeB := byte('}')
		if c == '[' {
			closeB = ']'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == closeB {
			return i + 1
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return -1
				}
				e, _ := scanQuoted(b, i+1, '"')
				if e < 0 {
					return -1
				}
				i = skipWS(b, e+1)
				if i >= len(b) || b[i] != ':' {
					return -1
				}
				i = skipWS(b, i+1)
			}
			e := skipJSONValue(b, i, depth+1)
			if e < 0 {
				return -1
			}
			i = skipWS(b, e)
			if i >= len(b) {
				return -1
			}
			if b[i] == closeB {
				return i + 1
			}
			if b[i] != ',' {
				return -1
			}
			i = skipWS(b, i+1)
		}
	case c == '"':
		e, _ := scanQuoted(b, i+1, '"')
		if e < 0 {
			return -1
		}
		return e + 1
	case c == '-' || digit(c):
		return scanNumber(b, i)
	case hasLit(b, i, "true"), hasLit(b, i, "null"):
		return i + 4
	case hasLit(b, i, "false"):
		return i + 5
	}
	return -1
}
