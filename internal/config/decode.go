package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Sentinels wrapped by every *Error, for errors.Is.
var (
	ErrUnknownKey = errors.New("unknown key")
	ErrType       = errors.New("wrong type")
	ErrValue      = errors.New("bad value")
	ErrSyntax     = errors.New("yaml syntax")
)

// Error is one problem in a config file, with its position.
type Error struct {
	File string
	Line int // 1-based; 0 when unknown
	Col  int
	Path string // dotted key path, e.g. "health.stw_p99.degraded"
	Msg  string
	Kind error // one of the sentinels above
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Col)
	} else if e.File != "" {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Kind }

// Pos is a line and column in the source file.
type Pos struct{ Line, Col int }

// decoder walks a yaml.v3 node tree into a Go value by reflection, strictly:
// every unknown key, wrong type and bad scalar is collected, with its
// position, instead of stopping at the first.
type decoder struct {
	file   string
	env    func(string) (string, bool)
	errs   []error
	pos    map[string]Pos
	failed map[string]bool // paths that failed to decode
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	byteSizeType = reflect.TypeOf(ByteSize(0))
)

func (d *decoder) fail(n *yaml.Node, path string, kind error, format string, args ...any) {
	e := &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...), Kind: kind}
	if d.failed == nil {
		d.failed = map[string]bool{}
	}
	if kind != ErrUnknownKey {
		d.failed[path] = true
	}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// decode sets v (addressable) from n. Only keys present in the document are
// set, so v may hold defaults beforehand.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.pos[path] = Pos{n.Line, n.Column}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "key:" with nothing keeps the default
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, ErrType, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, ErrType, "want a mapping, got %s", kindName(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, ev, join(path, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, ErrType, "want a mapping, got %s", kindName(n))
		return
	}
	fields := map[string][]int{}
	structFields(v.Type(), nil, fields)
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if seen[k.Value] {
			d.fail(k, kp, ErrUnknownKey, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		fi, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s := suggest(k.Value, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.fail(k, kp, ErrUnknownKey, "%s", msg)
			continue
		}
		d.decode(val, v.FieldByIndex(fi), kp)
	}
}

// structFields maps YAML keys to field indexes, flattening `yaml:",inline"`
// embedded structs.
func structFields(t reflect.Type, prefix []int, out map[string][]int) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		idx := append(append([]int(nil), prefix...), i)
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			structFields(f.Type, idx, out)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		out[name] = idx
	}
}

// expand replaces ${VAR} and ${VAR:-default} in s; "$$" is a literal "$".
func (d *decoder) expand(n *yaml.Node, path, s string) (string, bool) {
	if !strings.Contains(s, "$") {
		return s, true
	}
	var b strings.Builder
	ok := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			d.fail(n, path, ErrValue, "unterminated ${ in %q", s)
			return s, false
		}
		expr := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			d.fail(n, path, ErrValue, "bad environment variable name %q", name)
			ok = false
		} else if val, set := d.env(name); set && (val != "" || !hasDef) {
			b.WriteString(val)
		} else if hasDef {
			b.WriteString(def)
		} else {
			d.fail(n, path, ErrValue, "environment variable %s is not set (use ${%s:-default})", name, name)
			ok = false
		}
		i += end
	}
	return b.String(), ok
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, ErrType, "want %s, got %s", typeName(v.Type()), kindName(n))
		return
	}
	s, ok := d.expand(n, path, n.Value)
	if !ok {
		return
	}
	switch {
	case v.Type() == durationType:
		dur, err := time.ParseDuration(s)
		if err != nil {
			d.fail(n, path, ErrType, "want a duration like 500ms or 10s, got %q", s)
			return
		}
		v.SetInt(int64(dur))
		return
	case v.Type() == byteSizeType:
		bs, err := ParseByteSize(s)
		if err != nil {
			d.fail(n, path, ErrType, "want a size like 64MiB, got %q", s)
			return
		}
		v.SetInt(int64(bs))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			d.fail(n, path, ErrType, "want true or false, got %q", s)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			d.fail(n, path, ErrType, "want an integer, got %q", s)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, path, ErrType, "want a number, got %q", s)
			return
		}
		if strings.HasSuffix(s, "%") {
			f /= 100
		}
		v.SetFloat(f)
	default:
		d.fail(n, path, ErrType, "unsupported field type %s", v.Type())
	}
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t == byteSizeType:
		return "a size"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64:
		return "a number"
	}
	return t.String()
}

// suggest returns the known key closest to k, if it is close enough to be a
// typo.
func suggest(k string, fields map[string][]int) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	return suggestName(k, names)
}

// suggestName returns the name closest to k, if close enough to be a typo.
func suggestName(k string, names []string) string {
	names = append([]string(nil), names...)
	sort.Strings(names)
	best, bestD := "", 3
	for _, n := range names {
		if d := levenshtein(k, n); d < bestD || d == bestD && best == "" && d <= len(n)/3 {
			if d <= max(1, len(n)/3) {
				best, bestD = n, d
			}
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ByteSize is a size in bytes; YAML accepts 1024, 64KiB, 64MiB, 1GiB, 10MB.
type ByteSize int64

// ParseByteSize parses a size with an optional unit (B, KB, KiB, MB, MiB, GB, GiB).
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("parse size %q: %w", s, ErrValue)
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "KiB": 1 << 10, "MB": 1e6, "MiB": 1 << 20, "GB": 1e9, "GiB": 1 << 30}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("parse size %q: unknown unit %q: %w", s, unit, ErrValue)
	}
	return ByteSize(f * mult), nil
}

func osEnv(name string) (string, bool) { return os.LookupEnv(name) }
