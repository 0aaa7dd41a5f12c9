package probes

// HistQuantile returns the index of the bucket that holds quantile q (0..1)
// of counts, or -1 when counts is empty. counts[i] covers
// [buckets[i], buckets[i+1]), as in runtime/metrics.Float64Histogram.
func HistQuantile(counts []uint64, q float64) int {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return -1
	}
	rank := uint64(q * float64(total))
	if rank >= total {
		rank = total - 1
	}
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen > rank {
			return i
		}
	}
	return len(counts) - 1
}

// HistDelta stores cur-prev into dst (resized to len(cur)) and returns it.
// A shorter or missing prev counts as zeros.
func HistDelta(dst, cur, prev []uint64) []uint64 {
	dst = append(dst[:0], cur...)
	for i := range dst {
		if i < len(prev) && prev[i] <= dst[i] {
			dst[i] -= prev[i]
		}
	}
	return dst
}
