//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopulse/gopulse/internal/exporters/jaeger"
)

// pauseRecord collects gcpauses's report: every GC cycle's total
// stop-the-world time, as the runtime measured it.
type pauseRecord struct {
	mu     sync.Mutex
	pause  map[uint64]uint64 // cycle → total pause (ns)
	numgc  uint64
	gap    bool
	closed chan struct{}
}

func (r *pauseRecord) read(t *testing.T, out io.Reader) {
	defer close(r.closed)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			NumGC  uint64      `json:"numgc"`
			Cycles [][2]uint64 `json:"cycles"`
			Gap    bool        `json:"gap"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("gcpauses: %q: %v", sc.Text(), err)
			return
		}
		r.mu.Lock()
		r.numgc, r.gap = line.NumGC, r.gap || line.Gap
		for _, c := range line.Cycles {
			r.pause[c[0]] = c[1]
		}
		r.mu.Unlock()
	}
}

func (r *pauseRecord) count() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.numgc
}

// agentMetric returns the value of the first series on the agent's
// /metrics whose line starts with prefix (name and labels, in the order the
// agent writes them), and whether there is one.
func agentMetric(addr, name string, labels ...string) (float64, bool, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		ok := true
		for _, lb := range labels {
			ok = ok && strings.Contains(l, lb)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		return v, true, err
	}
	return 0, false, sc.Err()
}

// TestTraceSamplingGroundTruth: the real agent traces the GC cycles of a
// real GC-heavy program into the real Jaeger v2 with sampling rate 25% and
// slow_pause 1ms. The program (e2e/gcpauses) makes every fifth cycle wait
// milliseconds for the world to stop and reports the runtime's own record of
// every cycle's stop-the-world time. Over 300 cycles fully seen by the
// agent, checked against that record:
//   - every cycle that was certainly slow (stopped ≥ 3 ms in all: one of its
//     at most three pauses ≥ 1 ms) has its trace in Jaeger;
//   - of the cycles that were certainly not (stopped < 1 ms in all), 25% ±
//     4 standard deviations have one;
//   - Jaeger holds exactly as many GC-cycle traces of the program as the
//     agent counted kept (gopulse_trace_gc_cycles_total{decision=kept_*}),
//     and the agent counted the others as dropped.
func TestTraceSamplingGroundTruth(t *testing.T) {
	otlp := env(t, "GOPULSE_E2E_JAEGER2_OTLP")
	query := env(t, "GOPULSE_E2E_JAEGER2_QUERY")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the agent attaches uprobes and needs root on CI")
		}
		t.Skip("the agent attaches uprobes and needs root")
	}
	const (
		rate      = 0.25
		slowPause = time.Millisecond
		window    = 300 // cycles checked
	)
	bin := buildBinary(t, "../cmd/gopulse")
	service := uniq("e2e-gcpauses")
	target := filepath.Join(t.TempDir(), service)
	if err := os.Rename(buildBinary(t, "./gcpauses"), target); err != nil {
		t.Fatal(err)
	}
	tgt := exec.Command(target, "-every", "20ms", "-slow-every", "5", "-spin", "8ms")
	tgt.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
	stdin, err := tgt.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := tgt.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	tgt.Stderr = os.Stderr
	if err := tgt.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tgt.Process.Kill(); tgt.Wait() })
	rec := &pauseRecord{pause: map[uint64]uint64{}, closed: make(chan struct{})}
	go rec.read(t, stdout)
	pid := strconv.Itoa(tgt.Process.Pid)

	addr := hostAgent(t, bin, "sampling-node", fmt.Sprintf(`    include: [{exe: %q}]`, target), fmt.Sprintf(`  jaeger:
    protocol: otlp
    min_stw: 1h
    sampling: {rate: %g, slow_pause: %s, slow_cycle: 1h}
    endpoints:
      - url: %s%s
`, rate, slowPause, otlp, jaeger.OTLPPath))

	// The agent attached once it reports the program's GC count; cycles
	// from two later on were wholly seen by the probes.
	var v0 float64
	eventually(t, time.Minute, "the agent's GC count of the program", func() error {
		v, ok, err := agentMetric(addr, "gopulse_go_gc_cycles_total", `pid="`+pid+`"`)
		if err == nil && (!ok || v < 1) {
			err = fmt.Errorf("no gc cycles yet")
		}
		v0 = v
		return err
	})
	first := uint64(v0) + 2
	last := first + window - 1
	eventually(t, 3*time.Minute, fmt.Sprintf("the program past cycle %d", last+1), func() error {
		if n := rec.count(); n <= last+1 {
			return fmt.Errorf("at cycle %d", n)
		}
		return nil
	})

	// The traces of the window are in Jaeger once a later cycle's is.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	traced := func() (map[uint64]int, error) {
		var resp struct {
			Data []jaegerTrace `json:"data"`
		}
		err := getJSON(ctx, query, "/api/traces", url.Values{"service": {service}, "operation": {jaeger.NameGCCycle},
			"limit": {"100000"}, "lookback": {"1h"}}, nil, &resp)
		if err != nil {
			return nil, err
		}
		out := map[uint64]int{}
		for _, tr := range resp.Data {
			for _, s := range tr.Spans {
				if s.OperationName != jaeger.NameGCCycle {
					continue
				}
				for _, tg := range s.Tags {
					if tg.Key == "go.gc.cycle" {
						n, _ := strconv.ParseUint(fmt.Sprint(tg.Value), 10, 64)
						out[n]++
					}
				}
			}
		}
		return out, nil
	}
	var kept map[uint64]int
	eventually(t, 2*time.Minute, "traces past the window in Jaeger", func() error {
		var err error
		if kept, err = traced(); err != nil {
			return err
		}
		for n := range kept {
			if n > last+10 {
				return nil
			}
		}
		return fmt.Errorf("%d traces, none past cycle %d", len(kept), last+10)
	})

	rec.mu.Lock()
	if rec.gap {
		rec.mu.Unlock()
		t.Fatal("the program's report has a gap: pauses of some cycles are unknown")
	}
	var slow, fast, fastKept, between int
	var missed []string
	for n := first; n <= last; n++ {
		p, ok := rec.pause[n]
		if !ok {
			t.Fatalf("cycle %d missing from the program's report", n)
		}
		switch {
		case p >= 3*uint64(slowPause):
			slow++
			if kept[n] == 0 {
				missed = append(missed, fmt.Sprintf("%d (%.2fms)", n, float64(p)/1e6))
			}
		case p < uint64(slowPause):
			fast++
			if kept[n] > 0 {
				fastKept++
			}
		default:
			between++
		}
	}
	rec.mu.Unlock()
	for n, c := range kept {
		if c != 1 {
			t.Errorf("cycle %d has %d traces", n, c)
		}
	}
	if len(missed) > 0 {
		t.Errorf("%d of %d slow cycles without a trace: %v", len(missed), slow, missed)
	}
	if slow < 20 || fast < 100 {
		var ps []string
		rec.mu.Lock()
		for n := first; n < first+40; n++ {
			ps = append(ps, fmt.Sprintf("%.2f", float64(rec.pause[n])/1e6))
		}
		rec.mu.Unlock()
		t.Fatalf("the program made %d slow and %d fast cycles in the window: too few to judge; pauses (ms) of its first cycles: %v", slow, fast, ps)
	}
	sd := math.Sqrt(float64(fast) * rate * (1 - rate))
	if d := math.Abs(float64(fastKept) - rate*float64(fast)); d > 4*sd {
		t.Errorf("%d of %d fast cycles traced (%.1f%%), want %.0f%% ± %.1f", fastKept, fast, 100*float64(fastKept)/float64(fast), 100*rate, 100*4*sd/float64(fast))
	}

	// The agent's counters agree with Jaeger once the program has exited
	// and every trace is delivered.
	stdin.Close()
	<-rec.closed
	tgt.Wait()
	var keptSlow, keptSampled, dropped, partial float64
	eventually(t, 2*time.Minute, "Jaeger's traces of the program = the agent's kept count", func() error {
		all, err := traced()
		if err != nil {
			return err
		}
		get := func(d string) float64 {
			v, _, _ := agentMetric(addr, "gopulse_trace_gc_cycles_total", `decision="`+d+`"`)
			return v
		}
		keptSlow, keptSampled, dropped, partial = get(jaeger.DecisionSlow), get(jaeger.DecisionSampled), get(jaeger.DecisionDropped), get(jaeger.DecisionPartial)
		if float64(len(all)) != keptSlow+keptSampled {
			return fmt.Errorf("%d traces in Jaeger, agent kept %v slow + %v sampled", len(all), keptSlow, keptSampled)
		}
		return nil
	})
	total := keptSlow + keptSampled + dropped + partial
	if final := float64(rec.count()); total > final+1 || total < final-v0-1 || dropped < 1 || partial > 1 {
		t.Errorf("agent decided on %v cycles (kept %v slow, %v sampled, dropped %v, partial %v); the program ran %v, %v before the agent saw it",
			total, keptSlow, keptSampled, dropped, partial, final, v0)
	}
	t.Logf("cycles %d-%d: %d slow (≥3ms stopped), %d of them traced; %d fast (<1ms) of which %d traced (%.1f%%, want %.0f%%), %d in between; agent: kept %v slow + %v sampled, dropped %v, partial %v",
		first, last, slow, slow-len(missed), fast, fastKept, 100*float64(fastKept)/float64(fast), 100*rate, between, keptSlow, keptSampled, dropped, partial)
}
