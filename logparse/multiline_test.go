package logparse

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// mlRec is a copy of a multi-line record, for assertions.
type mlRec struct {
	Line, Lines   int
	Format, Level string
	Message, Body string
	Type, ExcMsg  string
	Stack, Contin string
	Fields        map[string]string
}

func copyRec(r *Record) mlRec {
	c := mlRec{Line: int(r.Line), Lines: r.Lines, Format: r.Format, Level: string(r.Level),
		Message: string(r.Message), Body: string(r.Body), Fields: map[string]string{}}
	for _, f := range r.Fields {
		c.Fields[string(f.Key)] = string(f.Value)
	}
	c.Type, c.ExcMsg = c.Fields["exception.type"], c.Fields["exception.message"]
	c.Stack, c.Contin = c.Fields["exception.stacktrace"], c.Fields["continuation"]
	return c
}

// assembleAll feeds text line by line into a multi-line Stream and returns
// every record, the pending ones flushed at the end.
func assembleAll(t testing.TB, text string, opts StreamOptions) []mlRec {
	t.Helper()
	opts.Multiline.Enabled = true
	if opts.Year == 0 {
		opts.Year = 2024
	}
	if opts.Fallback == nil {
		opts.Fallback = textFallback{}
	}
	s := NewStream(opts)
	var r Record
	var out []mlRec
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		err := s.Parse(sc.Bytes(), &r)
		if errors.Is(err, ErrPartial) {
			continue
		}
		out = append(out, copyRec(&r))
	}
	for {
		ok, _ := s.Flush(&r)
		if !ok {
			break
		}
		out = append(out, copyRec(&r))
	}
	return out
}

// TestMultilineDump prints the records of the file named by
// GOPULSE_ML_DUMP (a debugging aid).
func TestMultilineDump(t *testing.T) {
	f := os.Getenv("GOPULSE_ML_DUMP")
	if f == "" {
		t.Skip("GOPULSE_ML_DUMP not set")
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range assembleAll(t, string(data), StreamOptions{}) {
		t.Logf("line %d+%d %s level=%s msg=%q type=%q excmsg=%q\n%s", r.Line, r.Lines, r.Format, r.Level, r.Message, r.Type, r.ExcMsg, indent(r.Body))
	}
}

func indent(s string) string {
	var b bytes.Buffer
	for _, l := range strings.Split(s, "\n") {
		b.WriteString("    | " + l + "\n")
	}
	return b.String()
}

var _ = time.Second
