package taildrill

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkAgentTail measures the real agent's CPU per line while it tails
// one file written at 20,000 lines/s (≈ 150-byte logfmt lines, parsed by the
// log engine, pushed to a Loki endpoint that counts them): b.N lines, CPU
// time (utime+stime) of the agent from the first line written to the last
// line delivered. Run with a fixed count, e.g.
//
//	go test -run '^$' -bench AgentTail -benchtime 200000x ./internal/taildrill
//
// GOPULSE_AGENT_BIN selects another build of the agent (for before/after).
func BenchmarkAgentTail(b *testing.B) {
	if b.N < 1000 {
		return // the framework's first probe run; run with -benchtime Nx, N ≥ 1000 lines
	}
	bin := agentBin(b)
	dir := b.TempDir()
	sink, err := NewSink()
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	logs := filepath.Join(dir, "logs")
	w := &Writer{Path: filepath.Join(logs, "app.log"), Rate: 20000, Pad: 60}
	if err := mkdir(logs); err != nil {
		b.Fatal(err)
	}
	if err := w.Open(); err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	a, err := NewAgent(AgentConfig{Bin: bin, Dir: filepath.Join(dir, "agent"), LogGlobs: []string{logs + "/*.log"}, LokiURL: sink.URL()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer a.Stop(30 * time.Second)
	time.Sleep(2 * time.Second) // start-up work is not tailing
	b.ResetTimer()
	cpu0 := a.CPU()
	t0 := time.Now()
	if err := w.Run(ctx, int64(b.N)); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for sink.Distinct(b.N) < b.N {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d lines delivered\n%s", sink.Distinct(b.N), b.N, a.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(t0)
	cpu := a.CPU() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/line")
	b.ReportMetric(100*cpu.Seconds()/elapsed.Seconds(), "cpu-%")
	b.ReportMetric(0, "ns/op")
}
