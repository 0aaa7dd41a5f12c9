package logparse

import (
	"github.com/gopulse/gopulse/event"
)

var (
	keyThread = []byte("thread")
	keySource = []byte("source")
)

// Klog parses Kubernetes klog lines, including structured ones:
//
//	I0102 15:04:05.123456    1234 server.go:42] Started server
//	E0102 15:04:05.123456       7 pod.go:9] "Failed to sync" pod="ns/x" err="timeout"
type Klog struct{ year int }

// NewKlog returns the klog parser ("klog"); year is used for the
// year-less timestamps.
func NewKlog(year int) Klog { return Klog{year: year} }

// Name returns "klog".
func (Klog) Name() string { return "klog" }

// Parse parses one klog line.
func (p Klog) Parse(b []byte, r *Record) error {
	if len(b) < 20 {
		return r.Fail("klog", "too short", 0)
	}
	switch b[0] {
	case 'I', 'W', 'E', 'F', 'D':
	default:
		return r.Fail("klog", "expected I, W, E or F", 0)
	}
	ts, n, ok := ParseKlogTime(b[1:], p.year)
	if !ok {
		return r.Fail("klog", "expected mmdd hh:mm:ss.uuuuuu", 1)
	}
	r.Level = NormalizeLevel(b[0:1])
	r.Add(keyLevel, b[0:1:1], event.TypeEnum)
	r.SetTS(ts, LayoutKlog)
	r.Add(keyTime, b[1:1+n:1+n], event.TypeTimestamp)
	i := 1 + n
	for i < len(b) && b[i] == ' ' {
		i++
	}
	ts0 := i
	i = scanDigits(b, i, 20)
	if i < 0 || i >= len(b) || b[i] != ' ' {
		return r.Fail("klog", "expected thread id", ts0)
	}
	r.Add(keyThread, b[ts0:i:i], event.TypeInt)
	i++
	ss := i
	for i < len(b) && b[i] != ']' && b[i] != ' ' {
		i++
	}
	if i >= len(b) || b[i] != ']' || i == ss {
		return r.Fail("klog", "expected file:line]", ss)
	}
	r.Add(keySource, b[ss:i:i], event.TypeString)
	i++
	if i < len(b) && b[i] == ' ' {
		i++
	}
	msg := b[i:len(b):len(b)]
	// Structured klog: "message" key=value …
	if len(msg) > 1 && msg[0] == '"' {
		if e, esc := scanQuoted(msg, 1, '"'); e > 0 {
			m := msg[1:e:e]
			if esc {
				m = unescape(r, m)
			}
			mark := len(r.Fields)
			j := e + 1
			okKV := true
			for j < len(msg) {
				for j < len(msg) && msg[j] == ' ' {
					j++
				}
				if j >= len(msg) {
					break
				}
				ne, ok := klogPair(r, msg, j)
				if !ok {
					okKV = false
					break
				}
				j = ne
			}
			if okKV {
				r.Message = m
				// keep the message before its key/values
				r.Fields = append(r.Fields, event.Field{})
				copy(r.Fields[mark+1:], r.Fields[mark:])
				r.Fields[mark] = event.Field{Key: keyMessage, Value: m, Type: event.TypeString}
				r.Format = "klog"
				r.Body = b
				return nil
			}
			r.Fields = r.Fields[:mark]
		}
	}
	r.Message = msg
	r.Add(keyMessage, msg, event.TypeString)
	r.Format = "klog"
	r.Body = b
	return nil
}

// klogPair parses one key=value of a structured klog line at i: the key
// bare or quoted ("some key"=1), the value quoted, bracketed with blanks
// inside (usage={cpu: 2}, pods=[a b], m=map[a:1 b:2]), or a bare word.
func klogPair(r *Record, b []byte, i int) (int, bool) {
	var key []byte
	if b[i] == '"' {
		e, esc := scanQuoted(b, i+1, '"')
		if e < 0 || e+1 >= len(b) || b[e+1] != '=' {
			return 0, false
		}
		key = b[i+1 : e : e]
		if esc {
			key = unescape(r, key)
		}
		i = e + 1
	} else {
		ks := i
		for i < len(b) && b[i] > ' ' && b[i] != '=' && b[i] != '"' {
			i++
		}
		if i == ks || i >= len(b) || b[i] != '=' {
			return 0, false
		}
		key = b[ks:i:i]
	}
	i++ // '='
	if i >= len(b) || b[i] == ' ' {
		r.Add(key, b[i:i:i], event.TypeString)
		return i, true
	}
	switch b[i] {
	case '"':
		e, esc := scanQuoted(b, i+1, '"')
		if e < 0 {
			return 0, false
		}
		v := b[i+1 : e : e]
		if esc {
			v = unescape(r, v)
		}
		r.Add(key, v, event.TypeString)
		return e + 1, true
	case '{', '[', '(':
		e := bracketEnd(b, i)
		if e < 0 {
			return 0, false
		}
		r.Add(key, b[i:e:e], event.TypeString)
		return e, true
	}
	if hasLit(b, i, "map[") {
		if e := bracketEnd(b, i+3); e > 0 {
			r.Add(key, b[i:e:e], event.TypeString)
			return e, true
		}
	}
	e := wordEnd(b, i)
	v := b[i:e:e]
	r.Add(key, v, classify(v))
	return e, true
}

// bracketEnd returns the end of the bracketed value opening at b[i]
// (nested brackets and quoted strings inside), or -1.
func bracketEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			e, _ := scanQuoted(b, i+1, '"')
			if e < 0 {
				return -1
			}
			i = e
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}
