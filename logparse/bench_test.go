package logparse

import (
	"sort"
	"testing"
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
			for b.Loop() {
				if err := s.Parse(line, &r); err != nil {
					b.Fatal(err)
				}
			}
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
	for b.Loop() {
		r.Reset()
		if err := p.Parse(line, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFreeTextFallback measures a free-text line in a free-text stream:
// every built-in format rejects it before the fallback takes it.
func BenchmarkFreeTextFallback(b *testing.B) {
	line := []byte(`081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating`)
	s := NewStream(StreamOptions{Year: 2024, Fallback: textFallback{}})
	var r Record
	_ = s.Parse(line, &r)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := s.Parse(line, &r); err != nil {
			b.Fatal(err)
		}
	}
}
