package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	st, err := extract(filepath.Join("testdata", "fixture"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		text, structured := keys(s)
		if !usable(s) {
			text = "unusable: " + text
		}
		got = append(got, s.Level+" | "+text+" | "+structured)
	}
	sort.Strings(got)
	want := []string{
		"error | Failed to sync node err=<*> node=<*> | Failed to sync node",
		"error | failed to remove mount <*>: <*> error=<*> | failed to remove mount <*>: <*>",
		"info | Listening for client connections on <*>:<*> | Listening for client connections on <*>:<*>",
		"info | Pod <*>/<*> is ready after <*> | Pod <*>/<*> is ready after <*>",
		"info | Pod status updated pod=<*> phase=<*> | Pod status updated",
		"info | Starting server on <*> with <*> workers | Starting server on <*> with <*> workers",
		"info | [INFO] cache: warmed <*> keys in <*> | [INFO] cache: warmed <*> keys in <*>",
		"info | compaction finished blocks=<*> duration=<*> | compaction finished",
		"info | connection accepted remote=<*> id=<*> | connection accepted",
		"info | unusable: <*> | <*>",
		"info | unusable: multi line <*> | multi line <*>",
		"warn | slow request method=<*> took=<*> error=<*> | slow request",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("extracted:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSplitRule(t *testing.T) {
	// the rule is fixed: these parts were recorded before any tuning
	for name, part := range map[string]string{
		"k8s.io/kubernetes": partDev, "go.etcd.io/raft/v3": partHeld, "github.com/nats-io/nats-server/v2": partHeld,
		"klog": partHeld, "logfmt-never-listed": partDev, "syslog": partDev, "windows-cbs": partHeld,
	} {
		if got := partOf(name); got != part {
			t.Errorf("%s: part %s, want %s", name, got, part)
		}
	}
	// the second round: the same rule, its held-back share a part of its own
	for mod, want := range map[string]string{
		"github.com/grafana/memberlist": partFresh, "sigs.k8s.io/cri-tools": partFresh,
		"google.golang.org/grpc": partDev, "tailscale.com": partDev,
	} {
		for _, p := range projects {
			if p.Module != mod {
				continue
			}
			if got, _ := projectPart(p); got != want || !p.Fresh {
				t.Errorf("%s: part %s (fresh %v), want %s", mod, got, p.Fresh, want)
			}
		}
	}
	held := 0
	for _, p := range projects {
		if heldBack(p.Module) {
			held++
		}
	}
	if held == 0 || held == len(projects) {
		t.Fatalf("%d of %d projects held back", held, len(projects))
	}
}

func TestCrossLayouts(t *testing.T) {
	// every development project is rendered in every held-back layout,
	// and no held-back project is
	held := 0
	for _, s := range shapes {
		if partOf(s.Name) == partHeld {
			held++
		}
	}
	for _, p := range projects {
		part, _ := projectPart(p)
		got := crossLayouts(p)
		if part != partDev {
			if len(got) != 0 {
				t.Errorf("%s (%s) rendered in %d held-back layouts", p.Module, part, len(got))
			}
			continue
		}
		if len(got) != held {
			t.Errorf("%s: %d cross layouts, want %d", p.Module, len(got), held)
		}
		for _, s := range got {
			if partOf(s.Name) != partHeld {
				t.Errorf("%s: cross layout %s is not held back", p.Module, s.Name)
			}
		}
	}
}

func TestBuildAndScore(t *testing.T) {
	cache := t.TempDir()
	var stderr bytes.Buffer
	src := map[string]string{"k8s.io/kubernetes": filepath.Join("testdata", "fixture")}
	if err := build(cache, 300, src, &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	logs, _ := filepath.Glob(filepath.Join(cache, partDev, "*.log"))
	if len(logs) != 2+len(crossLayouts(projects[0])) {
		t.Fatalf("datasets: %v", logs)
	}
	for _, l := range logs {
		raw, _ := os.ReadFile(l)
		truth, _ := os.ReadFile(strings.TrimSuffix(l, ".log") + ".truth")
		if n, m := bytes.Count(raw, []byte("\n")), bytes.Count(truth, []byte("\n")); n != 300 || m != 300 {
			t.Fatalf("%s: %d lines, %d truths", l, n, m)
		}
	}
	var out bytes.Buffer
	if err := score(cache, partDev, true, "", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("dev: %d datasets, mean GA two-pass", len(logs))) {
		t.Fatalf("score output:\n%s", out.String())
	}
	t.Log(out.String())
}

func TestGroupingAccuracy(t *testing.T) {
	if got := groupingAccuracy([]string{"A", "A", "B", "C"}, []string{"1", "1", "2", "2"}); got != 0.5 {
		t.Fatalf("GA = %v, want 0.5", got)
	}
}
