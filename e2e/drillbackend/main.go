// Command drillbackend is the failover drill's Go HTTP backend: a small
// service behind HAProxy that can be turned sick in ways its /healthz does
// not show, and healed again.
//
//	drillbackend -listen 127.0.0.1:PORT -name NAME -log FILE
//
// Endpoints:
//
//	GET  /work         a request: allocates a little pointer-rich garbage,
//	                   answers 200 with the header X-Backend: NAME
//	GET  /healthz      200 "ok", whatever the mode (what a black-box probe sees)
//	POST /admin/mode?m=healthy|sick|blip
//
// Modes:
//
//	healthy  steady service, an info log line per request
//	sick     the runtime turns sick, and worse and worse: a live heap of
//	         small pointer-rich nodes (a cache that never evicts) growing by
//	         -grow MB/s up to -heap MB, past a memory limit of -limit MB
//	         (debug.SetMemoryLimit) with debug.SetGCPercent(-gcpercent):
//	         the closer the heap gets to the limit, the more often the GC
//	         runs, each time marking all of it, and the longer requests
//	         stall in mark assists — the GC death spiral of a service that
//	         outgrows its memory; a goroutine leak (-leak goroutines per
//	         second parked forever, each holding a little heap); and three
//	         error lines (a retry loop) of a template never logged before
//	         for every request
//	blip     one short burst of error lines of a new template (-blip lines),
//	         then healthy again: the oscillation of the flap test
//	healthy  again: GC percent back to 100, no memory limit, the heap and
//	         the leaked goroutines released
//
// Logs are JSON lines (log/slog) appended to -log. Each mode change is
// printed on stdout as "mode NAME".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// node is one cell of the sick heap: small and full of pointers, the most
// expensive kind of heap for the GC to mark.
type node struct {
	next, a, b *node
	payload    [2]*[8]byte
}

type backend struct {
	name string
	log  *slog.Logger

	mode     atomic.Value // string
	reqs     atomic.Uint64
	mu       sync.Mutex
	heap     []*node       // roots of the sick heap
	leakStop chan struct{} // closing it releases the leaked goroutines
	leaked   atomic.Int64
	cancel   context.CancelFunc // stops the sick phase's goroutines

	heapMB, growMB, leakRate, blipLines, allocNodes, gcPercent, limitMB int
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "HTTP address")
	name := flag.String("name", "backend", "name answered in X-Backend")
	logPath := flag.String("log", "", "append JSON log lines to this file (default stderr)")
	heapMB := flag.Int("heap", 700, "sick mode: live heap to build, MB")
	growMB := flag.Int("grow", 25, "sick mode: heap growth, MB per second")
	allocNodes := flag.Int("alloc", 1024, "nodes (about 64 bytes each) a request allocates")
	gcPercent := flag.Int("gcpercent", 50, "sick mode: debug.SetGCPercent")
	limitMB := flag.Int("limit", 400, "sick mode: debug.SetMemoryLimit, MB")
	leakRate := flag.Int("leak", 800, "sick mode: goroutines leaked per second")
	blipLines := flag.Int("blip", 80, "blip mode: error lines in the burst")
	flag.Parse()

	w := os.Stderr
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "drillbackend:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	b := &backend{name: *name, log: slog.New(slog.NewJSONHandler(w, nil)), leakStop: make(chan struct{}),
		heapMB: *heapMB, growMB: *growMB, leakRate: *leakRate, blipLines: *blipLines, allocNodes: max(1, *allocNodes), gcPercent: *gcPercent, limitMB: *limitMB}
	b.mode.Store("healthy")

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "drillbackend:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /work", b.work)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("POST /admin/mode", b.setMode)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Printf("listening %s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "drillbackend:", err)
		os.Exit(1)
	}
}

var sink atomic.Pointer[[]*node]

// work is one request: a little pointer-rich garbage and a checksum.
func (b *backend) work(w http.ResponseWriter, r *http.Request) {
	n := b.reqs.Add(1)
	start := time.Now()
	objs := make([]*node, b.allocNodes)
	for i := range objs {
		objs[i] = &node{payload: [2]*[8]byte{new([8]byte), new([8]byte)}}
		if i > 0 {
			objs[i].next = objs[i-1]
		}
	}
	sink.Store(&objs)
	sum := 0
	for p := objs[len(objs)-1]; p != nil; p = p.next {
		sum += int(p.payload[0][0]) + 1
	}
	w.Header().Set("X-Backend", b.name)
	fmt.Fprintf(w, "%s %d %d\n", b.name, n, sum)
	if b.mode.Load().(string) == "sick" {
		for attempt := 1; attempt <= 3; attempt++ { // a retry loop that logs each attempt
			b.log.Error("inventory cache refill failed", "shard", n%16, "attempt", attempt, "err", "context deadline exceeded", "request_id", n)
		}
		return
	}
	b.log.Info("request served", "path", r.URL.Path, "status", 200, "duration", time.Since(start).String(), "request_id", n)
}

func (b *backend) setMode(w http.ResponseWriter, r *http.Request) {
	m := r.URL.Query().Get("m")
	switch m {
	case "healthy", "sick", "blip":
	default:
		http.Error(w, "unknown mode "+strconv.Quote(m), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	switch m {
	case "sick":
		debug.SetGCPercent(b.gcPercent)
		debug.SetMemoryLimit(int64(b.limitMB) << 20)
		ctx, cancel := context.WithCancel(context.Background())
		b.cancel = cancel
		go b.grow(ctx)
		go b.leak(ctx)
	case "blip":
		for i := range b.blipLines {
			b.log.Error("upstream connection reset", "peer", "10.0.0."+strconv.Itoa(i%8), "attempt", i)
		}
		m = "healthy"
	}
	if m == "healthy" {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		b.heap = nil
		close(b.leakStop)
		b.leakStop = make(chan struct{})
	}
	b.mode.Store(m)
	fmt.Printf("mode %s\n", m)
	fmt.Fprintln(w, m)
}

// grow builds the sick heap: growMB per second, up to heapMB.
func (b *backend) grow(ctx context.Context) {
	const nodeBytes = 48 + 2*8                 // a node and its two payloads, roughly
	perTick := b.growMB << 20 / nodeBytes / 50 // every 20ms: a steady leak, not bursts
	limit := b.heapMB << 20 / nodeBytes
	total := 0
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for total < limit {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var head *node
		for range perTick {
			nd := &node{next: head, payload: [2]*[8]byte{new([8]byte), nil}}
			if head != nil {
				nd.a = head.next
			}
			head = nd
		}
		total += perTick
		b.mu.Lock()
		if b.cancel == nil { // healed meanwhile
			b.mu.Unlock()
			return
		}
		b.heap = append(b.heap, head)
		b.mu.Unlock()
	}
}

// leak parks leakRate goroutines per second until the mode changes back.
func (b *backend) leak(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.mu.Lock()
		stop := b.leakStop
		b.mu.Unlock()
		for range b.leakRate / 10 {
			b.leaked.Add(1)
			go func() {
				held := make([]*node, 16) // what a leaked request would hold on to
				<-stop
				_ = held
				b.leaked.Add(-1)
			}()
		}
	}
}
