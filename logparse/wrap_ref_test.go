package logparse

import (
	"bytes"
	"testing"
)

// splitCRIRef is splitCRI as it was before it looked for the stream name
// first: it parsed the time of every line that opens with a digit.
func splitCRIRef(line []byte) (body []byte, ts int64, stream []byte, partial bool, ok bool) {
	t, n, ok := ParseRFC3339(line)
	if !ok || n >= len(line) || line[n] != ' ' {
		return nil, 0, nil, false, false
	}
	i := n + 1
	switch {
	case hasLit(line, i, "stdout "), hasLit(line, i, "stderr "):
		stream = line[i : i+6 : i+6]
		i += 7
	default:
		return nil, 0, nil, false, false
	}
	if i >= len(line) || (line[i] != 'F' && line[i] != 'P') {
		return nil, 0, nil, false, false
	}
	partial = line[i] == 'P'
	i++
	for i < len(line) && line[i] != ' ' {
		if line[i] != ':' && !isAlnum(line[i]) {
			return nil, 0, nil, false, false
		}
		i++
	}
	if i < len(line) {
		i++
	}
	return line[i:], t, stream, partial, true
}

func sameCRI(t *testing.T, line []byte) {
	t.Helper()
	b, ts, st, p, ok := splitCRI(line)
	rb, rts, rst, rp, rok := splitCRIRef(line)
	if ok != rok || ts != rts || p != rp || !bytes.Equal(b, rb) || !bytes.Equal(st, rst) {
		t.Fatalf("splitCRI(%q) = %q %d %q %v %v, reference %q %d %q %v %v", line, b, ts, st, p, ok, rb, rts, rst, rp, rok)
	}
}

var criLines = []string{
	"2024-01-02T15:04:05.123456789Z stdout F hello world",
	"2024-01-02T15:04:05Z stderr P part",
	"2024-01-02T15:04:05+07:00 stdout F:x msg",
	"2024-01-02 15:04:05,123 stdout F msg",
	"2024-01-02T15:04:05.1-0700 stdout F",
	"2024-01-02T15:04:05.123Z stdout X msg",
	"2024-01-02T15:04:05.123Z stdou F msg",
	"2024-01-02T15:04:05.123Z  stdout F msg",
	"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop: stdout F",
	"2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification",
	"2024-13-02T15:04:05Z stdout F bad month",
	"2024-01-02T15:04:05 stdout F",
	"2024-01-02T15:04:05Zstdout F x",
	"2024-01-02T15:04:05.Z stdout F x",
	"2024-01-02T15:04:05+2 stdout F x",
	"081109 203615 148 INFO dfs.DataNode$PacketResponder: stdout F",
	"2024-01-02T15:04:05.123456789012+07:00 stdout F a fraction past the first 32 bytes",
	"2024-12-14 19:07:19.9313|WARN|Io.Github.Libnetwork.Agent|Failed stdout F",
	"2024-01-02T15:04:05.1234567890123 stdout F",
}

// TestSplitCRIAsReference: looking for the stream name before parsing the
// time accepts and returns what parsing it first did.
func TestSplitCRIAsReference(t *testing.T) {
	for _, l := range criLines {
		for i := 0; i <= len(l); i++ {
			sameCRI(t, []byte(l[:i]))
		}
	}
}

func FuzzSplitCRIAsReference(f *testing.F) {
	for _, l := range criLines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) { sameCRI(t, []byte(s)) })
}
