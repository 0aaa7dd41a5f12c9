package token

import "testing"

var benchMsgs = [][]byte{
	[]byte("PacketResponder 1 for block blk_38865049064139660 terminating"),
	[]byte("BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864"),
	[]byte("Created MRAppMaster for application appattempt_1445144423722_0020_000001"),
	[]byte("Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2"),
	[]byte(`failed to sync pod web-1: dial tcp 10.0.0.1:443: connect: connection refused err="context deadline exceeded" took=35ms`),
	[]byte("proxy.cse.cuhk.edu.hk:5070 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:01"),
}

// BenchmarkSplit: the lexer on a mix of messages (no allocation).
func BenchmarkSplit(b *testing.B) {
	var toks []Token
	size := 0
	for _, m := range benchMsgs {
		size += len(m)
	}
	b.SetBytes(int64(size / len(benchMsgs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		toks = Split(benchMsgs[i%len(benchMsgs)], toks, 96)
		i++
	}
}
