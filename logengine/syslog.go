package logengine

import (
	"errors"
	"time"

	"github.com/gopulse/gopulse/logparse"
)

func currentYear() int { return time.Now().UTC().Year() }

// strictSyslog rejects what the lenient RFC 3164 parser takes for syslog
// in free-text logs with an ISO timestamp: no tag, and a "hostname" that is
// a level word or a dash ("2015-10-18 18:01:47,978 INFO [main] …"). Those
// lines go to the free-text parser, which finds their real header.
type strictSyslog struct{ logparse.Parser }

var errNotSyslog = errors.New("syslog: no hostname where the hostname should be")

func (p strictSyslog) Parse(line []byte, r *logparse.Record) error {
	if err := p.Parser.Parse(line, r); err != nil {
		return err
	}
	if _, ok := r.Get("appname"); ok {
		return nil
	}
	if h, ok := r.Get("hostname"); ok && notHostname(h) {
		return errNotSyslog
	}
	return nil
}

// notHostname: a dash, a level word, a number (a pid) or an upper-case
// time zone (UTC, CEST) stands where the hostname should be.
func notHostname(h []byte) bool {
	if string(h) == "-" || logparse.NormalizeLevel(h) != nil {
		return true
	}
	digits, upper := 0, 0
	for _, c := range h {
		switch {
		case c == '(' || c == ')' || c == '@' || c == '[' || c == ']':
			return true
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			upper++
		}
	}
	return digits == len(h) || upper == len(h) && len(h) <= 5
}
