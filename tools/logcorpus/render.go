package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// values draws realistic values for log arguments, from the verb and a
// hint (the argument expression: "pod.name", "err", "len()"). Each stream
// has its own vals, so names repeat within a stream as they do in real
// logs (a few pods, nodes and users, many request ids).
type vals struct {
	rng   *rand.Rand
	names map[string][]string // per hint kind: the stream's population
}

func newVals(seed uint64) *vals {
	return &vals{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), names: map[string][]string{}}
}

func (v *vals) pick(list []string) string { return list[v.rng.IntN(len(list))] }

// population returns one of the stream's n members of a kind, made by gen
// on first use: a stream sees a handful of nodes, not a new one per line.
func (v *vals) population(kind string, n int, gen func() string) string {
	p := v.names[kind]
	if len(p) < n && (len(p) == 0 || v.rng.IntN(3) == 0) {
		p = append(p, gen())
		v.names[kind] = p
		return p[len(p)-1]
	}
	return p[v.rng.IntN(len(p))]
}

var (
	errorTexts = []string{
		"context deadline exceeded", "context canceled", "EOF", "connection refused",
		"i/o timeout", "unexpected EOF", "permission denied", "no such file or directory",
		"broken pipe", "connection reset by peer", "too many open files", "resource temporarily unavailable",
		"etcdserver: request timed out", "the object has been modified; please apply your changes to the latest version and try again",
		"rpc error: code = Unavailable desc = connection error", "x509: certificate has expired or is not yet valid",
		"database is locked", "invalid argument", "not found", "already exists", "leader changed",
		"dial tcp %IP%:%PORT%: connect: connection refused", "read tcp %IP%:%PORT%->%IP%:%PORT%: read: connection reset by peer",
		"open %PATH%: no such file or directory", "lookup %HOST% on %IP%:53: no such host",
		"Get \"%URL%\": dial tcp %IP%:%PORT%: i/o timeout", "write %PATH%: no space left on device",
		"failed to decode: invalid character 'x' looking for beginning of value", "mvcc: required revision has been compacted",
	}
	words = []string{"alpha", "beta", "gamma", "delta", "default", "primary", "secondary", "stable", "canary",
		"frontend", "backend", "payments", "checkout", "orders", "billing", "search", "auth", "ingest", "worker", "scheduler"}
	namespaces = []string{"default", "kube-system", "monitoring", "ingress-nginx", "prod", "staging", "cert-manager", "logging"}
	kinds      = []string{"Pod", "Deployment", "Service", "ConfigMap", "Secret", "Node", "StatefulSet", "DaemonSet", "Job", "Ingress", "Lease", "Endpoints"}
	methods    = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}
	apps       = []string{"nginx", "redis", "api", "web", "coredns", "etcd", "prometheus", "grafana", "kafka", "postgres", "envoy", "fluent-bit"}
	states     = []string{"Running", "Pending", "Succeeded", "Failed", "Unknown", "Ready", "NotReady", "Terminating"}
	protocols  = []string{"tcp", "udp", "http", "https", "grpc", "h2c"}
	users      = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent", "victor", "walter"}
)

const lower = "abcdefghijklmnopqrstuvwxyz"
const lowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789"

func (v *vals) str(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[v.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (v *vals) hex(n int) string { return v.str("0123456789abcdef", n) }

func (v *vals) ip() string {
	switch v.rng.IntN(3) {
	case 0:
		return fmt.Sprintf("10.%d.%d.%d", v.rng.IntN(256), v.rng.IntN(256), 1+v.rng.IntN(254))
	case 1:
		return fmt.Sprintf("172.%d.%d.%d", 16+v.rng.IntN(16), v.rng.IntN(256), 1+v.rng.IntN(254))
	}
	return fmt.Sprintf("192.168.%d.%d", v.rng.IntN(256), 1+v.rng.IntN(254))
}

func (v *vals) port() string {
	return strconv.Itoa([]int{80, 443, 2379, 2380, 6443, 8080, 9090, 9093, 10250, 4222, 5432}[v.rng.IntN(11)] + v.rng.IntN(2)*v.rng.IntN(30000))
}

func (v *vals) uuid() string {
	return v.hex(8) + "-" + v.hex(4) + "-" + v.hex(4) + "-" + v.hex(4) + "-" + v.hex(12)
}

func (v *vals) podName() string {
	return v.pick(apps) + "-" + v.str("bcdfghjklmnpqrstvwxz2456789", 10) + "-" + v.str("bcdfghjklmnpqrstvwxz2456789", 5)
}

func (v *vals) nodeName() string {
	switch v.rng.IntN(3) {
	case 0:
		return fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", v.rng.IntN(256), v.rng.IntN(256))
	case 1:
		return fmt.Sprintf("worker-%d", v.rng.IntN(40))
	}
	return fmt.Sprintf("gke-prod-pool-%s-%s", v.hex(8), v.str(lowerDigits, 4))
}

func (v *vals) path() string {
	dirs := []string{"/var/lib/etcd/member/snap", "/var/log/pods", "/etc/kubernetes/pki", "/var/lib/kubelet/pods", "/tmp", "/data/db", "/run/containerd/io.containerd.runtime.v2.task/k8s.io"}
	return v.pick(dirs) + "/" + v.str(lower, 6) + []string{".db", ".log", ".crt", ".json", "", ".snap"}[v.rng.IntN(6)]
}

func (v *vals) url() string {
	return fmt.Sprintf("https://%s:%s/api/v1/namespaces/%s/pods?limit=%d", v.ip(), v.port(), v.pick(namespaces), 1+v.rng.IntN(500))
}

func (v *vals) duration() string {
	switch v.rng.IntN(4) {
	case 0:
		return strconv.Itoa(1+v.rng.IntN(999)) + "ms"
	case 1:
		return strconv.FormatFloat(v.rng.Float64()*30, 'f', 3, 64) + "s"
	case 2:
		return fmt.Sprintf("%dm%ds", 1+v.rng.IntN(59), v.rng.IntN(60))
	}
	return strconv.FormatFloat(v.rng.Float64()*900, 'f', 1, 64) + "µs"
}

func (v *vals) errText() string {
	e := v.pick(errorTexts)
	for strings.Contains(e, "%") {
		switch {
		case strings.Contains(e, "%IP%"):
			e = strings.Replace(e, "%IP%", v.ip(), 1)
		case strings.Contains(e, "%PORT%"):
			e = strings.Replace(e, "%PORT%", v.port(), 1)
		case strings.Contains(e, "%PATH%"):
			e = strings.Replace(e, "%PATH%", v.path(), 1)
		case strings.Contains(e, "%HOST%"):
			e = strings.Replace(e, "%HOST%", v.nodeName(), 1)
		case strings.Contains(e, "%URL%"):
			e = strings.Replace(e, "%URL%", v.url(), 1)
		default:
			return e
		}
	}
	return e
}

func has(h string, parts ...string) bool {
	for _, p := range parts {
		if strings.Contains(h, p) {
			return true
		}
	}
	return false
}

// value renders one argument for verb (a printf verb letter, or 'v' for a
// structured value) from its hint.
func (v *vals) value(verb byte, h string) string {
	last := h
	if i := strings.LastIndexByte(h, '.'); i >= 0 {
		last = h[i+1:]
	}
	switch verb {
	case 'd', 'x', 'X', 'o', 'b', 'c', 'U':
		n := v.intFor(h)
		if verb == 'x' || verb == 'X' {
			if has(h, "id", "hash", "term", "index", "lead", "from", "to") {
				return strconv.FormatUint(v.rng.Uint64()>>uint(v.rng.IntN(40)), 16)
			}
			return strconv.FormatInt(int64(n), 16)
		}
		return strconv.Itoa(n)
	case 'f', 'g', 'e', 'F', 'G':
		return strconv.FormatFloat(v.rng.Float64()*float64([]int{1, 100, 10000}[v.rng.IntN(3)]), 'f', 2, 64)
	case 't':
		return strconv.FormatBool(v.rng.IntN(2) == 0)
	case 'q':
		return strconv.Quote(v.value('s', h))
	case 'p':
		return "0xc000" + v.hex(6)
	}
	// %s, %v and structured values: by hint
	switch {
	case last == "err" || last == "error" || has(h, "err()", "error()", "lasterr", "reason()"):
		return v.errText()
	case h == "lit.int" || has(last, "count", "num", "total", "size", "len", "retries", "attempt", "port", "code", "term", "index", "revision", "rev", "replicas", "generation", "pid", "limit", "capacity", "seq", "version") && !has(last, "name", "string"):
		if last == "version" || has(last, "apiversion") {
			return fmt.Sprintf("v%d.%d.%d", v.rng.IntN(3), v.rng.IntN(40), v.rng.IntN(20))
		}
		if has(last, "port") {
			return v.port()
		}
		return strconv.Itoa(v.intFor(h))
	case h == "lit.float" || has(last, "ratio", "percent", "fraction", "rate", "load", "usage"):
		return strconv.FormatFloat(v.rng.Float64(), 'f', 4, 64)
	case has(last, "duration", "timeout", "elapsed", "took", "latency", "interval", "delay", "backoff", "period", "ttl", "wait", "age") || has(h, "since()", "sub()"):
		return v.duration()
	case has(last, "time", "deadline", "expir", "timestamp", "now") || has(h, "now()"):
		return "2024-03-10T13:" + fmt.Sprintf("%02d:%02d.%03dZ", v.rng.IntN(60), v.rng.IntN(60), v.rng.IntN(1000))
	case has(last, "addr", "ip", "endpoint", "peer", "remote", "listen", "server", "host", "target", "member", "url", "uri"):
		switch {
		case has(last, "url", "uri"):
			return v.url()
		case has(last, "host") && v.rng.IntN(2) == 0:
			return v.population("host", 6, v.nodeName)
		case has(last, "ip") && !has(last, "ipv6"):
			return v.ip()
		}
		return v.ip() + ":" + v.port()
	case has(last, "path", "file", "dir", "filename", "socket", "mount", "device"):
		return v.path()
	case has(last, "uid", "uuid", "requestid", "traceid", "txid", "sessionid", "token", "digest", "sha"):
		if has(last, "digest", "sha") {
			return "sha256:" + v.hex(64)
		}
		return v.uuid()
	case last == "id" || has(last, "id") && !has(last, "valid", "hidden", "idle"):
		switch v.rng.IntN(3) {
		case 0:
			return v.hex(16)
		case 1:
			return strconv.Itoa(v.rng.IntN(1 << 20))
		}
		return v.uuid()
	case has(last, "namespace", "ns"):
		return v.population("ns", 5, func() string { return v.pick(namespaces) })
	case has(h, "pod") || has(last, "container"):
		return v.population("pod", 12, v.podName)
	case has(last, "node"):
		return v.population("node", 6, v.nodeName)
	case has(last, "kind", "resource", "gvk", "gvr", "type"):
		return v.pick(kinds)
	case has(last, "method", "verb"):
		return v.pick(methods)
	case has(last, "state", "status", "phase", "condition"):
		return v.pick(states)
	case has(last, "protocol", "proto", "scheme", "network"):
		return v.pick(protocols)
	case has(last, "user", "username", "account", "owner"):
		return v.pick(users)
	case has(last, "key"):
		return "/registry/" + strings.ToLower(v.pick(kinds)) + "s/" + v.pick(namespaces) + "/" + v.population("pod", 12, v.podName)
	case has(last, "image"):
		return "registry.k8s.io/" + v.pick(apps) + ":v" + strconv.Itoa(1+v.rng.IntN(9)) + "." + strconv.Itoa(v.rng.IntN(30))
	case has(last, "name", "service", "cluster", "component", "controller", "plugin", "handler", "job", "group", "stream", "topic", "queue", "bucket", "db", "database", "table", "subject", "account", "module", "app"):
		return v.population("name:"+last, 8, v.name)
	case h == "composite":
		return fmt.Sprintf("{%s:%s %s:%d}", "Name", v.name(), "Port", v.intFor("port"))
	case h == "lit.string":
		return v.name()
	case has(last, "ok", "enabled", "ready", "found", "healthy", "leader", "exists", "valid", "force"):
		return strconv.FormatBool(v.rng.IntN(2) == 0)
	}
	// unknown: a mix of the shapes values take
	switch v.rng.IntN(6) {
	case 0:
		return strconv.Itoa(v.intFor(h))
	case 1:
		return v.population("misc", 10, v.name)
	case 2:
		return v.hex(8)
	case 3:
		return v.population("pod", 12, v.podName)
	case 4:
		return v.pick(words)
	}
	return v.population("misc", 10, v.name)
}

// name makes an identifier as programs name things.
func (v *vals) name() string {
	switch v.rng.IntN(5) {
	case 0:
		return v.pick(words) + "-" + v.pick(words)
	case 1:
		return v.pick(apps) + "-" + strconv.Itoa(v.rng.IntN(10))
	case 2:
		return v.pick(words) + "_" + v.str(lower, 4)
	case 3:
		return v.pick(apps)
	}
	return v.pick(words)
}

func (v *vals) intFor(h string) int {
	switch {
	case has(h, "port"):
		n, _ := strconv.Atoi(v.port())
		return n
	case has(h, "code", "status"):
		return []int{200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503}[v.rng.IntN(13)]
	case has(h, "pid"):
		return 1 + v.rng.IntN(65535)
	}
	switch v.rng.IntN(4) {
	case 0:
		return v.rng.IntN(10)
	case 1:
		return v.rng.IntN(1000)
	case 2:
		return v.rng.IntN(1 << 20)
	}
	return v.rng.IntN(100)
}

// renderPrintf fills a printf format with values for its arguments.
func (v *vals) renderPrintf(format string, hints []string) string {
	var b strings.Builder
	arg := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			b.WriteString(format[i:])
			break
		}
		verb := format[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		h := ""
		if arg < len(hints) {
			h = hints[arg]
		}
		arg++
		b.WriteString(v.value(verb, h))
	}
	return b.String()
}

// templateOf is the ground-truth template of a printf format: every verb
// becomes <*>. Two formats that differ only in their verbs are one event.
func templateOf(format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			break
		}
		i = j
		if format[j] == '%' {
			b.WriteByte('%')
			continue
		}
		b.WriteString("<*>")
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// constantWords counts the words of a template that hold at least two
// letters outside its parameters: a template without any names no event.
func constantWords(tmpl string) int {
	n := 0
	for _, w := range strings.Fields(strings.ReplaceAll(tmpl, "<*>", " ")) {
		letters := 0
		for _, r := range w {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				letters++
			}
		}
		if letters >= 2 {
			n++
		}
	}
	return n
}
