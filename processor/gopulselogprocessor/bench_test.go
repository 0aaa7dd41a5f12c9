package gopulselogprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/gopulse/gopulse/processor/gopulselogprocessor/internal/metadata"
)

// BenchmarkConsumeLogs: batches of 1024 records as the filelog receiver
// sends them, through the processor into a nop consumer; bytes are the
// records' bodies. Copying each batch for the processor is not measured.
func BenchmarkConsumeLogs(b *testing.B) {
	for _, format := range []string{"json", "freetext"} {
		b.Run(format, func(b *testing.B) {
			var ls []string
			n := 0
			for i := 0; i < 1024; i++ {
				var l string
				if format == "json" {
					l = fmt.Sprintf(`{"time":"2026-11-22T01:02:%02d.%03dZ","level":"info","msg":"order %d shipped","status":%d,"latency_ms":%d.5,"user":"u%d"}`, i%60, i%1000, i, 200+i%3, i%300, i%50)
				} else {
					l = fmt.Sprintf(`2026-11-22 01:02:%02d,%03d INFO [worker-%d] store.Compactor: compaction of segment seg_%d finished in %d ms`, i%60, i%1000, i%4, i, i%97)
				}
				ls = append(ls, l)
				n += len(l)
			}
			batch := lines("/var/log/app.log", ls...)
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				// A batch of its own each time, as from the receiver: the
				// processor moves the records out of it.
				b.StopTimer()
				in := plog.NewLogs()
				batch.CopyTo(in)
				b.StartTimer()
				cpu0 := processCPU()
				if err := p.ConsumeLogs(ctx, in); err != nil {
					b.Fatal(err)
				}
				cpu += processCPU() - cpu0
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*1024), "cpu-ns/record")
			b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
		})
	}
}
