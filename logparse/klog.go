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
				ne, ok := logfmtPair(r, msg, j, true)
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
