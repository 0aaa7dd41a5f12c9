package logparse

import "testing"

// TestSyslog3164BracketLevel: a level in brackets where RFC 3164's
// hostname goes, padded or not, is the record's level and no hostname
// (a hostname never holds brackets); the tag and message after it are
// read as before. Without a tag after it the line is not syslog.
func TestSyslog3164BracketLevel(t *testing.T) {
	p := NewSyslog3164(2024)
	for _, c := range []struct{ line, level, norm, app, msg string }{
		{`Mar 10 13:55:00 [INFO] loader: started 3 workers`, "INFO", "info", "loader", "started 3 workers"},
		{`Mar 10 13:55:01 [warn] db.pool: queue 7 is 91% full`, "warn", "warn", "db.pool", "queue 7 is 91% full"},
		{`Mar  9 01:02:03.456 [INFO ] api: ready`, "INFO", "info", "api", "ready"},
		{`Mar  9 01:02:03 [ ERROR] api[77]: lost peer`, "ERROR", "error", "api", "lost peer"},
		{`2024-03-10T13:55:00.125Z [Debug] sched: tick 4`, "Debug", "debug", "sched", "tick 4"},
	} {
		var r Record
		if err := p.Parse([]byte(c.line), &r); err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		lv, _ := r.Get("level")
		app, _ := r.Get("appname")
		if string(lv) != c.level || string(r.Level) != c.norm || string(app) != c.app || string(r.Message) != c.msg {
			t.Errorf("%q: level %q (%q), appname %q, message %q; want %q (%q), %q, %q", c.line, lv, r.Level, app, r.Message, c.level, c.norm, c.app, c.msg)
		}
		if h, ok := r.Get("hostname"); ok {
			t.Errorf("%q: hostname %q", c.line, h)
		}
	}
	for _, l := range []string{
		`Mar 10 13:55:00 [INFO] started 3 workers`,
		`Mar 10 13:55:00 [INFO]`,
		`Mar 10 13:55:00 [INFO]loader: glued`,
	} {
		var r Record
		if err := p.Parse([]byte(l), &r); err == nil {
			h, _ := r.Get("hostname")
			lv, _ := r.Get("level")
			t.Errorf("%q parsed as syslog (hostname %q, level %q)", l, h, lv)
		}
	}
}

// TestCSVTimeWithZoneIsNoSyslog: a CSV record whose first column is a
// time with a blank and a zone (PostgreSQL's csvlog writes log_time so)
// reads up to its first blank as an RFC 3339 time and a "hostname"; a
// hostname holds no quote or comma, so the stream is CSV, not syslog.
func TestCSVTimeWithZoneIsNoSyslog(t *testing.T) {
	lines := []string{
		`2026-02-03 04:05:06.789 UTC,"app","inventory",3120,"10.1.2.3:40112",67a0c3f2.c30,12,"SELECT",2026-02-03 04:00:00 UTC,4/51,0,ERROR,42P01,"relation ""stock"" does not exist",,,,,,"SELECT * FROM stock",15,,"psql","client backend",,0`,
		`2026-02-03 04:05:07.001 UTC,,,2911,,67a0c100.b5f,3,,2026-02-03 03:50:00 UTC,,0,LOG,00000,"checkpoint complete: wrote 41 buffers",,,,,,,,,"","checkpointer",,0`,
		`2026-02-03 04:05:08.250 +0100,"app","inventory",3121,"10.1.2.4:40113",67a0c3f3.c31,1,"idle",2026-02-03 04:05:08 UTC,5/2,0,WARNING,01000,"slow statement, 812 ms",,,,,,,,,"api","client backend",,0`,
	}
	p := NewSyslog3164(2026)
	for _, l := range lines {
		var r Record
		if err := p.Parse([]byte(l), &r); err == nil {
			h, _ := r.Get("hostname")
			t.Errorf("%q parsed as syslog with hostname %q", l, h)
		}
	}
	s := NewStream(StreamOptions{DetectLines: 3})
	var r Record
	for i := 0; i < 2; i++ {
		for _, l := range lines {
			if err := s.Parse([]byte(l), &r); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if r.Format != "csv" {
				t.Fatalf("%q: format %q, want csv", l, r.Format)
			}
		}
	}
	if string(r.Message) != "slow statement, 812 ms" || string(r.Level) != "warn" {
		t.Fatalf("message %q, level %q", r.Message, r.Level)
	}
	// a hostname with letters, digits, dots, dashes and colons still is one
	for _, l := range []string{
		`2026-02-03T04:05:06.789Z db-2.example.net postgres[881]: checkpoint complete`,
		`2026-02-03T04:05:06.789Z fe80::1 kernel: eth0 up`,
	} {
		if err := p.Parse([]byte(l), &r); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
}
