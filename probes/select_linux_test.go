//go:build linux && (amd64 || arm64)

package probes

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// podsByPID is a PodLookup for processes the test places in pods.
type podsByPID map[int]Pod

func (p podsByPID) PodOf(pid int) (Pod, bool, error) {
	pod, ok := p[pid]
	return pod, ok, nil
}

// copyExe copies bin to dir/rel (made executable): another executable, with
// its own inode and name.
func copyExe(t *testing.T, bin, dir, rel string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err == nil {
		return p // copied already (and maybe running)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// watched returns the pids the Manager watches.
func watched(m *Manager) []int {
	var pids []int
	for _, p := range m.Procs() {
		pids = append(pids, p.PID)
	}
	slices.Sort(pids)
	return pids
}

// TestSelectRealProcesses: real Go programs, started under different names,
// paths, command lines, ports and pods; discovery (Config.All) attaches to
// exactly the ones the selection names, and skips the toolchain's own
// programs by default.
func TestSelectRealProcesses(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	dir := t.TempDir()
	light := []string{"-alloc", "0", "-churn=false", "-parked", "4"}
	start := func(rel string, args ...string) int {
		tg := startTarget(t, copyExe(t, bin, dir, rel), append(slices.Clone(light), args...)...)
		return tg.cmd.Process.Pid
	}
	apiUsers := start("srv/api-users")
	apiCanary := start("srv/api-canary")
	batch := start("opt/shop/bin/worker", "-parked", "12")
	webWorker := start("opt/shop/bin/worker", "-parked", "13") // same executable, other command line
	other := start("srv/other")
	// A listener: selected by its port.
	lt := startTarget(t, copyExe(t, bin, dir, "srv/listener"), append(slices.Clone(light), "-listen", "127.0.0.1:0")...)
	var ready struct{ Listen string }
	if err := json.Unmarshal([]byte(lt.out.Text()), &ready); err != nil {
		t.Fatal(err)
	}
	_, portStr, _ := net.SplitHostPort(ready.Listen)
	listener := lt.cmd.Process.Pid
	// Programs named like the toolchain's: matched by the include rule on
	// the command line, dropped by the default exclusion.
	compile := start("go/pkg/tool/linux_amd64/compile", "-parked", "12")
	gocmd := start("go/bin/go", "-parked", "12")
	// Pods: one in an included namespace, one in it but opted out.
	inPod := start("srv/pod-app")
	optedOut := start("srv/pod-opted-out")
	pods := podsByPID{
		inPod:    {Namespace: "shop-prod", Name: "app-1", Labels: map[string]string{"tier": "web"}},
		optedOut: {Namespace: "shop-prod", Name: "app-2", Annotations: map[string]string{OptOutAnnotation: "true"}},
	}

	sel, err := Selection{
		Include: []Rule{
			{Exe: "api-*"},
			{Exe: filepath.Join(dir, "opt/**/worker"), Cmdline: `-parked 12( |$)`},
			{Exe: "compile"}, {Exe: "go"},
			{Ports: []string{portStr}},
			{Namespace: "shop-*", PodLabels: map[string]string{"tier": "web"}},
			{Namespace: "shop-*"},
		},
		Exclude: []Rule{{Exe: "*-canary"}},
	}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	m := startManager(t, Config{All: true, Select: sel, RescanInterval: 100 * time.Millisecond},
		Deps{Sink: &syncSink{}, Pods: pods})
	want := []int{apiUsers, batch, listener, inPod}
	slices.Sort(want)
	names := map[int]string{apiUsers: "api-users", apiCanary: "api-canary", batch: "worker -parked 12",
		webWorker: "worker -parked 13", other: "other", listener: "listener :" + portStr, compile: "compile",
		gocmd: "go", inPod: "pod-app", optedOut: "pod-opted-out"}
	deadline := time.Now().Add(time.Minute)
	for !slices.Equal(intersect(watched(m), names), want) {
		if time.Now().After(deadline) {
			t.Fatalf("watching %v, want %v (%v)", label(intersect(watched(m), names), names), label(want, names), names)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The first scan decided every process: further scans change nothing.
	for range 5 {
		scans := m.scansDone()
		for m.scansDone() < scans+1 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := intersect(watched(m), names); !slices.Equal(got, want) {
		t.Errorf("watching %v, want %v", label(got, names), label(want, names))
	}
	// Watch names a process directly: the selection does not apply.
	if err := m.Watch(other, false); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(watched(m), other) {
		t.Error("Watch(pid) refused an unselected process")
	}
}

func intersect(pids []int, names map[int]string) []int {
	var out []int
	for _, p := range pids {
		if _, ok := names[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

func label(pids []int, names map[int]string) []string {
	var out []string
	for _, p := range pids {
		out = append(out, names[p]+"/"+strconv.Itoa(p))
	}
	return out
}

// TestSelectMinAge: a process that starts after the first scan is probed
// once it has run MinAge, not before; processes running at the first scan
// are taken at once.
func TestSelectMinAge(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	dir := t.TempDir()
	light := []string{"-alloc", "0", "-churn=false", "-parked", "4"}
	early := startTarget(t, copyExe(t, bin, dir, "early"), light...).cmd.Process.Pid
	sel, err := Selection{Include: []Rule{{Exe: filepath.Join(dir, "*")}}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	const minAge = 2 * time.Second
	m := startManager(t, Config{All: true, Select: sel, MinAge: minAge, RescanInterval: 50 * time.Millisecond},
		Deps{Sink: &syncSink{}})
	for m.scansDone() < 1 {
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.Contains(watched(m), early) {
		t.Fatalf("the process running at the first scan is not watched: %v", watched(m))
	}
	started := time.Now()
	late := startTarget(t, copyExe(t, bin, dir, "late"), light...).cmd.Process.Pid
	st, err := procStartTime(late)
	if err != nil {
		t.Fatal(err)
	}
	for !slices.Contains(watched(m), late) {
		if time.Since(started) > time.Minute {
			t.Fatal("the late process was never watched")
		}
		time.Sleep(10 * time.Millisecond)
	}
	up, err := uptimeTicks()
	if err != nil {
		t.Fatal(err)
	}
	// Ages in clock ticks (10ms), as discovery measures them.
	if age := time.Duration(up-st) * time.Second / clockTicks; age < minAge {
		t.Errorf("watched at age %s, before min age %s", age, minAge)
	}
}

// TestSelectPortOpenedLater: a process selected by its listening port is
// not selected before it listens, and is probed once it does (a decision on
// ports is asked again).
func TestSelectPortOpenedLater(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	pid := startTarget(t, copyExe(t, bin, t.TempDir(), "late-listener"), "-alloc", "0", "-churn=false", "-parked", "4",
		"-listen", addr, "-listen-after", "2s").cmd.Process.Pid
	started := time.Now()
	sel, err := Selection{Include: []Rule{{Ports: []string{port}}}}.Compile()
	if err != nil || !sel.Dynamic() {
		t.Fatal(err)
	}
	m := startManager(t, Config{All: true, Select: sel, RescanInterval: 50 * time.Millisecond}, Deps{Sink: &syncSink{}})
	for m.scansDone() < 1 {
		time.Sleep(10 * time.Millisecond)
	}
	if slices.Contains(watched(m), pid) && time.Since(started) < 2*time.Second {
		t.Fatal("watched before it listens on the port")
	}
	for !slices.Contains(watched(m), pid) {
		if time.Since(started) > time.Minute {
			t.Fatal("not watched once it listens")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSetSelection: a new selection (a config reload) probes the processes
// it selects and detaches those discovery attached to that it does not;
// a process watched by pid stays.
func TestSetSelection(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	dir := t.TempDir()
	light := []string{"-alloc", "0", "-churn=false", "-parked", "4"}
	one := startTarget(t, copyExe(t, bin, dir, "one"), light...).cmd.Process.Pid
	two := startTarget(t, copyExe(t, bin, dir, "two"), light...).cmd.Process.Pid
	byPID := startTarget(t, copyExe(t, bin, dir, "by-pid"), light...).cmd.Process.Pid
	selOf := func(name string) *Selector {
		s, err := Selection{Include: []Rule{{Exe: filepath.Join(dir, name)}}}.Compile()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sink := &syncSink{}
	m := startManager(t, Config{All: true, Select: selOf("one"), RescanInterval: 50 * time.Millisecond}, Deps{Sink: sink})
	if err := m.Watch(byPID, false); err != nil {
		t.Fatal(err)
	}
	waitWatched := func(want ...int) {
		t.Helper()
		names := map[int]string{one: "one", two: "two", byPID: "by-pid"}
		for deadline := time.Now().Add(time.Minute); ; {
			got := intersect(watched(m), names)
			slices.Sort(want)
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("watching %v, want %v", label(got, names), label(want, names))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitWatched(one, byPID)
	m.SetSelection(selOf("two"), 0)
	waitWatched(two, byPID)
	m.SetSelection(selOf("*"), 0)
	waitWatched(one, two, byPID)
}
