package logengine

import (
	"bytes"
	"os"
	"testing"
)

func BenchmarkLocalOnlineFile(b *testing.B) {
	raw, err := os.ReadFile("/tmp/lm/bench/loghub50.log")
	if err != nil {
		b.Skip()
	}
	lines := bytes.Split(raw, []byte("\n"))
	lines = lines[:200000]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		eng, _ := New(Config{Schema: os.Getenv("NOSCHEMA") == "", MaxTemplates: 1024})
		st := eng.NewStream()
		for _, l := range lines {
			st.Online(l)
		}
	}
}
