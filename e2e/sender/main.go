// Command sender is the e2e tests' log sender: it generates numbered logfmt
// lines at a fixed rate and ships them to Loki through exporters/loki and an
// on-disk exporters/delivery queue, checkpointing its position the way an
// agent tailing a file would. Killed with SIGKILL and started again with the
// same flags, it resumes from the checkpoint and the queue's write-ahead log:
// nothing is lost, and at most the last batch is sent twice.
//
//	sender -url http://127.0.0.1:3100 -job J -dir DIR -lines N -rate R -base NS
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/internal/exporters/delivery"
	"github.com/gopulse/gopulse/internal/exporters/loki"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		os.Exit(1)
	}
}

type opts struct {
	url, job, dir string
	lines, rate   int
	batch         int
	base          int64
}

func run(ctx context.Context, args []string) error {
	var o opts
	fs := flag.NewFlagSet("sender", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "", "Loki base URL")
	fs.StringVar(&o.job, "job", "sender", "job label")
	fs.StringVar(&o.dir, "dir", "", "state dir: wal/, checkpoint, run")
	fs.IntVar(&o.lines, "lines", 100000, "lines to send in all")
	fs.IntVar(&o.rate, "rate", 5000, "lines per second")
	fs.IntVar(&o.batch, "batch", 500, "lines per push request")
	fs.Int64Var(&o.base, "base", 0, "timestamp of line 0, Unix ns")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.url == "" || o.dir == "" || o.base == 0 {
		return errors.New("-url, -dir and -base are required")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	runN, err := bump(filepath.Join(o.dir, "run"))
	if err != nil {
		return err
	}
	ckptPath := filepath.Join(o.dir, "checkpoint")
	next, err := readInt(ckptPath)
	if err != nil {
		return err
	}

	cfg := delivery.DefaultConfig()
	cfg.Name = "loki"
	cfg.Endpoints = []delivery.Endpoint{{URL: o.url + loki.PushPath}}
	cfg.Dir = filepath.Join(o.dir, "wal")
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return err
	}
	cfg.Fsync = delivery.FsyncAlways
	cfg.FlushInterval = 100 * time.Millisecond
	cfg.Retry.MaxBackoff = 2 * time.Second
	q, err := delivery.New(cfg, delivery.Deps{Logger: log, Registerer: prometheus.NewRegistry(), ProtocolHeaders: loki.ProtocolHeaders()})
	if err != nil {
		return err
	}
	defer q.Close()
	qctx, cancel := context.WithCancel(context.Background())
	qdone := make(chan error, 1)
	go func() { qdone <- q.Run(qctx) }()
	defer func() { cancel(); <-qdone }()

	lcfg := loki.DefaultConfig()
	lcfg.BatchLines = o.batch
	lcfg.FlushInterval = time.Hour // batches are cut by the loop below
	x, err := loki.New(lcfg, loki.Deps{Queue: q, Logger: log})
	if err != nil {
		return err
	}
	defer x.Close()

	fmt.Printf("run %d from line %d\n", runN, next)
	var rec event.LogRecord
	var buf, seqBuf, userBuf []byte
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	began, from := time.Now(), next
	for seq := next; seq < o.lines; {
		var now time.Time
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now = <-tick.C:
		}
		// Catch up with the schedule: a late tick does not lower the rate.
		due := from + int(now.Sub(began).Seconds()*float64(o.rate))
		for seq < due && seq < o.lines {
			buf = fmt.Appendf(buf[:0], "level=info msg=\"order placed\" seq=%d run=%d user=u%d amount=%d.%02d", seq, runN, seq%977, seq%500, seq%100)
			seqBuf = strconv.AppendInt(seqBuf[:0], int64(seq), 10)
			userBuf = fmt.Appendf(userBuf[:0], "u%d", seq%977)
			rec = event.LogRecord{
				Format: "logfmt", TS: o.base + int64(seq)*1000 + int64(runN), Level: []byte("info"), Body: buf,
				Labels: []event.Label{{Name: "job", Value: o.job}, {Name: "namespace", Value: "e2e"}},
				Fields: []event.Field{
					{Key: []byte("msg"), Value: []byte("order placed")},
					{Key: []byte("seq"), Value: seqBuf},
					{Key: []byte("user.id"), Value: userBuf},
				},
			}
			x.HandleLog(&rec)
			seq++
			if seq%o.batch == 0 || seq == o.lines {
				// The batch is in the log (fsynced) before the checkpoint
				// moves past it: a kill in between replays one batch.
				if err := x.Flush(ctx); err != nil {
					return err
				}
				if err := q.Flush(ctx); err != nil {
					return err
				}
				if err := writeInt(ckptPath, seq); err != nil {
					return err
				}
			}
		}
	}
	// Wait until the backend has everything.
	for {
		st := q.Stats()
		if st.Pending == 0 && st.Committed >= st.End {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	fmt.Println("done")
	return nil
}

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return n, nil
}

// writeInt replaces path atomically and durably.
func writeInt(path string, n int) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(strconv.Itoa(n)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func bump(path string) (int, error) {
	n, err := readInt(path)
	if err != nil {
		return 0, err
	}
	n++
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	return n, writeInt(path, n)
}
