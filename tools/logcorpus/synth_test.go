package main

import (
	"strings"
	"testing"
	"time"
)

// TestSynthSeeds pins the synthetic layouts' seed ranges: the development
// range is iterated on, the held-out range only reported. Changing either
// (or the composition of a layout from its seed) invalidates every figure
// measured before.
func TestSynthSeeds(t *testing.T) {
	if synthDevSeed != 1 || synthHeldSeed != 100001 || synthSeeds != 200 {
		t.Fatalf("seed ranges moved: dev %d, held %d, %d each", synthDevSeed, synthHeldSeed, synthSeeds)
	}
	if synthDevSeed+synthSeeds > synthHeldSeed {
		t.Fatal("development and held-out seeds overlap")
	}
	// a layout is a function of its seed alone
	ev := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123456789, time.UTC), Level: "warn", Class: "io.example.pkg.Store",
		PID: 4242, TID: 7, Host: "web-7", Thread: "worker-2", App: "demo"}
	want := map[uint64]string{}
	for _, seed := range []uint64{synthDevSeed, synthDevSeed + 17, synthHeldSeed, synthHeldSeed + 99} {
		want[seed] = newLayout(seed).header(&ev)
	}
	for seed, h := range want {
		if got := newLayout(seed).header(&ev); got != h {
			t.Errorf("seed %d: header %q, then %q", seed, h, got)
		}
	}
	if want[synthDevSeed] == want[synthHeldSeed] {
		t.Errorf("dev and held seeds compose the same layout %q", want[synthDevSeed])
	}
}

// TestSynthLayouts checks the generator's ground truth: every layout
// holds at least one field, its header precedes the message, and every
// timestamp spelling reads back as the time it renders.
func TestSynthLayouts(t *testing.T) {
	ev := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123456789, time.UTC), Level: "error", Class: "io.example.pkg.Store",
		PID: 4242, TID: 7, Host: "web-7", Thread: "pool-2-thread-1", App: "demo", Msg: "failed to open  file", KVs: [][2]string{{"path", "/tmp/x y"}}}
	if m := synthMessage(&ev); m != `failed to open file path="/tmp/x y"` {
		t.Fatalf("message %q", m)
	}
	kinds := map[string]int{}
	for seed := uint64(synthDevSeed); seed < synthDevSeed+synthSeeds; seed++ {
		l := newLayout(seed)
		if len(l.fields) == 0 {
			t.Fatalf("seed %d: no fields", seed)
		}
		for i, f := range l.fields {
			kinds[f.kind]++
			if i < len(l.fields)-1 && (f.wrap == ":" || f.prim == "level-colon") {
				t.Errorf("seed %d: a colon inside the header (%s)", seed, f.prim)
			}
		}
		line := l.header(&ev) + l.end + synthMessage(&ev)
		if !strings.HasSuffix(line, " "+synthMessage(&ev)) {
			t.Errorf("seed %d: %q does not end with the message", seed, line)
		}
	}
	for _, k := range []string{"ts", "level", "pid", "pid-tid", "thread", "logger-dotted", "logger-abbrev", "host", "component"} {
		if kinds[k] < 10 {
			t.Errorf("primitive %s in %d development layouts only", k, kinds[k])
		}
	}
	for _, s := range tsSpells {
		txt := s.render(ev.T)
		want := ev.T.Truncate(s.prec)
		var got time.Time
		var err error
		switch {
		case s.epoch == 1:
			got = time.Unix(1710078907, 0)
			if txt != "1710078907" {
				t.Errorf("%s: %q", s.name, txt)
			}
		case s.epoch == 2:
			got = time.UnixMilli(1710078907123)
			if txt != "1710078907123" {
				t.Errorf("%s: %q", s.name, txt)
			}
		case s.epoch == 3:
			got = time.UnixMilli(1710078907123)
			if txt != "1710078907.123" {
				t.Errorf("%s: %q", s.name, txt)
			}
		default:
			got, err = time.Parse(s.layout, txt)
		}
		if err != nil {
			t.Errorf("%s: %q: %v", s.name, txt, err)
			continue
		}
		if s.full && !got.Equal(want) {
			t.Errorf("%s: %q reads %v, want %v", s.name, txt, got, want)
		}
		if s.clock && got.Format("15:04:05.000") != want.Format("15:04:05.000") {
			t.Errorf("%s: %q reads %v", s.name, txt, got)
		}
	}
}
