package logparse

import (
	"strings"
	"testing"
)

// TestAccessVariants: access-log shapes of the nginx and Apache
// documentation (log_format, LogFormat, mod_ssl's ssl_request_log) and of
// AWS's ALB, Classic ELB and CloudFront documentation, each written here:
// the format detected and the fields users query.
func TestAccessVariants(t *testing.T) {
	for _, c := range []struct {
		name, line, format string
		want               map[string]string
	}{
		{"x-forwarded-for list as the client",
			`10.0.0.1, 172.16.0.2 - - [10/Oct/2024:13:55:36 +0000] "GET /api/v1/items?page=2 HTTP/1.1" 200 512 "-" "curl/8.5.0"`, "combined",
			map[string]string{"remote_addr": "10.0.0.1", "http_x_forwarded_for": "10.0.0.1, 172.16.0.2", "status": "200", "path": "/api/v1/items?page=2"}},
		{"x-forwarded-for list, CLF",
			`203.0.113.9, 10.1.0.4, 10.1.0.5 - alice [10/Oct/2024:13:55:36 +0000] "POST /login HTTP/1.1" 302 0`, "clf",
			map[string]string{"remote_addr": "203.0.113.9", "remote_user": "alice", "status": "302"}},
		{"vhost:port prefix (apache vhost_combined)",
			`shop.example.com:443 198.51.100.7 - - [10/Oct/2024:13:55:36 +0000] "GET /cart HTTP/2.0" 200 1043 "https://shop.example.com/" "Mozilla/5.0"`, "vhost_combined",
			map[string]string{"vhost": "shop.example.com", "vhost_port": "443", "remote_addr": "198.51.100.7", "status": "200"}},
		{"vhost prefix, common format",
			`shop.example.com 198.51.100.7 - - [10/Oct/2024:13:55:36 +0000] "GET /cart HTTP/1.1" 404 153`, "vhost_combined",
			map[string]string{"vhost": "shop.example.com", "remote_addr": "198.51.100.7", "status": "404"}},
		{"nginx main with request_time and upstream fields",
			`192.0.2.44 - - [10/Oct/2024:13:55:36 +0000] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.30" "-" 0.002 0.001 10.244.1.7:8080`, "combined",
			map[string]string{"http_user_agent": "kube-probe/1.30", "extra.2": "0.002", "extra.4": "10.244.1.7:8080"}},
		{"common format with a trailing request time",
			`192.0.2.44 - - [10/Oct/2024:13:55:36 +0000] "GET /health HTTP/1.1" 200 2 0.002`, "clf",
			map[string]string{"status": "200", "extra.1": "0.002"}},
		{"apache ssl_request_log",
			`[10/Oct/2024:13:55:36 +0000] 198.51.100.7 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET /account HTTP/1.1" 5120`, "apache_ssl_request",
			map[string]string{"remote_addr": "198.51.100.7", "ssl_protocol": "TLSv1.3", "ssl_cipher": "TLS_AES_256_GCM_SHA384", "method": "GET", "path": "/account", "body_bytes_sent": "5120"}},
		{"aws application load balancer",
			`https 2024-10-10T13:55:36.186641Z app/shop-alb/50dc6c495c0c9188 198.51.100.7:52144 10.0.2.15:8080 0.000 0.012 0.000 200 200 512 2048 "GET https://shop.example.com:443/cart?id=7 HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/shop/73e2d6bc24d8a067 "Root=1-67080e58-3c2f1b9d5e6a7b8c9d0e1f20" "shop.example.com" "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012" 1 2024-10-10T13:55:36.170000Z "forward" "-" "-" "10.0.2.15:8080" "200" "-" "-" TID_0af1b2c3d4e5f60718293a4b5c6d7e8f`, "alb",
			map[string]string{"client_ip": "198.51.100.7", "client_port": "52144", "target_ip": "10.0.2.15", "elb_status_code": "200", "request_verb": "GET",
				"request_url": "https://shop.example.com:443/cart?id=7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "trace_id": "Root=1-67080e58-3c2f1b9d5e6a7b8c9d0e1f20", "conn_trace_id": "TID_0af1b2c3d4e5f60718293a4b5c6d7e8f"}},
		{"aws alb, no target (a 460)",
			`http 2024-10-10T13:55:37.000001Z app/shop-alb/50dc6c495c0c9188 198.51.100.8:40000 - -1 -1 -1 460 - 78 0 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.5.0" - - - "Root=1-67080e59-0000000000000000000000aa" "-" "-" 0 2024-10-10T13:55:36.990000Z "forward" "-" "-" "-" "-" "-" "-"`, "alb",
			map[string]string{"elb_status_code": "460", "target_ip": "", "request_proto": "HTTP/1.1"}},
		{"aws classic load balancer",
			`2024-10-10T13:55:36.945958Z shop-elb 198.51.100.7:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.5.0" - -`, "elb",
			map[string]string{"elb": "shop-elb", "client_ip": "198.51.100.7", "backend_port": "80", "backend_status_code": "200", "request_url": "http://shop.example.com:80/"}},
		{"cloudfront",
			"2024-10-10\t13:55:36\tFRA56-P5\t1045\t198.51.100.7\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(X11;%20Linux%20x86_64)\tlang=en\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\tshop.example.com\thttps\t23\t0.001\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-", "cloudfront",
			map[string]string{"c-ip": "198.51.100.7", "cs-method": "GET", "cs-uri-stem": "/index.html", "sc-status": "200", "x-edge-result-type": "Hit", "time-taken": "0.001", "sc-content-type": "text/html"}},
		{"cloudfront header", "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status", "cloudfront", map[string]string{}},
		{"calico felix",
			`2024-10-10 13:55:36.123 [INFO][77] felix/int_dataplane.go 1572: Received interface update msg=&intdataplane.ifaceStateUpdate{Name:"cali12ab", State:"up", Index:14} ipVersion=4`, "calico",
			map[string]string{"level": "INFO", "pid": "77", "source": "felix/int_dataplane.go", "line": "1572", "message": "Received interface update",
				"msg": `&intdataplane.ifaceStateUpdate{Name:"cali12ab", State:"up", Index:14}`, "ipVersion": "4"}},
		{"calico without a time",
			`[WARNING][1234] cni-plugin/k8s.go 612: Pod has no IP address="" ContainerID="abc123"`, "calico",
			map[string]string{"level": "WARNING", "pid": "1234", "message": "Pod has no IP", "address": "", "ContainerID": "abc123"}},
		{"klog with a map value and a quoted key",
			`I1010 13:55:36.123456       1 eviction_manager.go:351] "Eviction manager: attempting to reclaim" resourceName="memory" usage={cpu: 2, memory: 1Gi} "node name"="worker-1" pods=[ns/a ns/b]`, "klog",
			map[string]string{"message": "Eviction manager: attempting to reclaim", "resourceName": "memory", "usage": "{cpu: 2, memory: 1Gi}", "node name": "worker-1", "pods": "[ns/a ns/b]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := NewStream(StreamOptions{Year: 2024, Fallback: textFallback{}})
			var r Record
			if err := s.Parse([]byte(c.line), &r); err != nil {
				t.Fatal(err)
			}
			if r.Format != c.format {
				t.Fatalf("format %q, want %q (fields %v)", r.Format, c.format, r.Fields)
			}
			for k, v := range c.want {
				got, ok := r.Get(k)
				if !ok || string(got) != v {
					t.Errorf("%s = %q (%v), want %q", k, got, ok, v)
				}
			}
		})
	}
}

// TestOTelNames: the semantic names of each format's fields, and the
// splits.
func TestOTelNames(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`shop.example.com:443 198.51.100.7 - - [10/Oct/2024:13:55:36 +0000] "GET /cart?id=7 HTTP/1.1" 200 1043 "-" "Mozilla/5.0"`,
			"server.address=shop.example.com server.port=443 client.address=198.51.100.7 http.request.method=GET url.path=/cart network.protocol.name=http http.response.status_code=200 http.response.body.size=1043 user_agent.original=Mozilla/5.0 url.query=id=7 network.protocol.version=1.1"},
		{`2024-10-10T13:55:36.945958Z shop-elb 198.51.100.7:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.5.0" - -`,
			"client.address=198.51.100.7 client.port=2817 http.response.status_code=200 http.request.size=0 http.response.size=29 http.request.method=GET url.full=http://shop.example.com:80/ network.protocol.name=http user_agent.original=curl/8.5.0 network.protocol.version=1.1"},
		{`<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed`, "log.syslog.priority=34 host.name=mymachine process.executable.name=su process.pid=230"},
		{`I1010 13:55:36.123456       7 server.go:42] "Started" port=8080`, "log.level=I thread.id=7 code.file.path=server.go code.line.number=42"},
		{`[10/Oct/2024:13:55:36 +0000] 198.51.100.7 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET / HTTP/1.1" 5`, "client.address=198.51.100.7 tls.protocol.version=1.3 tls.cipher=TLS_AES_256_GCM_SHA384"},
		{`{"remote_addr":"1.2.3.4","status":200}`, "remote_addr=1.2.3.4 status=200"},
	} {
		s := NewStream(StreamOptions{Year: 2024})
		var r Record
		if err := s.Parse([]byte(c.line), &r); err != nil {
			t.Fatal(err)
		}
		ApplyNames(&r, NamesOTel)
		have := map[string]string{}
		for _, f := range r.Fields {
			have[string(f.Key)] = string(f.Value)
		}
		for _, kv := range strings.Fields(c.want) {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				t.Errorf("%.40s…: %s = %q, want %q (have %v)", c.line, k, have[k], v, have)
			}
		}
	}
}
