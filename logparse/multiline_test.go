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

// TestMultilineRules covers the rules on hand-written samples of what the
// runtime tests cannot start here (Kotlin, .NET, PHP) and the edge cases.
func TestMultilineRules(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string // each record's text, in order
		excType  []string // per record, "" for none
	}{
		{"kotlin coroutine", "2024-05-01 10:00:00.123 ERROR [main] c.e.Svc - call failed\n" +
			"kotlinx.coroutines.TimeoutCancellationException: Timed out waiting for 100 ms\n" +
			"\tat kotlinx.coroutines.TimeoutKt.TimeoutCancellationException(Timeout.kt:184)\n" +
			"\tat com.example.SvcKt$main$1.invokeSuspend(Svc.kt:12)\n" +
			"\t(Coroutine boundary)\n" +
			"\tat com.example.SvcKt.main(Svc.kt:9)\n" +
			"2024-05-01 10:00:01.000 INFO [main] c.e.Svc - retrying",
			[]string{"2024-05-01 10:00:00.123 ERROR [main] c.e.Svc - call failed\nkotlinx", "2024-05-01 10:00:01.000 INFO"},
			[]string{"kotlinx.coroutines.TimeoutCancellationException", ""}},
		{"dotnet", "fail: Microsoft.AspNetCore.Server.Kestrel[13]\n" +
			"      Connection id \"0HN\", Request id \"0HN:1\": An unhandled exception was thrown by the application.\n" +
			"      System.InvalidOperationException: Sequence contains no elements\n" +
			"         at System.Linq.ThrowHelper.ThrowNoElementsException()\n" +
			"         at Api.Controllers.OrdersController.Get(Int32 id) in /src/Api/OrdersController.cs:line 42\n" +
			"info: Microsoft.Hosting.Lifetime[0]",
			[]string{"fail: Microsoft", "info: Microsoft"}, []string{"", ""}},
		{"php", "[01-May-2024 10:00:00 UTC] PHP Fatal error:  Uncaught Exception: no route in /var/www/index.php:3\n" +
			"Stack trace:\n#0 /var/www/index.php(7): route()\n#1 {main}\n  thrown in /var/www/index.php on line 3\n" +
			"[01-May-2024 10:00:01 UTC] PHP Notice:  x",
			[]string{"[01-May-2024 10:00:00 UTC] PHP Fatal error", "[01-May-2024 10:00:01 UTC]"}, []string{"", ""}},
		{"indented continuation", "2024-05-01T10:00:00Z INFO config loaded:\n  listen: :8080\n\n  workers: 4\n2024-05-01T10:00:01Z INFO up",
			[]string{"2024-05-01T10:00:00Z INFO config loaded:\n  listen: :8080\n\n  workers: 4", "2024-05-01T10:00:01Z INFO up"}, []string{"", ""}},
		{"indented records stay apart", "  a: 1\n  b: 2\n  c: 3", []string{"  a: 1", "  b: 2", "  c: 3"}, []string{"", "", ""}},
		{"right-aligned level", " WARN 2024-05-01T10:00:00Z cache cold\nERROR 2024-05-01T10:00:01Z dial failed\n INFO 2024-05-01T10:00:02Z retry 1\n  DBG 2024-05-01T10:00:03Z backoff",
			[]string{" WARN 2024-05-01T10:00:00Z cache cold", "ERROR 2024-05-01T10:00:01Z dial failed", " INFO 2024-05-01T10:00:02Z retry 1", "  DBG 2024-05-01T10:00:03Z backoff"}, []string{"", "", "", ""}},
		{"right-aligned pid", "    7 [worker] 10:00:00.125 queue drained\n12345 [worker] 10:00:00.250 queue full\n   88 [main] 10:00:01.000 tick",
			[]string{"    7 [worker]", "12345 [worker]", "   88 [main]"}, []string{"", "", ""}},
		{"right-aligned logger before a level", "    c.e.Svc - WRN - cache cold\nc.e.r.Accessors - ERR - dial failed\n    c.e.Svc - INF - up",
			[]string{"    c.e.Svc - WRN", "c.e.r.Accessors - ERR", "    c.e.Svc - INF"}, []string{"", "", ""}},
		{"right-aligned level, then a trace", "ERROR 2024-05-01T10:00:01Z call failed\njava.lang.IllegalStateException: closed\n\tat A.a(A.java:1)\n INFO 2024-05-01T10:00:02Z up",
			[]string{"ERROR 2024-05-01T10:00:01Z call failed\njava.lang.IllegalStateException: closed\n\tat A.a(A.java:1)", " INFO 2024-05-01T10:00:02Z up"}, []string{"java.lang.IllegalStateException", ""}},
		{"indented words under a record", "2024-05-01T10:00:00Z INFO plan:\n   step 1 fetch\n   step 2 apply\n2024-05-01T10:00:01Z INFO done",
			[]string{"2024-05-01T10:00:00Z INFO plan:\n   step 1 fetch\n   step 2 apply", "2024-05-01T10:00:01Z INFO done"}, []string{"", ""}},
		{"a print is not a traceback's log line", "hello\nTraceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nNameError: name 'x' is not defined",
			[]string{"hello", "Traceback"}, []string{"", "NameError"}},
		{"two traces back to back", "java.lang.RuntimeException: a\n\tat A.a(A.java:1)\njava.lang.RuntimeException: b\n\tat B.b(B.java:1)",
			[]string{"java.lang.RuntimeException: a\n\tat A.a(A.java:1)", "java.lang.RuntimeException: b"}, []string{"java.lang.RuntimeException", "java.lang.RuntimeException"}},
		{"blank lines at the start and between", "\n\nfirst\n\nsecond", []string{"", "first", "second"}, []string{"", "", ""}},
		{"a word ending in Error is no exception header", "ready\ncom.example.AppError: handled", []string{"ready", "com.example.AppError"}, []string{"", ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			recs := assembleAll(t, c.in, StreamOptions{})
			if len(recs) != len(c.want) {
				for _, r := range recs {
					t.Logf("%d+%d %q", r.Line, r.Lines, r.Body)
				}
				t.Fatalf("%d records, want %d", len(recs), len(c.want))
			}
			for i, r := range recs {
				if !strings.HasPrefix(r.Body, c.want[i]) {
					t.Errorf("record %d: %q, want it to start with %q", i, r.Body, c.want[i])
				}
				if r.Type != c.excType[i] {
					t.Errorf("record %d: exception type %q, want %q", i, r.Type, c.excType[i])
				}
			}
		})
	}
}

// TestMultilineCapAndExpire: a record at the size cap is emitted and the
// rest goes on in a new record; a quiet stream's record comes out after
// MaxWait, counted from the first Expire call after its last line.
func TestMultilineCapAndExpire(t *testing.T) {
	var in strings.Builder
	in.WriteString("Exception in thread \"main\" java.lang.StackOverflowError\n")
	for range 200 {
		in.WriteString("\tat Main.recurse(Main.java:3)\n")
	}
	recs := assembleAll(t, in.String(), StreamOptions{Multiline: MultilineOptions{MaxBytes: 1024}})
	total := 0
	for _, r := range recs {
		if len(r.Body) > 1024 {
			t.Fatalf("record of %d bytes over the cap", len(r.Body))
		}
		total += r.Lines
	}
	if len(recs) < 6 || total != 201 {
		t.Fatalf("%d records holding %d lines, want several holding 201", len(recs), total)
	}

	s := NewStream(StreamOptions{Year: 2024, Fallback: textFallback{}, Multiline: MultilineOptions{Enabled: true, MaxWait: time.Second}})
	var r Record
	if err := s.Parse([]byte("panic: boom"), &r); !errors.Is(err, ErrPartial) {
		t.Fatal(err)
	}
	s.Parse([]byte(""), &r)
	s.Parse([]byte("goroutine 1 [running]:"), &r)
	t0 := time.Unix(1000, 0)
	for _, at := range []time.Duration{0, 500 * time.Millisecond, 999 * time.Millisecond} {
		if ok, _ := s.Expire(t0.Add(at), &r); ok {
			t.Fatalf("emitted %v after the first Expire", at)
		}
	}
	s.Parse([]byte("main.main()"), &r) // a new line: the wait starts again
	if ok, _ := s.Expire(t0.Add(1500*time.Millisecond), &r); ok {
		t.Fatal("emitted right after a new line")
	}
	if ok, _ := s.Expire(t0.Add(2400*time.Millisecond), &r); ok {
		t.Fatal("emitted before MaxWait")
	}
	ok, err := s.Expire(t0.Add(2500*time.Millisecond), &r)
	if !ok || err != nil || r.Format != FormatStackTrace || r.Lines != 4 || s.Pending() {
		t.Fatalf("expire: %v %v %q %d", ok, err, r.Format, r.Lines)
	}
}

// TestMultilineWrapped: CRI lines are unwrapped first, and stdout and
// stderr are assembled apart, so a trace on stderr is whole even with
// stdout lines between its lines.
func TestMultilineWrapped(t *testing.T) {
	in := "2024-05-01T10:00:00.000000001Z stderr F panic: boom\n" +
		"2024-05-01T10:00:00.000000002Z stdout F {\"level\":\"info\",\"msg\":\"a\"}\n" +
		"2024-05-01T10:00:00.000000003Z stderr F \n" +
		"2024-05-01T10:00:00.000000004Z stderr P goroutine 1 \n" +
		"2024-05-01T10:00:00.000000005Z stderr F [running]:\n" +
		"2024-05-01T10:00:00.000000006Z stdout F {\"level\":\"info\",\"msg\":\"b\"}\n" +
		"2024-05-01T10:00:00.000000007Z stderr F main.main()\n" +
		"2024-05-01T10:00:00.000000008Z stderr F \t/app/main.go:5 +0x1d\n"
	recs := assembleAll(t, in, StreamOptions{})
	var trace *mlRec
	msgs := 0
	for i := range recs {
		if recs[i].Format == FormatStackTrace {
			trace = &recs[i]
		} else if recs[i].Format == "json" {
			msgs++
		}
	}
	if trace == nil || msgs != 2 || len(recs) != 3 {
		t.Fatalf("records %+v", recs)
	}
	if trace.Body != "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d" || trace.Line != 1 || trace.Lines != 6 {
		t.Fatalf("trace %d+%d %q", trace.Line, trace.Lines, trace.Body)
	}
}

// TestSetMultiline: the options of a running stream change from the next
// line on (a configuration reload). Turned off while a record is being
// assembled, it is refused until FlushRecords emitted the record; a CRI
// partial line stays pending through FlushRecords and is completed by the
// next piece. A smaller MaxWait applies to the record being assembled;
// turned on again, the next lines are assembled.
func TestSetMultiline(t *testing.T) {
	s := NewStream(StreamOptions{Year: 2024, Fallback: textFallback{}, Multiline: MultilineOptions{Enabled: true, MaxWait: time.Hour}})
	var r Record
	for _, l := range []string{
		"2024-05-01T10:00:00.000000001Z stdout F panic: boom",
		"2024-05-01T10:00:00.000000002Z stdout F goroutine 1 [running]:",
		"2024-05-01T10:00:00.000000003Z stderr P half of a ",
	} {
		if err := s.Parse([]byte(l), &r); !errors.Is(err, ErrPartial) {
			t.Fatalf("%q: %v, want ErrPartial", l, err)
		}
	}
	if err := s.SetMultiline(MultilineOptions{}); !errors.Is(err, ErrRecordPending) {
		t.Fatalf("SetMultiline off with a record pending: %v, want ErrRecordPending", err)
	}
	ok, err := s.FlushRecords(&r)
	if !ok || err != nil || r.Format != FormatStackTrace || r.Line != 1 || r.Lines != 2 {
		t.Fatalf("FlushRecords: %v %v %q line %d+%d", ok, err, r.Format, r.Line, r.Lines)
	}
	if ok, _ := s.FlushRecords(&r); ok || s.Pending() {
		t.Fatalf("FlushRecords emitted a second record (%q) or left one pending", r.Body)
	}
	if err := s.SetMultiline(MultilineOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Parse([]byte("2024-05-01T10:00:00.000000004Z stderr F line"), &r); err != nil || string(r.Body) != "half of a line" || s.Pending() {
		t.Fatalf("the partial line completed with the assembly off: %v %q pending %v", err, r.Body, s.Pending())
	}
	if err := s.Parse([]byte("2024-05-01T10:00:00.000000005Z stdout F panic: again"), &r); err != nil || string(r.Body) != "panic: again" {
		t.Fatalf("a line with the assembly off: %v %q, want a record of its own", err, r.Body)
	}
	if err := s.SetMultiline(MultilineOptions{Enabled: true, MaxWait: time.Hour}); err != nil {
		t.Fatal(err)
	}
	s.Parse([]byte("2024-05-01T10:00:00.000000006Z stdout F panic: third"), &r)
	if err := s.Parse([]byte("2024-05-01T10:00:00.000000007Z stdout F goroutine 1 [running]:"), &r); !errors.Is(err, ErrPartial) {
		t.Fatalf("the assembly on again: %v, want the line joined", err)
	}
	t0 := time.Unix(1000, 0)
	s.Expire(t0, &r) // starts the wait
	if ok, _ := s.Expire(t0.Add(time.Minute), &r); ok {
		t.Fatal("emitted before MaxWait")
	}
	if err := s.SetMultiline(MultilineOptions{Enabled: true, MaxWait: time.Second}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Expire(t0.Add(time.Minute), &r); !ok || err != nil || r.Lines != 2 {
		t.Fatalf("Expire after the wait shrank: %v %v %d lines", ok, err, r.Lines)
	}
}

// TestMultilineZeroAllocs: once its buffers have grown, the assembly of
// traces (Java, Python, Go) allocates nothing per line.
func TestMultilineZeroAllocs(t *testing.T) {
	lines := [][]byte{}
	for _, l := range strings.Split(multilineSeeds[0]+"\n"+multilineSeeds[2]+"\n"+multilineSeeds[3]+"\n"+multilineSeeds[4]+"\n2024-01-01 INFO done", "\n") {
		lines = append(lines, []byte(l))
	}
	s := NewStream(StreamOptions{Year: 2024, Fallback: textFallback{}, Multiline: MultilineOptions{Enabled: true}})
	var r Record
	for range 3 {
		for _, l := range lines {
			_ = s.Parse(l, &r)
		}
	}
	i := 0
	if a := testing.AllocsPerRun(5000, func() {
		_ = s.Parse(lines[i%len(lines)], &r)
		i++
	}); a != 0 {
		t.Fatalf("%.3f allocs per line", a)
	}
}
