package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestR9Plan pins the r9 part: the rule was fixed before any r9 set was
// rendered or scored, and these are its sets. Its projects are new to
// every earlier part (dev, held, fresh, r3 to r8, libdev) and its layouts
// to every earlier layout, wide layout, documented class and librender
// configuration.
func TestR9Plan(t *testing.T) {
	t.Parallel()
	want := []string{
		"knative.dev/serving exim-mainlog",
		"knative.dev/serving freeswitch",
		"github.com/terraform-provider-openstack/terraform-provider-openstack/v3 ceph-daemon",
		"github.com/terraform-provider-openstack/terraform-provider-openstack/v3 keepalived",
		"github.com/terraform-provider-openstack/terraform-provider-openstack/v3 logrus-text",
		"github.com/openshift/machine-api-operator slurmctld",
		"github.com/openshift/machine-api-operator strongswan",
		"github.com/vektra/mockery/v3 cups-error-log",
		"github.com/vektra/mockery/v3 suricata",
		"github.com/vektra/mockery/v3 rabbitmq",
		"github.com/weaveworks/eksctl icinga2",
		"github.com/weaveworks/eksctl openwrt-logread",
		"github.com/aquasecurity/trivy bacula-job",
		"github.com/aquasecurity/trivy kea-dhcp",
		"github.com/aquasecurity/trivy coredns",
		"github.com/kubeflow/katib exim-mainlog",
		"github.com/kubeflow/katib freeswitch",
		"github.com/slackhq/nebula ceph-daemon",
		"github.com/slackhq/nebula keepalived",
		"github.com/slackhq/nebula postgres",
		"github.com/kedacore/keda/v2 slurmctld",
		"github.com/kedacore/keda/v2 strongswan",
		"github.com/pocketbase/pocketbase cups-error-log",
		"github.com/pocketbase/pocketbase suricata",
		"github.com/pocketbase/pocketbase dash-epoch-date",
		"istio.io/istio icinga2",
		"istio.io/istio openwrt-logread",
		"github.com/ray-project/kuberay/ray-operator bacula-job",
		"github.com/ray-project/kuberay/ray-operator kea-dhcp",
		"github.com/ray-project/kuberay/ray-operator iso-pipe",
		"github.com/open-policy-agent/opa exim-mainlog",
		"google.golang.org/grpc freeswitch",
		"github.com/IBM/sarama ceph-daemon",
		"google.golang.org/grpc keepalived",
		"github.com/jaegertracing/jaeger slurmctld",
		"sigs.k8s.io/kind strongswan",
		"github.com/ethereum/go-ethereum cups-error-log",
		"github.com/hashicorp/serf suricata",
		"github.com/influxdata/influxdb icinga2",
		"k8s.io/kubernetes openwrt-logread",
		"github.com/jaegertracing/jaeger bacula-job",
		"github.com/hashicorp/raft kea-dhcp",
	}
	checkHeldRound(t, "r9", r9Plan(), want, r9Projects, r9Shapes,
		[][]project{projects, r3Projects, r4Projects, r5Projects, r6Projects, r7Projects, r8Projects, libdevProjects},
		[][]shape{r3Shapes, r4Shapes, r5Shapes, r6Shapes, r7Shapes})
	old := map[string]bool{}
	for _, c := range append(append([]docClass(nil), docClasses...), docClasses2...) {
		old[strings.TrimPrefix(c.name, "doc-")] = true
	}
	for _, c := range append(append([]string(nil), r8Configs...), libdevConfigs...) {
		old[c] = true
	}
	for _, s := range r9Shapes {
		if old[s.Name] {
			t.Errorf("r9 layout %s is a documented class or a librender configuration", s.Name)
		}
	}
	if len(r9Projects) < 12 || len(r9Shapes) < 12 {
		t.Errorf("r9: %d projects, %d layouts, want 12 of each at least", len(r9Projects), len(r9Shapes))
	}
}

var r9Clock = roundClock{timeOf: r9TimeOf, yearLess: r9YearLess}

func TestR9Shapes(t *testing.T) {
	t.Parallel()
	// each new layout as its source shows it (see the comments in r9.go)
	e := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123000000, time.UTC), Level: "warn", Comp: "raft", Class: "io.etcd.server.etcdserver.api.rafthttp.Transport",
		File: "transport.go", Line: 211, PID: 4242, TID: 7, Host: "worker-3", Thread: "pool-2-thread-1", Seq: 42, App: "etcd",
		Msg: "peer 8e9e05c52164694d became inactive", KVs: [][2]string{{"remote", "10.0.0.7:2380"}, {"took", "1.5s"}}}
	e.Start = e.T.Add(-83*time.Second - 176*time.Millisecond)
	want := map[string]string{
		"exim-mainlog":    "2024-03-10 13:55:07 [10006] 1rjJdr-0002bO-0C peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"freeswitch":      "2024-03-10 13:55:07.123701 92.35% [WARNING] transport.c:211 peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"ceph-daemon":     "2024-03-10T13:55:07.123+0000 7f3a2f9b7640  0 osd.3 400 peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"keepalived":      "Sun Mar 10 13:55:07 2024: (VI_2) peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"slurmctld":       "[2024-03-10T13:55:07.123] error: _transport: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"strongswan":      "Mar 10 13:55:07 08[CFG] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"cups-error-log":  "W [10/Mar/2024:13:55:07 +0000] [Job 91] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"suricata":        "[1002 - CW] 2024-03-10 13:55:07 Warning: raft: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"icinga2":         "[2024-03-10 13:55:07 +0000] warning/Transport: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"openwrt-logread": "Sun Mar 10 13:55:07 2024 user.warn etcd[4249]: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"bacula-job":      "10-Mar 13:55 worker-3-sd JobId 95: Warning: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"kea-dhcp":        "2024-03-10 13:55:07.123 WARN  [kea-dhcp4.raft/4242.139871908748928] DHCP4_TRANSPORT peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
	}
	checkRenders(t, "r9", r9Shapes, e, want)
	// without pairs, at info on another thread: FreeSWITCH's call UUID and
	// NOTICE, a Ceph store's priority 5, Slurm's function name, CUPS's and
	// Icinga's notice, Suricata's lower thread id, a Bacula Director's
	// line, Exim's pid one digit shorter
	noKV := e
	noKV.KVs, noKV.TID, noKV.Level = nil, 6, "info"
	for name, line := range map[string]string{
		"exim-mainlog":    "2024-03-10 13:55:07 [9999] peer 8e9e05c52164694d became inactive",
		"freeswitch":      "be7abec7-4b1b-4583-9fc2-a7bb7b37e7cd 2024-03-10 13:55:07.123972 92.35% [NOTICE] transport.c:211 peer 8e9e05c52164694d became inactive",
		"ceph-daemon":     "2024-03-10T13:55:07.123+0000 7f3a2f1b6640  5 osd.2 400 peer 8e9e05c52164694d became inactive",
		"keepalived":      "Sun Mar 10 13:55:07 2024: peer 8e9e05c52164694d became inactive",
		"slurmctld":       "[2024-03-10T13:55:07.123] _transport: peer 8e9e05c52164694d became inactive",
		"strongswan":      "Mar 10 13:55:07 07[CFG] peer 8e9e05c52164694d became inactive",
		"cups-error-log":  "N [10/Mar/2024:13:55:07 +0000] peer 8e9e05c52164694d became inactive",
		"suricata":        "[1001 - FR#01] 2024-03-10 13:55:07 Info: raft: peer 8e9e05c52164694d became inactive",
		"icinga2":         "[2024-03-10 13:55:07 +0000] notice/Transport: peer 8e9e05c52164694d became inactive",
		"openwrt-logread": "Sun Mar 10 13:55:07 2024 daemon.notice etcd[4248]: peer 8e9e05c52164694d became inactive",
		"bacula-job":      "10-Mar 13:55 worker-3-dir JobId 95: peer 8e9e05c52164694d became inactive",
		"kea-dhcp":        "2024-03-10 13:55:07.123 INFO  [kea-dhcp4.raft/4242.139871900356224] DHCP4_TRANSPORT peer 8e9e05c52164694d became inactive",
	} {
		checkRender(t, r9Shapes, "r9", name, &noKV, line)
	}
	// every level's word on a thread outside a call, a job or an instance
	for _, lv := range []string{"trace", "error", "fatal"} {
		ev := noKV
		ev.Level = lv
		want := map[string]map[string]string{
			"trace": {
				"exim-mainlog":    "2024-03-10 13:55:07 [9999] peer 8e9e05c52164694d became inactive",
				"freeswitch":      "be7abec7-4b1b-4583-9fc2-a7bb7b37e7cd 2024-03-10 13:55:07.123972 92.35% [DEBUG] transport.c:211 peer 8e9e05c52164694d became inactive",
				"ceph-daemon":     "2024-03-10T13:55:07.123+0000 7f3a2f1b6640 20 osd.2 400 peer 8e9e05c52164694d became inactive",
				"keepalived":      "Sun Mar 10 13:55:07 2024: peer 8e9e05c52164694d became inactive",
				"slurmctld":       "[2024-03-10T13:55:07.123] debug3: _transport: peer 8e9e05c52164694d became inactive",
				"strongswan":      "Mar 10 13:55:07 07[CFG] peer 8e9e05c52164694d became inactive",
				"cups-error-log":  "d [10/Mar/2024:13:55:07 +0000] peer 8e9e05c52164694d became inactive",
				"suricata":        "[1001 - FR#01] 2024-03-10 13:55:07 Debug: raft: peer 8e9e05c52164694d became inactive",
				"icinga2":         "[2024-03-10 13:55:07 +0000] debug/Transport: peer 8e9e05c52164694d became inactive",
				"openwrt-logread": "Sun Mar 10 13:55:07 2024 daemon.debug etcd[4248]: peer 8e9e05c52164694d became inactive",
				"bacula-job":      "10-Mar 13:55 worker-3-dir JobId 95: peer 8e9e05c52164694d became inactive",
				"kea-dhcp":        "2024-03-10 13:55:07.123 DEBUG [kea-dhcp4.raft/4242.139871900356224] DHCP4_TRANSPORT peer 8e9e05c52164694d became inactive",
			},
			"error": {
				"exim-mainlog":    "2024-03-10 13:55:07 [9999] peer 8e9e05c52164694d became inactive",
				"freeswitch":      "be7abec7-4b1b-4583-9fc2-a7bb7b37e7cd 2024-03-10 13:55:07.123972 92.35% [ERR] transport.c:211 peer 8e9e05c52164694d became inactive",
				"ceph-daemon":     "2024-03-10T13:55:07.123+0000 7f3a2f1b6640 -1 osd.2 400 peer 8e9e05c52164694d became inactive",
				"keepalived":      "Sun Mar 10 13:55:07 2024: peer 8e9e05c52164694d became inactive",
				"slurmctld":       "[2024-03-10T13:55:07.123] error: _transport: peer 8e9e05c52164694d became inactive",
				"strongswan":      "Mar 10 13:55:07 07[CFG] peer 8e9e05c52164694d became inactive",
				"cups-error-log":  "E [10/Mar/2024:13:55:07 +0000] peer 8e9e05c52164694d became inactive",
				"suricata":        "[1001 - FR#01] 2024-03-10 13:55:07 Error: raft: peer 8e9e05c52164694d became inactive",
				"icinga2":         "[2024-03-10 13:55:07 +0000] critical/Transport: peer 8e9e05c52164694d became inactive",
				"openwrt-logread": "Sun Mar 10 13:55:07 2024 daemon.err etcd[4248]: peer 8e9e05c52164694d became inactive",
				"bacula-job":      "10-Mar 13:55 worker-3-dir JobId 95: Error: peer 8e9e05c52164694d became inactive",
				"kea-dhcp":        "2024-03-10 13:55:07.123 ERROR [kea-dhcp4.raft/4242.139871900356224] DHCP4_TRANSPORT peer 8e9e05c52164694d became inactive",
			},
			"fatal": {
				"exim-mainlog":    "2024-03-10 13:55:07 [10010] peer 8e9e05c52164694d became inactive",
				"freeswitch":      "2024-03-10 13:55:07.123514 92.35% [CRIT] transport.c:211 peer 8e9e05c52164694d became inactive",
				"ceph-daemon":     "2024-03-10T13:55:07.123+0000 7f3a2e1b4640 -1 osd.0 400 peer 8e9e05c52164694d became inactive",
				"keepalived":      "Sun Mar 10 13:55:07 2024: (VI_2) peer 8e9e05c52164694d became inactive",
				"slurmctld":       "[2024-03-10T13:55:07.123] fatal: _transport: peer 8e9e05c52164694d became inactive",
				"strongswan":      "Mar 10 13:55:07 05[CFG] peer 8e9e05c52164694d became inactive",
				"cups-error-log":  "C [10/Mar/2024:13:55:07 +0000] [Job 91] peer 8e9e05c52164694d became inactive",
				"suricata":        "[999 - W#04] 2024-03-10 13:55:07 Error: raft: peer 8e9e05c52164694d became inactive",
				"icinga2":         "[2024-03-10 13:55:07 +0000] critical/Transport: peer 8e9e05c52164694d became inactive",
				"openwrt-logread": "Sun Mar 10 13:55:07 2024 daemon.crit etcd[4246]: peer 8e9e05c52164694d became inactive",
				"bacula-job":      "10-Mar 13:55 worker-3-sd: Fatal error: peer 8e9e05c52164694d became inactive",
				"kea-dhcp":        "2024-03-10 13:55:07.123 FATAL [kea-dhcp4.raft/4242.139871883570816] DHCP4_TRANSPORT peer 8e9e05c52164694d became inactive",
			},
		}[lv]
		if lv == "fatal" {
			ev.TID = 4
		}
		for name, line := range want {
			checkRender(t, r9Shapes, "r9", name, &ev, line)
		}
	}
	// a one-digit day: padded with a space where ctime and strftime's %e
	// pad it, read back all the same
	early := noKV
	early.T = time.Date(2024, 3, 5, 9, 5, 7, 0, time.UTC)
	early.Start = early.T.Add(-time.Second)
	checkRender(t, r9Shapes, "r9", "keepalived", &early, "Tue Mar  5 09:05:07 2024: peer 8e9e05c52164694d became inactive")
	checkRender(t, r9Shapes, "r9", "strongswan", &early, "Mar  5 09:05:07 07[CFG] peer 8e9e05c52164694d became inactive")
	checkRender(t, r9Shapes, "r9", "bacula-job", &early, "05-Mar 09:05 worker-3-dir JobId 95: peer 8e9e05c52164694d became inactive")
	for _, s := range r9Shapes {
		checkRoundTime(t, r9Clock, s, early)
	}
	// columns that grow a digit: Exim's pid past 9999, a CUPS job and a
	// Bacula JobId past 99, Suricata's thread id below 1000 (1002 above)
	grow := noKV
	grow.TID = 24
	checkRender(t, r9Shapes, "r9", "exim-mainlog", &grow, "2024-03-10 13:55:07 [10000] peer 8e9e05c52164694d became inactive")
	grow.TID, grow.Seq = 1, 400
	for name, line := range map[string]string{
		"cups-error-log": "N [10/Mar/2024:13:55:07 +0000] [Job 100] peer 8e9e05c52164694d became inactive",
		"bacula-job":     "10-Mar 13:55 worker-3-sd JobId 103: peer 8e9e05c52164694d became inactive",
		"suricata":       "[996 - W#01] 2024-03-10 13:55:07 Info: raft: peer 8e9e05c52164694d became inactive",
	} {
		checkRender(t, r9Shapes, "r9", name, &grow, line)
	}
	for _, s := range r9Shapes {
		switch s.Name {
		case "exim-mainlog", "keepalived", "strongswan": // no level column
		case "slurmctld": // no warning level: a warning is an error's line
			lines := map[string]string{}
			for _, l := range []string{"info", "warn", "error", "fatal"} {
				ev := e
				ev.Level = l
				lines[l] = s.Render(&ev)
			}
			if lines["info"] == lines["warn"] || lines["warn"] != lines["error"] || lines["error"] == lines["fatal"] {
				t.Errorf("%s levels: %q", s.Name, lines)
			}
		default:
			checkLevels(t, s, e)
		}
		// the time a layout prints reads back as the event's
		checkRoundTime(t, r9Clock, s, e)
		checkRoundTime(t, r9Clock, s, noKV)
	}
}

// TestR9Build renders the test fixture in every r9 layout (every line's
// time reads back and never runs backwards by a millisecond or more), and
// checks that a plain build writes r9's sets but names none of them and
// that split lists them only when asked for.
func TestR9Build(t *testing.T) {
	t.Parallel()
	own := t.TempDir()
	if err := os.MkdirAll(filepath.Join(own, partR9), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := extract(filepath.Join("testdata", "fixture"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range r9Shapes {
		if _, err := writeDataset(own, partR9, r9Projects[0], sh, st, 300); err != nil {
			t.Fatal(err)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(own, partR9, "*.log"))
	if len(logs) != len(r9Shapes) {
		t.Fatalf("r9 layout datasets: %d, want %d", len(logs), len(r9Shapes))
	}
	for _, l := range logs {
		raw, _ := os.ReadFile(l)
		name := strings.TrimSuffix(filepath.Base(l), ".log")
		name = name[strings.Index(name, "__")+2:]
		var last time.Time
		for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
			ts, _, ok, err := r9TimeOf(name, line)
			if err != nil || !ok {
				t.Fatalf("%s line %d: %q: time %v %v", name, i+1, line, ok, err)
			}
			if i > 0 && ts.Before(last.Add(-time.Millisecond)) {
				t.Fatalf("%s line %d: time %v before %v", name, i+1, ts, last)
			}
			last = ts
		}
	}
	// a plain build: the fixture stands in for the first r9 project
	cache := t.TempDir()
	var stderr bytes.Buffer
	p := r9Projects[0]
	if err := build(cache, 60, map[string]string{p.Module: filepath.Join("testdata", "fixture")}, "", &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	n := 0
	for _, s := range r9Plan() {
		if s.Project.Module == p.Module {
			n++
		}
	}
	logs, _ = filepath.Glob(filepath.Join(cache, partR9, "*.log"))
	out := stderr.String()
	if n == 0 || len(logs) != n || !strings.Contains(out, fmt.Sprintf("r9: %d sets, held back whole", n)) || strings.Contains(out, p.Module) || strings.Contains(out, slug(p.Module)) {
		t.Fatalf("r9 datasets %d (want %d), or a plain build names them:\n%s", len(logs), n, out)
	}
	var split bytes.Buffer
	if err := run([]string{"split"}, &split, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, s := range r9Shapes {
		if strings.Contains(out, s.Name) || strings.Contains(split.String(), s.Name) {
			t.Fatalf("a plain build or split names r9's layout %s", s.Name)
		}
	}
	if !strings.Contains(split.String(), fmt.Sprintf("r9      %d sets, held back whole", len(r9Plan()))) {
		t.Fatalf("split misses r9's count:\n%s", split.String())
	}
}
