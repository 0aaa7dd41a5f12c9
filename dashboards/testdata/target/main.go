// Command target is a Go workload for the dashboard test: it allocates (GC
// cycles and STW pauses), forces collections, reads MemStats (another STW
// reason), creates short-lived goroutines, leaks some from one site, and
// writes JSON log lines (with errors, now and then a line that is not JSON,
// and a schema change after 10 s) to -log.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"
)

func main() {
	logPath := flag.String("log", "", "file to append JSON log lines to")
	flag.Parse()
	out := os.Stdout
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "target:", err)
			os.Exit(1)
		}
		defer f.Close()
		out = f
	}
	log := slog.New(slog.NewJSONHandler(out, nil))

	var sink [][]byte
	block := make(chan struct{})
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		<-tick.C
		for j := 0; j < 64; j++ {
			sink = append(sink, make([]byte, 16<<10))
		}
		if len(sink) > 1024 {
			sink = sink[:0]
		}
		var wg sync.WaitGroup
		for j := 0; j < 8; j++ {
			wg.Add(1)
			go func() { defer wg.Done(); time.Sleep(time.Millisecond) }()
		}
		wg.Wait()
		if i%10 == 0 {
			go func() { <-block }() // leaks from one site
			runtime.GC()
		}
		if i%50 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if i < 1000 {
				log.Info("tick", "i", i, "heap_bytes", ms.HeapAlloc, "goroutines", runtime.NumGoroutine())
			} else { // schema drift after 10 s: a new field, and heap_bytes turns into a string
				log.Info("tick", "i", i, "heap_bytes", fmt.Sprintf("%dKiB", ms.HeapAlloc>>10),
					"goroutines", runtime.NumGoroutine(), "region", "eu-west-1")
			}
		}
		if i%70 == 0 {
			log.Error("upstream request failed", "i", i, "status", 503, "upstream", "10.0.0.7:8080")
		}
		if i%200 == 100 {
			fmt.Fprintf(out, "goroutine %d [running]: not a JSON line {\n", i)
		}
	}
}
