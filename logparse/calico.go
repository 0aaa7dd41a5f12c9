package logparse

import (
	"github.com/gopulse/gopulse/event"
)

// Calico parses the logs of Calico's components (felix, confd, the CNI
// plugin, typha), written by its logrus formatter:
//
//	2024-05-01 10:00:00.123 [INFO][1234] felix/int_dataplane.go 1572: Received update msg=&{Name:"cali1" State:"up"} ifaceName="cali1"
//
// The time may be missing; the key=value pairs after the message become
// fields (values may hold blanks inside brackets or quotes).
type Calico struct{}

// NewCalico returns the Calico log parser ("calico").
func NewCalico() Calico { return Calico{} }

// Name returns "calico".
func (Calico) Name() string { return "calico" }

var keyLine = []byte("line")

// Parse parses one Calico log line.
func (Calico) Parse(b []byte, r *Record) error {
	i := 0
	if len(b) > 0 && digit(b[0]) {
		ts, n, ok := ParseRFC3339(b)
		if !ok || n >= len(b) || b[n] != ' ' {
			return r.Fail("calico", "expected a time or [LEVEL]", 0)
		}
		r.SetTS(ts, LayoutRFC3339)
		r.Add(keyTime, b[:n:n], event.TypeTimestamp)
		i = n + 1
	}
	// [LEVEL][pid]
	if i >= len(b) || b[i] != '[' {
		return r.Fail("calico", "expected [LEVEL]", i)
	}
	le := i + 1
	for le < len(b) && b[le] >= 'A' && b[le] <= 'Z' {
		le++
	}
	lvl := b[i+1 : le : le]
	if le >= len(b) || b[le] != ']' || NormalizeLevel(lvl) == nil || !hasLit(b, le+1, "[") {
		return r.Fail("calico", "expected [LEVEL][pid]", i)
	}
	ps := le + 2
	pe := scanDigits(b, ps, 10)
	if pe < 0 || pe >= len(b) || b[pe] != ']' || !hasLit(b, pe+1, " ") {
		return r.Fail("calico", "expected [pid]", ps)
	}
	r.Level = NormalizeLevel(lvl)
	r.Add(keyLevel, lvl, event.TypeEnum)
	r.Add(keyPID, b[ps:pe:pe], event.TypeInt)
	// file.go 123:
	fs := pe + 2
	fe := wordEnd(b, fs)
	ls := fe + 1
	lend := scanDigits(b, ls, 9)
	if fe == fs || fe >= len(b) || lend < 0 || !hasLit(b, lend, ":") {
		return r.Fail("calico", "expected file.go line:", fs)
	}
	r.Add(keySource, b[fs:fe:fe], event.TypeString)
	r.Add(keyLine, b[ls:lend:lend], event.TypeInt)
	i = lend + 1
	if i < len(b) && b[i] == ' ' {
		i++
	}
	// the message runs to the first " key=" outside brackets and quotes
	rest := b[i:len(b):len(b)]
	ms := firstPair(rest)
	msg := trimSpace(rest[:ms])
	r.Message = msg
	r.Add(keyMessage, msg, event.TypeString)
	for j := ms; j < len(rest); {
		j = blanks(rest, j)
		ks := j
		for j < len(rest) && rest[j] != '=' {
			j++
		}
		key := rest[ks:j:j]
		ve := valueEnd(rest, j+1)
		v := rest[j+1 : ve : ve]
		t := event.TypeString
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			if e, esc := scanQuoted(v, 1, '"'); e == len(v)-1 {
				v = v[1:e:e]
				if esc {
					v = unescape(r, v)
				}
			}
		} else {
			t = classify(v)
		}
		r.Add(key, v, t)
		j = ve
	}
	r.Format, r.Body = "calico", b
	return nil
}

// firstPair returns the offset of the first " key=" of b at bracket depth
// zero (len(b) when there is none); key is a word of letters, digits, "_",
// "-" and ".".
func firstPair(b []byte) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			if e, _ := scanQuoted(b, i+1, '"'); e > 0 {
				i = e
			}
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			if depth > 0 {
				depth--
			}
		case ' ':
			if depth == 0 && isPairAt(b, i+1) {
				return i
			}
		}
	}
	return len(b)
}

// isPairAt reports whether a "key=" starts at i.
func isPairAt(b []byte, i int) bool {
	s := i
	for i < len(b) && (isAlnum(b[i]) || b[i] == '_' || b[i] == '-' || b[i] == '.') {
		i++
	}
	return i > s && i < len(b) && b[i] == '=' && isAlnum(b[s])
}

// valueEnd returns the end of a value at i: at the first blank at bracket
// depth zero that starts another " key=", or at the end.
func valueEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			if e, _ := scanQuoted(b, i+1, '"'); e > 0 {
				i = e
			}
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			if depth > 0 {
				depth--
			}
		case ' ':
			if depth == 0 && isPairAt(b, i+1) {
				return i
			}
		}
	}
	return len(b)
}
