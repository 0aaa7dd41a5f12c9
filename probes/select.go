package probes

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Rule describes processes by what discovery can read of them. Every
// criterion that is set must hold (AND); an empty Rule matches nothing.
//
// Globs use path.Match syntax ('*', '?', '[…]'); in a path, '*' stops at
// '/' and a whole segment "**" matches any number of directories.
type Rule struct {
	// Exe is a glob on the executable: its full path when the glob holds a
	// '/' ("/usr/local/bin/*", "**/pkg/tool/*/*"), else its base name
	// ("api-*").
	Exe string
	// Cmdline is a regular expression (RE2, unanchored) on the command
	// line, its arguments joined by single spaces.
	Cmdline string
	// Namespace is a glob on the Kubernetes namespace of the process's pod.
	Namespace string
	// PodLabels and PodAnnotations: every key must be on the pod with a
	// value matching the glob.
	PodLabels      map[string]string
	PodAnnotations map[string]string
	// Ports: the process listens on one of these TCP ports ("8080") or
	// port ranges ("8000-8999").
	Ports []string
}

// Selection chooses the processes that discovery (Config.All) probes: those
// matching an Include rule (every Go process when there is none) and no
// Exclude or DefaultExclude rule. Processes given by pid (Watch,
// Config.PIDs) are probed whatever the selection says.
type Selection struct {
	Include []Rule
	Exclude []Rule
	// DefaultExclude is DefaultExcludeRules() unless replaced (nil keeps the
	// built-in rules; an empty, non-nil slice drops them).
	DefaultExclude []Rule
}

// OptOutAnnotation on a pod keeps the probes away from its processes with
// the default rules.
const OptOutAnnotation = "gopulse.io/exclude"

// DefaultExcludeRules are the processes discovery skips unless told
// otherwise: the Go toolchain's own programs, short-lived (go, compile,
// link, asm, vet, cgo, cover…) or developer tools (gopls, dlv), and pods
// annotated gopulse.io/exclude: "true".
func DefaultExcludeRules() []Rule {
	return []Rule{
		{Exe: "**/pkg/tool/*/*"}, // $GOROOT/pkg/tool/GOOS_GOARCH: compile, link, asm, vet, cgo, cover, buildid, pack…
		{Exe: "go"}, {Exe: "gofmt"}, {Exe: "gopls"}, {Exe: "dlv"},
		{Exe: "compile"}, {Exe: "link"}, {Exe: "asm"}, {Exe: "vet"}, {Exe: "cgo"},
		{PodAnnotations: map[string]string{OptOutAnnotation: "true"}},
	}
}

// ErrSelection wraps every problem of a Selection.
var ErrSelection = errors.New("bad process selection")

// Pod is what discovery knows of a process's Kubernetes pod.
type Pod struct {
	Namespace, Name     string
	Labels, Annotations map[string]string
}

// Process is what a Selector reads of a candidate process; each method is
// called at most once and only when a rule needs it.
type Process interface {
	Exe() string     // the executable's path
	Cmdline() string // arguments joined by spaces
	// Pod returns the process's pod; inPod is false outside Kubernetes.
	// An error (with inPod true) means the process is in a pod whose
	// metadata is not known (yet): the decision waits.
	Pod() (pod Pod, inPod bool, err error)
	ListenPorts() []uint16
}

// Selector is a compiled Selection.
type Selector struct {
	include, exclude []matcher
	needsPod         bool
}

// Compile checks and compiles a Selection, reporting every bad rule.
func (s Selection) Compile() (*Selector, error) {
	sel := &Selector{}
	var errs []error
	add := func(list string, rules []Rule) []matcher {
		var ms []matcher
		for i, r := range rules {
			m, err := r.compile()
			for _, e := range err {
				field := fmt.Sprintf("%s[%d]", list, i)
				if e.Field != "" {
					field += "." + e.Field
				}
				errs = append(errs, fmt.Errorf("%w: %s: %w", ErrSelection, field, e.Err))
			}
			ms = append(ms, m)
			sel.needsPod = sel.needsPod || m.needsPod()
		}
		return ms
	}
	sel.include = add("include", s.Include)
	sel.exclude = add("exclude", s.Exclude)
	def := s.DefaultExclude
	if def == nil {
		def = DefaultExcludeRules()
	}
	sel.exclude = append(sel.exclude, add("default_exclude", def)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return sel, nil
}

// RuleError is one problem of a Rule: the criterion (exe, cmdline,
// namespace, pod_labels.KEY, pod_annotations.KEY, ports[i]) and what is
// wrong with it.
type RuleError struct {
	Field string
	Err   error
}

func (e *RuleError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *RuleError) Unwrap() error { return e.Err }

// Check reports every problem of r (nil when it compiles).
func (r Rule) Check() []*RuleError {
	_, errs := r.compile()
	return errs
}

type matcher struct {
	exe         string
	exePath     bool // exe holds a '/': matched against the full path
	cmdline     *regexp.Regexp
	namespace   string
	labels      map[string]string
	annotations map[string]string
	ports       [][2]uint16
	empty       bool
}

func (m *matcher) needsPod() bool {
	return m.namespace != "" || len(m.labels) > 0 || len(m.annotations) > 0
}

func (r Rule) compile() (matcher, []*RuleError) {
	var errs []*RuleError
	bad := func(field string, format string, args ...any) {
		errs = append(errs, &RuleError{Field: field, Err: fmt.Errorf(format, args...)})
	}
	m := matcher{exe: r.Exe, exePath: strings.Contains(r.Exe, "/"), namespace: r.Namespace,
		labels: r.PodLabels, annotations: r.PodAnnotations}
	if r.Exe != "" {
		if err := checkGlob(r.Exe); err != nil {
			bad("exe", "bad glob %q: %v", r.Exe, err)
		}
	}
	if r.Cmdline != "" {
		re, err := regexp.Compile(r.Cmdline)
		if err != nil {
			bad("cmdline", "bad regular expression: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		m.cmdline = re
	}
	if r.Namespace != "" {
		if err := checkGlob(r.Namespace); err != nil {
			bad("namespace", "bad glob %q: %v", r.Namespace, err)
		}
	}
	for _, kv := range []struct {
		field string
		m     map[string]string
	}{{"pod_labels", r.PodLabels}, {"pod_annotations", r.PodAnnotations}} {
		for k, v := range kv.m {
			if k == "" {
				bad(kv.field, "empty key")
			}
			if err := checkGlob(v); err != nil {
				bad(kv.field+"."+k, "bad glob %q: %v", v, err)
			}
		}
	}
	for i, p := range r.Ports {
		lo, hi, err := ParsePortRange(p)
		if err != nil {
			bad(fmt.Sprintf("ports[%d]", i), "%v", err)
			continue
		}
		m.ports = append(m.ports, [2]uint16{lo, hi})
	}
	m.empty = r.Exe == "" && r.Cmdline == "" && r.Namespace == "" && len(r.PodLabels) == 0 &&
		len(r.PodAnnotations) == 0 && len(r.Ports) == 0
	if m.empty {
		bad("", "empty rule: set at least one of exe, cmdline, namespace, pod_labels, pod_annotations, ports")
	}
	return m, errs
}

// ParsePortRange parses "8080" or "8000-8999".
func ParsePortRange(s string) (lo, hi uint16, err error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	l, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 16)
	h := l
	var err2 error
	if isRange {
		h, err2 = strconv.ParseUint(strings.TrimSpace(b), 10, 16)
	}
	if err1 != nil || err2 != nil || l == 0 || h < l {
		return 0, 0, fmt.Errorf("want a TCP port (1-65535) or a range like 8000-8999, got %q", s)
	}
	return uint16(l), uint16(h), nil
}

func checkGlob(g string) error {
	for _, seg := range strings.Split(g, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return err
		}
	}
	return nil
}

// matchPath matches a slash-separated path against a glob where a whole
// segment "**" matches zero or more segments.
func matchPath(pattern, p string) bool {
	return matchSegs(strings.Split(pattern, "/"), strings.Split(p, "/"))
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegs(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// matchValue matches a label, annotation or namespace value: '*' matches
// any text there, '/' included.
func matchValue(pattern, v string) bool {
	if !strings.Contains(pattern, "/") && !strings.Contains(v, "/") {
		ok, _ := path.Match(pattern, v)
		return ok
	}
	ok, _ := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(v, "/", "\x00"))
	return ok
}

// ErrPodPending: the decision needs the metadata of the process's pod,
// which is not known yet.
var ErrPodPending = errors.New("pod metadata not known yet")

// Select reports whether discovery probes p. It returns ErrPodPending
// (wrapping the lookup's error) when the answer depends on pod metadata
// that is not known yet; the caller asks again later.
func (s *Selector) Select(p Process) (bool, error) {
	if s == nil {
		return true, nil
	}
	f := facts{p: p}
	for i := range s.exclude {
		ok, err := s.exclude[i].match(&f)
		if err != nil {
			return false, err
		}
		if ok {
			return false, nil
		}
	}
	if len(s.include) == 0 {
		return true, nil
	}
	for i := range s.include {
		ok, err := s.include[i].match(&f)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// Dynamic reports whether a decision may change while a process runs: a
// rule looks at its listening ports, which it may open later. Discovery
// then asks again about the processes not selected, now and then.
func (s *Selector) Dynamic() bool {
	if s == nil {
		return false
	}
	for _, l := range [][]matcher{s.include, s.exclude} {
		for i := range l {
			if len(l[i].ports) > 0 {
				return true
			}
		}
	}
	return false
}

// NeedsPods reports whether a rule looks at pods.
func (s *Selector) NeedsPods() bool { return s != nil && s.needsPod }

// facts reads each property of a process once.
type facts struct {
	p                Process
	exe, cmdline     string
	haveExe, haveCmd bool
	pod              Pod
	inPod, havePod   bool
	podErr           error
	ports            []uint16
	havePorts        bool
}

func (f *facts) getExe() string {
	if !f.haveExe {
		f.exe, f.haveExe = strings.TrimSuffix(f.p.Exe(), " (deleted)"), true
	}
	return f.exe
}

func (f *facts) getCmdline() string {
	if !f.haveCmd {
		f.cmdline, f.haveCmd = f.p.Cmdline(), true
	}
	return f.cmdline
}

func (f *facts) getPod() (Pod, bool, error) {
	if !f.havePod {
		f.pod, f.inPod, f.podErr = f.p.Pod()
		f.havePod = true
	}
	return f.pod, f.inPod, f.podErr
}

func (f *facts) getPorts() []uint16 {
	if !f.havePorts {
		f.ports, f.havePorts = f.p.ListenPorts(), true
	}
	return f.ports
}

// match tests the cheap criteria first: a rule that fails on the
// executable never reads the pod or the sockets.
func (m *matcher) match(f *facts) (bool, error) {
	if m.empty {
		return false, nil
	}
	if m.exe != "" {
		exe := f.getExe()
		if m.exePath {
			if !matchPath(m.exe, exe) {
				return false, nil
			}
		} else if ok, _ := path.Match(m.exe, path.Base(exe)); !ok {
			return false, nil
		}
	}
	if m.cmdline != nil && !m.cmdline.MatchString(f.getCmdline()) {
		return false, nil
	}
	if m.needsPod() {
		pod, inPod, err := f.getPod()
		if !inPod {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%w: %w", ErrPodPending, err)
		}
		if m.namespace != "" && !matchValue(m.namespace, pod.Namespace) {
			return false, nil
		}
		for k, v := range m.labels {
			if pv, ok := pod.Labels[k]; !ok || !matchValue(v, pv) {
				return false, nil
			}
		}
		for k, v := range m.annotations {
			if pv, ok := pod.Annotations[k]; !ok || !matchValue(v, pv) {
				return false, nil
			}
		}
	}
	if len(m.ports) > 0 {
		hit := false
		for _, p := range f.getPorts() {
			for _, r := range m.ports {
				if p >= r[0] && p <= r[1] {
					hit = true
				}
			}
		}
		if !hit {
			return false, nil
		}
	}
	return true, nil
}
