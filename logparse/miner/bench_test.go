package miner

import (
	"fmt"
	"testing"
)

// benchMessages is a small mix of repeating events with varying values.
func benchMessages(n int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			out = append(out, []byte(fmt.Sprintf("Accepted payment %d for order ord-%d in %dms", 4000+i, i, i%900)))
		case 1:
			out = append(out, []byte(fmt.Sprintf("Login failed for user u%d from 10.0.%d.%d port %d", i, i%250, i%200, 40000+i)))
		case 2:
			out = append(out, []byte(fmt.Sprintf("Cache warmed: %d keys (%d.5 MB) in %ds", i, i%90, i%7)))
		default:
			out = append(out, []byte(fmt.Sprintf("Received block blk_%d of size %d from /10.1.%d.%d:50010", i*7919, i*13, i%250, i%199)))
		}
	}
	return out
}

// BenchmarkAdd: steady state on known templates (no allocation per line).
func BenchmarkAdd(b *testing.B) {
	msgs := benchMessages(1024)
	m := New(Config{})
	size := 0
	for _, s := range msgs {
		m.Add(s)
		size += len(s)
	}
	b.SetBytes(int64(size / len(msgs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Add(msgs[i%len(msgs)])
		i++
	}
}

// BenchmarkAddEndless feeds an endless stream of new signatures: memory
// stays bounded by MaxClusters (LRU eviction); reports clusters kept.
func BenchmarkAddEndless(b *testing.B) {
	m := New(Config{MaxClusters: 1024})
	var buf []byte
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		buf = append(buf[:0], "event "...)
		buf = append(buf, word(n)...)
		buf = append(buf, " happened in zone "...)
		buf = append(buf, word(n/3+7)...)
		m.Add(buf)
		n++
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(m.Len()), "clusters")
	if m.Len() > 1024 {
		b.Fatalf("kept %d clusters, cap 1024", m.Len())
	}
}

func TestAddNoAllocs(t *testing.T) {
	msgs := benchMessages(256)
	m := New(Config{})
	for _, s := range msgs {
		m.Add(s)
	}
	m.Consolidate()
	for _, s := range msgs {
		m.Add(s)
	}
	i := 0
	if a := testing.AllocsPerRun(1000, func() { m.Add(msgs[i%len(msgs)]); i++ }); a != 0 {
		t.Fatalf("Add allocates %v per known message", a)
	}
	if a := testing.AllocsPerRun(1000, func() { m.Match(msgs[i%len(msgs)]); i++ }); a != 0 {
		t.Fatalf("Match allocates %v per known message", a)
	}
}
