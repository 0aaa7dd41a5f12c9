package probes

import "testing"

func TestHistQuantile(t *testing.T) {
	counts := []uint64{0, 10, 80, 9, 1}
	for _, c := range []struct {
		q    float64
		want int
	}{{0, 1}, {0.05, 1}, {0.1, 2}, {0.5, 2}, {0.9, 3}, {0.99, 4}, {1, 4}} {
		if got := HistQuantile(counts, c.q); got != c.want {
			t.Errorf("q=%v: bucket %d, want %d", c.q, got, c.want)
		}
	}
	if got := HistQuantile([]uint64{0, 0}, 0.5); got != -1 {
		t.Errorf("empty: %d, want -1", got)
	}
}

func TestHistDelta(t *testing.T) {
	got := HistDelta(nil, []uint64{5, 7, 9}, []uint64{1, 7})
	want := []uint64{4, 0, 9}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delta = %v, want %v", got, want)
		}
	}
}
