package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
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
		"debug | Creating middleware <*> of type <*> | Creating middleware <*> of type <*>",
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
		"warn | router rejected router=<*> error=<*> | router rejected",
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
			for _, r := range r3Shapes {
				if s.Name == r.Name {
					t.Errorf("%s: cross layout %s is an r3 layout", p.Module, s.Name)
				}
			}
			for _, r := range r4Shapes {
				if s.Name == r.Name {
					t.Errorf("%s: cross layout %s is an r4 layout", p.Module, s.Name)
				}
			}
			for _, r := range r5Shapes {
				if s.Name == r.Name {
					t.Errorf("%s: cross layout %s is an r5 layout", p.Module, s.Name)
				}
			}
			for _, r := range r6Shapes {
				if s.Name == r.Name {
					t.Errorf("%s: cross layout %s is an r6 layout", p.Module, s.Name)
				}
			}
			for _, r := range r7Shapes {
				if s.Name == r.Name {
					t.Errorf("%s: cross layout %s is an r7 layout", p.Module, s.Name)
				}
			}
		}
	}
}

func TestR3Plan(t *testing.T) {
	// the rule was fixed before any r3 set was rendered or scored: these
	// are its sets
	want := []string{
		"github.com/cockroachdb/pebble spring-boot",
		"github.com/cockroachdb/pebble nginx-error",
		"github.com/VictoriaMetrics/VictoriaLogs glog-cpp",
		"github.com/VictoriaMetrics/VictoriaLogs mongodb-legacy",
		"github.com/VictoriaMetrics/VictoriaLogs golog-shortfile-prefix",
		"github.com/spiffe/spire apache-error",
		"github.com/spiffe/spire ruby-logger",
		"github.com/seaweedfs/seaweedfs dotnet-console",
		"github.com/seaweedfs/seaweedfs envoy",
		"github.com/seaweedfs/seaweedfs yymmdd-hhmmss",
		"github.com/matrix-org/dendrite zookeeper",
		"github.com/matrix-org/dendrite jenkins",
		"github.com/cloudnativelabs/kube-router/v2 zerolog-console",
		"github.com/cloudnativelabs/kube-router/v2 crdb-v2",
		"github.com/cloudnativelabs/kube-router/v2 yymmdd-hhmmss",
		"github.com/ipfs/kubo spring-boot",
		"github.com/ipfs/kubo nginx-error",
		"github.com/tikv/client-go/v2 glog-cpp",
		"github.com/tikv/client-go/v2 mongodb-legacy",
		"github.com/tikv/client-go/v2 python",
		"github.com/go-acme/lego/v5 apache-error",
		"github.com/go-acme/lego/v5 ruby-logger",
		"github.com/superfly/litefs dotnet-console",
		"github.com/superfly/litefs envoy",
		"github.com/superfly/litefs redis",
		"github.com/opencontainers/runc zookeeper",
		"github.com/opencontainers/runc jenkins",
		"github.com/libp2p/go-libp2p spring-boot",
		"k8s.io/kubernetes nginx-error",
		"github.com/grafana/dskit glog-cpp",
		"github.com/IBM/sarama mongodb-legacy",
		"github.com/containerd/containerd/v2 apache-error",
		"github.com/grafana/dskit ruby-logger",
		"github.com/docker/docker dotnet-console",
		"github.com/containerd/containerd/v2 envoy",
		"github.com/envoyproxy/go-control-plane zookeeper",
		"k8s.io/client-go jenkins",
		"github.com/docker/docker zerolog-console",
		"github.com/hashicorp/raft crdb-v2",
	}
	var got []string
	for _, s := range r3Plan() {
		got = append(got, s.Project.Module+" "+s.Shape.Name)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("r3 plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// its projects are new and held back whole, its layouts new
	old := map[string]bool{}
	for _, p := range projects {
		old[p.Module] = true
	}
	for _, s := range shapes {
		old[s.Name] = true
	}
	seen := map[string]bool{}
	for _, p := range r3Projects {
		if old[p.Module] || seen[p.Module] {
			t.Errorf("r3 project %s is not new", p.Module)
		}
		seen[p.Module] = true
	}
	uses := map[string]int{}
	for _, s := range r3Plan() {
		uses[s.Shape.Name]++
	}
	for _, s := range r3Shapes {
		if old[s.Name] || seen[s.Name] {
			t.Errorf("r3 layout %s is not new", s.Name)
		}
		seen[s.Name] = true
		if uses[s.Name] < 2 {
			t.Errorf("r3 layout %s renders %d sets, want at least 2", s.Name, uses[s.Name])
		}
	}
}

func TestR4Plan(t *testing.T) {
	// the rule was fixed before any r4 set was rendered or scored: these
	// are its sets
	want := []string{
		"sigs.k8s.io/descheduler monolog",
		"sigs.k8s.io/descheduler elixir-phoenix",
		"github.com/traefik/traefik/v3 pino-pretty",
		"github.com/traefik/traefik/v3 bunyan-cli",
		"github.com/traefik/traefik/v3 rust-tracing",
		"github.com/thanos-io/thanos log4j-ttcc",
		"github.com/thanos-io/thanos haproxy-stderr",
		"github.com/ollama/ollama caddy-console",
		"github.com/ollama/ollama akka",
		"github.com/ollama/ollama cassandra",
		"github.com/apache/pulsar-client-go syslog-rfc5424",
		"github.com/apache/pulsar-client-go zabbix",
		"github.com/nektos/act clickhouse",
		"github.com/nektos/act jetty-stderr",
		"github.com/nektos/act tomcat-juli",
		"sigs.k8s.io/kueue monolog",
		"sigs.k8s.io/kueue elixir-phoenix",
		"github.com/segmentio/kafka-go pino-pretty",
		"github.com/segmentio/kafka-go bunyan-cli",
		"github.com/segmentio/kafka-go python-basic",
		"github.com/distribution/distribution/v3 log4j-ttcc",
		"github.com/distribution/distribution/v3 haproxy-stderr",
		"gitlab.com/gitlab-org/gitlab-runner caddy-console",
		"gitlab.com/gitlab-org/gitlab-runner akka",
		"gitlab.com/gitlab-org/gitlab-runner serilog-file",
		"github.com/hashicorp/consul-template syslog-rfc5424",
		"github.com/hashicorp/consul-template zabbix",
		"github.com/rclone/rclone clickhouse",
		"github.com/rclone/rclone jetty-stderr",
		"github.com/rclone/rclone docker-json-golog",
		"github.com/jaegertracing/jaeger monolog",
		"k8s.io/kubernetes elixir-phoenix",
		"github.com/prometheus/prometheus pino-pretty",
		"github.com/hashicorp/raft bunyan-cli",
		"github.com/containerd/containerd/v2 log4j-ttcc",
		"github.com/ethereum/go-ethereum haproxy-stderr",
		"k8s.io/kubernetes caddy-console",
		"github.com/dgraph-io/badger/v4 akka",
		"github.com/hashicorp/go-plugin syslog-rfc5424",
		"github.com/hashicorp/raft zabbix",
		"github.com/envoyproxy/go-control-plane clickhouse",
		"github.com/k3s-io/kine jetty-stderr",
	}
	var got []string
	for _, s := range r4Plan() {
		got = append(got, s.Project.Module+" "+s.Shape.Name)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("r4 plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// its projects are new to every part, its layouts new to every part
	// (the development part's wide layouts and r3's included), and the
	// layouts it borrows for its new projects are development layouts
	old := map[string]bool{}
	for _, p := range append(append([]project{}, projects...), r3Projects...) {
		old[p.Module] = true
	}
	devLayouts := map[string]bool{}
	for _, s := range append(append([]shape{}, shapes...), wideShapes...) {
		old[s.Name] = true
		devLayouts[s.Name] = true
	}
	for _, s := range r3Shapes {
		old[s.Name] = true
	}
	seen := map[string]bool{}
	for _, p := range r4Projects {
		if old[p.Module] || seen[p.Module] {
			t.Errorf("r4 project %s is not new", p.Module)
		}
		seen[p.Module] = true
	}
	uses := map[string]int{}
	for _, s := range r4Plan() {
		uses[s.Shape.Name]++
		if !seen[s.Project.Module] {
			if part, _ := projectPart(s.Project); part != partDev {
				t.Errorf("r4 renders %s of part %s", s.Project.Module, part)
			}
		}
	}
	for _, s := range r4Shapes {
		if old[s.Name] || seen[s.Name] {
			t.Errorf("r4 layout %s is not new", s.Name)
		}
		seen[s.Name] = true
		if uses[s.Name] < 3 {
			t.Errorf("r4 layout %s renders %d sets, want 3 (two new projects, one development project)", s.Name, uses[s.Name])
		}
	}
	for name, n := range uses {
		if !seen[name] && !devLayouts[name] {
			t.Errorf("r4 borrows layout %s (%d sets), not a development layout", name, n)
		}
	}
}

func TestR5Plan(t *testing.T) {
	// the rule was fixed before any r5 set was rendered or scored: these
	// are its sets
	want := []string{
		"k8s.io/cloud-provider-aws erlang-logger",
		"k8s.io/cloud-provider-aws squid-cache",
		"github.com/centrifugal/centrifugo/v6 structlog-console",
		"github.com/centrifugal/centrifugo/v6 chromium",
		"github.com/centrifugal/centrifugo/v6 record-id-first",
		"miniflux.app/v2 fluent-bit",
		"miniflux.app/v2 mongodb-json",
		"github.com/cortexproject/cortex sidekiq",
		"github.com/cortexproject/cortex mssql-errorlog",
		"github.com/cortexproject/cortex dash-epoch-date",
		"github.com/vmware-tanzu/velero php-error-log",
		"github.com/vmware-tanzu/velero cisco-ios",
		"github.com/openfga/openfga asterisk",
		"github.com/openfga/openfga winston-json",
		"github.com/openfga/openfga syslog",
		"github.com/cometbft/cometbft erlang-logger",
		"github.com/cometbft/cometbft squid-cache",
		"github.com/coredns/coredns structlog-console",
		"github.com/coredns/coredns chromium",
		"github.com/coredns/coredns dash-epoch-date",
		"github.com/cert-manager/cert-manager fluent-bit",
		"github.com/cert-manager/cert-manager mongodb-json",
		"github.com/influxdata/telegraf sidekiq",
		"github.com/influxdata/telegraf mssql-errorlog",
		"github.com/influxdata/telegraf syslog-noyear-host-prog",
		"github.com/authzed/spicedb php-error-log",
		"github.com/authzed/spicedb cisco-ios",
		"github.com/oauth2-proxy/oauth2-proxy/v7 asterisk",
		"github.com/oauth2-proxy/oauth2-proxy/v7 winston-json",
		"github.com/oauth2-proxy/oauth2-proxy/v7 nats",
		"github.com/syncthing/syncthing erlang-logger",
		"github.com/hashicorp/raft squid-cache",
		"github.com/caddyserver/caddy/v2 structlog-console",
		"tailscale.com chromium",
		"github.com/containerd/containerd/v2 fluent-bit",
		"github.com/IBM/sarama mongodb-json",
		"github.com/syncthing/syncthing sidekiq",
		"github.com/open-policy-agent/opa mssql-errorlog",
		"github.com/containerd/containerd/v2 php-error-log",
		"go.etcd.io/etcd/server/v3 cisco-ios",
		"github.com/containerd/containerd/v2 asterisk",
		"github.com/hashicorp/raft winston-json",
	}
	checkHeldRound(t, "r5", r5Plan(), want, r5Projects, r5Shapes,
		[][]project{projects, r3Projects, r4Projects},
		[][]shape{r3Shapes, r4Shapes})
}

func TestR6Plan(t *testing.T) {
	// the rule was fixed before any r6 set was rendered or scored: these
	// are its sets
	want := []string{
		"github.com/google/cadvisor macos-log-show",
		"github.com/google/cadvisor postgres-csvlog",
		"github.com/inbucket/inbucket/v3 serilog-clef",
		"github.com/inbucket/inbucket/v3 unreal-engine",
		"github.com/inbucket/inbucket/v3 rsyslog-rfc3339",
		"github.com/FerretDB/FerretDB minecraft-server",
		"github.com/FerretDB/FerretDB tor",
		"github.com/mochi-mqtt/server/v2 fortigate",
		"github.com/mochi-mqtt/server/v2 log4rs",
		"github.com/mochi-mqtt/server/v2 rabbitmq",
		"github.com/gubernator-io/gubernator/v2 node-debug",
		"github.com/gubernator-io/gubernator/v2 twisted",
		"github.com/pion/webrtc/v4 macos-log-show",
		"github.com/pion/webrtc/v4 postgres-csvlog",
		"github.com/pion/webrtc/v4 airflow",
		"github.com/hibiken/asynq serilog-clef",
		"github.com/hibiken/asynq unreal-engine",
		"vitess.io/vitess minecraft-server",
		"vitess.io/vitess tor",
		"vitess.io/vitess mysql",
		"github.com/emiago/sipgo fortigate",
		"github.com/emiago/sipgo log4rs",
		"github.com/quic-go/quic-go node-debug",
		"github.com/quic-go/quic-go twisted",
		"github.com/quic-go/quic-go dd-mm-yy",
		"github.com/docker/docker macos-log-show",
		"k8s.io/client-go postgres-csvlog",
		"github.com/open-policy-agent/opa serilog-clef",
		"github.com/hashicorp/raft unreal-engine",
		"google.golang.org/grpc minecraft-server",
		"github.com/go-zookeeper/zk tor",
		"sigs.k8s.io/kind fortigate",
		"github.com/hashicorp/serf log4rs",
		"k8s.io/client-go node-debug",
		"github.com/hashicorp/go-plugin twisted",
	}
	checkHeldRound(t, "r6", r6Plan(), want, r6Projects, r6Shapes,
		[][]project{projects, r3Projects, r4Projects, r5Projects},
		[][]shape{r3Shapes, r4Shapes, r5Shapes})
}

func TestR7Plan(t *testing.T) {
	// the rule was fixed before any r7 set was rendered or scored: these
	// are its sets
	want := []string{
		"maunium.net/go/mautrix bind9",
		"maunium.net/go/mautrix aerospike",
		"github.com/osrg/gobgp/v4 scylladb",
		"github.com/osrg/gobgp/v4 couchdb",
		"github.com/osrg/gobgp/v4 epoch-first",
		"github.com/dbos-inc/dbos-transact-golang trafficserver",
		"github.com/dbos-inc/dbos-transact-golang privoxy",
		"github.com/NVIDIA/nvidia-container-toolkit huawei-vrp",
		"github.com/NVIDIA/nvidia-container-toolkit xorg",
		"github.com/NVIDIA/nvidia-container-toolkit golog-shortfile-prefix",
		"github.com/gopcua/opcua windowsupdate",
		"github.com/gopcua/opcua srcds",
		"github.com/schollz/croc/v10 factorio",
		"github.com/schollz/croc/v10 actions-runner",
		"github.com/schollz/croc/v10 host-first",
		"github.com/dolthub/go-mysql-server bazel",
		"github.com/dolthub/go-mysql-server nsqd",
		"github.com/sigstore/rekor bind9",
		"github.com/sigstore/rekor aerospike",
		"github.com/sigstore/rekor nats",
		"sigs.k8s.io/kube-network-policies scylladb",
		"sigs.k8s.io/kube-network-policies couchdb",
		"github.com/hanwen/go-fuse/v2 trafficserver",
		"github.com/hanwen/go-fuse/v2 privoxy",
		"github.com/hanwen/go-fuse/v2 host-first",
		"github.com/k8snetworkplumbingwg/whereabouts huawei-vrp",
		"github.com/k8snetworkplumbingwg/whereabouts xorg",
		"go.podman.io/storage windowsupdate",
		"go.podman.io/storage srcds",
		"go.podman.io/storage zap-json",
		"github.com/virtual-kubelet/virtual-kubelet factorio",
		"github.com/virtual-kubelet/virtual-kubelet actions-runner",
		"sigs.k8s.io/sig-storage-lib-external-provisioner/v13 bazel",
		"sigs.k8s.io/sig-storage-lib-external-provisioner/v13 nsqd",
		"sigs.k8s.io/sig-storage-lib-external-provisioner/v13 zap-console",
		"github.com/go-zookeeper/zk bind9",
		"go.etcd.io/etcd/server/v3 aerospike",
		"github.com/prometheus/prometheus scylladb",
		"github.com/hashicorp/serf couchdb",
		"github.com/containerd/containerd/v2 trafficserver",
		"github.com/open-policy-agent/opa privoxy",
		"sigs.k8s.io/kind huawei-vrp",
		"github.com/containerd/containerd/v2 xorg",
		"github.com/k3s-io/kine windowsupdate",
		"github.com/dgraph-io/badger/v4 srcds",
		"github.com/dgraph-io/badger/v4 factorio",
		"sigs.k8s.io/kind actions-runner",
		"github.com/redis/go-redis/v9 bazel",
		"github.com/jaegertracing/jaeger nsqd",
	}
	checkHeldRound(t, "r7", r7Plan(), want, r7Projects, r7Shapes,
		[][]project{projects, r3Projects, r4Projects, r5Projects, r6Projects},
		[][]shape{r3Shapes, r4Shapes, r5Shapes, r6Shapes})
	// nor is an r7 layout one of synth's documented classes
	for _, c := range append(append([]docClass(nil), docClasses...), docClasses2...) {
		for _, s := range r7Shapes {
			if strings.TrimPrefix(c.name, "doc-") == s.Name {
				t.Errorf("r7 layout %s is the documented class %s", s.Name, c.name)
			}
		}
	}
}

// checkHeldRound checks a round held back whole (r5, r6, r7) against its plan
// want, set by set, and checks what heldRoundPlan's rule promises: its
// projects are new to every earlier part (module and slug), each with its
// licence; its layouts are new to every part (the development part's
// layouts and wide layouts, and earlier rounds'), each rendering at least
// three sets (two new projects, one development project); and the layouts
// it borrows for its new projects are development layouts.
func checkHeldRound(t *testing.T, name string, plan []r3Set, want []string, projs []project, layouts []shape, earlierProjs [][]project, earlierLayouts [][]shape) {
	t.Helper()
	var got []string
	for _, s := range plan {
		got = append(got, s.Project.Module+" "+s.Shape.Name)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s plan:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	old := map[string]bool{}
	for _, ps := range earlierProjs {
		for _, p := range ps {
			old[p.Module] = true
			old[slug(p.Module)] = true
		}
	}
	devLayouts := map[string]bool{}
	for _, s := range append(append([]shape{}, shapes...), wideShapes...) {
		old[s.Name] = true
		devLayouts[s.Name] = true
	}
	for _, ls := range earlierLayouts {
		for _, s := range ls {
			old[s.Name] = true
		}
	}
	seen := map[string]bool{}
	for _, p := range projs {
		if old[p.Module] || old[slug(p.Module)] || seen[p.Module] {
			t.Errorf("%s project %s is not new", name, p.Module)
		}
		seen[p.Module] = true
		if p.Fresh || p.Licence == "" {
			t.Errorf("%s project %s: fresh %v, licence %q", name, p.Module, p.Fresh, p.Licence)
		}
	}
	uses := map[string]int{}
	for _, s := range plan {
		uses[s.Shape.Name]++
		if !seen[s.Project.Module] {
			if part, _ := projectPart(s.Project); part != partDev {
				t.Errorf("%s renders %s of part %s", name, s.Project.Module, part)
			}
		}
	}
	for _, s := range layouts {
		if old[s.Name] || seen[s.Name] {
			t.Errorf("%s layout %s is not new", name, s.Name)
		}
		seen[s.Name] = true
		if uses[s.Name] < 3 {
			t.Errorf("%s layout %s renders %d sets, want 3 (two new projects, one development project)", name, s.Name, uses[s.Name])
		}
	}
	for n, k := range uses {
		if !seen[n] && !devLayouts[n] {
			t.Errorf("%s borrows layout %s (%d sets), not a development layout", name, n, k)
		}
	}
}

func TestR6Shapes(t *testing.T) {
	// each new layout as its source shows it (see the comments in r6.go)
	e := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123000000, time.UTC), Level: "warn", Comp: "raft", Class: "io.etcd.server.etcdserver.api.rafthttp.Transport",
		File: "transport.go", Line: 211, PID: 4242, TID: 7, Host: "worker-3", Thread: "pool-2-thread-1", Seq: 42, App: "etcd",
		Msg: "peer 8e9e05c52164694d became inactive", KVs: [][2]string{{"remote", "10.0.0.7:2380"}, {"took", "1.5s"}}}
	e.Start = e.T.Add(-176 * time.Millisecond)
	want := map[string]string{
		"macos-log-show":   "2024-03-10 13:55:07.123701+0000 0x37e5     Default     0x5a008              4242   0    etcd: (libraft.dylib) [com.etcd:raft] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"postgres-csvlog":  "2024-03-10 13:55:07.123 UTC,\"app\",\"etcd\",4249,\"10.0.0.9:44249\",65edbbba.1099,43,\"COMMIT\",2024-03-10 13:55:06 UTC,10/11,0,WARNING,01000,\"peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s\",,,,,,,,,\"raft\",\"client backend\",,0",
		"serilog-clef":     "{\"@t\":\"2024-03-10T13:55:07.1237010+00:00\",\"@m\":\"peer 8e9e05c52164694d became inactive\",\"@i\":\"eaca3684\",\"@l\":\"Warning\",\"remote\":\"10.0.0.7:2380\",\"took\":\"1.5s\",\"SourceContext\":\"Io.Etcd.Server.Etcdserver.Api.Rafthttp.Transport\"}",
		"unreal-engine":    "[2024.03.10-13.55.07:123][133]LogRaft: Warning: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"minecraft-server": "[13:55:07] [Netty Epoll Server IO #3/WARN]: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"tor":              "Mar 10 13:55:07.123 [warn] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"fortigate":        "date=2024-03-10 time=13:55:07 devname=\"worker-3\" devid=\"FG100FTK13209223\" eventtime=1710078907123701000 tz=\"+0000\" logid=\"0124096420\" type=\"event\" subtype=\"system\" level=\"warning\" vd=\"root\" logdesc=\"Raft event\" msg=\"peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s\"",
		"log4rs":           "2024-03-10T13:55:07.123701000+00:00 WARN etcd::raft::transport - peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"node-debug":       "2024-03-10T13:55:07.123Z etcd:raft peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"twisted":          "2024-03-10 13:55:07+0000 [etcd.raft#warn] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
	}
	checkRenders(t, "r6", r6Shapes, e, want)
	// without pairs, at info and debug (and other threads): no activity
	// id in macOS's columns, no "@l" for Information in Serilog's object,
	// no verbosity word for Unreal's Log, Tor's notice and the calling
	// function before a Tor info message, Twisted's system in a
	// connection
	noKV := e
	noKV.KVs, noKV.TID, noKV.Level = nil, 6, "info"
	for name, line := range map[string]string{
		"macos-log-show":  "2024-03-10 13:55:07.123972+0000 0x3632     Info        0x0                  4242   0    etcd: (libraft.dylib) [com.etcd:raft] peer 8e9e05c52164694d became inactive",
		"postgres-csvlog": "2024-03-10 13:55:07.123 UTC,\"app\",\"etcd\",4248,\"10.0.0.8:44248\",65edbbba.1098,43,\"COMMIT\",2024-03-10 13:55:06 UTC,9/11,0,LOG,00000,\"peer 8e9e05c52164694d became inactive\",,,,,,,,,\"raft\",\"client backend\",,0",
		"serilog-clef":    "{\"@t\":\"2024-03-10T13:55:07.1239720+00:00\",\"@m\":\"peer 8e9e05c52164694d became inactive\",\"@i\":\"eaca3684\",\"SourceContext\":\"Io.Etcd.Server.Etcdserver.Api.Rafthttp.Transport\"}",
		"unreal-engine":   "[2024.03.10-13.55.07:123][132]LogRaft: peer 8e9e05c52164694d became inactive",
		"tor":             "Mar 10 13:55:07.123 [notice] peer 8e9e05c52164694d became inactive",
		"log4rs":          "2024-03-10T13:55:07.123972000+00:00 INFO etcd::raft::transport - peer 8e9e05c52164694d became inactive",
		"node-debug":      "2024-03-10T13:55:07.123Z etcd:raft peer 8e9e05c52164694d became inactive",
		"twisted":         "2024-03-10 13:55:07+0000 [HTTPChannel,2,127.0.0.1] peer 8e9e05c52164694d became inactive",
	} {
		checkRender(t, r6Shapes, "r6", name, &noKV, line)
	}
	dbg := noKV
	dbg.Level = "debug"
	checkRender(t, r6Shapes, "r6", "tor", &dbg, "Mar 10 13:55:07.123 [info] dns_resolve(): peer 8e9e05c52164694d became inactive")
	// Twisted's system inside a protocol's connection
	conn := noKV
	conn.TID = 5
	checkRender(t, r6Shapes, "r6", "twisted", &conn, "2024-03-10 13:55:07+0000 [RaftProtocol,42,10.0.0.7] peer 8e9e05c52164694d became inactive")
	// PostgreSQL's CSV doubles a quote inside the message; FortiGate
	// escapes it; the JSON layout stays valid JSON whatever the message
	// holds, and keeps it whole
	quoted := e
	quoted.Msg, quoted.KVs = `bad "input" <a&b> \ end`, nil
	for _, s := range r6Shapes {
		line := s.Render(&quoted)
		switch s.Name {
		case "postgres-csvlog":
			if !strings.Contains(line, `,"bad ""input"" <a&b> \ end",`) {
				t.Errorf("%s: %q", s.Name, line)
			}
		case "fortigate":
			if !strings.HasSuffix(line, ` msg="bad \"input\" <a&b> \ end"`) {
				t.Errorf("%s: %q", s.Name, line)
			}
		}
		if !s.Structured {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["@m"] != quoted.Msg {
			t.Errorf("%s: %q: %v %v", s.Name, line, err, v)
		}
	}
	for _, s := range r6Shapes {
		if s.Name != "node-debug" && s.Name != "twisted" { // debug and Twisted's classic log print no level
			checkLevels(t, s, e)
		}
		// the time a layout prints reads back as the event's
		checkRoundTime(t, r6Clock, s, e)
	}
}

// shapeNamed is the layout name of a round's layouts (label names the round).
func shapeNamed(t *testing.T, layouts []shape, label, name string) shape {
	t.Helper()
	for _, s := range layouts {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no %s layout %s", label, name)
	return shape{}
}

// checkRender fails unless the layout name of a round renders e as want.
func checkRender(t *testing.T, layouts []shape, label, name string, e *event, want string) {
	t.Helper()
	if got := shapeNamed(t, layouts, label, name).Render(e); got != want {
		t.Errorf("%s:\n got %q\nwant %q", name, got, want)
	}
}

// roundClock is how a held-back round's layouts print the time: the
// round's reader, the layouts that print no year, no date (a clock
// alone) or the time since the start, and those that may print none.
type roundClock struct {
	timeOf                           func(name, line string) (time.Time, time.Duration, bool, error)
	yearLess, clockOnly, since, none map[string]bool
}

var (
	r5Clock = roundClock{timeOf: r5TimeOf, yearLess: r5YearLess, none: map[string]bool{"winston-json": true}}
	r6Clock = roundClock{timeOf: r6TimeOf, yearLess: r6YearLess, clockOnly: r6ClockOnly}
	r7Clock = roundClock{timeOf: r7TimeOf, yearLess: r7YearLess, clockOnly: r7ClockOnly, since: r7Since}
)

// checkRoundTime fails unless the time a round's layout prints is e's (at
// the layout's precision; with e's year, or e's date, for the layouts that
// print none; the time since e.Start for those that print the uptime).
func checkRoundTime(t *testing.T, c roundClock, s shape, e event) {
	t.Helper()
	line := s.Render(&e)
	got, prec, ok, err := c.timeOf(s.Name, line)
	if err != nil {
		t.Errorf("%s: time of %q: %v", s.Name, line, err)
		return
	}
	if !ok {
		if !c.none[s.Name] {
			t.Errorf("%s: no time read from %q", s.Name, line)
		}
		return
	}
	want := e.T
	if prec < time.Millisecond {
		want = micros(&e)
	}
	if c.since[s.Name] {
		want = time.Time{}.Add(e.T.Sub(e.Start))
	}
	want = want.Truncate(prec)
	if c.yearLess[s.Name] {
		got = got.AddDate(want.Year(), 0, 0)
	}
	if c.clockOnly[s.Name] {
		got = got.AddDate(want.Year(), int(want.Month())-1, want.Day()-1)
	}
	if !got.Equal(want) {
		t.Errorf("%s: time %v read back from %q, want %v", s.Name, got, line, want)
	}
}

func TestR7Shapes(t *testing.T) {
	// each new layout as its source shows it (see the comments in r7.go)
	e := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123000000, time.UTC), Level: "warn", Comp: "raft", Class: "io.etcd.server.etcdserver.api.rafthttp.Transport",
		File: "transport.go", Line: 211, PID: 4242, TID: 7, Host: "worker-3", Thread: "pool-2-thread-1", Seq: 42, App: "etcd",
		Msg: "peer 8e9e05c52164694d became inactive", KVs: [][2]string{{"remote", "10.0.0.7:2380"}, {"took", "1.5s"}}}
	e.Start = e.T.Add(-83*time.Second - 176*time.Millisecond)
	want := map[string]string{
		"bind9":          "10-Mar-2024 13:55:07.123 general: warning: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"aerospike":      "Mar 10 2024 13:55:07 GMT: WARNING (raft): (transport.c:211) peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"scylladb":       "WARN  2024-03-10 13:55:07,123 [shard 7:main] raft - peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"couchdb":        "[warning] 2024-03-10T13:55:07.123701Z couchdb@worker-3 <0.5359.3> c74b29ff82 peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"trafficserver":  "[Mar 10 13:55:07.123] Server {0x2ae95ffc0700} WARNING: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"privoxy":        "2024-03-10 13:55:07.123 7f3a2f9b7700 Error: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"huawei-vrp":     "Mar 10 2024 13:55:07 worker-3 %%01RAFT/4/TRANSPORT(l)[42]:peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"xorg":           "[    83.176] (WW) raft(1): peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"windowsupdate":  "2024/03/10 13:55:07.1237010 4242  4274  Setup           peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"srcds":          "L 03/10/2024 - 13:55:07: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"factorio":       "  83.176 Warning Transport.cpp:211: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"actions-runner": "[2024-03-10 13:55:07Z WARN Transport] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"bazel":          "(13:55:07) WARNING: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"nsqd":           "[nsqd] 2024/03/10 13:55:07.123701 WARNING: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
	}
	checkRenders(t, "r7", r7Shapes, e, want)
	// without pairs, at info on another thread: BIND's notice, CouchDB's
	// notice outside a request, Traffic Server's STATUS, Huawei's
	// notification (5), a probed marker and another screen in Xorg's log,
	// a namespace in Aerospike's line
	noKV := e
	noKV.KVs, noKV.TID, noKV.Level = nil, 6, "info"
	for name, line := range map[string]string{
		"bind9":          "10-Mar-2024 13:55:07.123 general: notice: peer 8e9e05c52164694d became inactive",
		"aerospike":      "Mar 10 2024 13:55:07 GMT: INFO (raft): (transport.c:211) {cache} peer 8e9e05c52164694d became inactive",
		"scylladb":       "INFO  2024-03-10 13:55:07,123 [shard 6:stmt] raft - peer 8e9e05c52164694d became inactive",
		"couchdb":        "[notice] 2024-03-10T13:55:07.123972Z couchdb@worker-3 <0.5228.2> -------- peer 8e9e05c52164694d became inactive",
		"trafficserver":  "[Mar 10 13:55:07.123] Server {0x2ae95ffb0600} STATUS: peer 8e9e05c52164694d became inactive",
		"privoxy":        "2024-03-10 13:55:07.123 7f3a2f1b6700 Info: peer 8e9e05c52164694d became inactive",
		"huawei-vrp":     "Mar 10 2024 13:55:07 worker-3 %%01RAFT/5/TRANSPORT(l)[42]:peer 8e9e05c52164694d became inactive",
		"xorg":           "[    83.176] (II) raft(0): peer 8e9e05c52164694d became inactive",
		"windowsupdate":  "2024/03/10 13:55:07.1239720 4242  4270  Setup           peer 8e9e05c52164694d became inactive",
		"srcds":          "L 03/10/2024 - 13:55:07: peer 8e9e05c52164694d became inactive",
		"factorio":       "  83.176 Info Transport.cpp:211: peer 8e9e05c52164694d became inactive",
		"actions-runner": "[2024-03-10 13:55:07Z INFO Transport] peer 8e9e05c52164694d became inactive",
		"bazel":          "(13:55:07) INFO: peer 8e9e05c52164694d became inactive",
		"nsqd":           "[nsqd] 2024/03/10 13:55:07.123972 INFO: peer 8e9e05c52164694d became inactive",
	} {
		checkRender(t, r7Shapes, "r7", name, &noKV, line)
	}
	// trace and debug: BIND's "debug N", Traffic Server's debug tag,
	// Huawei's debugging flag, Factorio's lines with neither level nor
	// source, Bazel's print() with its BUILD file's location
	trace := noKV
	trace.Level = "trace"
	for name, line := range map[string]string{
		"bind9":         "10-Mar-2024 13:55:07.123 general: debug 3: peer 8e9e05c52164694d became inactive",
		"trafficserver": "[Mar 10 13:55:07.123] Server {0x2ae95ffb0600} DIAG: (raft_transport) peer 8e9e05c52164694d became inactive",
		"huawei-vrp":    "Mar 10 2024 13:55:07 worker-3 %%01RAFT/7/TRANSPORT(d)[42]:peer 8e9e05c52164694d became inactive",
		"xorg":          "[    83.176] (DB) raft(0): peer 8e9e05c52164694d became inactive",
		"factorio":      "  83.176 peer 8e9e05c52164694d became inactive",
		"bazel":         "(13:55:07) DEBUG: /home/ci/src/etcd/raft/BUILD.bazel:12:8: peer 8e9e05c52164694d became inactive",
	} {
		checkRender(t, r7Shapes, "r7", name, &trace, line)
	}
	dbg := noKV
	dbg.Level = "debug"
	checkRender(t, r7Shapes, "r7", "factorio", &dbg, "  83.176 Verbose Transport.cpp:211: peer 8e9e05c52164694d became inactive")
	checkRender(t, r7Shapes, "r7", "trafficserver", &dbg, "[Mar 10 13:55:07.123] Server {0x2ae95ffb0600} DEBUG: (raft_transport) peer 8e9e05c52164694d became inactive")
	// errors: the runner's padded "ERR ", a failed Bazel action's location,
	// Aerospike's and Privoxy's errors as their warnings; the fatal words
	bad := noKV
	bad.Level = "error"
	for name, line := range map[string]string{
		"actions-runner": "[2024-03-10 13:55:07Z ERR  Transport] peer 8e9e05c52164694d became inactive",
		"bazel":          "(13:55:07) ERROR: /home/ci/src/etcd/raft/BUILD.bazel:12:8: peer 8e9e05c52164694d became inactive",
		"aerospike":      "Mar 10 2024 13:55:07 GMT: WARNING (raft): (transport.c:211) {cache} peer 8e9e05c52164694d became inactive",
		"privoxy":        "2024-03-10 13:55:07.123 7f3a2f1b6700 Error: peer 8e9e05c52164694d became inactive",
		"huawei-vrp":     "Mar 10 2024 13:55:07 worker-3 %%01RAFT/3/TRANSPORT(l)[42]:peer 8e9e05c52164694d became inactive",
	} {
		checkRender(t, r7Shapes, "r7", name, &bad, line)
	}
	bad.Level = "fatal"
	for name, line := range map[string]string{
		"actions-runner": "[2024-03-10 13:55:07Z CRIT Transport] peer 8e9e05c52164694d became inactive",
		"aerospike":      "Mar 10 2024 13:55:07 GMT: CRITICAL (raft): (transport.c:211) {cache} peer 8e9e05c52164694d became inactive",
		"privoxy":        "2024-03-10 13:55:07.123 7f3a2f1b6700 Fatal error: peer 8e9e05c52164694d became inactive",
		"couchdb":        "[critical] 2024-03-10T13:55:07.123972Z couchdb@worker-3 <0.5228.2> -------- peer 8e9e05c52164694d became inactive",
	} {
		checkRender(t, r7Shapes, "r7", name, &bad, line)
	}
	// the first lines of a Traffic Server start: no process tag, thread
	// {0x1}; a single-digit day in Huawei's time
	first := noKV
	first.Seq = 1
	checkRender(t, r7Shapes, "r7", "trafficserver", &first, "[Mar 10 13:55:07.123] {0x1} STATUS: peer 8e9e05c52164694d became inactive")
	early := noKV
	early.T = time.Date(2024, 3, 5, 9, 5, 7, 0, time.UTC)
	early.Start = early.T.Add(-time.Second)
	checkRender(t, r7Shapes, "r7", "huawei-vrp", &early, "Mar 5 2024 09:05:07 worker-3 %%01RAFT/5/TRANSPORT(l)[42]:peer 8e9e05c52164694d became inactive")
	checkRoundTime(t, r7Clock, shapeNamed(t, r7Shapes, "r7", "huawei-vrp"), early)
	for _, s := range r7Shapes {
		switch s.Name {
		case "windowsupdate", "srcds": // Windows Update's and the Source engine's logs print no level
		case "aerospike", "privoxy": // no error class of their own: an error is a warning's line
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
		checkRoundTime(t, r7Clock, s, e)
	}
	// the uptime columns stay right-aligned past their width's seconds
	late := noKV
	late.Start = late.T.Add(-123456789 * time.Millisecond)
	checkRender(t, r7Shapes, "r7", "xorg", &late, "[123456.789] (II) raft(0): peer 8e9e05c52164694d became inactive")
	checkRender(t, r7Shapes, "r7", "factorio", &late, "123456.789 Info Transport.cpp:211: peer 8e9e05c52164694d became inactive")
}

func TestR5Shapes(t *testing.T) {
	// each new layout as its source shows it (see the comments in r5.go)
	e := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123000000, time.UTC), Level: "warn", Comp: "raft", Class: "io.etcd.server.etcdserver.api.rafthttp.Transport",
		File: "transport.go", Line: 211, PID: 4242, TID: 7, Host: "worker-3", Thread: "pool-2-thread-1", Seq: 42, App: "etcd",
		Msg: "peer 8e9e05c52164694d became inactive", KVs: [][2]string{{"remote", "10.0.0.7:2380"}, {"took", "1.5s"}}}
	e.Start = e.T.Add(-176 * time.Millisecond)
	want := map[string]string{
		"erlang-logger":     "2024-03-10T13:55:07.123701+00:00 warning: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"squid-cache":       "2024/03/10 13:55:07 kid1| WARNING: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"structlog-console": "2024-03-10 13:55:07 [warning  ] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"chromium":          "[4242:4249:0310/135507.123701:WARNING:transport.cc(211)] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"fluent-bit":        "[2024/03/10 13:55:07] [ warn] [storage] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"mongodb-json":      "{\"t\":{\"$date\":\"2024-03-10T13:55:07.123+00:00\"},\"s\":\"W\",  \"c\":\"REPL\",     \"id\":4856420, \"ctx\":\"ReplCoord-3\",\"msg\":\"peer 8e9e05c52164694d became inactive\",\"attr\":{\"remote\":\"10.0.0.7:2380\",\"took\":\"1.5s\"}}",
		"sidekiq":           "2024-03-10T13:55:07.123Z pid=4242 tid=88lv class=RaftJob jid=536c1d11f55b52d9f946ed23 WARN: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"mssql-errorlog":    "2024-03-10 13:55:07.12 Logon       peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"php-error-log":     "[10-Mar-2024 13:55:07 UTC] PHP Warning:  peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s in /var/www/etcd/src/Raft/Transport.php on line 211",
		"cisco-ios":         "*Mar 10 13:55:07.123: %RAFT-4-TRANSPORT: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"asterisk":          "[Mar 10 13:55:07] WARNING[4249]: transport.c:211 handle_request: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"winston-json":      "{\"level\":\"warn\",\"message\":\"peer 8e9e05c52164694d became inactive\",\"remote\":\"10.0.0.7:2380\",\"took\":\"1.5s\"}",
	}
	checkRenders(t, "r5", r5Shapes, e, want)
	// without pairs (and another thread): no padding after structlog's
	// event, no attr in MongoDB's object, no job in Sidekiq, the call id in
	// Asterisk
	noKV := e
	noKV.KVs, noKV.TID = nil, 6
	for name, line := range map[string]string{
		"structlog-console": "2024-03-10 13:55:07 [warning  ] peer 8e9e05c52164694d became inactive",
		"mongodb-json":      "{\"t\":{\"$date\":\"2024-03-10T13:55:07.123+00:00\"},\"s\":\"W\",  \"c\":\"REPL\",     \"id\":4856420, \"ctx\":\"conn142\",\"msg\":\"peer 8e9e05c52164694d became inactive\"}",
		"sidekiq":           "2024-03-10T13:55:07.123Z pid=4242 tid=x6lc WARN: peer 8e9e05c52164694d became inactive",
		"asterisk":          "[Mar 10 13:55:07] WARNING[4248][C-00000021]: transport.c:211 handle_request: peer 8e9e05c52164694d became inactive",
		"mssql-errorlog":    "2024-03-10 13:55:07.12 Server      peer 8e9e05c52164694d became inactive",
	} {
		for _, s := range r5Shapes {
			if s.Name == name {
				if got := s.Render(&noKV); got != line {
					t.Errorf("%s without pairs:\n got %q\nwant %q", name, got, line)
				}
			}
		}
	}
	// structlog pads a short event to 30 columns before its sorted pairs
	short := e
	short.Msg, short.KVs = "short", [][2]string{{"took", "1.5s"}, {"remote", "10.0.0.7:2380"}}
	if got := r5Shapes[2].Render(&short); got != "2024-03-10 13:55:07 [warning  ] short                          remote=10.0.0.7:2380 took=1.5s" {
		t.Errorf("structlog-console, short event: %q", got)
	}
	// the JSON layouts are valid JSON, whatever the message holds, and
	// keep it whole
	quoted := e
	quoted.Msg = `bad "input" <a&b> \ end`
	for _, s := range r5Shapes {
		if !s.Structured {
			continue
		}
		var v map[string]any
		line := s.Render(&quoted)
		if err := json.Unmarshal([]byte(line), &v); err != nil || (v["msg"] != quoted.Msg && v["message"] != quoted.Msg) {
			t.Errorf("%s: %q: %v %v", s.Name, line, err, v)
		}
	}
	for _, s := range r5Shapes {
		if s.Name != "mssql-errorlog" { // SQL Server's error log prints no level
			checkLevels(t, s, e)
		}
		// the time a layout prints reads back as the event's
		checkRoundTime(t, r5Clock, s, e)
	}
}

func TestR4Shapes(t *testing.T) {
	// each new layout as its source shows it (see the comments in r4.go)
	e := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123000000, time.UTC), Level: "warn", Comp: "raft", Class: "io.etcd.server.etcdserver.api.rafthttp.Transport",
		File: "transport.go", Line: 211, PID: 4242, TID: 7, Host: "worker-3", Thread: "pool-2-thread-1", Seq: 42, App: "etcd",
		Msg: "peer 8e9e05c52164694d became inactive", KVs: [][2]string{{"remote", "10.0.0.7:2380"}, {"took", "1.5s"}}}
	e.Start = e.T.Add(-176 * time.Millisecond)
	want := map[string]string{
		"monolog":        `[2024-03-10T13:55:07.123701+00:00] app.WARNING: peer 8e9e05c52164694d became inactive {"remote":"10.0.0.7:2380","took":"1.5s"} []`,
		"elixir-phoenix": "13:55:07.123 request_id=fqwGaxzoQi-F5juV_b19 [warning] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"pino-pretty":    `[1710078907123] WARN (4242 on worker-3): peer 8e9e05c52164694d became inactive {"remote":"10.0.0.7:2380","took":"1.5s"}`,
		"bunyan-cli":     "[2024-03-10T13:55:07.123Z]  WARN: etcd/4242 on worker-3: peer 8e9e05c52164694d became inactive (remote=10.0.0.7:2380, took=1.5s)",
		"log4j-ttcc":     "176 [pool-2-thread-1] WARN  io.etcd.server.etcdserver.api.rafthttp.Transport - peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"haproxy-stderr": "[WARNING]  (4243) : peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"caddy-console":  "2024/03/10 13:55:07.123\tWARN\tadmin\tpeer 8e9e05c52164694d became inactive\t{\"remote\": \"10.0.0.7:2380\", \"took\": \"1.5s\"}",
		"akka":           "[WARN] [03/10/2024 13:55:07.123] [etcd-akka.actor.default-dispatcher-9] [akka://etcd/user/raft] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"syslog-rfc5424": "<164>1 2024-03-10T13:55:07.123Z worker-3 etcd 4242 raft - peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"zabbix":         "  4245:20240310:135507.123 peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"clickhouse":     "2024.03.10 13:55:07.123701 [ 4249 ] {af63b54c-8601-4a47-8f63-b54c8601aa47} <Warning> Transport: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"jetty-stderr":   "2024-03-10 13:55:07.123:WARN:iesear.Transport:Scheduler-1989780873-1: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
	}
	checkRenders(t, "r4", r4Shapes, e, want)
	// without pairs: Monolog's empty context, the root logger in Caddy,
	// no query id in ClickHouse
	noKV := e
	noKV.KVs, noKV.TID = nil, 5
	for name, line := range map[string]string{
		"monolog":       "[2024-03-10T13:55:07.123243+00:00] app.WARNING: peer 8e9e05c52164694d became inactive [] []",
		"caddy-console": "2024/03/10 13:55:07.123\tWARN\tpeer 8e9e05c52164694d became inactive",
		"clickhouse":    "2024.03.10 13:55:07.123243 [ 4247 ] {} <Warning> Transport: peer 8e9e05c52164694d became inactive",
	} {
		for _, s := range r4Shapes {
			if s.Name == name {
				if got := s.Render(&noKV); got != line {
					t.Errorf("%s without pairs:\n got %q\nwant %q", name, got, line)
				}
			}
		}
	}
	for _, s := range r4Shapes {
		switch s.Name {
		case "zabbix": // Zabbix's log prints no level
		case "jetty-stderr": // StdErrLog has no ERROR: errors are WARN (checked below)
		default:
			checkLevels(t, s, e)
		}
		// the time a layout prints reads back as the event's
		checkR4Time(t, s, e)
	}
	j := e
	j.Level = "info"
	info := r4Shapes[len(r4Shapes)-1].Render(&j)
	j.Level = "error"
	if errLine := r4Shapes[len(r4Shapes)-1].Render(&j); info == errLine || !strings.Contains(errLine, ":WARN:") {
		t.Errorf("jetty-stderr: info %q, error %q", info, errLine)
	}
}

// checkR4Time fails unless the time an r4 layout prints is e's (at the
// layout's precision; a time of day alone for Elixir's).
func checkR4Time(t *testing.T, s shape, e event) {
	t.Helper()
	line := s.Render(&e)
	got, prec, ok, err := r4TimeOf(s.Name, line)
	if err != nil {
		t.Errorf("%s: time of %q: %v", s.Name, line, err)
		return
	}
	if !ok {
		return
	}
	want := e.T
	if prec < time.Millisecond {
		want = micros(&e)
	}
	want = want.Truncate(prec)
	if s.Name == "elixir-phoenix" {
		got = time.Date(want.Year(), want.Month(), want.Day(), got.Hour(), got.Minute(), got.Second(), got.Nanosecond(), time.UTC)
	}
	if !got.Equal(want) {
		t.Errorf("%s: time %v read back from %q, want %v", s.Name, got, line, want)
	}
}

func TestR3Shapes(t *testing.T) {
	// each new layout as its source shows it (see the comments in r3.go)
	e := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123000000, time.UTC), Level: "warn", Comp: "raft", Class: "io.etcd.server.etcdserver.api.rafthttp.Transport",
		File: "transport.go", Line: 211, PID: 4242, TID: 7, Host: "worker-3", Thread: "pool-2-thread-1", Seq: 42, App: "etcd",
		Msg: "peer 8e9e05c52164694d became inactive", KVs: [][2]string{{"remote", "10.0.0.7:2380"}, {"took", "1.5s"}}}
	want := map[string]string{
		"spring-boot":     "2024-03-10T13:55:07.123Z  WARN 4242 --- [etcd] [pool-2-thread-1] i.e.s.etcdserver.api.rafthttp.Transport  : peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"nginx-error":     "2024/03/10 13:55:07 [warn] 4245#4245: *1127 peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"glog-cpp":        "W20240310 13:55:07.123701  4249 transport.cc:211] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"mongodb-legacy":  "2024-03-10T13:55:07.123+0000 W QUERY    [replexec-3] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"apache-error":    "[Sun Mar 10 13:55:07.123701 2024] [authz_core:warn] [pid 4242:tid 139900058748928] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"ruby-logger":     "W, [2024-03-10T13:55:07.123701 #4242]  WARN -- raft: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"dotnet-console":  "13:55:07 warn: Io.Etcd.Server.Etcdserver.Api.Rafthttp.Transport[0] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"envoy":           "[2024-03-10 13:55:07.123][2427][warning][http] [source/common/raft/transport.cc:211] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"zookeeper":       "2024-03-10 13:55:07,123 [myid:1] - WARN  [CommitProcWorkThread-1:Transport@211] - peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"jenkins":         "2024-03-10 13:55:07.123+0000 [id=7]\tWARNING\ti.e.s.e.api.rafthttp.Transport#run: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"zerolog-console": "1:55PM WRN peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"crdb-v2":         "W240310 13:55:07.123701 191 1@raft/transport.go:211 ⋮ [n1,s1] 42 peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
	}
	checkRenders(t, "r3", r3Shapes, e, want)
	// info, warn and error have their own words in every layout (debug
	// may share info's: glog and CockroachDB have no debug severity), and
	// no format verb is left unfilled
	for _, s := range r3Shapes {
		checkLevels(t, s, e)
	}
}

// checkRenders fails unless every layout renders e as want has it, one
// line per layout.
func checkRenders(t *testing.T, label string, shapes []shape, e event, want map[string]string) {
	t.Helper()
	if len(want) != len(shapes) {
		t.Fatalf("%d %s layouts, %d expected lines", len(shapes), label, len(want))
	}
	for _, s := range shapes {
		if got := s.Render(&e); got != want[s.Name] {
			t.Errorf("%s:\n got %q\nwant %q", s.Name, got, want[s.Name])
		}
	}
}

// checkLevels fails when a layout renders info, warn or error alike, or
// leaves a format verb unfilled at any level.
func checkLevels(t *testing.T, s shape, e event) {
	t.Helper()
	lines := map[string]string{}
	for _, l := range []string{"trace", "debug", "info", "warn", "error", "fatal"} {
		e.Level = l
		lines[l] = s.Render(&e)
		if strings.Contains(lines[l], "%!") {
			t.Errorf("%s %s: %q", s.Name, l, lines[l])
		}
	}
	for _, p := range [][2]string{{"info", "warn"}, {"warn", "error"}, {"info", "error"}} {
		if lines[p[0]] == lines[p[1]] {
			t.Errorf("%s: %s and %s render alike: %q", s.Name, p[0], p[1], lines[p[0]])
		}
	}
}

func TestWideShapes(t *testing.T) {
	// each wide layout as its source shows it (see the comments in wide.go)
	e := event{T: time.Date(2024, 3, 10, 13, 55, 7, 123000000, time.UTC), Level: "warn", Comp: "raft", Class: "io.etcd.server.etcdserver.api.rafthttp.Transport",
		File: "transport.go", Line: 211, PID: 4242, TID: 7, Host: "worker-3", Thread: "pool-2-thread-1", Seq: 42, App: "etcd",
		Msg: "peer 8e9e05c52164694d became inactive", KVs: [][2]string{{"remote", "10.0.0.7:2380"}, {"took", "1.5s"}}}
	want := map[string]string{
		"tomcat-juli":        "10-Mar-2024 13:55:07.123 WARNING [Catalina-utility-1] io.etcd.server.etcdserver.api.rafthttp.Transport.start peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"rust-env-logger":    "[2024-03-10T13:55:07Z WARN  etcd::raft] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"rust-tracing":       "2024-03-10T13:55:07.123701Z  WARN etcd::raft: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"celery-worker":      "[2024-03-10 13:55:07,123: WARNING/ForkPoolWorker-4] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"gunicorn":           "[2024-03-10 13:55:07 +0000] [4244] [WARNING] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"loguru":             "2024-03-10 13:55:07.123 | WARNING  | etcd.transport:run:211 - peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"airflow":            "[2024-03-10T13:55:07.123+0000] {transport.py:211} WARNING - peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"journald-monotonic": "[724107.123701] worker-3 raft[4242]: peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"serilog-file":       "2024-03-10 13:55:07.123 +00:00 [WRN] peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"nlog":               "2024-03-10 13:55:07.1237|WARN|Io.Etcd.Server.Etcdserver.Api.Rafthttp.Transport|peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"log15-term":         "[WARN] [03-10|13:55:07] peer 8e9e05c52164694d became inactive    remote=10.0.0.7:2380 took=1.5s",
		"wildfly-console":    "13:55:07,123 WARN  [io.etcd.server.etcdserver.api.rafthttp.Transport] (MSC service thread 1-3) peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
		"postgres-pgbadger":  "2024-03-10 13:55:07 UTC [4249]: [2-1] user=postgres,db=postgres,app=[unknown],client=10.0.3.17 WARNING:  peer 8e9e05c52164694d became inactive remote=10.0.0.7:2380 took=1.5s",
	}
	checkRenders(t, "wide", wideShapes, e, want)
	// without pairs, log15 ends the message with its one separating blank
	noKV := e
	noKV.KVs = nil
	if got := wideShapes[10].Render(&noKV); got != "[WARN] [03-10|13:55:07] peer 8e9e05c52164694d became inactive " {
		t.Errorf("log15-term without pairs: %q", got)
	}
	for _, s := range wideShapes {
		if s.Name == "journald-monotonic" {
			continue // journalctl's short formats show no priority (as syslog's)
		}
		checkLevels(t, s, e)
	}
}

func TestWideLayouts(t *testing.T) {
	// the wide layouts are new (neither a held-back or development layout
	// nor an r3 one), rendered in the development part only, each with
	// wideProjects development projects chosen by hash
	old := map[string]bool{}
	for _, s := range shapes {
		old[s.Name] = true
	}
	for _, s := range r3Shapes {
		old[s.Name] = true
	}
	for _, s := range r4Shapes {
		old[s.Name] = true
	}
	for _, s := range r5Shapes {
		old[s.Name] = true
	}
	for _, s := range r6Shapes {
		old[s.Name] = true
	}
	for _, s := range r7Shapes {
		old[s.Name] = true
	}
	total := 0
	for _, s := range wideShapes {
		if old[s.Name] {
			t.Errorf("wide layout %s is not new", s.Name)
		}
		old[s.Name] = true
		share := wideShare(s)
		if len(share) != wideProjects {
			t.Errorf("%s renders %d projects, want %d", s.Name, len(share), wideProjects)
		}
		for _, p := range share {
			if part, _ := projectPart(p); part != partDev {
				t.Errorf("%s renders %s of part %s", s.Name, p.Module, part)
			}
		}
	}
	for _, p := range projects {
		got := wideLayouts(p)
		total += len(got)
		if part, _ := projectPart(p); part != partDev && len(got) > 0 {
			t.Errorf("%s (%s) rendered in %d wide layouts", p.Module, part, len(got))
		}
	}
	if total != wideProjects*len(wideShapes) {
		t.Errorf("%d wide datasets, want %d", total, wideProjects*len(wideShapes))
	}
	// the rule is fixed: the first layout's share, in order
	var got []string
	for _, p := range wideShare(wideShapes[0]) {
		got = append(got, p.Module)
	}
	want := "github.com/open-policy-agent/opa github.com/go-zookeeper/zk github.com/dgraph-io/badger/v4 github.com/envoyproxy/go-control-plane google.golang.org/grpc github.com/redis/go-redis/v9 github.com/k3s-io/kine github.com/prometheus/prometheus github.com/syncthing/syncthing sigs.k8s.io/kind"
	if strings.Join(got, " ") != want {
		t.Errorf("%s share:\n%s\nwant\n%s", wideShapes[0].Name, strings.Join(got, " "), want)
	}
}

func TestAppName(t *testing.T) {
	for mod, want := range map[string]string{"github.com/cloudnativelabs/kube-router/v2": "kube-router", "tailscale.com": "tailscale.com", "go.etcd.io/raft/v3": "raft", "github.com/ipfs/kubo": "kubo"} {
		if got := appName(mod); got != want {
			t.Errorf("appName(%s) = %s, want %s", mod, got, want)
		}
	}
}

func TestBuildAndScore(t *testing.T) {
	cache := t.TempDir()
	var stderr bytes.Buffer
	src := map[string]string{"k8s.io/kubernetes": filepath.Join("testdata", "fixture")}
	if err := build(cache, 300, src, "", &stderr); err != nil {
		t.Fatal(err, stderr.String())
	}
	// r3 and r4 are held back whole too: a build not asked to name them
	// prints their count alone (r5 and r6: checkBlindRound, below)
	for _, part := range []string{partR3, partR4} {
		if !strings.Contains(stderr.String(), part+": ") || strings.Contains(stderr.String(), " "+part+"   ") {
			t.Fatalf("build output names %s sets or misses their count:\n%s", part, stderr.String())
		}
	}
	logs, _ := filepath.Glob(filepath.Join(cache, partDev, "*.log"))
	if len(logs) != 2+len(crossLayouts(projects[0]))+len(wideLayouts(projects[0])) || len(wideLayouts(projects[0])) == 0 {
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
	if !strings.Contains(out.String(), fmt.Sprintf("dev: %d datasets, mean GA two-pass", len(logs))) ||
		!strings.Contains(out.String(), fmt.Sprintf("dev half a: %d datasets, mean GA two-pass", len(logs))) {
		t.Fatalf("score output:\n%s", out.String())
	}
	t.Log(out.String())
	// Kubernetes is in half A: half B of this corpus is empty
	out.Reset()
	if err := scoreHalf(cache, partDev, halfB, true, "", &out); err == nil || strings.Contains(out.String(), "k8s-io_kubernetes__") {
		t.Fatalf("half b: err %v, output:\n%s", err, out.String())
	}
	// the r3 part: the fixture stands in for Kubernetes, rendered there in
	// the new layouts the plan gives it
	var k8s []string
	for _, s := range r3Plan() {
		if s.Project.Module == "k8s.io/kubernetes" {
			k8s = append(k8s, s.Shape.Name)
		}
	}
	r3logs, _ := filepath.Glob(filepath.Join(cache, partR3, "*.log"))
	if len(k8s) == 0 || len(r3logs) != len(k8s) {
		t.Fatalf("r3 datasets %v, want Kubernetes in %v", r3logs, k8s)
	}
	out.Reset()
	if err := score(cache, partR3, false, "", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("r3: %d datasets, mean GA two-pass", len(k8s))) || strings.Contains(out.String(), "k8s-io_kubernetes__") {
		t.Fatalf("r3 score output (mean only):\n%s", out.String())
	}
	// the r4 part likewise, and every line of its sets carries a time that
	// reads back (where the layout prints one) and never runs backwards by
	// a millisecond or more (micros, shared with r3, may order two lines of
	// one millisecond either way)
	k8s = k8s[:0]
	for _, s := range r4Plan() {
		if s.Project.Module == "k8s.io/kubernetes" {
			k8s = append(k8s, s.Shape.Name)
		}
	}
	r4logs, _ := filepath.Glob(filepath.Join(cache, partR4, "*.log"))
	if len(k8s) == 0 || len(r4logs) != len(k8s) {
		t.Fatalf("r4 datasets %v, want Kubernetes in %v", r4logs, k8s)
	}
	for _, l := range r4logs {
		raw, _ := os.ReadFile(l)
		name := strings.TrimSuffix(filepath.Base(l), ".log")
		name = name[strings.Index(name, "__")+2:]
		var last time.Time
		for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
			ts, _, ok, err := r4TimeOf(name, line)
			if err != nil || !ok && name != "haproxy-stderr" && name != "log4j-ttcc" {
				t.Fatalf("%s line %d: %q: time %v %v", name, i+1, line, ok, err)
			}
			if ok && ts.Before(last.Add(-time.Millisecond)) && name != "elixir-phoenix" {
				t.Fatalf("%s line %d: time %v before %v", name, i+1, ts, last)
			}
			last = ts
		}
	}
	out.Reset()
	if err := score(cache, partR4, false, "", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("r4: %d datasets, mean GA two-pass", len(k8s))) || strings.Contains(out.String(), "k8s-io_kubernetes__") {
		t.Fatalf("r4 score output (mean only):\n%s", out.String())
	}
	// the r5 and r6 parts likewise (the fixture stands in for the
	// development projects their plans name only where Kubernetes is one of
	// them): see checkBlindRound
	checkBlindRound(t, cache, partR5, r5Plan(), r5Shapes, stderr.String(), r5TimeOf, func(name string) (bool, time.Duration) {
		if name == "mssql-errorlog" {
			return true, 10 * time.Millisecond // SQL Server prints hundredths
		}
		return name != "winston-json", time.Millisecond // winston's default prints no time
	})
	checkBlindRound(t, cache, partR6, r6Plan(), r6Shapes, stderr.String(), r6TimeOf, func(string) (bool, time.Duration) {
		return true, time.Millisecond
	})
	checkBlindRound(t, cache, partR7, r7Plan(), r7Shapes, stderr.String(), r7TimeOf, func(string) (bool, time.Duration) {
		return true, time.Millisecond
	})
}

// checkBlindRound checks a round built blind (r5, r6, r7) in TestBuildAndScore:
// the build of cache rendered the fixture only where its plan names
// Kubernetes, and its output (buildStderr) names no set of the part unless
// asked to; the fixture rendered in every one of the part's layouts reads
// its time back on every line (timed tells, per layout, whether it prints a
// time, and by how much a line's time may run behind the one before); and
// score prints the part's mean alone, never a figure per set.
func checkBlindRound(t *testing.T, cache, part string, plan []r3Set, layouts []shape, buildStderr string,
	timeOf func(name, line string) (time.Time, time.Duration, bool, error), timed func(name string) (bool, time.Duration)) {
	t.Helper()
	var k8s []string
	for _, s := range plan {
		if s.Project.Module == "k8s.io/kubernetes" {
			k8s = append(k8s, s.Shape.Name)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(cache, part, "*.log"))
	if len(logs) != len(k8s) {
		t.Fatalf("%s datasets %v, want Kubernetes in %v", part, logs, k8s)
	}
	if !strings.Contains(buildStderr, fmt.Sprintf("%s: %d sets, held back whole", part, len(k8s))) || strings.Contains(buildStderr, " "+part+"   ") {
		t.Fatalf("build output names %s sets or misses their count:\n%s", part, buildStderr)
	}
	own := t.TempDir()
	if err := os.MkdirAll(filepath.Join(own, part), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sh := range layouts {
		st, err := extract(filepath.Join("testdata", "fixture"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := writeDataset(own, part, projects[0], sh, st, 300); err != nil {
			t.Fatal(err)
		}
	}
	logs, _ = filepath.Glob(filepath.Join(own, part, "*.log"))
	if len(logs) != len(layouts) {
		t.Fatalf("%s layout datasets: %v", part, logs)
	}
	for _, l := range logs {
		raw, _ := os.ReadFile(l)
		name := strings.TrimSuffix(filepath.Base(l), ".log")
		name = name[strings.Index(name, "__")+2:]
		hasTime, slack := timed(name)
		var last time.Time
		for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
			ts, _, ok, err := timeOf(name, line)
			if err != nil || !ok && hasTime {
				t.Fatalf("%s line %d: %q: time %v %v", name, i+1, line, ok, err)
			}
			if ok && i > 0 && ts.Before(last.Add(-slack)) {
				t.Fatalf("%s line %d: time %v before %v", name, i+1, ts, last)
			}
			last = ts
		}
	}
	var out bytes.Buffer
	if err := score(own, part, false, "", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("%s: %d datasets, mean GA two-pass", part, len(layouts))) || strings.Contains(out.String(), "k8s-io_kubernetes__") {
		t.Fatalf("%s score output: not the mean alone", part) // not printed: only the coordinator reads its figures
	}
}

func TestGroupingAccuracy(t *testing.T) {
	if got := groupingAccuracy([]string{"A", "A", "B", "C"}, []string{"1", "1", "2", "2"}); got != 0.5 {
		t.Fatalf("GA = %v, want 0.5", got)
	}
}

func TestDevHalves(t *testing.T) {
	// the halves are fixed (session 18): FNV-1a 64-bit of the module path,
	// even in A, odd in B; recorded before any rule was judged on them
	want := map[string]string{
		"k8s.io/kubernetes": halfA, "k8s.io/client-go": halfA, "k8s.io/apiserver": halfB,
		"go.etcd.io/etcd/server/v3": halfA, "github.com/prometheus/prometheus": halfB,
		"github.com/hashicorp/raft": halfB, "github.com/hashicorp/serf": halfA, "github.com/docker/docker": halfB,
		"github.com/containerd/containerd/v2": halfA, "github.com/caddyserver/caddy/v2": halfB,
		"github.com/syncthing/syncthing": halfB, "github.com/influxdata/influxdb": halfB,
		"github.com/jaegertracing/jaeger": halfB, "github.com/dgraph-io/badger/v4": halfA, "sigs.k8s.io/kind": halfA,
		"github.com/open-policy-agent/opa": halfA, "github.com/grafana/dskit": halfA,
		"github.com/envoyproxy/go-control-plane": halfB, "google.golang.org/grpc": halfB, "github.com/IBM/sarama": halfA,
		"github.com/go-zookeeper/zk": halfB, "github.com/docker/cli": halfB, "github.com/redis/go-redis/v9": halfA,
		"github.com/hashicorp/go-plugin": halfA, "tailscale.com": halfA, "github.com/ethereum/go-ethereum": halfA,
		"github.com/k3s-io/kine": halfA, "github.com/libp2p/go-libp2p": halfA,
	}
	seen := map[string]string{} // slug -> module: a dataset name names one project
	n := [2]int{}
	for _, p := range projects {
		if prev, ok := seen[slug(p.Module)]; ok {
			t.Fatalf("%s and %s share the slug %s", prev, p.Module, slug(p.Module))
		}
		seen[slug(p.Module)] = p.Module
		if part, _ := projectPart(p); part != partDev {
			if _, ok := want[p.Module]; ok {
				t.Errorf("%s: in part %s, listed in a half", p.Module, part)
			}
			continue
		}
		h := devHalf(p.Module)
		if h != want[p.Module] {
			t.Errorf("%s: half %q, want %q", p.Module, h, want[p.Module])
		}
		// every dataset of the project goes with it, whatever its layout
		for _, layout := range []string{"klog", "python", "wide-x"} {
			got, err := datasetHalf(slug(p.Module) + "__" + layout)
			if err != nil || got != h {
				t.Errorf("%s in %s: half %q (%v), want %q", p.Module, layout, got, err, h)
			}
		}
		if h == halfA {
			n[0]++
		} else {
			n[1]++
		}
		delete(want, p.Module)
	}
	if len(want) > 0 {
		t.Errorf("listed but not development projects: %v", want)
	}
	if n[0] == 0 || n[1] == 0 {
		t.Fatalf("halves of %d and %d projects", n[0], n[1])
	}
	if _, err := datasetHalf("example-com_unlisted__klog"); err == nil {
		t.Error("a dataset of no listed project got a half")
	}
}
