package taildrill

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Backend is where the agent pushes: the counting Sink, or a real Loki.
type Backend interface {
	URL() string
	// SetDown starts or ends an outage.
	SetDown(ctx context.Context, down bool) error
}

// SinkBackend adapts a Sink.
type SinkBackend struct{ *Sink }

// SetDown implements Backend.
func (s SinkBackend) SetDown(_ context.Context, down bool) error { s.Sink.SetDown(down); return nil }

// Config is one drill.
type Config struct {
	Bin string // gopulse
	Dir string // work dir: logs/, agent/

	Duration time.Duration // of writing
	Rate     int           // lines/s of the rename-rotated file (app.log)
	CTRate   int           // lines/s of the copytruncate-rotated file (ct.log); 0: none
	Kills    int           // SIGKILLs of the agent, spread over Duration
	// RotateEvery: rotations of each file while the agent runs.
	RotateEvery time.Duration
	// Outage: the backend is down from OutageAt for OutageFor.
	OutageAt, OutageFor time.Duration
	Seed                uint64
	Tag                 string // run=TAG in every line
	Logf                func(format string, args ...any)
}

// Report is what happened.
type Report struct {
	Lines         int64 // written
	Kills         int
	KillsInRotate int // kills while a rotation was under way
	DownRotations int // rotations while the agent was down
	DownFiles     int // files created while the agent was down
	Rotations     int
	CPU           time.Duration // of all agent processes
	Agent         *Agent
}

// Run runs the drill: writers at their rates, rotating; the agent killed
// with SIGKILL Kills times at random points (some during a rotation, some
// followed by rotations and new files while it is down), restarted each
// time on its state; the backend down for a while in the middle. It
// returns when everything was written and the agent, restarted a last
// time, had a chance to deliver it (wait for it with the backend's count).
func Run(ctx context.Context, c Config, be Backend) (*Report, error) {
	logf := c.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	logs := filepath.Join(c.Dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	seq := &Seq{}
	start := time.Now()
	journal := func(m string) { logf("%7.3fs %s", time.Since(start).Seconds(), m) }
	app := &Writer{Path: filepath.Join(logs, "app.log"), Rate: c.Rate, Pad: 60, Seq: seq, Journal: journal, Tag: c.Tag}
	writers := []*Writer{app}
	var ct *Writer
	if c.CTRate > 0 {
		ct = &Writer{Path: filepath.Join(logs, "ct.log"), Rate: c.CTRate, Pad: 40, Seq: seq, Journal: journal, Tag: c.Tag}
		writers = append(writers, ct)
	}
	for _, w := range writers {
		if err := w.Open(); err != nil {
			return nil, err
		}
		defer w.Close()
	}
	a, err := NewAgent(AgentConfig{Bin: c.Bin, Dir: filepath.Join(c.Dir, "agent"), LogGlobs: []string{logs + "/*.log"},
		LokiURL: be.URL(), Poll: 100 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	rep := &Report{Agent: a}
	if err := a.Start(ctx); err != nil {
		return rep, err
	}

	wctx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	var wg sync.WaitGroup
	werr := make(chan error, len(writers))
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(wctx, 0); err != nil {
				werr <- err
			}
		}()
	}
	var rotMu sync.Mutex // one rotation at a time
	rotating := false
	rotate := func(down bool) error {
		rotMu.Lock()
		rotating = true
		defer func() { rotating = false; rotMu.Unlock() }()
		rep.Rotations++
		if down {
			rep.DownRotations++
		}
		if err := app.RotateRename(keepRotated, 3, rng.IntN(50)); err != nil {
			return err
		}
		if ct != nil {
			return ct.CopyTruncate(keepRotated, 3)
		}
		return nil
	}
	// Rotations while running, in the background.
	rotDone := make(chan struct{})
	go func() {
		defer close(rotDone)
		t := time.NewTicker(c.RotateEvery)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
				if err := rotate(false); err != nil {
					werr <- err
					return
				}
			}
		}
	}()

	outageOn, outageOff := false, false
	extra := 0
	for k := 0; k < c.Kills; k++ {
		// Run for a random share of the time left per kill.
		slot := c.Duration / time.Duration(c.Kills+1)
		time.Sleep(slot/4 + time.Duration(rng.Int64N(int64(slot/2))))
		el := time.Since(start)
		if c.OutageFor > 0 && !outageOn && el >= c.OutageAt {
			outageOn = true
			logf("backend down at %s", el.Round(time.Millisecond))
			if err := be.SetDown(ctx, true); err != nil {
				return rep, err
			}
		}
		if outageOn && !outageOff && el >= c.OutageAt+c.OutageFor {
			outageOff = true
			logf("backend up at %s", el.Round(time.Millisecond))
			if err := be.SetDown(ctx, false); err != nil {
				return rep, err
			}
		}
		// Every third kill lands inside a rotation.
		if k%3 == 1 {
			go rotate(false)
			time.Sleep(time.Duration(rng.Int64N(int64(2 * time.Millisecond))))
			if rotating {
				rep.KillsInRotate++
			}
		}
		if err := a.Kill(); err != nil {
			return rep, err
		}
		rep.Kills++
		journal(fmt.Sprintf("kill %d at seq %d", rep.Kills, seq.Count()))
		// While down: sometimes a rotation (or two), sometimes new files,
		// one of them rotated away at once.
		switch k % 4 {
		case 0:
			if err := rotate(true); err != nil {
				return rep, err
			}
		case 2:
			for range 2 {
				if err := rotate(true); err != nil {
					return rep, err
				}
			}
		case 3:
			extra++
			p := filepath.Join(logs, fmt.Sprintf("new%d.log", extra))
			to := ""
			if extra%2 == 0 {
				to = p + ".1"
			}
			if err := app.NewFile(p, 200, to); err != nil {
				return rep, err
			}
			rep.DownFiles++
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		journal(fmt.Sprintf("restart at seq %d", seq.Count()))
		if err := a.Start(ctx); err != nil {
			return rep, fmt.Errorf("restart %d: %w", k+1, err)
		}
		// A file created and rotated away within a second while it runs.
		if k%5 == 4 {
			extra++
			p := filepath.Join(logs, fmt.Sprintf("new%d.log", extra))
			if err := app.NewFile(p, 300, ""); err != nil {
				return rep, err
			}
			time.Sleep(time.Duration(rng.IntN(900)) * time.Millisecond)
			if err := os.Rename(p, p+".1"); err != nil {
				return rep, err
			}
		}
		select {
		case err := <-werr:
			return rep, err
		default:
		}
	}
	if left := c.Duration - time.Since(start); left > 0 {
		time.Sleep(left)
	}
	if outageOn && !outageOff {
		if err := be.SetDown(ctx, false); err != nil {
			return rep, err
		}
	}
	stopWriters()
	wg.Wait()
	<-rotDone
	select {
	case err := <-werr:
		return rep, err
	default:
	}
	rep.Lines = seq.Count()
	return rep, nil
}

// Wait waits until have() reaches n or the timeout passes.
func Wait(ctx context.Context, timeout time.Duration, n int64, have func() (int64, error)) error {
	deadline := time.Now().Add(timeout)
	var last int64
	for {
		got, err := have()
		if err == nil && got >= n {
			return nil
		}
		if err == nil {
			last = got
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d lines after %s (last error: %v)", last, n, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// keepRotated is how many rotated files the drill's logrotate keeps: enough
// that none is deleted before a restarted agent, lagging on a loaded
// machine, can read it (a rotated file deleted unread is logrotate's loss,
// not the tailer's).
const keepRotated = 100
