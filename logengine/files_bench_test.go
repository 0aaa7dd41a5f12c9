package logengine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkFiles: the whole path per line on real log files, one
// sub-benchmark per file and mode: mine (`logs parse`'s learning pass:
// parse, header model, template mining) and online (the agent's path:
// the same + schema inference). GOPULSE_BENCH_LOGS lists the files
// (blank-separated paths or globs, e.g. LogHub-2k sets or logcorpus
// datasets); without it the benchmark is skipped. The stream first reads
// the file once (format detection, header model, templates settled);
// each op is then one line, the file's lines in turn, as a stream of the
// file repeated (what scripts/bench-drain.sh measures beside Drain).
func BenchmarkFiles(b *testing.B) {
	spec := os.Getenv("GOPULSE_BENCH_LOGS")
	if spec == "" {
		b.Skip("GOPULSE_BENCH_LOGS names no log files")
	}
	var files []string
	for _, g := range strings.Fields(spec) {
		m, err := filepath.Glob(g)
		if err != nil {
			b.Fatalf("GOPULSE_BENCH_LOGS: %v", err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		b.Fatalf("GOPULSE_BENCH_LOGS=%q: no files", spec)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var lines [][]byte
		var total int
		for l := range bytes.Lines(data) {
			l = bytes.TrimRight(l, "\r\n")
			lines = append(lines, l)
			total += len(l) + 1
		}
		name := strings.TrimSuffix(filepath.Base(path), ".log")
		for _, mode := range []string{"mine", "online"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				e := mustNew(b, Config{Schema: mode == "online", MaxTemplates: 1024})
				st := e.NewStream()
				step := st.Learn
				if mode == "online" {
					step = st.Online
				}
				for _, l := range lines {
					step(l)
				}
				b.ReportAllocs()
				b.SetBytes(int64(total / len(lines)))
				cpu0 := processCPU()
				i := 0
				for b.Loop() {
					step(lines[i])
					if i++; i == len(lines) {
						i = 0
					}
				}
				if cpu := processCPU() - cpu0; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
