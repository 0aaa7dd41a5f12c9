package schema

// The benchmarks here use only what every version of the package has
// (New, Observe and the rec helper of schema_test.go), so that this file
// and cputime_*_test.go can be dropped into an older tree for a
// before/after comparison (see BENCHMARKS.md). Besides wall time they
// report the process CPU time per record (cpu-ns/op), which the other jobs
// of a loaded machine disturb far less.

import (
	"fmt"
	"testing"
	"time"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// accessLog returns n access-log records shaped like the nginx JSON lines
// of scripts/bench-logs.sh: IPv4 and IPv6 clients, a CLF timestamp that
// ticks every 40 records, enums, ids in paths, ints and user agents.
func accessLog(n int) []*logparse.Record {
	methods := []string{"GET", "GET", "POST", "PUT", "DELETE", "HEAD"}
	paths := []string{"/", "/api/v1/users/", "/static/js/app.", "/search?q=", "/health"}
	agents := []string{"-", "curl/8.5.0", "kube-probe/1.29",
		"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15"}
	refs := []string{"-", "https://www.example.com/search?q=shoes", "https://t.co/x"}
	x := uint64(7)
	next := func(m int) int {
		x = x*6364136223846793005 + 1442695040888963407
		return int(x>>33) % m
	}
	out := make([]*logparse.Record, n)
	for i := range out {
		// keys and values live in one buffer per record, as they do in
		// the line that a parser slices
		var line []byte
		var spans [][2]int
		add := func(k, v string) {
			spans = append(spans, [2]int{len(line), len(k)})
			line = append(line, k...)
			spans = append(spans, [2]int{len(line), len(v)})
			line = append(line, v...)
		}
		addr := fmt.Sprintf("%d.%d.%d.%d", next(223)+1, next(256), next(256), next(256))
		if next(5) == 0 {
			addr = fmt.Sprintf("2001:db8:%x::%x", next(65536), next(65536))
		}
		user := "-"
		if next(10) == 0 {
			user = fmt.Sprintf("user%d", next(50))
		}
		sec := i / 40
		add("remote_addr", addr)
		add("remote_user", user)
		add("time_local", fmt.Sprintf("05/Mar/2024:%02d:%02d:%02d +0000", sec/3600%24, sec/60%60, sec%60))
		add("method", methods[next(len(methods))])
		add("path", paths[next(len(paths))]+fmt.Sprint(next(100000)))
		add("protocol", "HTTP/1.1")
		add("status", fmt.Sprint([]int{200, 200, 200, 301, 404, 503}[next(6)]))
		add("body_bytes_sent", fmt.Sprint(next(65536)))
		add("http_referer", refs[next(len(refs))])
		add("http_user_agent", agents[next(len(agents))])
		r := &logparse.Record{Format: "json"}
		types := []event.FieldType{event.TypeUnknown, event.TypeUnknown, event.TypeTimestamp, event.TypeUnknown, event.TypeUnknown, event.TypeUnknown, event.TypeInt, event.TypeInt, event.TypeUnknown, event.TypeUnknown}
		for j, t := range types {
			k, v := spans[2*j], spans[2*j+1]
			r.Add(line[k[0]:k[0]+k[1]], line[v[0]:v[0]+v[1]], t)
		}
		out[i] = r
	}
	return out
}

// BenchmarkObserveAccessLog observes varied access-log records (the shape
// of the logs benchmark), one record per op.
func BenchmarkObserveAccessLog(b *testing.B) {
	recs := accessLog(1024)
	size := 0
	for _, r := range recs {
		for _, f := range r.Fields {
			size += len(f.Key) + len(f.Value) + 6
		}
	}
	s := New(Config{})
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	i := 0
	cpu0 := processCPU()
	for b.Loop() {
		s.Observe(recs[i&(len(recs)-1)])
		i++
	}
	reportCPU(b, cpu0)
}

// BenchmarkObserveSame observes one record again and again, as
// BenchmarkObserve does, and reports CPU time too.
func BenchmarkObserveSame(b *testing.B) {
	s := New(Config{})
	r := rec("ts", "2024-01-05T10:15:00Z", "level", "info", "status", "200", "client", "10.0.0.1",
		"latency", "0.25", "path", "/api/v1/items", "trace", "5f2b9c0d1e7a")
	size := 0
	for _, f := range r.Fields {
		size += len(f.Key) + len(f.Value) + 2
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		s.Observe(r)
	}
	reportCPU(b, cpu0)
}

func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu := processCPU() - cpu0; cpu > 0 && b.N > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
