package probes

import "testing"

func TestHistDelta(t *testing.T) {
	got := HistDelta(nil, []uint64{5, 7, 9}, []uint64{1, 7})
	want := []uint64{4, 0, 9}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delta = %v, want %v", got, want)
		}
	}
}
