package probes

import (
	"slices"
	"testing"
)

func TestLeakDetectorFlagsGrowingSite(t *testing.T) {
	l := NewLeakDetector(LeakConfig{Windows: 4, MinGrowth: 20})
	for tick := 0; tick < 10; tick++ {
		// main.leak: 10 created per window, none exit.
		for i := 0; i < 10; i++ {
			l.Created("main.leak")
		}
		// main.worker: 50 created and 50 exited per window: steady.
		for i := 0; i < 50; i++ {
			l.Created("main.worker")
		}
		for i := 0; i < 50; i++ {
			l.Exited("main.worker")
		}
		// main.pool: grows then shrinks once per 3 windows.
		if tick%3 == 2 {
			for i := 0; i < 25; i++ {
				l.Exited("main.pool")
			}
		} else {
			for i := 0; i < 15; i++ {
				l.Created("main.pool")
			}
		}
		l.Tick()
		got := l.Suspects(nil)
		want := []string(nil)
		if tick >= 4 {
			want = []string{"main.leak"}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("tick %d: suspects = %q, want %q", tick, got, want)
		}
	}
	if got := l.Live("main.leak"); got != 100 {
		t.Errorf("live main.leak = %d, want 100", got)
	}
}

func TestLeakDetectorSlowGrowthBelowThreshold(t *testing.T) {
	l := NewLeakDetector(LeakConfig{Windows: 3, MinGrowth: 10})
	for tick := 0; tick < 8; tick++ {
		l.Created("main.slow") // +1 per window: grows, but by < 10 over 3 windows
		l.Tick()
	}
	if got := l.Suspects(nil); len(got) != 0 {
		t.Fatalf("suspects = %q, want none", got)
	}
}

func TestLeakDetectorRecovers(t *testing.T) {
	l := NewLeakDetector(LeakConfig{Windows: 2, MinGrowth: 2})
	for tick := 0; tick < 4; tick++ {
		l.Created("main.x")
		l.Created("main.x")
		l.Tick()
	}
	if got := l.Suspects(nil); !slices.Equal(got, []string{"main.x"}) {
		t.Fatalf("suspects = %q", got)
	}
	for i := 0; i < 8; i++ {
		l.Exited("main.x")
	}
	l.Tick()
	if got := l.Suspects(nil); len(got) != 0 {
		t.Fatalf("after all exited: suspects = %q, want none", got)
	}
}
