package delivery

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkEnqueue measures the producer side: copying a payload into the
// in-memory batch and writing full batches to the log (no sender running,
// a large cap so nothing is dropped).
func BenchmarkEnqueue(b *testing.B) {
	for _, size := range []int{256, 16 << 10} {
		b.Run("bytes="+itoa(size), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Name, cfg.Dir = "bench", b.TempDir()
			cfg.Endpoints = []Endpoint{{URL: "http://127.0.0.1:9"}}
			cfg.MaxQueueBytes = 1 << 30
			cfg.SegmentBytes = 64 << 20
			cfg.Fsync = FsyncNever
			q, err := New(cfg, Deps{Registerer: prometheus.NewRegistry()})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			payload := make([]byte, size)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := q.Enqueue(ctx, payload, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(n int) string {
	if n >= 1<<10 {
		return itoa(n>>10) + "k"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
