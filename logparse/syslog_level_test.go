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
