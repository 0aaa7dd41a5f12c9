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
