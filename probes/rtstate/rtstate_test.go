package rtstate

import (
	"math"
	"runtime/metrics"
	"testing"

	"github.com/gopulse/gopulse/event"
)

// The bucket boundaries must be exactly the ones runtime/metrics reports
// for /sched/latencies:seconds.
func TestTimeHistogramBuckets(t *testing.T) {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	want := s[0].Value.Float64Histogram().Buckets
	got := TimeHistogramBuckets()
	if len(got) != len(want) {
		t.Fatalf("%d buckets, runtime/metrics has %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] && !(math.IsInf(got[i], 0) && got[i] == want[i]) {
			t.Errorf("bucket %d = %v, want %v", i, got[i], want[i])
		}
	}
	if len(s[0].Value.Float64Histogram().Counts) != timeHistCounts+2 {
		t.Errorf("counts len %d, want %d", len(s[0].Value.Float64Histogram().Counts), timeHistCounts+2)
	}
}

func TestGoroutines(t *testing.T) {
	for _, tc := range []struct {
		allglen, schedFree, ngsys, pFree int64
		sys                              bool
		want                             int64
	}{
		{100, 10, 5, 3, false, 82},
		{100, 10, 5, 3, true, 87},
		{10, 10, 5, 3, false, 1}, // inconsistent read: clamp like the runtime
		{1, 0, 0, 0, true, 1},
	} {
		if got := goroutines(tc.allglen, tc.schedFree, tc.ngsys, tc.pFree, tc.sys); got != tc.want {
			t.Errorf("goroutines(%+v) = %d, want %d", tc, got, tc.want)
		}
	}
}

func TestQuantile(t *testing.T) {
	h := event.SchedHistogram{Counts: []uint64{0, 5, 0, 90, 4, 1}}
	for _, tc := range []struct {
		q    float64
		want int
	}{{0.01, 1}, {0.05, 1}, {0.06, 3}, {0.5, 3}, {0.95, 3}, {0.96, 4}, {0.99, 4}, {1, 5}} {
		if got := Quantile(h, tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %d, want %d", tc.q, got, tc.want)
		}
	}
	if got := Quantile(event.SchedHistogram{Counts: make([]uint64, 4)}, 0.5); got != -1 {
		t.Errorf("empty: %d", got)
	}
}

func TestParseMapsLine(t *testing.T) {
	m, ok := parseMapsLine("55d0c4a00000-55d0c4a7b000 r-xp 00000000 fd:01 1234567    /usr/local/bin/my app")
	if !ok || m.start != 0x55d0c4a00000 || m.offset != 0 || m.inode != 1234567 || m.path != "/usr/local/bin/my app" {
		t.Errorf("got %+v, %v", m, ok)
	}
	m, ok = parseMapsLine("7ffd1c1f0000-7ffd1c211000 rw-p 00000000 00:00 0                          [stack]")
	if !ok || m.inode != 0 || m.path != "[stack]" {
		t.Errorf("got %+v, %v", m, ok)
	}
	m, ok = parseMapsLine("7f0000000000-7f0000001000 rw-p 0001a000 00:00 0")
	if !ok || m.offset != 0x1a000 || m.path != "" {
		t.Errorf("got %+v, %v", m, ok)
	}
	for _, bad := range []string{"", "garbage", "x-y r-xp 0 0:0 0", "1000-2000 r-xp zz 00:00 0"} {
		if _, ok := parseMapsLine(bad); ok {
			t.Errorf("parseMapsLine(%q) ok", bad)
		}
	}
}
