package delivery

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestKill9Child is the sender process of TestKill9; it does nothing unless
// started by it.
func TestKill9Child(t *testing.T) {
	dir, url := os.Getenv("GOPULSE_KILL9_DIR"), os.Getenv("GOPULSE_KILL9_URL")
	if dir == "" {
		t.Skip("only run as the child of TestKill9")
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.Dir = "kill9", dir
	cfg.Endpoints = []Endpoint{{URL: url}}
	cfg.Fsync = FsyncNever // kill -9 spares the page cache
	cfg.FlushInterval = 10 * time.Millisecond
	cfg.Concurrency.Max = 4
	q, err := New(cfg, Deps{Registerer: prometheus.NewRegistry()})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ctx := context.Background()
	go q.Run(ctx)
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		if err := q.Enqueue(ctx, []byte(fmt.Sprintf("k-%07d", i)), 1); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if i%50 == 49 {
			// Everything up to i is durable once Flush returns.
			if err := q.Flush(ctx); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Fprintf(w, "durable %d\n", i)
			w.Flush()
			time.Sleep(5 * time.Millisecond) // about 10k payloads/s
		}
	}
}

// TestKill9 kills a sending process with SIGKILL mid-stream, restarts the
// queue on its directory and checks that every durable payload arrives and
// that duplicates are no more than the requests that were in flight.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var inFlight atomic.Int64 // handlers still running: requests the child sent before it died
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		b, _ := io.ReadAll(r.Body)
		time.Sleep(time.Millisecond)
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GOPULSE_KILL9_DIR="+dir, "GOPULSE_KILL9_URL="+srv.URL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	durable := -1
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "durable "); ok {
			durable, _ = strconv.Atoi(v)
		} else if strings.HasPrefix(line, "error") {
			t.Fatal(line)
		}
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if (durable >= 1500 && n >= 500) || time.Now().After(deadline) {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	go io.Copy(io.Discard, out)
	cmd.Wait()
	if durable < 0 {
		t.Fatal("child reported nothing")
	}
	// Requests the child had sent when it died may still be in the handler;
	// they count as delivered before the restart.
	time.Sleep(100 * time.Millisecond) // let requests already in socket buffers reach the handler
	waitFor(t, "in-flight requests of the killed sender", 10*time.Second, func() bool { return inFlight.Load() == 0 })
	mu.Lock()
	before := map[string]int{}
	for k, v := range seen {
		before[k] = v
	}
	mu.Unlock()

	cfg := testConfig(t, srv.URL)
	cfg.Name, cfg.Dir = "kill9", dir
	h := start(t, cfg, Deps{})
	waitFor(t, "redelivery", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for i := 0; i <= durable; i++ {
			if seen[fmt.Sprintf("k-%07d", i)] == 0 {
				return false
			}
		}
		return true
	})
	waitFor(t, "queue drained", 10*time.Second, func() bool { s := h.q.Stats(); return s.Committed == s.End })
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for k, v := range seen {
		if v > 1 {
			dups += v - 1
			if before[k] == 0 {
				t.Errorf("%s duplicated after the restart alone", k)
			}
		}
	}
	// At most the requests in flight at the kill (Concurrency.Max = 4).
	if dups > 4 {
		t.Errorf("%d duplicates after kill -9, want <= 4 (in flight)", dups)
	}
	t.Logf("durable=%d delivered-before-kill=%d total=%d duplicates=%d", durable+1, len(before), len(seen), dups)
}
