package logparse

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestYearMemo: the memo moves every time into the reference's year as
// withYearOf does: times of one day in a row, other days, February 29th,
// the turn of a year, times before 1970, references moving across years.
func TestYearMemo(t *testing.T) {
	at := func(y int, mo time.Month, d, h, mi, s, ns int) int64 {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC).UnixNano()
	}
	refs := []int64{at(2024, 3, 10, 12, 0, 0, 0), at(2023, 1, 1, 0, 0, 0, 0), at(2022, 12, 31, 23, 59, 59, 999999999),
		at(2025, 1, 1, 0, 30, 0, 0), at(2024, 2, 29, 1, 0, 0, 0), at(1969, 6, 1, 0, 0, 0, 0)}
	tss := []int64{at(2000, 2, 29, 10, 0, 0, 5), at(1971, 12, 31, 23, 59, 59, 0), at(2026, 1, 1, 0, 0, 0, 0), at(1970, 1, 1, 0, 0, 0, 0) - 1,
		at(1969, 12, 31, 0, 0, 0, 1), at(2024, 2, 29, 23, 0, 0, 0), at(2023, 12, 31, 12, 0, 0, 0), at(2024, 1, 1, 23, 59, 0, 0)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		base := tss[rng.IntN(len(tss))]
		tss = append(tss, base+rng.Int64N(int64(72*time.Hour))-int64(36*time.Hour))
		refs = append(refs, refs[rng.IntN(len(refs))]+rng.Int64N(int64(400*24*time.Hour))-int64(200*24*time.Hour))
	}
	var m yearMemo
	for i, ts := range tss {
		for _, ref := range []int64{refs[i%len(refs)], refs[(i*7+3)%len(refs)], refs[i%len(refs)]} {
			if got, want := m.withYearOf(ts, ref), withYearOf(ts, ref); got != want {
				t.Fatalf("ts %v ref %v: memo %v, withYearOf %v", time.Unix(0, ts).UTC(), time.Unix(0, ref).UTC(), time.Unix(0, got).UTC(), time.Unix(0, want).UTC())
			}
		}
	}
}
