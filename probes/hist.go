package probes

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
