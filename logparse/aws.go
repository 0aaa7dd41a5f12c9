package logparse

import (
	"github.com/gopulse/gopulse/event"
)

// AWS load balancer and CDN access logs, with the field order of AWS's
// documentation and the column names of the Athena tables AWS documents for
// them (so that the names are the ones users already query):
//
//	alb:        type time elb client:port target:port request_processing_time … "request" "user_agent" …
//	elb:        time elb client:port backend:port request_processing_time … "request" "user_agent" ssl_cipher ssl_protocol
//	cloudfront: date time x-edge-location sc-bytes c-ip cs-method … (tab-separated; "#Version:" and "#Fields:" lines too)
//
// Fields that AWS appends in later versions are kept as extra.1, extra.2….

// awsField describes one space-separated field.
type awsField struct {
	name  []byte
	typ   event.FieldType
	split uint8 // splitAddr: "ip:port" into name and name2; splitRequest: "METHOD url PROTO"
	name2 []byte
}

const (
	splitNone uint8 = iota
	splitAddr
	splitReq
	splitTime
)

func af(name string, t event.FieldType) awsField { return awsField{name: []byte(name), typ: t} }

func afAddr(ip, port string) awsField {
	return awsField{name: []byte(ip), name2: []byte(port), typ: event.TypeIP, split: splitAddr}
}

var (
	keyRequestVerb  = []byte("request_verb")
	keyRequestURL   = []byte("request_url")
	keyRequestProto = []byte("request_proto")

	albFields = []awsField{
		af("type", event.TypeEnum), {name: []byte("time"), typ: event.TypeTimestamp, split: splitTime}, af("elb", event.TypeString),
		afAddr("client_ip", "client_port"), afAddr("target_ip", "target_port"),
		af("request_processing_time", event.TypeFloat), af("target_processing_time", event.TypeFloat), af("response_processing_time", event.TypeFloat),
		af("elb_status_code", event.TypeInt), af("target_status_code", event.TypeInt),
		af("received_bytes", event.TypeInt), af("sent_bytes", event.TypeInt),
		{split: splitReq}, af("user_agent", event.TypeString),
		af("ssl_cipher", event.TypeString), af("ssl_protocol", event.TypeString), af("target_group_arn", event.TypeString),
		af("trace_id", event.TypeString), af("domain_name", event.TypeString), af("chosen_cert_arn", event.TypeString),
		af("matched_rule_priority", event.TypeInt), af("request_creation_time", event.TypeTimestamp),
		af("actions_executed", event.TypeString), af("redirect_url", event.TypeString), af("error_reason", event.TypeString),
		af("target_port_list", event.TypeString), af("target_status_code_list", event.TypeString),
		af("classification", event.TypeString), af("classification_reason", event.TypeString), af("conn_trace_id", event.TypeString),
	}
	elbFields = []awsField{
		{name: []byte("time"), typ: event.TypeTimestamp, split: splitTime}, af("elb", event.TypeString),
		afAddr("client_ip", "client_port"), afAddr("backend_ip", "backend_port"),
		af("request_processing_time", event.TypeFloat), af("backend_processing_time", event.TypeFloat), af("response_processing_time", event.TypeFloat),
		af("elb_status_code", event.TypeInt), af("backend_status_code", event.TypeInt),
		af("received_bytes", event.TypeInt), af("sent_bytes", event.TypeInt),
		{split: splitReq}, af("user_agent", event.TypeString),
		af("ssl_cipher", event.TypeString), af("ssl_protocol", event.TypeString),
	}
)

// AWSLoadBalancer parses Application Load Balancer ("alb") or Classic
// Load Balancer ("elb") access logs.
type AWSLoadBalancer struct {
	name   string
	fields []awsField
}

// NewALB returns the Application Load Balancer access log parser ("alb").
func NewALB() AWSLoadBalancer { return AWSLoadBalancer{name: "alb", fields: albFields} }

// NewELB returns the Classic Load Balancer access log parser ("elb").
func NewELB() AWSLoadBalancer { return AWSLoadBalancer{name: "elb", fields: elbFields} }

// Name returns the format name.
func (p AWSLoadBalancer) Name() string { return p.name }

// albType reports whether b starts like an ALB line: a known type word.
func albType(b []byte) bool {
	e := wordEnd(b, 0)
	switch string(b[:e]) {
	case "http", "https", "h2", "grpcs", "ws", "wss":
		return true
	}
	return false
}

// Parse parses one load balancer access log line.
func (p AWSLoadBalancer) Parse(b []byte, r *Record) error {
	if p.name == "alb" && !albType(b) {
		return r.Fail(p.name, "expected http, https, h2, grpcs, ws or wss", 0)
	}
	i, n := 0, 0
	for i < len(b) {
		var v []byte
		quoted := b[i] == '"'
		e := i
		if quoted {
			qe, esc := scanQuoted(b, i+1, '"')
			if qe < 0 {
				return r.Fail(p.name, "unterminated string", i)
			}
			v, e = b[i+1:qe:qe], qe+1
			if esc {
				v = unescape(r, v)
			}
		} else {
			e = wordEnd(b, i)
			v = b[i:e:e]
		}
		if e < len(b) && b[e] != ' ' {
			return r.Fail(p.name, "expected a blank", e)
		}
		if n >= len(p.fields) {
			if n-len(p.fields) >= len(extraKeys) {
				r.Add(keyExtra, b[i:len(b):len(b)], event.TypeString)
				break
			}
			t := event.TypeString
			if !quoted {
				t = classify(v)
			}
			addDash(r, extraKeys[n-len(p.fields)], v, t)
		} else if err := p.field(r, &p.fields[n], v, quoted, i); err != nil {
			return err
		}
		n++
		i = blanks(b, e)
	}
	if n < p.minFields() {
		return r.Fail(p.name, "too few fields", len(b))
	}
	r.Format = p.name
	r.Body = b
	return nil
}

// minFields: up to the user agent; later fields came in later versions.
func (p AWSLoadBalancer) minFields() int {
	if p.name == "alb" {
		return 14
	}
	return 13
}

func (p AWSLoadBalancer) field(r *Record, f *awsField, v []byte, quoted bool, col int) error {
	switch f.split {
	case splitTime:
		ts, n, ok := ParseRFC3339(v)
		if !ok || n != len(v) {
			return r.Fail(p.name, "expected an RFC 3339 time", col)
		}
		r.SetTS(ts, LayoutRFC3339)
		r.Add(f.name, v, event.TypeTimestamp)
	case splitAddr:
		if len(v) == 1 && v[0] == '-' {
			r.Add(f.name, nil, event.TypeUnknown)
			return nil
		}
		// "1.2.3.4:80", or "[2001:db8::1]:80"
		ip, e := v, scanIPv4(v, 0)
		if len(v) > 0 && v[0] == '[' {
			if e = scanIPv6(v, 1); e > 0 && e < len(v) && v[e] == ']' {
				ip, e = v[1:e], e+1
			} else {
				e = -1
			}
		}
		if e < 0 || e >= len(v) || v[e] != ':' || scanDigits(v, e+1, 5) != len(v) {
			return r.Fail(p.name, "expected ip:port", col)
		}
		if len(ip) == len(v) {
			ip = v[:e]
		}
		r.Add(f.name, ip[:len(ip):len(ip)], event.TypeIP)
		r.Add(f.name2, v[e+1:], event.TypeInt)
	case splitReq:
		if !quoted {
			return r.Fail(p.name, "expected a quoted request", col)
		}
		// "GET https://host:443/path?q HTTP/1.1", or "- - - " when the
		// request could not be parsed
		m := wordEnd(v, 0)
		u := blanks(v, m)
		ue := wordEnd(v, u)
		if m == 0 || ue == u {
			r.Add(keyRequestVerb, nil, event.TypeUnknown)
			return nil
		}
		addDash(r, keyRequestVerb, v[:m:m], event.TypeString)
		addDash(r, keyRequestURL, v[u:ue:ue], event.TypeString)
		if ps := blanks(v, ue); ps < len(v) {
			addDash(r, keyRequestProto, trimSpace(v[ps:]), event.TypeString)
		}
	default:
		if !quoted && (f.typ == event.TypeInt || f.typ == event.TypeFloat) && !(len(v) == 1 && v[0] == '-') {
			if classify(v) == event.TypeString {
				return r.Fail(p.name, "expected a number", col)
			}
		}
		addDash(r, f.name, v, f.typ)
	}
	return nil
}

// cloudFrontFields are the fields of CloudFront standard logs, in order,
// with the names of the "#Fields:" line.
var cloudFrontFields = func() [][]byte {
	names := []string{"date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
		"sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
		"x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
		"ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
		"fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
		"sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end"}
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}()

var cloudFrontTypes = map[string]event.FieldType{
	"sc-bytes": event.TypeInt, "c-ip": event.TypeIP, "sc-status": event.TypeInt, "cs-bytes": event.TypeInt,
	"time-taken": event.TypeFloat, "c-port": event.TypeInt, "time-to-first-byte": event.TypeFloat,
	"sc-content-len": event.TypeInt, "sc-range-start": event.TypeInt, "sc-range-end": event.TypeInt,
}

var keyDirective = []byte("directive")

// CloudFront parses CloudFront standard (access) logs: tab-separated
// fields in the documented order, and the "#Version:" and "#Fields:"
// header lines (format "cloudfront", field "directive").
type CloudFront struct{}

// NewCloudFront returns the CloudFront access log parser ("cloudfront").
func NewCloudFront() CloudFront { return CloudFront{} }

// Name returns "cloudfront".
func (CloudFront) Name() string { return "cloudfront" }

// Parse parses one CloudFront log line.
func (CloudFront) Parse(b []byte, r *Record) error {
	if hasLit(b, 0, "#Version: ") || hasLit(b, 0, "#Fields: date") {
		r.Add(keyDirective, b, event.TypeString)
		r.Format, r.Body = "cloudfront", b
		return nil
	}
	// date<TAB>time<TAB>…
	if len(b) < 20 || b[10] != '\t' || b[19] != '\t' {
		return r.Fail("cloudfront", "expected date and time", 0)
	}
	ts, n, ok := ParseRFC3339(b[:19])
	if !ok || n != 19 {
		// "2024-05-01\t10:00:00" is not RFC 3339: read it as "2024-05-01 10:00:00"
		var tmp [19]byte
		copy(tmp[:], b[:19])
		tmp[10] = ' '
		if ts, n, ok = ParseRFC3339(tmp[:]); !ok || n != 19 {
			return r.Fail("cloudfront", "expected date and time", 0)
		}
	}
	r.SetTS(ts, LayoutRFC3339)
	i, f := 0, 0
	for i <= len(b) {
		e := i
		for e < len(b) && b[e] != '\t' {
			e++
		}
		v := b[i:e:e]
		switch {
		case f < len(cloudFrontFields):
			name := cloudFrontFields[f]
			t, ok := cloudFrontTypes[string(name)]
			if !ok {
				t = event.TypeString
			}
			switch f {
			case 0, 1:
				t = event.TypeTimestamp
			}
			if t == event.TypeIP && anyIP.scan(v, 0) != len(v) {
				t = event.TypeString
			}
			addDash(r, name, v, t)
		case f-len(cloudFrontFields) < len(extraKeys):
			addDash(r, extraKeys[f-len(cloudFrontFields)], v, classify(v))
		}
		f++
		i = e + 1
	}
	if f < 19 {
		return r.Fail("cloudfront", "too few fields", len(b))
	}
	r.Format, r.Body = "cloudfront", b
	return nil
}
