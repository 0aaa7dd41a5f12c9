package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// multilineSample is a log with stack traces, blank lines, access-log
// dashes (nulls) and a field that changes type, written for this test.
const multilineSample = `2024-05-01 10:00:00,001 INFO [main] shop.Checkout: order 1 placed in 35ms
2024-05-01 10:00:00,002 ERROR [main] shop.Checkout: order 2 failed
java.lang.IllegalStateException: inventory unavailable
	at shop.Inventory.reserve(Inventory.java:88)
Caused by: java.net.ConnectException: Connection refused
	... 3 more

2024-05-01 10:00:01,000 WARN [pool-1] shop.Pay: retry 3 of 5
panic: runtime error: index out of range [3] with length 0

goroutine 1 [running]:
main.main()
	/app/main.go:5 +0x1d
`

// TestJSONSchemaValidatesParse: for every fixture, every record that
// `logs parse` prints validates against what `logs inspect --output
// jsonschema` prints for the same file, with a real JSON Schema validator.
func TestJSONSchemaValidatesParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "logs", "*.log"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "schema", "*"))
	files = append(files, more...)
	files = append(files, fixture("app.log"))
	ml := filepath.Join(t.TempDir(), "traces.log")
	os.WriteFile(ml, []byte(multilineSample), 0o644)
	files = append(files, ml)
	access := filepath.Join(t.TempDir(), "access.log")
	// "-" (null) in some lines, numbers in others: status and size take two kinds
	os.WriteFile(access, []byte(`10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8"
10.0.0.2 - bob [01/May/2024:10:00:01 +0000] "POST /login HTTP/1.1" 302 - "https://x/" "Mozilla/5.0"
10.0.0.3, 172.16.0.9 - - [01/May/2024:10:00:02 +0000] "GET /a?b=1 HTTP/2.0" 404 0 "-" "-"
`), 0o644)
	files = append(files, access)
	for _, file := range files {
		for _, names := range [][]string{nil, {"--field-names", "otel"}} {
			t.Run(filepath.Base(file)+strings.Join(names, ""), func(t *testing.T) {
				args := append([]string{"logs", "inspect", "--output", "jsonschema"}, names...)
				sch, _, err := runCLI(t, "", append(args, file)...)
				if err != nil {
					t.Fatal(err)
				}
				doc, err := jsonschema.UnmarshalJSON(strings.NewReader(sch))
				if err != nil {
					t.Fatal(err)
				}
				c := jsonschema.NewCompiler()
				c.AssertFormat()
				if err := c.AddResource("schema.json", doc); err != nil {
					t.Fatal(err)
				}
				compiled, err := c.Compile("schema.json")
				if err != nil {
					t.Fatalf("schema does not compile: %v\n%s", err, sch)
				}
				out, _, err := runCLI(t, "", append(append([]string{"logs", "parse"}, names...), file)...)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					rec, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
					if err != nil {
						t.Fatalf("not JSON: %q", line)
					}
					if err := compiled.Validate(rec); err != nil {
						t.Errorf("record does not validate: %v\n%s", err, line)
					}
					n++
				}
				if n == 0 {
					t.Fatal("no records")
				}
			})
		}
	}
}

// TestFieldNamesOTel: --field-names otel prints OpenTelemetry's names.
func TestFieldNamesOTel(t *testing.T) {
	in := `10.0.0.3, 172.16.0.9 - bob [01/May/2024:10:00:02 +0000] "GET /a/b?page=2&sort=asc HTTP/2.0" 404 0 "https://x/" "curl/8"` + "\n"
	out, _, err := runCLI(t, in, "logs", "parse", "--field-names", "otel", "-")
	if err != nil {
		t.Fatal(err)
	}
	o := decodeLines(t, out)[0]
	f := o["fields"].(map[string]any)
	for k, v := range map[string]any{"client.address": "10.0.0.3", "user.name": "bob", "http.request.method": "GET", "url.path": "/a/b",
		"url.query": "page=2&sort=asc", "network.protocol.name": "http", "network.protocol.version": "2.0",
		"http.response.status_code": 404.0, "http.response.body.size": 0.0, "user_agent.original": "curl/8",
		"http.request.header.referer": "https://x/", "http.request.header.x-forwarded-for": "10.0.0.3, 172.16.0.9"} {
		if f[k] != v {
			t.Errorf("%s = %v, want %v", k, f[k], v)
		}
	}
	if _, _, err := runCLI(t, in, "logs", "parse", "--field-names", "ecs-ish", "-"); err == nil {
		t.Fatal("an unknown naming was accepted")
	}
}
