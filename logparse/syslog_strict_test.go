package logparse

import "testing"

// TestSyslog3164LookAlikes: free-text lines with an ISO timestamp and no
// syslog tag, whose second word is a level, a pid, a zone, a dash or a
// bracketed thread, are not RFC 3164; tagless lines with a real hostname,
// and tagged lines whatever their hostname, still are.
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
		`2024-01-02T15:04:06.5+01:00 INFO sshd[42]: tagged, so the hostname is kept`,
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
