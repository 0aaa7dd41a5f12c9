package logparse

import (
	"bytes"

	"github.com/gopulse/gopulse/event"
)

// NginxError parses nginx error logs:
//
//	2024/01/02 15:04:05 [error] 1234#5678: *99 message, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"
//
// Fields: level, pid, tid, connection, message, and the trailing
// ", key: value" context pairs nginx appends (client, server, request,
// upstream, host, referrer, …).
type NginxError struct{}

// NewNginxError returns the nginx error log parser ("nginx_error").
func NewNginxError() NginxError { return NginxError{} }

// Name returns "nginx_error".
func (NginxError) Name() string { return "nginx_error" }

var (
	keyLevel      = []byte("level")
	keyPID        = []byte("pid")
	keyErrStatus  = []byte("error_status")
	keyErrString  = []byte("error_string")
	keyTID        = []byte("tid")
	keyConnection = []byte("connection")
	keyMessage    = []byte("message")
	keyTime       = []byte("time")
	keyModule     = []byte("module")
	keyClient     = []byte("client")
	keyCode       = []byte("code")
	keyClientPort = []byte("client_port")
)

// splitHostPort splits "1.2.3.4:80", "[::1]:80" or "host:80" into host and
// port; a bare IPv6 address or a value without a numeric port is returned
// whole with a nil port.
func splitHostPort(b []byte) (host, port []byte) {
	if len(b) > 2 && b[0] == '[' {
		if e := bytes.IndexByte(b, ']'); e > 0 {
			if e+2 < len(b) && b[e+1] == ':' && scanDigits(b, e+2, 5) == len(b) {
				return b[1:e:e], b[e+2:]
			}
			if e+1 == len(b) {
				return b[1:e:e], nil
			}
		}
		return b, nil
	}
	c := bytes.IndexByte(b, ':')
	if c <= 0 || bytes.IndexByte(b[c+1:], ':') >= 0 || scanDigits(b, c+1, 5) != len(b) {
		return b, nil
	}
	return b[:c:c], b[c+1:]
}

// Parse parses one nginx error line.
func (NginxError) Parse(b []byte, r *Record) error {
	ts, n, ok := ParseNginxTime(b)
	if !ok {
		return r.Fail("nginx_error", "expected 2006/01/02 15:04:05", 0)
	}
	r.SetTS(ts, LayoutNginx)
	r.Add(keyTime, b[:n:n], event.TypeTimestamp)
	i := n
	if !hasLit(b, i, " [") {
		return r.Fail("nginx_error", "expected [level]", i)
	}
	i += 2
	ls := i
	for i < len(b) && b[i] >= 'a' && b[i] <= 'z' {
		i++
	}
	if i >= len(b) || b[i] != ']' || i == ls {
		return r.Fail("nginx_error", "expected level]", i)
	}
	lv := b[ls:i:i]
	r.Level = NormalizeLevel(lv)
	r.Add(keyLevel, lv, event.TypeEnum)
	i++
	if !hasLit(b, i, " ") {
		return r.Fail("nginx_error", "expected pid#tid", i)
	}
	i++
	ps := i
	i = scanDigits(b, i, 10)
	if i < 0 || i >= len(b) || b[i] != '#' {
		return r.Fail("nginx_error", "expected pid#tid", ps)
	}
	r.Add(keyPID, b[ps:i:i], event.TypeInt)
	ts2 := i + 1
	i = scanDigits(b, ts2, 20)
	if i < 0 || i >= len(b) || b[i] != ':' {
		return r.Fail("nginx_error", "expected tid:", ts2)
	}
	r.Add(keyTID, b[ts2:i:i], event.TypeInt)
	i++
	if i < len(b) && b[i] == ' ' {
		i++
	}
	if i < len(b) && b[i] == '*' {
		cs := i + 1
		if e := scanDigits(b, cs, 20); e > 0 {
			r.Add(keyConnection, b[cs:e:e], event.TypeInt)
			i = e
			if i < len(b) && b[i] == ' ' {
				i++
			}
		}
	}
	msg := b[i:len(b):len(b)]
	// Context pairs start at the first ", client: " (or ", upstream: ",
	// ", server: " when there is no client).
	ctx := bytes.Index(msg, []byte(", client: "))
	if ctx < 0 {
		ctx = bytes.Index(msg, []byte(", server: "))
	}
	if ctx >= 0 {
		rest := msg[ctx:]
		msg = msg[:ctx:ctx]
		r.Message = msg
		r.Add(keyMessage, msg, event.TypeString)
		nginxContext(r, rest)
	} else {
		r.Message = msg
		r.Add(keyMessage, msg, event.TypeString)
	}
	r.Format = "nginx_error"
	r.Body = b
	return nil
}

// nginxContext parses `, key: value, key: "quoted"` pairs.
func nginxContext(r *Record, b []byte) {
	i := 0
	for i+2 < len(b) && b[i] == ',' && b[i+1] == ' ' {
		ks := i + 2
		j := ks
		for j < len(b) && (b[j] >= 'a' && b[j] <= 'z' || b[j] == '_') {
			j++
		}
		if j == ks || !hasLit(b, j, ": ") {
			return
		}
		key := b[ks:j:j]
		j += 2
		var val []byte
		if j < len(b) && b[j] == '"' {
			e, esc := scanQuoted(b, j+1, '"')
			if e < 0 {
				return
			}
			val = b[j+1 : e : e]
			if esc {
				val = unescape(r, val)
			}
			j = e + 1
		} else {
			vs := j
			for j < len(b) && !(b[j] == ',' && j+1 < len(b) && b[j+1] == ' ') {
				j++
			}
			val = b[vs:j:j]
		}
		r.Add(key, val, event.TypeString)
		i = j
	}
}

// ApacheError parses apache httpd error logs, 2.4 and 2.2 styles:
//
//	[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5678] AH00124: message
//	[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] message
type ApacheError struct{}

// NewApacheError returns the apache error log parser ("apache_error").
func NewApacheError() ApacheError { return ApacheError{} }

// Name returns "apache_error".
func (ApacheError) Name() string { return "apache_error" }

// Parse parses one apache error line.
func (ApacheError) Parse(b []byte, r *Record) error {
	if len(b) < 26 || b[0] != '[' {
		return r.Fail("apache_error", "expected [time]", 0)
	}
	ts, n, ok := ParseApacheTime(b[1:])
	if !ok || 1+n >= len(b) || b[1+n] != ']' {
		return r.Fail("apache_error", "expected [Mon Jan _2 15:04:05 2006]", 1)
	}
	r.SetTS(ts, LayoutApache)
	r.Add(keyTime, b[1:1+n:1+n], event.TypeTimestamp)
	i := 2 + n
	sawLevel, sawClient := false, false
	for i+1 < len(b) && b[i] == ' ' && b[i+1] == '[' {
		s := i + 2
		e := closeBracket(b, s)
		if e < 0 {
			return r.Fail("apache_error", "unterminated [", i+1)
		}
		g := b[s:e:e]
		switch {
		case hasLit(g, 0, "pid "):
			p := g[4:]
			if c := bytes.Index(p, []byte(":tid ")); c >= 0 {
				r.Add(keyPID, p[:c:c], event.TypeInt)
				r.Add(keyTID, p[c+5:], event.TypeInt)
			} else {
				r.Add(keyPID, p, event.TypeInt)
			}
		case hasLit(g, 0, "client "):
			sawClient = true
			host, port := splitHostPort(g[7:])
			r.Add(keyClient, host, event.TypeIP)
			if port != nil {
				r.Add(keyClientPort, port, event.TypeInt)
			}
		case !sawLevel:
			lv := g
			if c := bytes.IndexByte(g, ':'); c >= 0 {
				r.Add(keyModule, g[:c:c], event.TypeString)
				lv = g[c+1:]
			}
			r.Level = NormalizeLevel(lv)
			if r.Level == nil && !hasLit(lv, 0, "trace") {
				return r.Fail("apache_error", "expected [module:level]", s)
			}
			r.Add(keyLevel, lv, event.TypeEnum)
			sawLevel = true
		default:
			// another bracketed group belongs to the message
			goto message
		}
		i = e + 1
	}
message:
	if !sawLevel {
		return r.Fail("apache_error", "expected [level]", i)
	}
	if i < len(b) && b[i] == ' ' {
		i++
	}
	msg := b[i:len(b):len(b)]
	// ErrorLogFormat's %E, the APR/OS status: "(70014)End of file found: ",
	// often followed by the client
	if len(msg) > 3 && msg[0] == '(' {
		if e := scanDigits(msg, 1, 10); e > 0 && e < len(msg) && msg[e] == ')' {
			if c := bytes.Index(msg[e:], []byte(": ")); c > 1 {
				r.Add(keyErrStatus, msg[1:e:e], event.TypeInt)
				r.Add(keyErrString, msg[e+1:e+c:e+c], event.TypeString)
				msg = msg[e+c+2:]
			}
		}
		if !sawClient && hasLit(msg, 0, "[client ") {
			if e := closeBracket(msg, 1); e > 0 {
				sawClient = true
				host, port := splitHostPort(msg[8:e:e])
				r.Add(keyClient, host, event.TypeIP)
				if port != nil {
					r.Add(keyClientPort, port, event.TypeInt)
				}
				msg = msg[blanks(msg, e+1):]
			}
		}
	}
	// "AH00124: " error code
	if len(msg) > 9 && msg[0] == 'A' && msg[1] == 'H' && msg[7] == ':' && scanDigits(msg, 2, 5) == 7 {
		r.Add(keyCode, msg[:7:7], event.TypeString)
		msg = msg[8:]
		if len(msg) > 0 && msg[0] == ' ' {
			msg = msg[1:]
		}
	}
	if !sawClient {
		// mod_ssl and others put the client after an error status:
		// "(70014)End of file found: [client 1.2.3.4:5678] AH01991: …".
		if c := bytes.Index(msg, []byte("[client ")); c >= 0 {
			if e := bytes.IndexByte(msg[c:], ']'); e > 0 {
				host, port := splitHostPort(msg[c+8 : c+e : c+e])
				r.Add(keyClient, host, event.TypeIP)
				if port != nil {
					r.Add(keyClientPort, port, event.TypeInt)
				}
			}
		}
	}
	r.Message = msg
	r.Add(keyMessage, msg, event.TypeString)
	r.Format = "apache_error"
	r.Body = b
	return nil
}

// closeBracket returns the index of the "]" closing a group whose content
// starts at i, skipping nested [..] pairs (as in "[client [::1]:80]").
func closeBracket(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '[':
			depth++
		case ']':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}
