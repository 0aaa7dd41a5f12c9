package token

import (
	"fmt"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		in   string
		want Class
	}{
		{"42", Int},
		{"-7", Int},
		{"0.25", Float},
		{"1e9", Float},
		{"12345678901234567890123", ID}, // too long for an integer
		{"true", Bool},
		{"FALSE", Bool},
		{"10.0.0.1", IP},
		{"/10.0.0.1:8080", IP},
		{"fe80::1", IP},
		{"[::1]:80", IP},
		{"10.0.0.1:8080", IP},
		{"999.1.1.1", ID}, // not an address: the schema agrees (TestSharedLexer)
		{"0x1f", Hex},
		{"deadbeef01", Hex},
		{"123e4567-e89b-12d3-a456-426614174000", UUID},
		{"10ms", Duration},
		{"3m20s", Duration},
		{"5min", Duration},
		{"-1.5s", Duration},
		{"16KB", Size},
		{"12:30:01", Time},
		{"12:30:01,123", Time},
		{"2024-01-02", Time},
		{"2024-01-02T10:00:00Z", Time},
		{"/var/log/app.log", Path},
		{"/var/log/syslog", Path},
		{"./run", Path},
		{`C:\Windows\Servicing\x.dll`, Path},
		{"hdfs://nn/a/b", URL},
		{"https://example.com/api/v1/orders?page=2&sort=asc", URL},
		{"blk_-1234", ID},
		{"attempt_1_0002_m_3", ID},
		{"rack12", ID},
		{"v1.2.3", ID},
		{"ssh2", Word},
		{"SOCKS5", Word},
		{"Slf4jLogger", Word},
		{"IPv4_Addr", Word},
		{"web7", Word},
		{"db-2", Word},
		{"HTTP/1.1", Word},
		{"HTTP/3", Word},
		{"hello", Word},
		{"read/write", Word},
		{"", Word},
	}
	for _, c := range cases {
		if got := Classify([]byte(c.in)); got != c.want {
			t.Errorf("Classify(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// render shows a split: constant words as they are, values as <class:core>.
func render(msg string) string {
	var out []string
	for _, t := range Split([]byte(msg), nil, 0) {
		if t.S == t.E {
			continue
		}
		if t.Class == Word {
			out = append(out, msg[t.S:t.E])
			continue
		}
		out = append(out, msg[t.S:t.Key]+"{"+msg[t.Key:t.CS]+"<"+t.Class.String()+":"+msg[t.CS:t.CE]+">"+msg[t.CE:t.E]+"}")
	}
	return strings.Join(out, " ")
}

func TestSplit(t *testing.T) {
	cases := map[string]string{
		"Connection from 10.1.2.3 port 5022 closed":    "Connection from {<ip:10.1.2.3>} port {<int:5022>} closed",
		"Got block [173.34.1.86] with id=abc":          "Got block {[<ip:173.34.1.86>]} with id={<string:abc>}",
		"stored (estimated size 16.0 KB, free 2.0 GB)": "stored (estimated size {<size:16.0 KB>,} free {<size:2.0 GB>)}",
		"lifetime <1 sec":                              "lifetime {<duration:<1 sec>}",
		"expires Nov 9 at noon":                        "expires {<time:Nov 9>} at noon",
		"session uid=0 ruser= rhost=10.0.0.9":          "session uid={<int:0>} ruser= rhost={<ip:10.0.0.9>}",
		`failed err="connection refused" n=2`:          `failed err={"<quoted:connection refused>"} n={<int:2>}`,
		`open "config.yaml" failed`:                    `open {"<quoted:config.yaml>"} failed`,
		`unknown 'x y' option`:                         `unknown {'<quoted:x y>'} option`,
		"GET /api/v1/orders?page=2&sort=asc ok":        "GET {<path:/api/v1/orders?page=2&sort=asc>} ok",
		"see https://x.io/a?b=c&d=e for more":          "see {<url:https://x.io/a?b=c&d=e>} for more",
		"cache|hitRatio=0.93":                          "cache|hitRatio={<float:0.93>}",
		"onExtend:1514038530000 done":                  "onExtend:{<int:1514038530000>} done",
		"pool: conn[8] dropped":                        "pool: conn[{<int:8>]} dropped",
		`Response {"id": 5, "error": "EOF"}`:           `Response {"id": {<int:5>,} "error": {"<quoted:EOF>"}}`,
		`bad label "web-2": x`:                         `bad label {"<quoted:web-2>":} x`,
		"unimplemented: SetDeadline(250ms)":            "unimplemented: SetDeadline({<duration:250ms>)}",
		"bad methodConfig[3]: x":                       "bad methodConfig[{<int:3>]:} x",
		"got [42] and (7)":                             "got {[<int:42>]} and {(<int:7>)}",
		"mode(fast) set":                               "mode(fast) set",
		"listening on host:80":                         "listening on {<id:host:80>}",
		"flag enabled=true and false":                  "flag enabled={<bool:true>} and {<bool:false>}",
		"isn't quoted 'x":                              "isn't quoted 'x",
		// a quoted value holding quotes of its own: escaped, bare, or
		// after an escaped backslash, and a single-quoted error holding a
		// single-quoted word; unbalanced inner quotes keep the strict close
		`failed err="Get \"http://h/x\": EOF" n=2`:   `failed err={"<quoted:Get \"http://h/x\": EOF>"} n={<int:2>}`,
		`failed err="Get "http://h/x": EOF" n=2`:     `failed err={"<quoted:Get "http://h/x": EOF>"} n={<int:2>}`,
		`failed err="Get \\"http://h/x\\": EOF" n=2`: `failed err={"<quoted:Get \\"http://h/x\\": EOF>"} n={<int:2>}`,
		`got 'bad char 'y' in input' here`:           `got {'<quoted:bad char 'y' in input>'} here`,
		`got 'can't read' here`:                      `got {'<quoted:can't read>'} here`,
		`got 'a 'b here' x' y`:                       `got {'<quoted:a 'b here' x>'} y`,
		`got 'a 'b here' x`:                          `got {'<quoted:a 'b here>'} x`,
		`msg="a "b" c" d`:                            `msg={"<string:a>} {"<quoted:b>"} c" d`, // a message key's text: strict
		`got "a "b here" x`:                          `got "a {"<quoted:b here>"} x`,
		`could not start {"error":"no leader"} []`:   `could not start {"error":{"<quoted:no leader>"}} []`,
		`x {"n":3,"error":"EOF"} y`:                  `x {"n":{<int:3>,"error":"EOF"}} y`,
		`x {"error":""} y`:                           `x {"error":""} y`,
		// a value glued to its name by ':' (Go's %+v, "tag:blue"); not a
		// label's ':' closing the token, more ':', a URL or a drive letter
		"trimming tag:blue dst:/srv/t/a.json": "trimming tag:{<string:blue>} dst:{<path:/srv/t/a.json>}",
		"trimming tag:green-2 src:a/b.json":   "trimming tag:{<string:green-2>} src:{<string:a/b.json>}",
		"probe {Host:shelf-a Port:8080} ok":   "probe {Host:{<string:shelf-a>} {<id:Port:8080>}} ok",
		"probe &{Name:web Zone:east}":         "probe &{Name:{<string:web>} Zone:{<string:east>}}",
		"(state:ready), user:alice.":          "(state:{<string:ready>),} user:{<string:alice>.}",
		"raft:node: ERROR:root:hello a::b":    "raft:node: ERROR:root:hello a::b",
		"not available:invalid argument":      "not available:invalid argument",
		"at C:x and s:x and std::vector":      "at C:x and s:x and std::vector",
		"see git://x/y or tag:":               "see {<url:git://x/y>} or tag:",
	}
	for in, want := range cases {
		if got := render(in); got != want {
			t.Errorf("Split(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestSplitMax(t *testing.T) {
	toks := Split([]byte("a b c d e f"), nil, 3)
	if len(toks) != 3 || toks[2].S != 4 || toks[2].E != 11 {
		t.Fatalf("%+v", toks)
	}
}

func TestSplitNoAllocs(t *testing.T) {
	msg := []byte(`user=alice from 10.0.0.1:22 took 12ms err="connection refused" at /var/log/x.log`)
	toks := Split(msg, nil, 0)
	if a := testing.AllocsPerRun(100, func() { toks = Split(msg, toks, 96) }); a != 0 {
		t.Fatalf("Split allocates %v", a)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"a b 1", "uid=0 x", "Nov 9 x", "1 KB", "<1 sec", "[1.2.3.4]:5", "", "= = =",
		`k="a b`, `"x" "y z"`, "'a' 'b c'", "\"\\\"\" x", "http://a?b=c", "10.0.0.1:", ":::", "0x", "-", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		toks := Split(b, nil, 16)
		if len(toks) > 16 {
			t.Fatalf("%d tokens, max 16", len(toks))
		}
		prev := int32(0)
		for _, tk := range toks {
			if tk.S == tk.E {
				continue // folded into a neighbour
			}
			if tk.S < prev || tk.S > tk.E || int(tk.E) > len(b) {
				t.Fatalf("bad bounds %+v in %q", tk, s)
			}
			if tk.Class != Word && !(tk.S <= tk.Key && tk.Key <= tk.CS && tk.CS <= tk.CE && tk.CE <= tk.E) {
				t.Fatalf("bad value bounds %+v in %q", tk, s)
			}
			prev = tk.E
		}
		// classification is a function of the bytes
		for _, tk := range toks {
			core := b[tk.CS:tk.CE]
			if tk.Class != Word && tk.Class != String && tk.Class != Quoted && tk.Class != Size && tk.Class != Time && tk.Class != Duration &&
				!(len(core) > 0 && (core[0] == '<' || core[0] == '>')) { // "<1": the sign is kept with the number
				if c := Classify(core); c != tk.Class {
					t.Fatalf("token %q classified %v, Classify says %v", b[tk.CS:tk.CE], tk.Class, c)
				}
			}
		}
		_ = fmt.Sprint(toks)
	})
}

// TestSplitDigits: a token of digits only gets from Split's shortcut what
// classify gives it, at every length around the 19-digit integer limit.
func TestSplitDigits(t *testing.T) {
	for n := 1; n <= 24; n++ {
		num := []byte("1234567890123456789012345"[:n])
		for _, msg := range [][]byte{num, append(append([]byte("took "), num...), " steps"...), append([]byte("#"), num...), append(num, '%')} {
			got := Split(msg, nil, 0)
			var tok Token
			for _, g := range got {
				if g.S < g.E && (msg[g.S] == '1' || msg[g.S] == '#') {
					tok = g
				}
			}
			want := Token{S: tok.S, E: tok.E, CS: tok.S, CE: tok.S, Key: tok.S, Digit: true}
			classify(msg, &want, -1, -1, false)
			if tok != want {
				t.Errorf("%q: Split gives %+v, classify %+v", msg, tok, want)
			}
		}
	}
}

// scalarClass: the classes Spaced rules out.
func scalarClass(c Class) bool {
	switch c {
	case Int, Float, Bool, IP, UUID, Hex, Duration:
		return true
	}
	return false
}

// TestSpaced: a value Spaced accepts is never Classified as a scalar.
func TestSpaced(t *testing.T) {
	spaced := []string{"2015-10-18 18:01:47,978", "Dec 10 06:55:46", "081109 203615", "17/06/09 20:10:40", "10.30 16:49:06",
		"16.0 KB", "12 ms", "a b", "1 2", "true x", "0x1f 2", "06:55:46,123 UTC", "Mon Jun 8 12:08:44 2020"}
	for _, v := range spaced {
		if !Spaced([]byte(v)) {
			t.Errorf("Spaced(%q) = false", v)
		}
	}
	not := []string{"", "42", "1.5", "10.0.0.1", "::1", "[fe80::1 x]", "1:2:3.4 x", "ab:cd:ef%eth0 z", "12:30:01", "x"}
	for _, v := range not {
		if Spaced([]byte(v)) {
			t.Errorf("Spaced(%q) = true", v)
		}
	}
	for _, v := range append(spaced, not...) {
		if Spaced([]byte(v)) && scalarClass(Classify([]byte(v))) {
			t.Errorf("Spaced(%q) but Classify = %v", v, Classify([]byte(v)))
		}
	}
}

func FuzzSpaced(f *testing.F) {
	for _, v := range []string{"2015-10-18 18:01:47,978", "Dec 10 06:55:46", "1:2:3.4 x", "10.0.0.1 :80", "[::1] x", "5 min", "16.0 KB"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if Spaced([]byte(v)) && scalarClass(Classify([]byte(v))) {
			t.Errorf("Spaced(%q) but Classify = %v", v, Classify([]byte(v)))
		}
	})
}
