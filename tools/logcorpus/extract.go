package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// stmt is one log statement found in a project's source.
type stmt struct {
	File  string
	Line  int
	Level string // trace, debug, info, warn, error, fatal
	// Printf style: Format holds the format string, Args the argument
	// expressions (one per verb, rendered as hints).
	Printf bool
	Format string
	// Structured (klog InfoS, logr, slog, zap, hclog, go-kit, logrus fields):
	// Msg and the key/value pairs.
	Msg  string
	KVs  []kv
	Args []string // Printf: a hint per argument ("pod.name", "err", "len")
}

type kv struct {
	Key  string
	Hint string // the value expression, as a hint for rendering
}

var levelOf = map[string]string{
	"trace": "trace", "debug": "debug", "info": "info", "notice": "info", "print": "info",
	"warn": "warn", "warning": "warn", "error": "error", "err": "error", "fatal": "fatal",
	"panic": "fatal", "critical": "fatal", "crit": "fatal", "log": "info",
}

// receivers whose Errorf/Printf/… are not logging.
var notLoggers = map[string]bool{
	"fmt": true, "errors": true, "xerrors": true, "pkgerrors": true, "status": true, "field": true,
	"t": true, "b": true, "tb": true, "f": true, "w": true, "buf": true, "sb": true, "out": true,
	"apierrors": true, "utilerrors": true, "errs": true, "gerrors": true, "cerrdefs": true,
	"errdefs": true, "terrors": true, "serrors": true, "stderrors": true, "merr": true,
	"printer": true, "p": true, "writer": true, "color": true, "cobra": true, "cmd": true,
	"os": true, "strings": true, "bytes": true, "io": true, "tw": true, "ew": true,
}

// levelName maps a method name to a level and whether it is printf style.
func levelName(name string) (level string, printf, structured bool) {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, "f") && n != "fatal" && n != "logf":
		n = strings.TrimSuffix(n, "f")
		printf = true
	case strings.HasSuffix(n, "s") && (n == "infos" || n == "errors"):
		n = strings.TrimSuffix(n, "s")
		structured = true
	case strings.HasSuffix(n, "context"):
		n = strings.TrimSuffix(n, "context")
		structured = true
	default:
		structured = true
	}
	if n == "print" && !printf {
		return "", false, false // log.Print(args...) has no format
	}
	l, ok := levelOf[n]
	if !ok {
		return "", false, false
	}
	return l, printf, structured
}

// extract walks dir and returns the project's log statements. Test files,
// testdata, vendored code, examples and generated code are skipped.
func extract(dir string) ([]stmt, error) {
	var out []stmt
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "vendor", "testdata", "third_party", "examples", "example", "hack", "test", "tests", "e2e", "integration":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, ".pb.go") ||
			strings.Contains(d.Name(), "generated") || strings.HasPrefix(d.Name(), "zz_") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil // a file that does not parse (build tags for newer Go): skip it
		}
		rel, _ := filepath.Rel(dir, path)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if s, ok := statement(call); ok {
				s.File = rel
				s.Line = fset.Position(call.Pos()).Line
				out = append(out, s)
			}
			return true
		})
		return nil
	})
	return out, err
}

func receiverName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	case *ast.CallExpr:
		return receiverName(x.Fun)
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr: // "a" + "b"
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringLit(x.X)
		b, ok2 := stringLit(x.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

// hint renders an argument expression as a lower-case dotted name that
// value generation reads ("pod.name", "err", "len", "time.since").
func hint(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return strings.ToLower(x.Name)
	case *ast.SelectorExpr:
		return hint(x.X) + "." + strings.ToLower(x.Sel.Name)
	case *ast.CallExpr:
		return hint(x.Fun) + "()"
	case *ast.StarExpr:
		return hint(x.X)
	case *ast.UnaryExpr:
		return hint(x.X)
	case *ast.IndexExpr:
		return hint(x.X)
	case *ast.BasicLit:
		switch x.Kind {
		case token.INT:
			return "lit.int"
		case token.FLOAT:
			return "lit.float"
		case token.STRING:
			return "lit.string"
		}
	case *ast.CompositeLit:
		return "composite"
	case *ast.BinaryExpr:
		return hint(x.X)
	case *ast.ParenExpr:
		return hint(x.X)
	}
	return "expr"
}

func statement(call *ast.CallExpr) (stmt, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return stmt{}, false
	}
	recv := receiverName(sel.X)
	if notLoggers[recv] || notLoggers[strings.ToLower(recv)] {
		return stmt{}, false
	}
	name := sel.Sel.Name
	var s stmt
	// go-kit: level.Info(logger).Log("msg", "text", "k", v, …)
	if name == "Log" {
		inner, ok := sel.X.(*ast.CallExpr)
		if !ok {
			return stmt{}, false
		}
		isel, ok := inner.Fun.(*ast.SelectorExpr)
		if !ok {
			return stmt{}, false
		}
		l, _, _ := levelName(isel.Sel.Name)
		if l == "" {
			return stmt{}, false
		}
		s.Level = l
		args := call.Args
		for i := 0; i+1 < len(args); i += 2 {
			k, ok := stringLit(args[i])
			if !ok {
				return stmt{}, false
			}
			if k == "msg" || k == "message" {
				m, ok := stringLit(args[i+1])
				if !ok {
					return stmt{}, false
				}
				s.Msg = m
				continue
			}
			s.KVs = append(s.KVs, kv{Key: k, Hint: hint(args[i+1])})
		}
		return s, s.Msg != ""
	}
	if name == "Msg" || name == "Msgf" {
		return zerologStatement(sel.X, name == "Msgf", call.Args)
	}
	l, printf, structured := levelName(name)
	if l == "" {
		return stmt{}, false
	}
	s.Level = l
	args := call.Args
	// a context or an error first (slog's …Context, klog.ErrorS, logr Error)
	first := -1
	for i := 0; i < len(args) && i < 3; i++ {
		if _, ok := stringLit(args[i]); ok {
			first = i
			break
		}
	}
	if first < 0 {
		return stmt{}, false
	}
	lit, _ := stringLit(args[first])
	if printf {
		s.Printf = true
		s.Format = lit
		for _, a := range args[first+1:] {
			s.Args = append(s.Args, hint(a))
		}
		if countVerbs(lit) != len(s.Args) {
			return stmt{}, false // a wrapper with its own conventions
		}
		s.KVs = chainKVs(sel.X)
		return s, true
	}
	if !structured {
		return stmt{}, false
	}
	s.Msg = lit
	if first > 0 && (l == "error" || name == "ErrorS") {
		s.KVs = append(s.KVs, kv{Key: "err", Hint: "err"})
	}
	rest := args[first+1:]
	for i := 0; i < len(rest); i++ {
		if k, ok := stringLit(rest[i]); ok {
			if i+1 >= len(rest) {
				return stmt{}, false // a print-style call with several strings
			}
			s.KVs = append(s.KVs, kv{Key: k, Hint: hint(rest[i+1])})
			i++
			continue
		}
		c, ok := rest[i].(*ast.CallExpr)
		if !ok {
			return stmt{}, false // Info(args...): not a key/value call
		}
		// zap.String("k", v), slog.Int("k", v), zap.Error(err), tag.X(v)
		fn := ""
		if fs, ok := c.Fun.(*ast.SelectorExpr); ok {
			fn = fs.Sel.Name
		}
		switch {
		case len(c.Args) >= 2:
			k, ok := stringLit(c.Args[0])
			if !ok {
				return stmt{}, false
			}
			s.KVs = append(s.KVs, kv{Key: k, Hint: hint(c.Args[1])})
		case fn == "Error" || fn == "NamedError":
			s.KVs = append(s.KVs, kv{Key: "error", Hint: "err"})
		case len(c.Args) == 1 && fn != "":
			s.KVs = append(s.KVs, kv{Key: snake(fn), Hint: hint(c.Args[0])})
		default:
			return stmt{}, false
		}
	}
	s.KVs = append(chainKVs(sel.X), s.KVs...)
	return s, true
}

// chainKVs collects the fields of a logger chain: x.WithField("k", v),
// WithError(err), With("k", v, …), WithValues("k", v, …).
func chainKVs(e ast.Expr) []kv {
	var out []kv
	for {
		c, ok := e.(*ast.CallExpr)
		if !ok {
			return out
		}
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			return out
		}
		switch sel.Sel.Name {
		case "WithField", "With", "WithValues":
			for i := 0; i+1 < len(c.Args); i += 2 {
				k, ok := stringLit(c.Args[i])
				if !ok {
					break
				}
				out = append([]kv{{Key: k, Hint: hint(c.Args[i+1])}}, out...)
			}
		case "WithError":
			out = append([]kv{{Key: "error", Hint: "err"}}, out...)
		}
		e = sel.X
	}
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(s[i-1] >= 'A' && s[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			b.WriteRune(r + 32)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// countVerbs counts the verbs of a printf format ("%%" is none).
func countVerbs(f string) int {
	n := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		for i < len(f) && strings.IndexByte("+-# 0123456789.*[]", f[i]) >= 0 {
			i++
		}
		if i < len(f) && f[i] != '%' {
			n++
		}
	}
	return n
}

// zerologStatement reads a zerolog chain, log.Warn().Str("k", v).Err(err).Msg("text")
// or ….Msgf("format", args…): the level is the chain's first call with
// no arguments named after a level, the fields its calls whose first
// argument is a string literal (Err(err) is "error"). A chain without a
// level (log.Err(err), WithLevel(l)) or with fields of unknown keys
// (Fields(m)) is left out.
func zerologStatement(ev ast.Expr, printf bool, args []ast.Expr) (stmt, bool) {
	if len(args) == 0 {
		return stmt{}, false
	}
	lit, ok := stringLit(args[0])
	if !ok {
		return stmt{}, false
	}
	var s stmt
	for e := ev; s.Level == ""; {
		c, ok := e.(*ast.CallExpr)
		if !ok {
			return stmt{}, false
		}
		fs, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			return stmt{}, false
		}
		switch m := fs.Sel.Name; {
		case len(c.Args) == 0 && levelOf[strings.ToLower(m)] != "" && m != "Log" && m != "Print":
			s.Level = levelOf[strings.ToLower(m)]
		case m == "Err":
			s.KVs = append([]kv{{Key: "error", Hint: "err"}}, s.KVs...)
		case len(c.Args) >= 2:
			k, ok := stringLit(c.Args[0])
			if !ok {
				return stmt{}, false
			}
			s.KVs = append([]kv{{Key: k, Hint: hint(c.Args[1])}}, s.KVs...)
		case len(c.Args) == 0 || m == "Ctx" || m == "Timestamp" || m == "Caller" || m == "Stack":
			// Caller(), Stack(), log.Ctx(ctx): no field
		default:
			return stmt{}, false
		}
		e = fs.X
	}
	if printf {
		s.Printf, s.Format = true, lit
		for _, a := range args[1:] {
			s.Args = append(s.Args, hint(a))
		}
		if countVerbs(lit) != len(s.Args) {
			return stmt{}, false
		}
		return s, true
	}
	if len(args) != 1 {
		return stmt{}, false
	}
	s.Msg = lit
	return s, true
}
