// Command demo is gopulse's bundled demo workload: a small Go service that
// keeps the GC and the scheduler busy and writes JSON logs, so that
// `make run` shows real runtime series within seconds.
//
// It also plays the targets of the health tests: -phases runs a script of
// named phases, each for a duration:
//
//	healthy  steady requests, allocation and logs
//	noisy    bursts of goroutines, allocation and a few errors, yet healthy
//	bad      long stop-the-world pauses (goroutines spinning without
//	         preemption points while ReadMemStats stops the world — run with
//	         GODEBUG=asyncpreemptoff=1) and a goroutine leak
//	recover  back to healthy; the leaked goroutines are released
//
// e.g. -phases healthy:5s,bad:20s,recover:30s. Each phase start is printed
// on stdout as "phase NAME". SIGUSR1 ends the current phase at once, so a
// test can hold a phase until it has seen what it waits for (the duration
// is then its cap).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type phase struct {
	name string
	dur  time.Duration
}

func parsePhases(s string) ([]phase, error) {
	var out []phase
	for _, p := range strings.Split(s, ",") {
		name, d, ok := strings.Cut(strings.TrimSpace(p), ":")
		if !ok {
			return nil, fmt.Errorf("phase %q: want NAME:DURATION", p)
		}
		switch name {
		case "healthy", "noisy", "bad", "recover":
		default:
			return nil, fmt.Errorf("phase %q: unknown name %q", p, name)
		}
		dur, err := time.ParseDuration(d)
		if err != nil {
			return nil, fmt.Errorf("phase %q: %w", p, err)
		}
		out = append(out, phase{name, dur})
	}
	return out, nil
}

var sink atomic.Pointer[[]byte]

type demo struct {
	log     *slog.Logger
	mode    atomic.Value // string
	leakRel chan struct{}
	leakMu  sync.Mutex
	leaked  atomic.Int64
	rate    int
}

func main() {
	logPath := flag.String("log", "", "append JSON logs to this file (default: stderr)")
	phases := flag.String("phases", "healthy:87600h", "NAME:DURATION,… (healthy, noisy, bad, recover)")
	rate := flag.Int("rate", 200, "requests per second")
	withParent := flag.Bool("exit-with-parent", false, "exit when the parent process dies (Linux)")
	flag.Parse()
	if *withParent {
		stopWithParent()
	}
	ps, err := parsePhases(*phases)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	var w io.Writer = os.Stderr
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{log: slog.New(slog.NewJSONHandler(w, nil)), leakRel: make(chan struct{}), rate: *rate}
	d.mode.Store("healthy")
	go d.serve(ctx)
	go d.spin(ctx)
	go d.stopTheWorld(ctx)
	go d.leak(ctx)
	go d.bursts(ctx)
	next := make(chan os.Signal, 1)
	signal.Notify(next, syscall.SIGUSR1)
	for _, p := range ps {
		d.mode.Store(p.name)
		if p.name == "recover" {
			d.release()
		}
		fmt.Printf("phase %s\n", p.name)
		select {
		case <-ctx.Done():
			return
		case <-time.After(p.dur):
		case <-next:
		}
	}
}

func (d *demo) is(m string) bool { return d.mode.Load().(string) == m }

// serve handles fake requests: each allocates, hands work to a goroutine
// and logs a line.
func (d *demo) serve(ctx context.Context) {
	t := time.NewTicker(time.Second / time.Duration(max(1, d.rate)))
	defer t.Stop()
	var n uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n++
		done := make(chan int, 1)
		go func() {
			b := make([]byte, 16<<10+rand.IntN(48<<10))
			for i := range b {
				b[i] = byte(i)
			}
			sink.Store(&b)
			m := map[string]int{}
			for i := range 64 {
				m[fmt.Sprint(i)] = i
			}
			done <- len(m)
		}()
		<-done
		start := time.Now()
		status := 200
		if d.is("noisy") && rand.IntN(50) == 0 {
			status = 500
		}
		path := [...]string{"/api/cart", "/api/items", "/healthz", "/api/checkout"}[n%4]
		switch {
		case status >= 500:
			d.log.Error("request failed", "path", path, "status", status, "err", "upstream timeout", "request_id", n)
		case n%50 == 0:
			d.log.Warn("slow request", "path", path, "status", status, "duration_ms", 120+rand.IntN(80), "request_id", n)
		default:
			d.log.Info("request served", "path", path, "status", status, "duration", time.Since(start).String(), "request_id", n)
		}
	}
}

// spin keeps GOMAXPROCS-1 goroutines in long loops without preemption
// points during "bad": with GODEBUG=asyncpreemptoff=1 a stop-the-world,
// started from the one free P, has to wait for each loop to end. Leaving a
// P (and a core) free keeps the rest of the machine usable.
func (d *demo) spin(ctx context.Context) {
	for i := 0; i < max(1, runtime.GOMAXPROCS(0)-1); i++ {
		go func() {
			var x uint64 = 1
			for ctx.Err() == nil {
				if !d.is("bad") {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				x = busy(x, 150_000_000)
				// half the time off: long pauses without starving the machine
				time.Sleep(250 * time.Millisecond)
			}
			_ = x
		}()
	}
}

// busy loops n times with no function call: no preemption point.
//
//go:noinline
func busy(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// stopTheWorld calls ReadMemStats (a stop-the-world) often during "bad".
func (d *demo) stopTheWorld(ctx context.Context) {
	var ms runtime.MemStats
	for ctx.Err() == nil {
		if d.is("bad") {
			runtime.ReadMemStats(&ms)
			time.Sleep(20 * time.Millisecond)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// leak parks goroutines forever during "bad" (until "recover").
func (d *demo) leak(ctx context.Context) {
	for ctx.Err() == nil {
		if !d.is("bad") {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		d.leakMu.Lock()
		rel := d.leakRel
		d.leakMu.Unlock()
		for range 50 {
			d.leaked.Add(1)
			go func() { <-rel; d.leaked.Add(-1) }()
		}
		time.Sleep(50 * time.Millisecond) // ~1000 goroutines/s
	}
}

func (d *demo) release() {
	d.leakMu.Lock()
	close(d.leakRel)
	d.leakRel = make(chan struct{})
	d.leakMu.Unlock()
}

// bursts are the noise of a busy but healthy service: fan-outs of short
// goroutines and allocation spikes.
func (d *demo) bursts(ctx context.Context) {
	for ctx.Err() == nil {
		time.Sleep(time.Duration(200+rand.IntN(800)) * time.Millisecond)
		if !d.is("noisy") {
			continue
		}
		var wg sync.WaitGroup
		n := 100 + rand.IntN(1500)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
				b := make([]byte, 4<<10)
				sink.Store(&b)
			}()
		}
		big := make([]byte, (1+rand.IntN(32))<<20)
		sink.Store(&big)
		wg.Wait()
		if rand.IntN(4) == 0 {
			d.log.Error("cache refresh failed", "err", json.Unmarshal([]byte("{"), new(any)).Error(), "items", n)
		}
	}
}
