package logparse

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/gopulse/gopulse/event"
)

// The pattern language describes a line as literal text, blanks and typed
// captures:
//
//	<ip:client> - <_> [<ts:time>] "<method> <path> <_>" <int:status> <int:bytes>
//
// A capture is <name>, <type:name>, <_> or <type:_> (matched, not kept).
// A capture without a type takes the bytes up to the first byte of the
// literal that follows it (up to a blank when a blank follows; the rest of
// the line when it is last). Types:
//
//	int, float        numbers
//	ip                IPv4 or IPv6, with an optional port
//	ts, time          any timestamp layout (RFC 3339, CLF, syslog, klog, nginx, apache, epoch)
//	duration, dur     Go-style durations (1.5s, 300ms)
//	quoted, qs        a double-quoted string with escapes (unescaped)
//	word              a run of non-blank bytes
//	level             a level word, normalised into Record.Level
//	rest              everything to the end of the line
//	kv                blank-separated key=value pairs, each a field (name ignored)
//
// A capture named msg or message also sets Record.Message; a blank in the
// pattern matches one or more blanks; "\<" is a literal "<".
type patternAST struct {
	Elems []*patElem `parser:"@@*"`
}

type patElem struct {
	Pos lexer.Position
	Cap *patCapture `parser:"  @@"`
	WS  string      `parser:"| @WS"`
	Lit string      `parser:"| @Lit"`
}

type patCapture struct {
	Pos   lexer.Position
	First string  `parser:"'<' @Ident"`
	Name  *string `parser:"( ':' @Ident )? '>'"`
}

// ErrPattern is wrapped by every PatternError.
var ErrPattern = errors.New("bad pattern")

// PatternError points at the column (1-based, in bytes) of a bad pattern.
type PatternError struct {
	Col int
	Msg string
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("pattern column %d: %s", e.Col, e.Msg)
}

// Unwrap lets errors.Is(err, ErrPattern) hold.
func (e *PatternError) Unwrap() error { return ErrPattern }

func patternLexer() *lexer.StatefulDefinition {
	return lexer.MustStateful(lexer.Rules{
		"Root": {
			{Name: "Open", Pattern: `<`, Action: lexer.Push("Capture")},
			{Name: "WS", Pattern: `[ \t]+`},
			{Name: "Lit", Pattern: `(\\<|\\\\|[^<\s\\]|\\)+`},
		},
		"Capture": {
			{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_.@\-]*`},
			{Name: "Colon", Pattern: `:`},
			{Name: "Close", Pattern: `>`, Action: lexer.Pop()},
		},
	})
}

// CompilePattern compiles a pattern into a Parser named "pattern" that
// must match whole lines.
func CompilePattern(src string) (Parser, error) {
	return CompileNamedPattern("pattern", src)
}

// CompileNamedPattern is CompilePattern with a format name for the records.
func CompileNamedPattern(name, src string) (Parser, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &PatternError{Col: 1, Msg: "empty pattern"}
	}
	p, err := participle.Build[patternAST](participle.Lexer(patternLexer()))
	if err != nil {
		return nil, fmt.Errorf("build pattern grammar: %w", err)
	}
	ast, err := p.ParseString("", src)
	if err != nil {
		var pe participle.Error
		if errors.As(err, &pe) {
			return nil, &PatternError{Col: pe.Position().Column, Msg: pe.Message()}
		}
		return nil, &PatternError{Col: 1, Msg: err.Error()}
	}
	ms := make([]Matcher, 0, len(ast.Elems))
	for i, e := range ast.Elems {
		switch {
		case e.WS != "":
			ms = append(ms, Space())
		case e.Lit != "":
			lit := strings.ReplaceAll(strings.ReplaceAll(e.Lit, `\<`, "<"), `\\`, `\`)
			ms = append(ms, Lit(lit))
		case e.Cap != nil:
			m, err := compileCapture(e.Cap, ast.Elems[i+1:])
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
	}
	return NewCombinator(name, Seq(ms...), time.Now().UTC().Year()), nil
}

func compileCapture(c *patCapture, next []*patElem) (Matcher, error) {
	typ, name := "", c.First
	if c.Name != nil {
		typ, name = c.First, *c.Name
	}
	role := RoleField
	switch {
	case name == "_":
		role = RoleSkip
	case name == "msg" || name == "message":
		role = RoleMessage
	}
	var m Matcher
	ft := event.TypeString
	switch typ {
	case "":
		switch {
		case len(next) == 0:
			m = Rest()
		case next[0].WS != "":
			m = Word()
		case next[0].Lit != "":
			lit := strings.ReplaceAll(next[0].Lit, `\<`, "<")
			m = Until(lit[0], false)
		default:
			m = Word()
		}
	case "int":
		m, ft = Int(), event.TypeInt
	case "float":
		m, ft = Float(), event.TypeFloat
	case "ip":
		m, ft = IP(true), event.TypeIP
	case "ts", "time", "timestamp":
		m, ft = Time(LayoutRFC3339, LayoutCLF, LayoutNginx, LayoutApache, LayoutSyslog, LayoutKlog, LayoutEpochS), event.TypeTimestamp
		if role == RoleField {
			role = RoleTime
		}
	case "duration", "dur":
		m, ft = Duration(), event.TypeDuration
	case "quoted", "qs":
		m = Quoted()
	case "word":
		m = Word()
	case "level":
		m, ft = Word(), event.TypeEnum
		if role == RoleField {
			role = RoleLevel
		}
	case "rest":
		m = Rest()
	case "kv":
		return KeyValues(), nil
	default:
		return nil, &PatternError{Col: c.Pos.Column + 1, Msg: fmt.Sprintf("unknown type %q", typ)}
	}
	return CaptureAs(name, ft, role, m), nil
}
