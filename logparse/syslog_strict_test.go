package logparse

import "testing"

// TestSyslog3164LookAlikes: free-text lines with an ISO timestamp and no
// syslog tag, whose second word is a level, a pid, a zone, a dash or a
// bracketed thread, are not RFC 3164, nor are lines with a level word, a
// key=value or punctuation alone where the hostname goes, tag or not (Python's
// "%(asctime)s %(levelname)s %(name)s: %(message)s" is far more common than
// a host named INFO); tagless lines with a real hostname still are.
func TestSyslog3164LookAlikes(t *testing.T) {
	p := NewSyslog3164(2024)
	for _, l := range []string{
		`2015-10-18 18:01:47,978 INFO [main] org.example.app.Master: Created master`,
		`2015-10-18 18:01:48,101 warn [main] conf: override of a final parameter`,
		`2017-05-16 00:00:00.008 ERROR [pool-3-thread-1] c.e.Worker: lost heartbeat`,
		`2016-09-28 04:30:30 - INFO - request handled in 12 ms`,
		`2016-09-28T04:30:31.000Z 4242 worker started`,
		`2016-09-28T04:30:32+02:00 CEST scheduler tick`,
		`2016-09-28T04:30:33.5Z [main] thread pool resized to 16`,
		`2016-09-28T04:30:33.5Z (worker) thread pool resized to 16`,
		`2024-01-02T15:04:06.5+01:00 INFO sshd[42]: a level where the hostname goes`,
		`2026-12-04 11:56:14,788 ERROR app: lookup failed`,
		`2024-03-10T13:55:00Z level=info msg="x" user=u`,
		// a level word with its colon (Erlang/OTP logger's default, .NET's
		// simple console formatter with a TimestampFormat)
		`2024-05-09T15:06:13.366000+00:00 warning: node down`,
		`2024-05-09T15:06:13.366000+00:00 info: ready`,
		// loguru's "{time} | {level: <8} | {name}:{function}:{line} - {message}":
		// a column bar is no hostname, tag or not
		`2024-01-05 10:15:00.123 | INFO     | app.db:connect:42 - pool ready`,
		`2024-01-05T10:15:00.123+01:00 | WARNING  | __main__:<module>:7 - low disk`,
		`2024-01-05T10:15:00.123Z | worker[12]: a bar where the hostname goes`,
		`2024-01-05T10:15:00.123Z -- sched: a dash pair where the hostname goes`,
		// a word padded to a width (a thread, a logger, a host column) is
		// no syslog hostname: syslog writes one blank after it
		`Jun 30 08:38:15 grpc-default-executor-0        [ip-10-0-45-21.ec2.internal] io.x.Balancer :: picked`,
		`2024-04-24 17:57:17.878 gke-prod-pool-59dd8bc3-hwl5  INFO: client-go/22139 on web-1: synced`,
		// a level written as a symbol where the hostname goes (console
		// loggers: log-symbols, consola, signale, apex/log)
		`2024-01-05 10:15:00.123 ✔ Nitro server built in 812 ms`,
		`2024-01-05T10:15:00Z ⚠️ Browserslist: caniuse-lite is outdated`,
		`2024-01-05T10:15:00Z • building binaries`,
	} {
		var r Record
		if err := p.Parse([]byte(l), &r); err == nil {
			host, _ := r.Get("hostname")
			t.Errorf("%q parsed as syslog with hostname %q", l, host)
		}
	}
	for _, l := range []string{
		`<13>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick`,
		`Oct 11 22:14:17 web-01 a message from a tagless sender`,
		`2024-01-02T15:04:05.123456+01:00 db-2 postgres[881]: checkpoint complete`,
		`Jul  1 09:03:11 mac-7 Microsoft Word[14463]: document saved`,
		`Jul  1 09:01:06 mac-7 com.apple.xpc.launchd[1] (com.apple.mdworker.shared.0A[853]): Service exited due to SIGKILL`,
		`Oct 11 22:14:18 10.0.0.7 kernel: eth0 up`,
	} {
		var r Record
		if err := p.Parse([]byte(l), &r); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
}

func TestNotHostname(t *testing.T) {
	for h, want := range map[string]bool{
		"-": true, "INFO": true, "warning": true, "4242": true, "UTC": true, "CEST": true, "[main]": true, "user@host": true,
		"web-01": false, "mymachine": false, "10.0.0.7": false, "db-2.example.com": false, "HOSTNAME1": false, "fe80::1": false,
	} {
		if got := notHostname([]byte(h)); got != want {
			t.Errorf("notHostname(%q) = %v, want %v", h, got, want)
		}
	}
}

// TestSyslogTags: program names with blanks and launchd's job context.
func TestSyslogTags(t *testing.T) {
	p := NewSyslog3164(2024)
	for line, want := range map[string][4]string{
		`Jul  1 09:03:11 mac-7 Microsoft Word[14463]: document saved`:                                                       {"Microsoft Word", "14463", "", "document saved"},
		`Jul  1 09:01:06 mac-7 com.apple.xpc.launchd[1] (com.apple.mdworker.shared.0A[853]): Service exited due to SIGKILL`: {"com.apple.xpc.launchd", "1", "com.apple.mdworker.shared.0A[853]", "Service exited due to SIGKILL"},
		`Jul  1 09:01:07 mac-7 kernel[0]: IOThunderboltSwitch<0>(0x0)::listenerCallback - HPD`:                              {"kernel", "0", "", "IOThunderboltSwitch<0>(0x0)::listenerCallback - HPD"},
		`Jul  1 09:01:08 mac-7 My App Helper[123]: ready`:                                                                   {"My App Helper", "123", "", "ready"},
		`Jul  1 09:01:09 mac-7 sshd: no pid`:                                                                                {"sshd", "", "", "no pid"},
	} {
		var r Record
		if err := p.Parse([]byte(line), &r); err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		app, _ := r.Get("appname")
		pid, _ := r.Get("pid")
		sub, _ := r.Get("subsystem")
		if got := [4]string{string(app), string(pid), string(sub), string(r.Message)}; got != want {
			t.Errorf("%q: %q, want %q", line, got, want)
		}
	}
	// words with a colon in a tagless message are no tag
	var r Record
	if err := p.Parse([]byte(`Jul  1 09:01:10 mac-7 the cache is: full`), &r); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Get("appname"); ok || string(r.Message) != "the cache is: full" {
		t.Errorf("tagless message: %q %v", r.Message, r.Fields)
	}
}
