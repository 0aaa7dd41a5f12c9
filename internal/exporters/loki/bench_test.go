package loki

import (
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"

	"github.com/gopulse/gopulse/event"
)

const benchBatch = 1000

func batchBytes(recs []event.LogRecord) int64 {
	n := 0
	for i := range recs {
		n += len(recs[i].Body)
	}
	return int64(n)
}

// BenchmarkPushEncode/impl=gopulse: the hand-written encoder, 1000 lines per
// request, snappy included. One op = one line.
// BenchmarkPushEncode/impl=official: the same request built with the push types,
// gogo Marshal and snappy.
func BenchmarkPushEncode(b *testing.B) {
	recs := testRecords(benchBatch)
	b.Run("impl=gopulse", func(b *testing.B) {
		enc := NewEncoder("gopulse")
		b.ReportAllocs()
		cpu := startCPU()
		defer cpu.report(b)
		b.SetBytes(batchBytes(recs) / benchBatch)
		for i := 0; b.Loop(); i++ {
			enc.Append(&recs[i%benchBatch])
			if enc.Len() == benchBatch {
				enc.Encode()
				enc.Reset()
			}
		}
	})
	b.Run("impl=official", func(b *testing.B) {
		var snapped []byte
		req := &push.PushRequest{}
		idx := map[string]int{}
		b.ReportAllocs()
		cpu := startCPU()
		defer cpu.report(b)
		b.SetBytes(batchBytes(recs) / benchBatch)
		n := 0
		for i := 0; b.Loop(); i++ {
			r := &recs[i%benchBatch]
			// The stream selector, as any client must build it.
			sel := `{container="` + r.Labels[2].Value + `", format="` + r.Format + `", job="gopulse", namespace="` + r.Labels[0].Value + `", pod="` + r.Labels[1].Value + `"}`
			si, ok := idx[sel]
			if !ok {
				si = len(req.Streams)
				idx[sel] = si
				req.Streams = append(req.Streams, push.Stream{Labels: sel})
			}
			en := push.Entry{Timestamp: time.Unix(0, r.TS), Line: string(r.Body)}
			for _, f := range r.Fields {
				en.StructuredMetadata = append(en.StructuredMetadata, push.LabelAdapter{Name: string(f.Key), Value: string(f.Value)})
			}
			en.StructuredMetadata = append(en.StructuredMetadata, push.LabelAdapter{Name: "level", Value: string(r.Level)})
			req.Streams[si].Entries = append(req.Streams[si].Entries, en)
			n++
			if n == benchBatch {
				raw, err := req.Marshal()
				if err != nil {
					b.Fatal(err)
				}
				snapped = snappy.Encode(snapped[:cap(snapped)], raw)
				req = &push.PushRequest{}
				clear(idx)
				n = 0
			}
		}
	})
}
