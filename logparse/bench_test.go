package logparse

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkFormat parses one line of each format through a settled Stream
// (so unwrapping and the format check are included).
func BenchmarkFormat(b *testing.B) {
	names := make([]string, 0, len(benchLines))
	for n := range benchLines {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		line := []byte(benchLines[name])
		b.Run(name, func(b *testing.B) {
			s := NewStream(StreamOptions{Year: 2024, DetectLines: 1})
			var r Record
			_ = s.Parse(line, &r)
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			cpu0 := processCPU()
			for b.Loop() {
				if err := s.Parse(line, &r); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0, len(line))
		})
	}
}

// BenchmarkPattern runs a compiled pattern for nginx combined lines.
func BenchmarkPattern(b *testing.B) {
	p, err := CompilePattern(`<ip:client> - <_> [<ts:time>] "<method> <path> <_>" <int:status> <int:bytes> <qs:referer> <qs:agent>`)
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(benchLines["combined"])
	var r Record
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	cpu0 := processCPU()
	for b.Loop() {
		r.Reset()
		if err := p.Parse(line, &r); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, len(line))
}

// reportCPU adds the CPU time per line and MB per CPU-second (the process's
// CPU time over the loop; the benchmark runs on one goroutine).
func reportCPU(b *testing.B, cpu0 time.Duration, lineLen int) {
	cpu := processCPU() - cpu0
	if cpu <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(lineLen)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
}

// BenchmarkFreeTextFallback measures a free-text line in a free-text stream:
// every built-in format rejects it before the fallback takes it.
func BenchmarkFreeTextFallback(b *testing.B) {
	line := []byte(`240305 101112 731 INFO store.Compactor: compaction of segment seg_7731 finished in 42 ms, 3 files merged`)
	s := NewStream(StreamOptions{Year: 2024, Fallback: textFallback{}})
	var r Record
	_ = s.Parse(line, &r)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	cpu0 := processCPU()
	for b.Loop() {
		if err := s.Parse(line, &r); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, len(line))
}

// BenchmarkMultiline measures the multi-line assembly per input line: on a
// stream of single-line records (what it costs every stream: a copy and the
// one-record delay), beside the same stream without it; and on a stream of
// log lines with Java and Python stack traces under them.
func BenchmarkMultiline(b *testing.B) {
	single := []string{benchLines["combined"], benchLines["json"], benchLines["klog"]}
	javaTrace := []string{
		"2024-05-01 10:00:00.123 ERROR [http-nio-8080-exec-3] c.e.OrderController - order 4411 failed",
		"java.lang.IllegalStateException: inventory service unavailable",
		"\tat com.example.inventory.Client.reserve(Client.java:88)",
		"\tat com.example.orders.OrderService.place(OrderService.java:41)",
		"\tat com.example.orders.OrderController.create(OrderController.java:27)",
		"Caused by: java.net.ConnectException: Connection refused",
		"\tat java.base/sun.nio.ch.Net.connect0(Native Method)",
		"\t... 3 more",
		"2024-05-01 10:00:00.200 INFO [main] c.e.Health - ok",
		"2024-05-01 10:00:01,000 ERROR app: lookup failed",
		"Traceback (most recent call last):",
		`  File "/app/svc.py", line 12, in handle`,
		`    return cache[key]`,
		"KeyError: 'user:42'",
	}
	for _, c := range []struct {
		name  string
		lines []string
		ml    bool
	}{
		{"single-line/off", single, false},
		{"single-line/on", single, true},
		{"traces/on", javaTrace, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := NewStream(StreamOptions{Year: 2024, DetectLines: 1, Fallback: textFallback{}, Multiline: MultilineOptions{Enabled: c.ml}})
			lines := make([][]byte, len(c.lines))
			total := 0
			for i, l := range c.lines {
				lines[i] = []byte(l)
				total += len(l) + 1
			}
			var r Record
			for range 3 {
				for _, l := range lines {
					_ = s.Parse(l, &r)
				}
			}
			b.ReportAllocs()
			b.SetBytes(int64(total / len(lines)))
			cpu0 := processCPU()
			i := 0
			for b.Loop() {
				_ = s.Parse(lines[i%len(lines)], &r)
				i++
			}
			reportCPU(b, cpu0, total/len(lines))
		})
	}
}
