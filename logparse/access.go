package logparse

import (
	"github.com/gopulse/gopulse/event"
)

// Access logs (nginx and apache), with nginx's log_format variable names:
//
//	clf:      remote_addr ident remote_user [time_local] "request" status body_bytes_sent
//	combined: clf "http_referer" "http_user_agent" [extra…]
//
// The request is split into method, path and protocol when it has that
// shape, else kept whole as request. A "-" gives a field with a nil value.

func accessPrefix() []Matcher {
	return []Matcher{
		Alt(Seq(Capture("remote_addr", event.TypeIP, IP(false)), Space()),
			Seq(Capture("remote_addr", event.TypeString, Word()), Space())),
		Capture("ident", event.TypeString, Word()), Space(),
		Capture("remote_user", event.TypeString, Word()), Space(),
		Bracketed('[', ']', CaptureAs("time_local", event.TypeTimestamp, RoleTime, Time(LayoutCLF))), Space(),
		Alt(
			Seq(Byte('"'),
				Capture("method", event.TypeString, methodTok{}), Byte(' '),
				Capture("path", event.TypeString, Until(' ', false)), Byte(' '),
				Capture("protocol", event.TypeString, protoTok{}), Byte('"')),
			Capture("request", event.TypeString, Quoted()),
		), Space(),
		Capture("status", event.TypeInt, Alt(Int(), Dash())), Space(),
		Capture("body_bytes_sent", event.TypeInt, Alt(Int(), Dash())),
	}
}

// clfCombinator is the Common Log Format built from combinators. The
// hand-written AccessLog below is what the Stream uses (it is faster); the
// tests check that both agree.
func clfCombinator() *Combinator {
	return NewCombinator("clf", Seq(append(accessPrefix(), End())...), 0)
}

// combinedCombinator is the combined format built from combinators (the
// tests' oracle for AccessLog).
func combinedCombinator() *Combinator {
	m := append(accessPrefix(),
		Space(), Capture("http_referer", event.TypeString, Quoted()),
		Space(), Capture("http_user_agent", event.TypeString, Quoted()),
		Opt(Seq(Space(), Capture("extra", event.TypeString, tail{}))),
		End(),
	)
	return NewCombinator("combined", Seq(m...), 0)
}

// vhostCombinator is vhost_combined built from combinators (the tests'
// oracle for AccessLog).
func vhostCombinator() *Combinator {
	m := append([]Matcher{Capture("vhost", event.TypeString, Word()), Space()}, accessPrefix()...)
	m = append(m,
		Space(), Capture("http_referer", event.TypeString, Quoted()),
		Space(), Capture("http_user_agent", event.TypeString, Quoted()),
		Opt(Seq(Space(), Capture("extra", event.TypeString, tail{}))),
		End(),
	)
	return NewCombinator("vhost_combined", Seq(m...), 0)
}

// tail matches the rest of the line up to its last non-blank byte.
type tail struct{}

func (tail) Match(st *State, pos int) int {
	e := len(st.In)
	for e > pos && (st.In[e-1] == ' ' || st.In[e-1] == '\t') {
		e--
	}
	if e == pos {
		return -1
	}
	return e
}

// methodTok matches an upper-case HTTP method.
type methodTok struct{}

func (methodTok) Match(st *State, pos int) int {
	p := pos
	for p < len(st.In) && ((st.In[p] >= 'A' && st.In[p] <= 'Z') || st.In[p] == '-' || st.In[p] == '_') {
		p++
	}
	if p == pos || p-pos > 20 {
		return -1
	}
	return p
}

// protoTok matches "HTTP/1.1"-like protocol names.
type protoTok struct{}

func (protoTok) Match(st *State, pos int) int {
	p := pos
	for p < len(st.In) && st.In[p] != '"' && st.In[p] != ' ' && st.In[p] != '\\' {
		p++
	}
	if p == pos || p-pos > 16 {
		return -1
	}
	return p
}

// AccessLog parses access logs: "clf", "combined" (CLF plus referer and
// user agent; anything after them, as nginx ingress and custom formats
// append, is kept raw as "extra") and "vhost_combined" (combined prefixed
// by the virtual host, as apache's %v:%p or nginx's $host).
type AccessLog struct {
	name     string
	vhost    bool
	combined bool
}

// NewCLF returns the Common Log Format parser ("clf").
func NewCLF() AccessLog { return AccessLog{name: "clf"} }

// NewCombined returns the combined access log parser ("combined").
func NewCombined() AccessLog { return AccessLog{name: "combined", combined: true} }

// NewVhostCombined returns the "vhost_combined" parser.
func NewVhostCombined() AccessLog {
	return AccessLog{name: "vhost_combined", vhost: true, combined: true}
}

// Name returns the format name.
func (p AccessLog) Name() string { return p.name }

var (
	keyVhost      = []byte("vhost")
	keyRemoteAddr = []byte("remote_addr")
	keyIdent      = []byte("ident")
	keyRemoteUser = []byte("remote_user")
	keyTimeLocal  = []byte("time_local")
	keyMethod     = []byte("method")
	keyPath       = []byte("path")
	keyProtocol   = []byte("protocol")
	keyRequest    = []byte("request")
	keyStatus     = []byte("status")
	keyBodyBytes  = []byte("body_bytes_sent")
	keyReferer    = []byte("http_referer")
	keyUserAgent  = []byte("http_user_agent")
	keyExtra      = []byte("extra")
	keyVhostPort  = []byte("vhost_port")
	keyXFF        = []byte("http_x_forwarded_for")
	extraKeys     = [...][]byte{[]byte("extra.1"), []byte("extra.2"), []byte("extra.3"), []byte("extra.4"),
		[]byte("extra.5"), []byte("extra.6"), []byte("extra.7"), []byte("extra.8"), []byte("extra.9"),
		[]byte("extra.10"), []byte("extra.11"), []byte("extra.12"), []byte("extra.13"), []byte("extra.14"),
		[]byte("extra.15"), []byte("extra.16")}
	anyIP = ipm{v4: true, v6: true}
)

// addDash adds a field, with a nil value for "-".
func addDash(r *Record, k, v []byte, t event.FieldType) {
	if len(v) == 1 && v[0] == '-' {
		r.Add(k, nil, event.TypeUnknown)
		return
	}
	r.Add(k, v, t)
}

func blanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

func wordEnd(b []byte, i int) int {
	for i < len(b) && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	return i
}

// Parse parses one access log line.
func (p AccessLog) Parse(b []byte, r *Record) error {
	i := 0
	// word fields, each followed by blanks
	if p.vhost {
		e := wordEnd(b, i)
		if e == i || b[e-1] == ',' {
			return r.Fail(p.name, "expected vhost", i)
		}
		host, port := splitHostPort(b[i:e:e])
		r.Add(keyVhost, host, event.TypeString)
		if port != nil {
			r.Add(keyVhostPort, port, event.TypeInt)
		}
		if i = blanks(b, e); i == e {
			return r.Fail(p.name, "expected blank", e)
		}
	}
	e := wordEnd(b, i)
	if e == i {
		return r.Fail(p.name, "expected remote address", i)
	}
	addr := b[i:e:e]
	if addr[len(addr)-1] == ',' {
		// an X-Forwarded-For list in place of the address ("10.0.0.1,
		// 172.16.0.2 - - [..."): the client is its first address
		if p.vhost {
			return r.Fail(p.name, "expected vhost", i)
		}
		addr = addr[:len(addr)-1]
		for n := 0; n < 16 && e < len(b) && b[e-1] == ','; n++ {
			j := blanks(b, e)
			if j == e || j >= len(b) {
				return r.Fail(p.name, "expected an address after ','", j)
			}
			e = wordEnd(b, j)
		}
		if b[e-1] == ',' {
			return r.Fail(p.name, "address list too long", e)
		}
		r.Add(keyRemoteAddr, addr, addrType(addr))
		r.Add(keyXFF, b[i:e:e], event.TypeString)
	} else {
		addDash(r, keyRemoteAddr, addr, addrType(addr))
	}
	// ident and user; custom log_formats drop one or both
	// ("$remote_addr - [$time_local] …")
	for n, k := range [2][]byte{keyIdent, keyRemoteUser} {
		if i = blanks(b, e); i == e {
			return r.Fail(p.name, "expected blank", e)
		}
		if i < len(b) && b[i] == '[' && !p.vhost {
			if n == 1 { // one word: the user
				r.Fields[len(r.Fields)-1].Key = keyRemoteUser
			}
			break
		}
		if e = wordEnd(b, i); e == i {
			return r.Fail(p.name, "expected ident or user", i)
		}
		addDash(r, k, b[i:e:e], event.TypeString)
	}
	if i = blanks(b, e); i == e || i >= len(b) || b[i] != '[' {
		return r.Fail(p.name, "expected [time]", i)
	}
	ts, n, ok := ParseCLFTime(b[i+1:])
	if !ok || i+1+n >= len(b) || b[i+1+n] != ']' {
		return r.Fail(p.name, "expected [02/Jan/2006:15:04:05 -0700]", i+1)
	}
	r.SetTS(ts, LayoutCLF)
	r.Add(keyTimeLocal, b[i+1:i+1+n:i+1+n], event.TypeTimestamp)
	e = i + 2 + n
	if i = blanks(b, e); i == e || i >= len(b) || b[i] != '"' {
		return r.Fail(p.name, "expected \"request\"", i)
	}
	qe, esc := scanQuoted(b, i+1, '"')
	if qe < 0 {
		return r.Fail(p.name, "unterminated request", i)
	}
	splitRequest(r, b[i+1:qe:qe], esc)
	e = qe + 1
	for _, k := range [2][]byte{keyStatus, keyBodyBytes} {
		if i = blanks(b, e); i == e {
			return r.Fail(p.name, "expected blank", e)
		}
		e = i
		if e < len(b) && (b[e] == '-' || b[e] == '+') {
			e++
		}
		for e < len(b) && digit(b[e]) {
			e++
		}
		switch {
		case e < len(b) && b[e] != ' ' && b[e] != '\t':
			return r.Fail(p.name, "expected a number or -", i)
		case e == i+1 && b[i] == '-':
			r.Add(k, nil, event.TypeUnknown)
		case e == i || !digit(b[e-1]):
			return r.Fail(p.name, "expected a number or -", i)
		default:
			r.Add(k, b[i:e:e], event.TypeInt)
		}
	}
	if p.vhost && blanks(b, e) == len(b) {
		// vhost with the common format: no referer and user agent
	} else if p.combined {
		for _, k := range [2][]byte{keyReferer, keyUserAgent} {
			if i = blanks(b, e); i == e || i >= len(b) || b[i] != '"' {
				return r.Fail(p.name, "expected a quoted string", i)
			}
			qe, esc := scanQuoted(b, i+1, '"')
			if qe < 0 {
				return r.Fail(p.name, "unterminated string", i)
			}
			v := b[i+1 : qe : qe]
			if esc {
				v = unescape(r, v)
			}
			addDash(r, k, v, event.TypeString)
			e = qe + 1
		}
		if i = blanks(b, e); i > e && i < len(b) {
			e = p.extra(b, i, r)
		}
	} else if i = blanks(b, e); i > e && i < len(b) && b[i] != '"' {
		// the common format with fields appended (request time, upstream):
		// a quoted string next is the combined format's business
		e = p.extra(b, i, r)
	}
	if e = blanks(b, e); e != len(b) {
		return r.Fail(p.name, "unexpected input", e)
	}
	r.Format = p.name
	r.Body = b
	return nil
}

// extra splits what follows the user agent (nginx ingress, traefik and
// custom formats append upstream addresses, times, ids, router names…) into
// fields extra.1, extra.2, …: one per blank-separated word or quoted string.
// Past extra.16, the rest of the line is kept whole in "extra".
func (p AccessLog) extra(b []byte, i int, r *Record) int {
	end := len(b)
	for end > i && (b[end-1] == ' ' || b[end-1] == '\t') {
		end--
	}
	for n := 0; i < end; n++ {
		if n == len(extraKeys) {
			r.Add(keyExtra, b[i:end:end], event.TypeString)
			return end
		}
		var v []byte
		e := i
		if b[i] == '"' {
			if qe, esc := scanQuoted(b[:end], i+1, '"'); qe > 0 {
				v = b[i+1 : qe : qe]
				if esc {
					v = unescape(r, v)
				}
				e = qe + 1
			}
		}
		if v == nil || (e < end && b[e] != ' ' && b[e] != '\t') {
			e = wordEnd(b[:end], i)
			v = b[i:e:e]
		}
		t := event.TypeString
		if b[i] != '"' {
			t = classify(v)
		}
		addDash(r, extraKeys[n], v, t)
		i = blanks(b, e)
	}
	return end
}

// splitRequest adds method, path and protocol when the request has the
// shape "METHOD path PROTO", else the whole request.
func splitRequest(r *Record, q []byte, esc bool) {
	m := 0
	for m < len(q) && m <= 20 && ((q[m] >= 'A' && q[m] <= 'Z') || q[m] == '-' || q[m] == '_') {
		m++
	}
	if m > 0 && m <= 20 && m < len(q) && q[m] == ' ' {
		ps := m + 1
		pe := ps
		for pe < len(q) && q[pe] != ' ' {
			pe++
		}
		proto := q[min(pe+1, len(q)):]
		if pe > ps && pe < len(q) && len(proto) > 0 && len(proto) <= 16 && plainProto(proto) {
			r.Add(keyMethod, q[:m:m], event.TypeString)
			r.Add(keyPath, q[ps:pe:pe], event.TypeString)
			r.Add(keyProtocol, proto, event.TypeString)
			return
		}
	}
	if esc {
		q = unescape(r, q)
	}
	addDash(r, keyRequest, q, event.TypeString)
}

// plainProto reports whether p has no blank, quote or backslash.
func plainProto(p []byte) bool {
	for _, c := range p {
		if c == ' ' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// addrType is TypeIP for an IP address, else TypeString.
func addrType(a []byte) event.FieldType {
	if anyIP.scan(a, 0) == len(a) {
		return event.TypeIP
	}
	return event.TypeString
}

var (
	keySSLProtocol = []byte("ssl_protocol")
	keySSLCipher   = []byte("ssl_cipher")
)

// SSLRequest parses Apache mod_ssl's ssl_request_log, whose default
// LogFormat is "%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b":
//
//	[10/Oct/2024:13:55:36 +0000] 198.51.100.7 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET /account HTTP/1.1" 5120
type SSLRequest struct{}

// NewSSLRequest returns the ssl_request_log parser ("apache_ssl_request").
func NewSSLRequest() SSLRequest { return SSLRequest{} }

// Name returns "apache_ssl_request".
func (SSLRequest) Name() string { return "apache_ssl_request" }

// Parse parses one ssl_request_log line.
func (SSLRequest) Parse(b []byte, r *Record) error {
	const name = "apache_ssl_request"
	if len(b) < 30 || b[0] != '[' {
		return r.Fail(name, "expected [time]", 0)
	}
	ts, n, ok := ParseCLFTime(b[1:])
	if !ok || 1+n >= len(b) || b[1+n] != ']' {
		return r.Fail(name, "expected [02/Jan/2006:15:04:05 -0700]", 1)
	}
	r.SetTS(ts, LayoutCLF)
	r.Add(keyTimeLocal, b[1:1+n:1+n], event.TypeTimestamp)
	e := 2 + n
	for _, k := range [3][]byte{keyRemoteAddr, keySSLProtocol, keySSLCipher} {
		i := blanks(b, e)
		if i == e || i >= len(b) || b[i] == '"' {
			return r.Fail(name, "expected a word", i)
		}
		e = wordEnd(b, i)
		v := b[i:e:e]
		t := event.TypeString
		if k[0] == 'r' {
			t = addrType(v)
		}
		addDash(r, k, v, t)
	}
	i := blanks(b, e)
	if i == e || i >= len(b) || b[i] != '"' {
		return r.Fail(name, "expected \"request\"", i)
	}
	qe, esc := scanQuoted(b, i+1, '"')
	if qe < 0 {
		return r.Fail(name, "unterminated request", i)
	}
	splitRequest(r, b[i+1:qe:qe], esc)
	i = blanks(b, qe+1)
	e = wordEnd(b, i)
	v := b[i:e:e]
	if i == qe+1 || e == i || classify(v) != event.TypeInt && !(len(v) == 1 && v[0] == '-') || blanks(b, e) != len(b) {
		return r.Fail(name, "expected the size", i)
	}
	addDash(r, keyBodyBytes, v, event.TypeInt)
	r.Format, r.Body = name, b
	return nil
}
