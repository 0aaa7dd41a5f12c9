package freetext

import (
	"strings"
	"testing"

	"github.com/gopulse/gopulse/event"
	"github.com/gopulse/gopulse/logparse"
)

// Lines in the shapes of common free-text logs (all invented).
var headerCases = []struct {
	line string
	want Header // only the non-empty fields are compared
}{
	{"240105 101500 77 INFO store.Writer$Flusher: Flusher 2 for seg seg_77 done",
		Header{Time: b("240105 101500"), PID: b("77"), Level: b("INFO"), Component: b("store.Writer$Flusher"), Message: b("Flusher 2 for seg seg_77 done")}},
	{"2024-01-05 10:15:00,123 WARN [pool-2 worker 7] com.example.Pool: worker stalled",
		Header{Time: b("2024-01-05 10:15:00,123"), Level: b("WARN"), Thread: b("pool-2 worker 7"), Component: b("com.example.Pool"), Message: b("worker stalled")}},
	{"24/01/05 10:15:00 ERROR core.Engine: engine halted",
		Header{Time: b("24/01/05 10:15:00"), Level: b("ERROR"), Component: b("core.Engine"), Message: b("engine halted")}},
	{"2024-01-05 10:15:00,123 - INFO  [Sync[id=3]/0:0:0:0:0:0:0:0:2181:Sync@88] - peer joined",
		Header{Time: b("2024-01-05 10:15:00,123"), Level: b("INFO"), Thread: b("Sync[id=3]/0:0:0:0:0:0:0:0:2181:Sync@88"), Message: b("peer joined")}},
	{"Jan  5 10:15:00 gw1 authd[4242]: session opened for bob",
		Header{Time: b("Jan  5 10:15:00"), Host: b("gw1"), Program: b("authd"), PID: b("4242"), Message: b("session opened for bob")}},
	{"[01.05 10:15:00] browser.exe - cdn.example.com:443 open through proxy",
		Header{Time: b("01.05 10:15:00"), Program: b("browser.exe"), Message: b("cdn.example.com:443 open through proxy")}},
	{"[01.05 10:15:00] 7zip.exe *64 - cdn.example.com:443 close",
		Header{Time: b("01.05 10:15:00"), Program: b("7zip.exe *64"), Message: b("cdn.example.com:443 close")}},
	{"01-05 10:15:00.123  1200  1300 I Radio: signal 4 bars",
		Header{Time: b("01-05 10:15:00.123"), PID: b("1200"), Thread: b("1300"), Level: b("I"), Component: b("Radio"), Message: b("signal 4 bars")}},
	{"[Fri Jan 05 10:15:00 2024] [error] mod_x.init() failed",
		Header{Time: b("Fri Jan 05 10:15:00 2024"), Level: b("error"), Message: b("mod_x.init() failed")}},
	{"20240105-10:15:00:123|Steps|1001|onStep 42",
		Header{Time: b("20240105-10:15:00:123"), Component: b("Steps"), PID: b("1001"), Message: b("onStep 42")}},
	{"- 1704449700 2024.01.05 N1-R2 2024-01-05-10.15.00.1 N1-R2 RAS KERNEL FATAL data bus error",
		Header{Time: b("1704449700 2024.01.05"), Source: b("N1-R2 2024-01-05-10.15.00.1 N1-R2 RAS KERNEL"), Level: b("FATAL"), Message: b("data bus error")}},
	{"KERNBUS 1704449700 2024.01.05 N1-R2 2024-01-05-10.15.00.1 N1-R2 RAS KERNEL FATAL data bus error",
		Header{Time: b("1704449700 2024.01.05"), Source: b("KERNBUS"), Component: b("N1-R2 2024-01-05-10.15.00.1 N1-R2 RAS KERNEL"), Level: b("FATAL"), Message: b("data bus error")}},
	{"api.log.1 2024-01-05 10:15:00.008 2574 INFO svc.api.server [req-1 - -] GET /v1 200",
		Header{Source: b("api.log.1"), Time: b("2024-01-05 10:15:00.008"), PID: b("2574"), Level: b("INFO"), Component: b("svc.api.server"), Thread: b("req-1 - -"), Message: b("GET /v1 200")}},
	{"2024-01-05T10:15:00Z info: started",
		Header{Time: b("2024-01-05T10:15:00Z"), Level: b("info"), Message: b("started")}},
	{"I0105 10:15:00.123456    1 main.go:42] serving",
		Header{Time: b("I0105 10:15:00.123456"), PID: b("1"), Component: b("main.go:42"), Message: b("serving")}},
	{"10.1.2.3:40000 [05/Jan/2024:10:15:00.123] web~ be/node1 0/0/1 200 512",
		Header{Source: b("10.1.2.3:40000"), Time: b("05/Jan/2024:10:15:00.123"), Message: b("web~ be/node1 0/0/1 200 512")}},
	{"2024-01-05T10:15:00.123456Z 31 [Note] Access denied for user 'x'",
		Header{Time: b("2024-01-05T10:15:00.123456Z"), PID: b("31"), Level: b("Note"), Message: b("Access denied for user 'x'")}},
	{"2024-01-05 10:15:00.123 UTC [147] db FATAL: auth failed",
		Header{Time: b("2024-01-05 10:15:00.123 UTC"), Thread: b("147"), Message: b("db FATAL: auth failed")}},
	{"Fri Jan 5 10:15:00 2024 [pid 27245] CONNECT: Client 10.0.0.1",
		Header{Time: b("Fri Jan 5 10:15:00 2024"), Thread: b("pid 27245"), Message: b("CONNECT: Client 10.0.0.1")}},
	// a bracketed group of header tokens opening with a time (env_logger,
	// Serilog's console sink, Ruby's Logger after its "I," flag)
	{"[2024-08-18T08:37:49Z DEBUG app::db] [limiter] dial blocked",
		Header{Time: b("2024-08-18T08:37:49Z"), Level: b("DEBUG"), Component: b("app::db"), Message: b("[limiter] dial blocked")}},
	{"[10:10:04 INF] login failed: exists",
		Header{Time: b("10:10:04"), Level: b("INF"), Message: b("login failed: exists")}},
	{"[10:10:04 VRB] cache warm",
		Header{Time: b("10:10:04"), Level: b("VRB"), Message: b("cache warm")}},
	{"E, [2024-12-27T09:28:39.584000 #13983] ERROR -- : request dropped",
		Header{Source: b("E"), Time: b("2024-12-27T09:28:39.584000"), PID: b("13983"), Level: b("ERROR"), Message: b("request dropped")}},
	// a syslog priority with no syslog header after it (.NET's systemd
	// console formatter, sd-daemon's prefixes)
	{"<4>Shop.Orders.Worker[1247] order 7 late",
		Header{Level: b("<4>"), Component: b("Shop.Orders.Worker"), Source: b("1247"), Message: b("order 7 late")}},
	// a name and a number in brackets after a level's colon: .NET's simple
	// console formatter, with its time of day or without
	{"warn: Shop.Orders.Worker[1247] order 7 late",
		Header{Level: b("warn"), Component: b("Shop.Orders.Worker"), Source: b("1247"), Message: b("order 7 late")}},
	{"10:15:00 warn: Shop.Orders.Worker[0] order 7 lost",
		Header{Time: b("10:15:00"), Level: b("warn"), Component: b("Shop.Orders.Worker"), Source: b("0"), Message: b("order 7 lost")}},
	// a name with its pid and thread in brackets before a level (Unbound)
	{"[1704449700] resolverd[4242:3] warning: zone example.org expired",
		Header{Time: b("1704449700"), Program: b("resolverd"), PID: b("4242"), Thread: b("3"), Level: b("warning"), Message: b("zone example.org expired")}},
	{"2024-01-05 10:15:00 resolverd[4242] info: started",
		Header{Time: b("2024-01-05 10:15:00"), Program: b("resolverd"), PID: b("4242"), Level: b("info"), Message: b("started")}},
	// bunyan's "name/pid on host" in parentheses closing the header
	// (pino-pretty), with its name and host or without
	{"[10:15:00.123] INFO (4242): listening on 8080",
		Header{Time: b("10:15:00.123"), Level: b("INFO"), PID: b("4242"), Message: b("listening on 8080")}},
	{"[1704449700123] WARN (4242 on web-7): slow request",
		Header{Time: b("1704449700123"), Level: b("WARN"), PID: b("4242"), Host: b("web-7"), Message: b("slow request")}},
	{"[1704449700123] WARN (api/4242 on web-7): slow request",
		Header{Time: b("1704449700123"), Level: b("WARN"), Program: b("api"), PID: b("4242"), Host: b("web-7"), Message: b("slow request")}},
	// neither: a parenthesised word, a bracketed array in a message
	{"[10:15:00.123] INFO (cache): warm",
		Header{Time: b("10:15:00.123"), Level: b("INFO"), Message: b("(cache): warm")}},
	{"2024-01-05 10:15:00 ERROR: slot[3] out of range",
		Header{Time: b("2024-01-05 10:15:00"), Level: b("ERROR"), Message: b("slot[3] out of range")}},
	// a mark glued to the time, or to a name after it, closes the header:
	// Mosquitto's "epoch:", Squid's "time|" and "time kidN|"
	{"1714718446: Error reading config",
		Header{Time: b("1714718446"), Message: b("Error reading config")}},
	{"1714718446: NAT mapping on port 7",
		Header{Time: b("1714718446"), Message: b("NAT mapping on port 7")}},
	{"2024/06/30 10:33:47| Created PID file (/run/proxy.pid)",
		Header{Time: b("2024/06/30 10:33:47"), Message: b("Created PID file (/run/proxy.pid)")}},
	{"2024/06/30 10:33:47 kid2| Starting cache version 4.10",
		Header{Time: b("2024/06/30 10:33:47"), Program: b("kid2"), Message: b("Starting cache version 4.10")}},
	{"<3>disk sda1 failed",
		Header{Level: b("<3>"), Message: b("disk sda1 failed")}},
	// "time - name - LEVEL - message", whatever the name looks like
	{"2024-01-05 10:15:00,123 - billing - WARN - invoice 7 overdue",
		Header{Time: b("2024-01-05 10:15:00,123"), Program: b("billing"), Level: b("WARN"), Message: b("invoice 7 overdue")}},
	{"2024-01-05 10:15:00,123 - shard2 - ERROR - shard 2 lost its leader",
		Header{Time: b("2024-01-05 10:15:00,123"), Program: b("shard2"), Level: b("ERROR"), Message: b("shard 2 lost its leader")}},
	{"2024-01-05 10:15:00,123 - auth-v1 - Error - Error rates rising",
		Header{Time: b("2024-01-05 10:15:00,123"), Program: b("auth-v1"), Message: b("Error - Error rates rising")}},
	// epoch seconds with a fraction first, a host and a level
	{"1704449700.125 db-7 WARN replica lag 3s",
		Header{Time: b("1704449700.125"), Source: b("db-7"), Level: b("WARN"), Message: b("replica lag 3s")}},
	// a host before an RFC 3339 time
	{"edge-3.example.net 2024-01-05T10:15:00Z ERROR upstream reset",
		Header{Source: b("edge-3.example.net"), Time: b("2024-01-05T10:15:00Z"), Level: b("ERROR"), Message: b("upstream reset")}},
	// three-letter levels (NATS, zerolog's console): INF, TRC, FTL
	{"[4411] 2024/01/05 10:15:00.000001 [INF] route 3 up",
		Header{Source: b("[4411]"), Time: b("2024/01/05 10:15:00.000001"), Level: b("INF"), Message: b("route 3 up")}},
	{"2024-01-05T10:15:00Z FTL config missing",
		Header{Time: b("2024-01-05T10:15:00Z"), Level: b("FTL"), Message: b("config missing")}},
	// a level first, then the time
	{"[WARN] 2024-01-05 10:15:00.123 [pool-1] disk 91% full",
		Header{Level: b("WARN"), Time: b("2024-01-05 10:15:00.123"), Thread: b("pool-1"), Message: b("disk 91% full")}},
	// a level and a thread, then the time
	{"ERROR [flush-3] 2024-01-05 10:15:00,123 segment 12 lost",
		Header{Level: b("ERROR"), Thread: b("flush-3"), Time: b("2024-01-05 10:15:00,123"), Message: b("segment 12 lost")}},
	// a pid and role before a day, a month name and a year
	{"812:S 05 Jan 2024 10:15:00.123 replica caught up",
		Header{Source: b("812:S"), Time: b("05 Jan 2024 10:15:00.123"), Message: b("replica caught up")}},
	{"12 Jan items shipped late", Header{Message: b("12 Jan items shipped late")}},
	// a call site closes the header (zap's console, Go's log.Lshortfile,
	// log4j's %F:%L -)
	{"2024-01-05T10:15:00.123Z\tINFO\tstore/compact.go:88\tcompaction done\t{\"files\": 3}",
		Header{Time: b("2024-01-05T10:15:00.123Z"), Level: b("INFO"), Source: b("store/compact.go:88"), Message: b("compaction done\t{\"files\": 3}")}},
	{"2024/01/05 10:15:00 server.go:42: listening on :8080",
		Header{Time: b("2024/01/05 10:15:00"), Source: b("server.go:42"), Message: b("listening on :8080")}},
	{"WARN  [flush-1] 2024-01-05 10:15:00,123 Segment.java:212 - segment 7 slow",
		Header{Level: b("WARN"), Thread: b("flush-1"), Time: b("2024-01-05 10:15:00,123"), Source: b("Segment.java:212"), Message: b("segment 7 slow")}},
	{"2024-01-05 10:15:00 INFO v1.2:80 is up", Header{Time: b("2024-01-05 10:15:00"), Level: b("INFO"), Message: b("v1.2:80 is up")}},
	// logrus's text layout without colours
	{"WARN[0012] cache 3 stale                                    key=a",
		Header{Level: b("WARN"), Message: b("cache 3 stale                                    key=a")}},
	{"DEBU[0000] dialing", Header{Level: b("DEBU"), Message: b("dialing")}},
	// log15's four-letter levels, bracketed, before a bracketed date
	{"[EROR] [03-21|22:49:28] reap exit status                         error=EOF",
		Header{Level: b("EROR"), Thread: b("03-21|22:49:28"), Message: b("reap exit status                         error=EOF")}},
	{"[DBUG] [03-21|22:49:28] dialing peer", Header{Level: b("DBUG"), Thread: b("03-21|22:49:28"), Message: b("dialing peer")}},
	{"[TRCE] [03-21|22:49:28] dialing peer", Header{Level: b("TRCE"), Thread: b("03-21|22:49:28"), Message: b("dialing peer")}},
	{"ABCD[0000] not a level", Header{Message: b("ABCD[0000] not a level")}},
	// a category in brackets, then a thread in parentheses (JBoss/WildFly)
	{"10:15:00,123 WARN  [org.acme.Pool] (worker thread 3) pool 2 exhausted",
		Header{Time: b("10:15:00,123"), Level: b("WARN"), Component: b("org.acme.Pool"), Thread: b("worker thread 3"), Message: b("pool 2 exhausted")}},
	{"10:15:00,123 WARN  [org.acme.Pool] (re)starting pool 2",
		Header{Time: b("10:15:00,123"), Level: b("WARN"), Component: b("org.acme.Pool"), Message: b("(re)starting pool 2")}},
	// key=value lists before the level (a PostgreSQL log_line_prefix)
	{"2024-01-05 10:15:00 UTC [812]: [3-1] user=,db=,app=,client= LOG:  checkpoint starting",
		Header{Time: b("2024-01-05 10:15:00 UTC"), Source: b("[812]: [3-1] user=,db=,app=,client="), Level: b("LOG"), Message: b("checkpoint starting")}},
	{"LOG compaction 3 done", Header{Message: b("LOG compaction 3 done")}},
	{"24/01/05 10:15:00 INFO [log] ERROR: disk full",
		Header{Time: b("24/01/05 10:15:00"), Level: b("INFO"), Thread: b("log"), Message: b("ERROR: disk full")}},
	{"2024-01-05 10:15:00 UTC [812]: [3-1] user=app,db=shop,app=psql,client=10.0.0.7 ERROR:  relation missing",
		Header{Time: b("2024-01-05 10:15:00 UTC"), Source: b("[812]: [3-1] user=app,db=shop,app=psql,client=10.0.0.7"), Level: b("ERROR"), Message: b("relation missing")}},
	// a level's colon closes the header
	{"2024-01-05 10:15:00.123 UTC [812] ERROR:  router/Fetch: timeout",
		Header{Time: b("2024-01-05 10:15:00.123 UTC"), Thread: b("812"), Level: b("ERROR"), Message: b("router/Fetch: timeout")}},
	// a date and a clock before pipes (NLog)
	{"2024-01-05 10:15:00.1234|WARN|Acme.Store|disk 91% full",
		Header{Time: b("2024-01-05 10:15:00.1234"), Level: b("WARN"), Component: b("Acme.Store"), Message: b("disk 91% full")}},
	// a date with a month name (Tomcat's JULI)
	{"05-Jan-2024 10:15:00.123 WARNING [main] org.acme.Pool.start pool 2 slow",
		Header{Time: b("05-Jan-2024 10:15:00.123"), Level: b("WARNING"), Thread: b("main"), Message: b("org.acme.Pool.start pool 2 slow")}},
	// a Rust module path as the component (tracing's fmt layer)
	{"2024-01-05T10:15:00.123456Z  WARN app::db::pool: pool 2 exhausted",
		Header{Time: b("2024-01-05T10:15:00.123456Z"), Level: b("WARN"), Component: b("app::db::pool"), Message: b("pool 2 exhausted")}},
	{"2024-01-05T10:15:00.123456Z  WARN a::b:c: d", Header{Time: b("2024-01-05T10:15:00.123456Z"), Level: b("WARN"), Message: b("a::b:c: d")}},
	// loguru with an RFC 3339 time: " | " columns, not "time|field|" pipes
	{"2024-01-05T10:15:00.123+01:00 | INFO     | app.db:connect:42 - pool ready",
		Header{Time: b("2024-01-05T10:15:00.123+01:00"), Level: b("INFO"), Message: b("app.db:connect:42 - pool ready")}},
	{"2024-01-05 10:15:00.123|42|WARN|store|disk slow",
		Header{Time: b("2024-01-05 10:15:00.123"), PID: b("42"), Level: b("WARN"), Component: b("store"), Message: b("disk slow")}},
	// no header: everything is the message
	{"just some words", Header{Message: b("just some words")}},
	{"error: a lower-case level with a colon", Header{Level: b("error"), Message: b("a lower-case level with a colon")}},
	{"warning signs are words here", Header{Message: b("warning signs are words here")}},
	{"note that INFO comes later", Header{Message: b("note that INFO comes later")}},
	{"", Header{}},
}

func b(s string) []byte { return []byte(s) }

func TestSplit(t *testing.T) {
	for _, c := range headerCases {
		var h Header
		Split([]byte(c.line), &h)
		check := func(name string, got, want []byte) {
			if string(got) != string(want) {
				t.Errorf("%q: %s = %q, want %q", c.line, name, got, want)
			}
		}
		check("time", h.Time, c.want.Time)
		check("level", h.Level, c.want.Level)
		check("pid", h.PID, c.want.PID)
		check("host", h.Host, c.want.Host)
		check("program", h.Program, c.want.Program)
		check("thread", h.Thread, c.want.Thread)
		check("component", h.Component, c.want.Component)
		check("source", h.Source, c.want.Source)
		check("message", h.Message, c.want.Message)
	}
}

func TestSplitMessage(t *testing.T) {
	cases := []struct{ in, level, thread, comp, msg string }{
		{"INFO  [main] - started", "INFO", "main", "", "started"},
		{"[main] org.example.App: started", "", "main", "org.example.App", "started"},
		{"WARN com.example.Svc: slow", "WARN", "", "com.example.Svc", "slow"},
		{"plain message: not a header", "", "", "", "plain message: not a header"},
		{"[preauth] only a bracket", "", "", "", "[preauth] only a bracket"},
		// a level word written as in a sentence opens the message
		{"Error when calling hook 3: timeout", "", "", "", "Error when calling hook 3: timeout"},
		{"Warning [pool-1] disk slow", "", "", "", "Warning [pool-1] disk slow"},
		{"ERROR [pool-1] disk slow", "ERROR", "pool-1", "", "disk slow"},
	}
	for _, c := range cases {
		var h Header
		SplitMessage([]byte(c.in), &h)
		if string(h.Level) != c.level || string(h.Thread) != c.thread || string(h.Component) != c.comp || string(h.Message) != c.msg {
			t.Errorf("%q: got level=%q thread=%q component=%q message=%q", c.in, h.Level, h.Thread, h.Component, h.Message)
		}
	}
}

func TestParser(t *testing.T) {
	var r logparse.Record
	p := Parser{Year: 2024}
	if err := p.Parse([]byte("2024-01-05 10:15:00 WARN [w1] a.B: disk 91% full"), &r); err != nil {
		t.Fatal(err)
	}
	if r.Format != "freetext" || string(r.Message) != "disk 91% full" || string(r.Level) != "warn" {
		t.Fatalf("record: format=%q message=%q level=%q", r.Format, r.Message, r.Level)
	}
	if r.TSLayout == "" || r.TS == 0 {
		t.Fatalf("timestamp not parsed: %d %q", r.TS, r.TSLayout)
	}
	if v, ok := r.Get(KeyThread); !ok || string(v) != "w1" {
		t.Fatalf("thread = %q", v)
	}
	for _, f := range r.Fields {
		if string(f.Key) == KeyTime && f.Type != event.TypeTimestamp {
			t.Fatalf("time field type %v", f.Type)
		}
	}
}

func TestParserAsStreamFallback(t *testing.T) {
	s := logparse.NewStream(logparse.StreamOptions{Year: 2024, Fallback: Parser{Year: 2024}})
	var r logparse.Record
	lines := []string{
		"24/01/05 10:15:00 INFO core.Engine: engine started",
		`{"level":"info","msg":"json line"}`,
		"24/01/05 10:15:01 INFO core.Engine: engine stopped",
	}
	for _, l := range lines {
		if err := s.Parse([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if len(r.Message) == 0 {
			t.Fatalf("%q: no message (format %s)", l, r.Format)
		}
	}
}

// TestLoguruStream: a stream in loguru's default layout is free text with
// its time and level read, never syslog with a hostname "|".
func TestLoguruStream(t *testing.T) {
	for _, sep := range []string{" ", "T"} {
		s := logparse.NewStream(logparse.StreamOptions{Year: 2024, DetectLines: 4, Fallback: Parser{Year: 2024}})
		lines := []string{
			"2024-01-05" + sep + "10:15:00.123 | INFO     | app.db:connect:42 - connected to db-3 in 12 ms",
			"2024-01-05" + sep + "10:15:00.456 | DEBUG    | app.cache:warm:88 - warmed 120 keys",
			"2024-01-05" + sep + "10:15:01.001 | WARNING  | __main__:<module>:17 - slow request /orders took 950 ms",
			"2024-01-05" + sep + "10:15:02.789 | ERROR    | app.db:query:131 - query failed: timeout after 5s",
			"2024-01-05" + sep + "10:15:03.010 | INFO     | app.jobs:run:55 - job 4411 done",
		}
		levels := []string{"info", "debug", "warn", "error", "info"}
		var r logparse.Record
		for i, l := range lines {
			r.Reset()
			if err := s.Parse([]byte(l), &r); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if host, ok := r.Get("hostname"); ok {
				t.Errorf("%q: hostname %q (format %s)", l, host, r.Format)
			}
			if r.Format != "freetext" || string(r.Level) != levels[i] || r.TS == 0 || !strings.HasPrefix(string(r.Message), "app.") && !strings.HasPrefix(string(r.Message), "__main__:") {
				t.Errorf("%q: format=%s level=%q ts=%d message=%q", l, r.Format, r.Level, r.TS, r.Message)
			}
		}
		if s.Format() == "syslog" {
			t.Errorf("separator %q: stream detected as syslog", sep)
		}
	}
}

func TestRefine(t *testing.T) {
	var r logparse.Record
	r.Format = "syslog"
	r.Message = []byte("ERROR [main] org.example.Job: job failed")
	if !Refine(&r) {
		t.Fatal("no nested header found")
	}
	if string(r.Message) != "job failed" || string(r.Level) != "error" {
		t.Fatalf("message=%q level=%q", r.Message, r.Level)
	}
	r.Reset()
	r.Format = "freetext"
	r.Message = []byte("INFO x.Y: z")
	if Refine(&r) {
		t.Fatal("free-text records are not refined")
	}
}

func TestSplitNoAllocs(t *testing.T) {
	line := []byte("2024-01-05 10:15:00,123 WARN [pool-2] com.example.Pool: worker stalled")
	var r logparse.Record
	p := Parser{Year: 2024}
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset()
		p.Parse(line, &r)
	})
	if allocs != 0 {
		t.Fatalf("Parse allocates %v per line", allocs)
	}
}

func FuzzSplit(f *testing.F) {
	for _, c := range headerCases {
		f.Add(c.line)
	}
	f.Add("[[[[")
	f.Add("] ] ]:")
	f.Add("2024-01-05 |a|b|")
	f.Add("\x00\xff 12:00:00 INFO")
	f.Fuzz(func(t *testing.T, line string) {
		var h Header
		Split([]byte(line), &h)
		if len(h.Message) > len(line) {
			t.Fatal("message longer than the line")
		}
		SplitMessage([]byte(line), &h)
		var r logparse.Record
		if err := (Parser{Year: 2024}).Parse([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	lines := [][]byte{
		[]byte("2024-01-05 10:15:00,123 WARN [pool-2 worker 7] com.example.Pool: worker stalled after 35ms"),
		[]byte("240105 101500 77 INFO store.Writer$Flusher: Flusher 2 for seg seg_77 done"),
		[]byte("Jan  5 10:15:00 gw1 authd[4242]: session opened for bob"),
		[]byte("[01.05 10:15:00] browser.exe - cdn.example.com:443 open through proxy"),
	}
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	var r logparse.Record
	p := Parser{Year: 2024}
	i := 0
	for b.Loop() {
		r.Reset()
		p.Parse(lines[i%len(lines)], &r)
		i++
	}
}

// TestTokenEnd: the eight-bytes-at-a-time blank search finds what a byte
// loop finds, at every offset of lines with blanks, tabs, and bytes that
// differ from a blank or a tab by one bit or are above 0x7f.
func TestTokenEnd(t *testing.T) {
	alphabet := []byte{' ', '\t', 'a', '!', '0', 0x21, 0x08, 0xa0, 0x89, 0xff, 0x00, ':'}
	seed := uint32(1)
	for n := 0; n < 2000; n++ {
		line := make([]byte, n%37)
		for i := range line {
			seed = seed*1664525 + 1013904223
			line[i] = alphabet[int(seed>>24)%len(alphabet)]
		}
		for i := 0; i <= len(line); i++ {
			want := i
			for want < len(line) && line[want] != ' ' && line[want] != '\t' {
				want++
			}
			if got := tokenEnd(line, i); got != want {
				t.Fatalf("tokenEnd(%q, %d) = %d, want %d", line, i, got, want)
			}
		}
	}
}
