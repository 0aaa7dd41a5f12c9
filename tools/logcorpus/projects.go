package main

import "hash/fnv"

// project is one open-source Go module whose log statements feed the
// corpus. Its source is read from the module cache (go mod download) when
// the corpus is built; nothing of it is kept in the repository.
type project struct {
	Module  string
	Version string
	Licence string // SPDX id of the module's licence
}

// projects lists the modules, pinned. CockroachDB and Consul's server (named
// in issue 9) are left out: their licences are not open-source (the module
// proxy list marks them not-to-use); HashiCorp's open-source raft and serf
// stand in for Consul's logging.
var projects = []project{
	{"k8s.io/kubernetes", "v1.36.3", "Apache-2.0"},
	{"k8s.io/client-go", "v0.35.3", "Apache-2.0"},
	{"k8s.io/apiserver", "v0.35.1", "Apache-2.0"},
	{"go.etcd.io/etcd/server/v3", "v3.7.3", "Apache-2.0"},
	{"go.etcd.io/raft/v3", "v3.7.0", "Apache-2.0"},
	{"github.com/prometheus/prometheus", "v0.312.1-0.20260612131846-2ad3a8717015", "Apache-2.0"},
	{"github.com/prometheus/alertmanager", "v0.32.1", "Apache-2.0"},
	{"github.com/hashicorp/raft", "v1.7.2", "MPL-2.0"},
	{"github.com/hashicorp/serf", "v0.10.2", "MPL-2.0"},
	{"github.com/nats-io/nats-server/v2", "v2.15.3", "Apache-2.0"},
	{"github.com/docker/docker", "v28.5.2+incompatible", "Apache-2.0"},
	{"github.com/containerd/containerd/v2", "v2.4.2", "Apache-2.0"},
	{"github.com/caddyserver/caddy/v2", "v2.11.9", "Apache-2.0"},
	{"github.com/syncthing/syncthing", "v1.30.0", "MPL-2.0"},
	{"github.com/influxdata/influxdb", "v1.13.2", "MIT"},
	{"github.com/jaegertracing/jaeger", "v1.75.0", "Apache-2.0"},
	{"github.com/dgraph-io/badger/v4", "v4.9.6", "Apache-2.0"},
	{"sigs.k8s.io/controller-runtime", "v0.25.3", "Apache-2.0"},
	{"sigs.k8s.io/kind", "v0.33.0", "Apache-2.0"},
	{"github.com/open-policy-agent/opa", "v1.22.4", "Apache-2.0"},
	{"go.temporal.io/sdk", "v1.51.0", "MIT"},
	{"github.com/grafana/dskit", "v0.0.0-20260209132809-8d1c6d34bb5a", "Apache-2.0"},
	{"github.com/envoyproxy/go-control-plane", "v0.14.0", "Apache-2.0"},
}

// Parts of the corpus.
const (
	partDev  = "dev"  // the development part: tune on it
	partHeld = "held" // held back: never looked at while tuning, only scored
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
