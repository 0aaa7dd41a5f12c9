package logparse

import (
	"errors"
	"fmt"

	"github.com/gopulse/gopulse/event"
)

// Naming selects the names of the fields the parsers extract.
type Naming uint8

const (
	// NamesNative keeps each format's own names (nginx's log_format
	// variables, RFC 5424's header names, AWS's Athena columns…).
	NamesNative Naming = iota
	// NamesOTel renames the fields that have one to OpenTelemetry's semantic
	// convention names (client.address, http.request.method, url.path,
	// http.response.status_code, user_agent.original, host.name,
	// process.pid…), and to ECS's where OpenTelemetry has none
	// (log.level, log.syslog.*, log.logger), so that a field is queried by
	// the name dashboards already use whatever format it came from. Some
	// fields are split on the way: a request path into url.path and
	// url.query, "HTTP/1.1" into network.protocol.name and
	// network.protocol.version, "file.go:42" into code.file.path and
	// code.line.number, "TLSv1.3" into tls.protocol.version. Keys of JSON,
	// logfmt and slog lines are the application's own and are kept.
	NamesOTel
)

// ErrUnknownNaming is returned by ParseNaming.
var ErrUnknownNaming = errors.New("unknown field naming")

// ParseNaming reads "gopulse" (or "" or "native") and "otel".
func ParseNaming(s string) (Naming, error) {
	switch s {
	case "", "gopulse", "native":
		return NamesNative, nil
	case "otel":
		return NamesOTel, nil
	}
	return 0, fmt.Errorf("%w %q (gopulse or otel)", ErrUnknownNaming, s)
}

func (n Naming) String() string {
	if n == NamesOTel {
		return "otel"
	}
	return "gopulse"
}

// how a native field becomes its semantic one(s)
const (
	semRename   uint8 = iota
	semURL            // path?query → url.path, url.query
	semProto          // HTTP/1.1 → network.protocol.name, network.protocol.version
	semFileLine       // file.go:42 → code.file.path, code.line.number
	semTLS            // TLSv1.3 → tls.protocol.version
)

type semName struct {
	name []byte
	how  uint8
}

func sn(name string) semName { return semName{name: []byte(name)} }

var (
	semURLPath      = []byte("url.path")
	semURLQuery     = []byte("url.query")
	semProtoName    = []byte("network.protocol.name")
	semProtoVersion = []byte("network.protocol.version")
	semFilePath     = []byte("code.file.path")
	semLineNumber   = []byte("code.line.number")
	semTLSVersion   = []byte("tls.protocol.version")
	semHTTP         = []byte("http")
)

// Semantic names per format; "*" holds the names of headers that any
// non-structured format (and the free-text refinement) may add.
var semanticNames = func() map[string]map[string]semName {
	access := map[string]semName{
		"remote_addr": sn("client.address"), "remote_user": sn("user.name"),
		"method": sn("http.request.method"), "path": {[]byte("url.path"), semURL}, "protocol": {[]byte("network.protocol.name"), semProto},
		"status": sn("http.response.status_code"), "body_bytes_sent": sn("http.response.body.size"),
		"http_referer": sn("http.request.header.referer"), "http_user_agent": sn("user_agent.original"),
		"http_x_forwarded_for": sn("http.request.header.x-forwarded-for"),
		"vhost":                sn("server.address"), "vhost_port": sn("server.port"),
		"ssl_protocol": {[]byte("tls.protocol.version"), semTLS}, "ssl_cipher": sn("tls.cipher"),
	}
	lb := map[string]semName{
		"client_ip": sn("client.address"), "client_port": sn("client.port"),
		"elb_status_code": sn("http.response.status_code"), "received_bytes": sn("http.request.size"), "sent_bytes": sn("http.response.size"),
		"request_verb": sn("http.request.method"), "request_url": sn("url.full"), "request_proto": {[]byte("network.protocol.name"), semProto},
		"user_agent": sn("user_agent.original"), "ssl_cipher": sn("tls.cipher"), "ssl_protocol": {[]byte("tls.protocol.version"), semTLS},
		"domain_name": sn("server.address"),
	}
	syslog := map[string]semName{
		"hostname": sn("host.name"), "appname": sn("process.executable.name"), "pid": sn("process.pid"), "procid": sn("process.pid"),
		"priority": sn("log.syslog.priority"), "msgid": sn("log.syslog.msgid"), "version": sn("log.syslog.version"),
	}
	common := map[string]semName{
		"level": sn("log.level"), "host": sn("host.name"), "program": sn("process.executable.name"), "pid": sn("process.pid"),
		"thread": sn("thread.name"), "component": sn("log.logger"), "logger": sn("log.logger"),
	}
	return map[string]map[string]semName{
		"*": common, "clf": access, "combined": access, "vhost_combined": access, "apache_ssl_request": access,
		"alb": lb, "elb": lb,
		"cloudfront": {
			"c-ip": sn("client.address"), "c-port": sn("client.port"), "cs-method": sn("http.request.method"),
			"cs-uri-stem": sn("url.path"), "cs-uri-query": sn("url.query"), "sc-status": sn("http.response.status_code"),
			"cs(User-Agent)": sn("user_agent.original"), "cs(Referer)": sn("http.request.header.referer"),
			"x-host-header": sn("server.address"), "sc-bytes": sn("http.response.size"), "cs-bytes": sn("http.request.size"),
			"cs-protocol": sn("url.scheme"), "cs-protocol-version": {[]byte("network.protocol.name"), semProto},
			"ssl-protocol": {[]byte("tls.protocol.version"), semTLS}, "ssl-cipher": sn("tls.cipher"),
			"x-forwarded-for": sn("http.request.header.x-forwarded-for"), "sc-content-type": sn("http.response.header.content-type"),
			"sc-content-len": sn("http.response.body.size"),
		},
		"nginx_error": {"pid": sn("process.pid"), "tid": sn("thread.id"), "client": sn("client.address"), "host": sn("server.address")},
		"apache_error": {"pid": sn("process.pid"), "tid": sn("thread.id"), "client": sn("client.address"), "client_port": sn("client.port"),
			"module": sn("log.logger")},
		"syslog": syslog, "syslog5424": syslog,
		"klog":   {"thread": sn("thread.id"), "source": {[]byte("code.file.path"), semFileLine}},
		"calico": {"pid": sn("process.pid"), "source": sn("code.file.path"), "line": sn("code.line.number")},
		"jul":    {"logger": sn("log.logger"), "method": sn("code.function.name")},
		// the application's own keys
		"json": {}, "logfmt": {}, "slog": {},
	}
}()

// ApplyNames renames r's fields to the naming n (see NamesOTel). It
// allocates nothing once r's field slice has grown to its longest record.
func ApplyNames(r *Record, n Naming) {
	if n != NamesOTel {
		return
	}
	own, ok := semanticNames[r.Format]
	if ok && len(own) == 0 {
		return // json, logfmt, slog
	}
	common := semanticNames["*"]
	for i, nf := 0, len(r.Fields); i < nf; i++ {
		f := &r.Fields[i]
		s, ok := own[string(f.Key)]
		if !ok {
			if s, ok = common[string(f.Key)]; !ok {
				continue
			}
		}
		switch s.how {
		case semRename:
			f.Key = s.name
		case semURL:
			v := f.Value
			f.Key = semURLPath
			for j, c := range v {
				if c == '?' {
					f.Value = v[:j:j]
					r.Add(semURLQuery, v[j+1:], event.TypeString)
					break
				}
			}
		case semProto:
			v := f.Value
			if j := indexLit(v, "/"); j > 0 && hasLit(v, 0, "HTTP") {
				f.Key, f.Value = semProtoName, semHTTP
				r.Add(semProtoVersion, v[j+1:], event.TypeString)
			} else {
				f.Key = semProtoName
			}
		case semFileLine:
			v := f.Value
			f.Key = semFilePath
			for j := len(v) - 1; j > 0; j-- {
				if v[j] == ':' {
					if scanDigits(v, j+1, 9) == len(v) {
						f.Value = v[:j:j]
						r.Add(semLineNumber, v[j+1:], event.TypeInt)
					}
					break
				}
			}
		case semTLS:
			f.Key = semTLSVersion
			if hasLit(f.Value, 0, "TLSv") {
				f.Value = f.Value[4:]
			}
		}
	}
}
