package main

import "hash/fnv"

// project is one open-source Go module whose log statements feed the
// corpus. Its source is read from the module cache (go mod download) when
// the corpus is built; nothing of it is kept in the repository.
type project struct {
	Module  string
	Version string
	Licence string // SPDX id of the module's licence
	// Fresh marks the projects added in the corpus's second round
	// (2026-12-04). Their held-back share (the same hash rule) forms a
	// fresh held-back part: the first held-back part had been examined
	// (why etcd raft failed), so it is no longer fully unseen.
	Fresh bool
}

// projects lists the modules, pinned. CockroachDB and Consul's server (named
// in issue 9) are left out: their licences are not open-source (the module
// proxy list marks them not-to-use); HashiCorp's open-source raft and serf
// stand in for Consul's logging.
var projects = []project{
	{"k8s.io/kubernetes", "v1.36.3", "Apache-2.0", false},
	{"k8s.io/client-go", "v0.35.3", "Apache-2.0", false},
	{"k8s.io/apiserver", "v0.35.1", "Apache-2.0", false},
	{"go.etcd.io/etcd/server/v3", "v3.7.3", "Apache-2.0", false},
	{"go.etcd.io/raft/v3", "v3.7.0", "Apache-2.0", false},
	{"github.com/prometheus/prometheus", "v0.312.1-0.20260612131846-2ad3a8717015", "Apache-2.0", false},
	{"github.com/prometheus/alertmanager", "v0.32.1", "Apache-2.0", false},
	{"github.com/hashicorp/raft", "v1.7.2", "MPL-2.0", false},
	{"github.com/hashicorp/serf", "v0.10.2", "MPL-2.0", false},
	{"github.com/nats-io/nats-server/v2", "v2.15.3", "Apache-2.0", false},
	{"github.com/docker/docker", "v28.5.2+incompatible", "Apache-2.0", false},
	{"github.com/containerd/containerd/v2", "v2.4.2", "Apache-2.0", false},
	{"github.com/caddyserver/caddy/v2", "v2.11.9", "Apache-2.0", false},
	{"github.com/syncthing/syncthing", "v1.30.0", "MPL-2.0", false},
	{"github.com/influxdata/influxdb", "v1.13.2", "MIT", false},
	{"github.com/jaegertracing/jaeger", "v1.75.0", "Apache-2.0", false},
	{"github.com/dgraph-io/badger/v4", "v4.9.6", "Apache-2.0", false},
	{"sigs.k8s.io/controller-runtime", "v0.25.3", "Apache-2.0", false},
	{"sigs.k8s.io/kind", "v0.33.0", "Apache-2.0", false},
	{"github.com/open-policy-agent/opa", "v1.22.4", "Apache-2.0", false},
	{"go.temporal.io/sdk", "v1.51.0", "MIT", false},
	{"github.com/grafana/dskit", "v0.0.0-20260209132809-8d1c6d34bb5a", "Apache-2.0", false},
	{"github.com/envoyproxy/go-control-plane", "v0.14.0", "Apache-2.0", false},

	// Second round: sources never used before, chosen for log styles like
	// the weak families of the first round (Printf loggers with
	// "[LEVEL] component:" prefixes as in HashiCorp's memberlist and
	// go-plugin, gRPC's grpclog, Kafka and Cassandra clients, ZooKeeper,
	// logrus users such as the Docker CLI, kine and cri-tools, zap users
	// such as the collector's stanza, Tailscale's logf, go-ethereum's
	// key/value logger). The split was fixed (heldBack, the same rule)
	// before any of them was rendered or scored.
	{"google.golang.org/grpc", "v1.85.0", "Apache-2.0", true},
	{"github.com/IBM/sarama", "v1.46.3", "MIT", true},
	{"github.com/gocql/gocql", "v1.7.0", "BSD-3-Clause", true},
	{"github.com/go-zookeeper/zk", "v1.0.4", "BSD-3-Clause", true},
	{"github.com/grafana/memberlist", "v0.3.1-0.20251126142931-6f9f62ab6f86", "MPL-2.0", true},
	{"github.com/docker/cli", "v29.7.2+incompatible", "Apache-2.0", true},
	{"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza", "v0.165.1", "Apache-2.0", true},
	{"github.com/uber/jaeger-client-go", "v2.30.0+incompatible", "Apache-2.0", true},
	{"github.com/redis/go-redis/v9", "v9.18.0", "BSD-2-Clause", true},
	{"helm.sh/helm/v3", "v3.21.0", "Apache-2.0", true},
	{"github.com/hashicorp/go-plugin", "v1.8.0", "MPL-2.0", true},
	{"tailscale.com", "v1.102.5", "BSD-3-Clause", true},
	{"github.com/ethereum/go-ethereum", "v1.17.10", "LGPL-3.0", true},
	{"github.com/k3s-io/kine", "v0.17.5", "Apache-2.0", true},
	{"sigs.k8s.io/cri-tools", "v1.37.0", "Apache-2.0", true},
	{"github.com/libp2p/go-libp2p", "v0.52.0", "MIT", true},
	{"github.com/grafana/pyroscope-go", "v1.5.0", "Apache-2.0", true},
}

// Parts of the corpus.
const (
	partDev  = "dev"  // the development part: tune on it
	partHeld = "held" // held back: never looked at while tuning, only scored
	// the held-back share of the second round's projects, rendered in the
	// held-back layouts: never looked at per dataset while tuning
	partFresh = "fresh"
)

// heldBack is the split rule, fixed before any tuning (see README): a
// project or a header shape is held back when the FNV-1a 32-bit hash of
// its name (the module path without version; the shape's name) is 0
// modulo 3. The held-back part renders the held-back projects with the
// held-back header shapes only, the development part the others with the
// others, so neither the events nor the header layouts of the held-back
// part are seen while tuning.
func heldBack(name string) bool {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()%3 == 0
}

func partOf(name string) string {
	if heldBack(name) {
		return partHeld
	}
	return partDev
}

// projectPart is the part a project's datasets go to, and layoutPart the
// part whose header layouts render them: a held-back project of the second
// round goes to the fresh held-back part, in the held-back layouts.
func projectPart(p project) (part, layoutPart string) {
	part = partOf(p.Module)
	if p.Fresh && part == partHeld {
		return partFresh, partHeld
	}
	return part, part
}
