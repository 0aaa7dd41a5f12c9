package probes

import (
	"errors"
	"strings"
	"testing"
)

// fakeProc is a candidate with fixed facts; it counts the lookups.
type fakeProc struct {
	exe, cmdline string
	pod          *Pod
	podErr       error
	ports        []uint16
	calls        map[string]int
}

func (p *fakeProc) count(s string) {
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	p.calls[s]++
}
func (p *fakeProc) Exe() string     { p.count("exe"); return p.exe }
func (p *fakeProc) Cmdline() string { p.count("cmdline"); return p.cmdline }
func (p *fakeProc) Pod() (Pod, bool, error) {
	p.count("pod")
	if p.podErr != nil {
		return Pod{}, true, p.podErr
	}
	if p.pod == nil {
		return Pod{}, false, nil
	}
	return *p.pod, true, nil
}
func (p *fakeProc) ListenPorts() []uint16 { p.count("ports"); return p.ports }

func mustCompile(t *testing.T, s Selection) *Selector {
	t.Helper()
	sel, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func TestSelectDefaults(t *testing.T) {
	sel := mustCompile(t, Selection{})
	for _, c := range []struct {
		exe  string
		pod  *Pod
		want bool
	}{
		{"/usr/local/bin/api", nil, true},
		{"/usr/local/go/bin/go", nil, false},
		{"/root/sdk/go1.27.3/bin/gofmt", nil, false},
		{"/usr/local/go/pkg/tool/linux_amd64/compile", nil, false},
		{"/usr/lib/go-1.26/pkg/tool/linux_arm64/link", nil, false},
		{"/root/.cache/go-build/ab/cd/pkg/tool/linux_amd64/buildid", nil, false},
		{"/home/u/go/bin/gopls", nil, false},
		{"/tmp/go-build123/b001/exe/compile", nil, false}, // name alone
		{"/usr/local/bin/compiler", nil, true},
		{"/usr/local/bin/golang-migrate", nil, true},
		{"/app/server", &Pod{Namespace: "prod", Annotations: map[string]string{OptOutAnnotation: "true"}}, false},
		{"/app/server", &Pod{Namespace: "prod", Annotations: map[string]string{OptOutAnnotation: "false"}}, true},
		{"/app/server", &Pod{Namespace: "prod"}, true},
	} {
		got, err := sel.Select(&fakeProc{exe: c.exe, pod: c.pod})
		if err != nil || got != c.want {
			t.Errorf("%s (pod %v): selected %v, %v; want %v", c.exe, c.pod, got, err, c.want)
		}
	}
	// default_exclude: [] drops the built-in rules.
	none := mustCompile(t, Selection{DefaultExclude: []Rule{}})
	if ok, _ := none.Select(&fakeProc{exe: "/usr/local/go/bin/go"}); !ok {
		t.Error("go not selected with default_exclude: []")
	}
	var nilSel *Selector
	if ok, err := nilSel.Select(&fakeProc{exe: "/usr/local/go/bin/go"}); !ok || err != nil {
		t.Error("a nil Selector selects everything")
	}
}

func TestSelectRules(t *testing.T) {
	sel := mustCompile(t, Selection{
		Include: []Rule{
			{Exe: "api-*"},
			{Exe: "/opt/**/bin/*", Cmdline: `--role=(web|batch)\b`},
			{Namespace: "prod-*", PodLabels: map[string]string{"app.kubernetes.io/part-of": "shop*"}},
			{Ports: []string{"8080", "9000-9100"}},
		},
		Exclude: []Rule{
			{Exe: "api-canary"},
			{Namespace: "kube-system"},
			{PodAnnotations: map[string]string{"example.com/probe": "off"}},
		},
	})
	shop := &Pod{Namespace: "prod-eu", Labels: map[string]string{"app.kubernetes.io/part-of": "shop-frontend"}}
	for _, c := range []struct {
		name string
		p    fakeProc
		want bool
	}{
		{"exe name glob", fakeProc{exe: "/srv/api-users"}, true},
		{"exe name excluded", fakeProc{exe: "/srv/api-canary"}, false},
		{"exe name no match", fakeProc{exe: "/srv/users-api"}, false},
		{"path and cmdline", fakeProc{exe: "/opt/shop/v2/bin/svc", cmdline: "/opt/shop/v2/bin/svc --role=batch -v"}, true},
		{"path ** zero dirs", fakeProc{exe: "/opt/bin/svc", cmdline: "svc --role=web"}, true},
		{"path without cmdline", fakeProc{exe: "/opt/shop/bin/svc", cmdline: "svc --role=webhook"}, false},
		{"cmdline without path", fakeProc{exe: "/usr/bin/svc", cmdline: "svc --role=web"}, false},
		{"namespace and label", fakeProc{exe: "/app/fe", pod: shop}, true},
		{"label value mismatch", fakeProc{exe: "/app/fe", pod: &Pod{Namespace: "prod-eu", Labels: map[string]string{"app.kubernetes.io/part-of": "billing"}}}, false},
		{"label missing", fakeProc{exe: "/app/fe", pod: &Pod{Namespace: "prod-eu"}}, false},
		{"namespace mismatch", fakeProc{exe: "/app/fe", pod: &Pod{Namespace: "staging", Labels: shop.Labels}}, false},
		{"kube-system excluded even on a port", fakeProc{exe: "/app/dns", pod: &Pod{Namespace: "kube-system"}, ports: []uint16{8080}}, false},
		{"annotation excludes", fakeProc{exe: "/app/fe", pod: &Pod{Namespace: "prod-eu", Labels: shop.Labels, Annotations: map[string]string{"example.com/probe": "off"}}}, false},
		{"port", fakeProc{exe: "/usr/bin/x", ports: []uint16{22, 8080}}, true},
		{"port range", fakeProc{exe: "/usr/bin/x", ports: []uint16{9100}}, true},
		{"port outside", fakeProc{exe: "/usr/bin/x", ports: []uint16{9101, 80}}, false},
		{"outside kubernetes, no rule", fakeProc{exe: "/usr/bin/x"}, false},
	} {
		p := c.p
		got, err := sel.Select(&p)
		if err != nil || got != c.want {
			t.Errorf("%s: selected %v, %v; want %v", c.name, got, err, c.want)
		}
		for what, n := range p.calls {
			if n > 1 {
				t.Errorf("%s: %s read %d times", c.name, what, n)
			}
		}
	}
}

// The cheap criteria decide first: a rule that fails on the executable
// does not read the sockets or ask for the pod.
func TestSelectLazy(t *testing.T) {
	sel := mustCompile(t, Selection{Include: []Rule{{Exe: "api", Ports: []string{"80"}}}, DefaultExclude: []Rule{}})
	p := &fakeProc{exe: "/bin/web"}
	if ok, _ := sel.Select(p); ok || p.calls["ports"] != 0 || p.calls["pod"] != 0 || p.calls["cmdline"] != 0 {
		t.Errorf("selected %v; lookups %v", ok, p.calls)
	}
}

// A rule on pods waits for the pod's metadata; a process outside any pod
// is decided at once.
func TestSelectPodPending(t *testing.T) {
	sel := mustCompile(t, Selection{Include: []Rule{{Namespace: "prod"}}})
	_, err := sel.Select(&fakeProc{exe: "/app/x", podErr: errors.New("kubelet: connection refused")})
	if !errors.Is(err, ErrPodPending) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err %v, want ErrPodPending with the cause", err)
	}
	if ok, err := sel.Select(&fakeProc{exe: "/app/x"}); ok || err != nil {
		t.Errorf("outside a pod: %v, %v", ok, err)
	}
	// The default opt-out rule needs the pod too, but a toolchain process
	// is excluded by its name before that.
	p := &fakeProc{exe: "/usr/local/go/bin/go", podErr: errors.New("down")}
	if ok, err := sel.Select(p); ok || err != nil || p.calls["pod"] != 0 {
		t.Errorf("go in a pod with no metadata: %v, %v, lookups %v", ok, err, p.calls)
	}
}

func TestSelectionErrors(t *testing.T) {
	_, err := Selection{
		Include: []Rule{{Exe: "[a-"}, {Cmdline: "(unclosed"}, {}},
		Exclude: []Rule{{Ports: []string{"0", "80-70", "http", "443"}}, {PodLabels: map[string]string{"app": "[x"}}},
	}.Compile()
	if !errors.Is(err, ErrSelection) {
		t.Fatalf("err %v, want ErrSelection", err)
	}
	for _, want := range []string{
		"include[0].exe: bad glob", "include[1].cmdline: bad regular expression: missing closing )",
		"include[2]: empty rule", `exclude[0].ports[0]: want a TCP port (1-65535) or a range like 8000-8999, got "0"`,
		"exclude[0].ports[1]:", "exclude[0].ports[2]:", "exclude[1].pod_labels.app: bad glob",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "ports[3]") {
		t.Errorf("443 reported bad:\n%v", err)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 7 {
		t.Errorf("%d errors, want 7:\n%v", n, err)
	}
}

func TestParsePortRange(t *testing.T) {
	for s, want := range map[string][2]uint16{"80": {80, 80}, "8000-8999": {8000, 8999}, " 1 - 65535 ": {1, 65535}} {
		lo, hi, err := ParsePortRange(s)
		if err != nil || lo != want[0] || hi != want[1] {
			t.Errorf("%q: %d-%d %v", s, lo, hi, err)
		}
	}
	for _, s := range []string{"", "0", "65536", "9-8", "a-b", "80-", "-80"} {
		if _, _, err := ParsePortRange(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
