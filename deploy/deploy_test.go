package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

const (
	manifestPath = "kubernetes/gopulse.yaml"
	chartDir     = "helm/gopulse"
	agentPort    = 9464
)

// defaultCaps is the exact capability set of the agent container.
var defaultCaps = []corev1.Capability{"BPF", "DAC_READ_SEARCH", "PERFMON", "SYS_PTRACE"}

// allowedHostPaths are the host paths the DaemonSet may mount, and whether
// the mount may be writable.
var allowedHostPaths = map[string]bool{
	"/sys/fs/bpf":      true, // pinned maps and links (hot upgrade)
	"/var/lib/gopulse": true, // tail offsets and exporter queues
	"/sys/kernel/btf":  false,
	"/var/log":         false,
	"/var/log/pods":    false,
}

// bundle is one decoded set of objects.
type bundle struct {
	namespaces   []*corev1.Namespace
	accounts     []*corev1.ServiceAccount
	configMaps   []*corev1.ConfigMap
	daemonSets   []*appsv1.DaemonSet
	roles        []*rbacv1.ClusterRole
	roleBindings []*rbacv1.ClusterRoleBinding
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// splitDocs splits a multi-document YAML stream and drops empty documents.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---")) {
		// A document separator line may carry a trailing comment or newline.
		if i := bytes.IndexByte(d, '\n'); i >= 0 && len(bytes.TrimSpace(d[:i])) == 0 {
			d = d[i+1:]
		}
		nonComment := false
		for _, l := range bytes.Split(d, []byte("\n")) {
			l = bytes.TrimSpace(l)
			if len(l) > 0 && l[0] != '#' {
				nonComment = true
				break
			}
		}
		if nonComment {
			docs = append(docs, d)
		}
	}
	return docs
}

// decodeStrict decodes every document of data into its k8s.io/api type,
// rejecting unknown and duplicate fields and unknown kinds.
func decodeStrict(name string, data []byte) (*bundle, error) {
	b := &bundle{}
	for i, doc := range splitDocs(data) {
		var tm typeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		var obj any
		switch tm.APIVersion + "/" + tm.Kind {
		case "v1/Namespace":
			o := &corev1.Namespace{}
			b.namespaces, obj = append(b.namespaces, o), o
		case "v1/ServiceAccount":
			o := &corev1.ServiceAccount{}
			b.accounts, obj = append(b.accounts, o), o
		case "v1/ConfigMap":
			o := &corev1.ConfigMap{}
			b.configMaps, obj = append(b.configMaps, o), o
		case "apps/v1/DaemonSet":
			o := &appsv1.DaemonSet{}
			b.daemonSets, obj = append(b.daemonSets, o), o
		case "rbac.authorization.k8s.io/v1/ClusterRole":
			o := &rbacv1.ClusterRole{}
			b.roles, obj = append(b.roles, o), o
		case "rbac.authorization.k8s.io/v1/ClusterRoleBinding":
			o := &rbacv1.ClusterRoleBinding{}
			b.roleBindings, obj = append(b.roleBindings, o), o
		default:
			return nil, fmt.Errorf("%s: document %d: unexpected object %s %s", name, i, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s: document %d (%s): %w", name, i, tm.Kind, err)
		}
	}
	return b, nil
}

// checkBundle asserts the contract of the agent's objects.
func checkBundle(t *testing.T, b *bundle, port int32, wantCaps []corev1.Capability, rbac bool) {
	t.Helper()
	if len(b.daemonSets) != 1 {
		t.Fatalf("want 1 DaemonSet, got %d", len(b.daemonSets))
	}
	ds := b.daemonSets[0]
	spec := ds.Spec.Template.Spec
	if !spec.HostPID {
		t.Error("hostPID must be true: uprobes attach to the host's processes")
	}
	if spec.HostNetwork {
		t.Error("hostNetwork is not needed")
	}
	sel := ds.Spec.Selector.MatchLabels
	if len(sel) == 0 {
		t.Error("empty selector")
	}
	for k, v := range sel {
		if ds.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod template", k, v)
		}
	}

	if len(spec.Containers) != 1 {
		t.Fatalf("want 1 container, got %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatal("container has no securityContext.capabilities")
	}
	if sc.Privileged == nil || *sc.Privileged {
		t.Error("privileged must be set to false")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation must be false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem must be true")
	}
	if !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("capabilities.drop = %v, want [ALL]", sc.Capabilities.Drop)
	}
	add := slices.Clone(sc.Capabilities.Add)
	slices.Sort(add)
	if !slices.Equal(add, wantCaps) {
		t.Errorf("capabilities.add = %v, want %v", add, wantCaps)
	}

	// Resources: requests and limits for CPU and memory.
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim {
			t.Errorf("resource %s: request set %v, limit set %v; want both", r, okReq, okLim)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("resource %s: request %s above limit %s", r, req.String(), lim.String())
		}
	}

	// Port, probes and scrape annotations agree.
	var portName string
	for _, p := range c.Ports {
		if p.ContainerPort == port {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Fatalf("no container port %d in %+v", port, c.Ports)
	}
	checkProbe := func(what string, p *corev1.Probe, path string) {
		t.Helper()
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe on %s", what, path)
			return
		}
		if p.HTTPGet.Path != path {
			t.Errorf("%s: path %q, want %q", what, p.HTTPGet.Path, path)
		}
		if p.HTTPGet.Port.String() != portName && p.HTTPGet.Port.IntValue() != int(port) {
			t.Errorf("%s: port %s, want %s or %d", what, p.HTTPGet.Port.String(), portName, port)
		}
	}
	checkProbe("livenessProbe", c.LivenessProbe, "/healthz")
	checkProbe("readinessProbe", c.ReadinessProbe, "/readyz")
	ann := ds.Spec.Template.Annotations
	want := map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   fmt.Sprint(port),
		"prometheus.io/path":   "/metrics",
	}
	for k, v := range want {
		if ann[k] != v {
			t.Errorf("pod annotation %s = %q, want %q", k, ann[k], v)
		}
	}
	listen := fmt.Sprintf("--listen=0.0.0.0:%d", port)
	if !slices.Contains(c.Args, listen) {
		t.Errorf("args %v lack %s", c.Args, listen)
	}

	// Volumes: only the allowed host paths, read-only unless allowed.
	hostPaths := map[string]string{} // volume name → host path
	configVolume := ""
	for _, v := range spec.Volumes {
		switch {
		case v.HostPath != nil:
			if _, ok := allowedHostPaths[v.HostPath.Path]; !ok {
				t.Errorf("volume %s mounts host path %s, which is not needed", v.Name, v.HostPath.Path)
			}
			hostPaths[v.Name] = v.HostPath.Path
		case v.ConfigMap != nil:
			configVolume = v.ConfigMap.Name
		default:
			t.Errorf("volume %s: unexpected source", v.Name)
		}
	}
	for _, m := range c.VolumeMounts {
		hp, isHost := hostPaths[m.Name]
		if !isHost {
			continue
		}
		if !m.ReadOnly && !allowedHostPaths[hp] {
			t.Errorf("host path %s is mounted writable at %s", hp, m.MountPath)
		}
		if m.MountPropagation != nil && *m.MountPropagation == corev1.MountPropagationBidirectional {
			t.Errorf("mount %s: bidirectional propagation needs privileged", m.Name)
		}
	}
	for _, need := range []string{"/sys/fs/bpf", "/sys/kernel/btf", "/var/lib/gopulse"} {
		found := false
		for _, hp := range hostPaths {
			found = found || hp == need
		}
		if !found {
			t.Errorf("host path %s is not mounted", need)
		}
	}

	// The referenced ConfigMap exists and holds a YAML config.
	var cm *corev1.ConfigMap
	for _, m := range b.configMaps {
		if m.Name == configVolume {
			cm = m
		}
	}
	if cm == nil {
		t.Fatalf("ConfigMap %q referenced by the DaemonSet is missing", configVolume)
	}
	var cfg map[string]any
	if err := yaml.UnmarshalStrict([]byte(cm.Data["config.yaml"]), &cfg); err != nil || len(cfg) == 0 {
		t.Errorf("ConfigMap %s: config.yaml is not a YAML mapping: %v", cm.Name, err)
	}

	// RBAC: read-only access to pods and nodes for the DaemonSet's account.
	if !rbac {
		return
	}
	if len(b.accounts) != 1 || b.accounts[0].Name != spec.ServiceAccountName {
		t.Fatalf("want the ServiceAccount %q, got %d accounts", spec.ServiceAccountName, len(b.accounts))
	}
	if b.accounts[0].Namespace != ds.Namespace {
		t.Errorf("ServiceAccount in namespace %q, DaemonSet in %q", b.accounts[0].Namespace, ds.Namespace)
	}
	if len(b.roles) != 1 || len(b.roleBindings) != 1 {
		t.Fatalf("want 1 ClusterRole and 1 ClusterRoleBinding, got %d and %d", len(b.roles), len(b.roleBindings))
	}
	var resources []string
	for _, r := range b.roles[0].Rules {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("ClusterRole grants %q: want read-only", v)
			}
		}
		if !slices.Equal(r.APIGroups, []string{""}) {
			t.Errorf("ClusterRole rule on API groups %v: want only the core group", r.APIGroups)
		}
		resources = append(resources, r.Resources...)
	}
	sort.Strings(resources)
	if !slices.Equal(resources, []string{"nodes", "pods"}) {
		t.Errorf("ClusterRole resources %v, want [nodes pods]", resources)
	}
	crb := b.roleBindings[0]
	if crb.RoleRef.Kind != "ClusterRole" || crb.RoleRef.Name != b.roles[0].Name {
		t.Errorf("binding refers to %s %s", crb.RoleRef.Kind, crb.RoleRef.Name)
	}
	if len(crb.Subjects) != 1 || crb.Subjects[0].Kind != "ServiceAccount" ||
		crb.Subjects[0].Name != spec.ServiceAccountName || crb.Subjects[0].Namespace != ds.Namespace {
		t.Errorf("binding subjects %+v do not name the agent's ServiceAccount", crb.Subjects)
	}
}

func readManifest(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestManifestStrict(t *testing.T) {
	b, err := decodeStrict(manifestPath, readManifest(t))
	if err != nil {
		t.Fatal(err)
	}
	checkBundle(t, b, agentPort, defaultCaps, true)
	if len(b.namespaces) != 1 || b.namespaces[0].Name != b.daemonSets[0].Namespace {
		t.Errorf("the manifest must create the DaemonSet's namespace")
	}
}

// TestStrictDecodingRejects shows that the strict decoder catches the
// mistakes it is there for.
func TestStrictDecodingRejects(t *testing.T) {
	data := readManifest(t)
	for _, tc := range []struct{ name, old, new string }{
		{"misspelt field", "readinessProbe:", "readynessProbe:"},
		{"wrong type", "hostPID: true", "hostPID: \"yes\""},
		{"unknown kind", "kind: DaemonSet", "kind: DeamonSet"},
		{"duplicate field", "hostPID: true", "hostPID: true\n      hostPID: false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(data, []byte(tc.old)) {
				t.Fatalf("manifest lacks %q", tc.old)
			}
			bad := bytes.Replace(data, []byte(tc.old), []byte(tc.new), 1)
			if _, err := decodeStrict(tc.name, bad); err == nil {
				t.Fatal("decoded without error")
			}
		})
	}
}

// renderChart renders the chart with Helm's own engine, as `helm template`
// does, and decodes the result strictly.
func renderChart(t *testing.T, release, namespace string, values map[string]any) (*bundle, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	opts := chartutil.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValues(ch, values, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	var all bytes.Buffer
	for _, name := range names {
		if filepath.Ext(name) != ".yaml" {
			continue
		}
		all.WriteString("\n---\n")
		all.WriteString(out[name])
	}
	return decodeStrict("rendered chart", all.Bytes())
}

func TestHelmChartDefaults(t *testing.T) {
	b, err := renderChart(t, "obs", "monitoring", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkBundle(t, b, agentPort, defaultCaps, true)
	ds := b.daemonSets[0]
	if ds.Name != "obs-gopulse" || ds.Namespace != "monitoring" {
		t.Errorf("DaemonSet %s/%s, want monitoring/obs-gopulse", ds.Namespace, ds.Name)
	}
	if img := ds.Spec.Template.Spec.Containers[0].Image; img != imageRef(t) {
		t.Errorf("image %q: the tag must default to the appVersion", img)
	}
}

func TestHelmChartValues(t *testing.T) {
	b, err := renderChart(t, "gopulse", "kube-system", map[string]any{
		"port":              9555,
		"rbac":              map[string]any{"create": false},
		"serviceAccount":    map[string]any{"create": false, "name": "existing"},
		"extraCapabilities": []any{"SYS_RESOURCE"},
		"mounts":            map[string]any{"varLog": false},
		"image":             map[string]any{"repository": "registry.local/gopulse", "tag": "dev"},
		"resources":         map[string]any{"limits": map[string]any{"memory": "128Mi", "cpu": "1"}, "requests": map[string]any{"memory": "32Mi", "cpu": "10m"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.roles)+len(b.roleBindings)+len(b.accounts) != 0 {
		t.Errorf("rbac.create=false and serviceAccount.create=false still render RBAC objects")
	}
	// SYS_RESOURCE is the only capability that may be added.
	checkBundle(t, b, 9555, append(slices.Clone(defaultCaps), "SYS_RESOURCE"), false)

	spec := b.daemonSets[0].Spec.Template.Spec
	if spec.ServiceAccountName != "existing" {
		t.Errorf("serviceAccountName %q, want existing", spec.ServiceAccountName)
	}
	c := spec.Containers[0]
	if c.Image != "registry.local/gopulse:dev" {
		t.Errorf("image %q", c.Image)
	}
	if got := c.Resources.Limits.Memory().String(); got != "128Mi" {
		t.Errorf("memory limit %s, want 128Mi", got)
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil && v.HostPath.Path == "/var/log" {
			t.Error("mounts.varLog=false still mounts /var/log")
		}
	}
}

// TestHelmValuesSchema: values.schema.json rejects typos and wrong types
// before anything renders.
func TestHelmValuesSchema(t *testing.T) {
	for name, vals := range map[string]map[string]any{
		"unknown key":         {"imag": map[string]any{"tag": "x"}},
		"nested typo":         {"image": map[string]any{"repository": "r", "tagg": "x"}},
		"wrong type":          {"port": "9464"},
		"port out of range":   {"port": 70000},
		"capability":          {"extraCapabilities": []any{"SYS_ADMIN"}},
		"no memory limit":     {"resources": map[string]any{"limits": map[string]any{"memory": nil}}},
		"relative state dir":  {"stateHostPath": "var/lib/gopulse"},
		"config section typo": {"config": map[string]any{"exporter": map[string]any{}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := renderChart(t, "gopulse", "gopulse", vals); err == nil {
				t.Fatal("rendered without error")
			} else if !strings.Contains(err.Error(), "schema") {
				t.Fatalf("error is not a schema error: %v", err)
			}
		})
	}
}

// TestHelmLint runs `helm lint` (Helm's own linter package) on the chart.
func TestHelmLint(t *testing.T) {
	l := lint.All(chartDir, nil, "gopulse", false)
	for _, m := range l.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint: %s", m)
		} else {
			t.Logf("helm lint: %s", m)
		}
	}
}

// TestManifestMatchesChart: the plain manifest is the chart rendered with
// release "gopulse" in namespace "gopulse" (labels aside).
func TestManifestMatchesChart(t *testing.T) {
	plain, err := decodeStrict(manifestPath, readManifest(t))
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := renderChart(t, "gopulse", "gopulse", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, r := plain.daemonSets[0], rendered.daemonSets[0]
	if p.Name != r.Name || p.Namespace != r.Namespace {
		t.Errorf("DaemonSet %s/%s vs chart %s/%s", p.Namespace, p.Name, r.Namespace, r.Name)
	}
	if !reflect.DeepEqual(p.Spec.Template.Spec, r.Spec.Template.Spec) {
		pj, _ := yaml.Marshal(p.Spec.Template.Spec)
		rj, _ := yaml.Marshal(r.Spec.Template.Spec)
		t.Errorf("pod specs differ:\nmanifest:\n%s\nchart:\n%s", pj, rj)
	}
	var pc, rc map[string]any
	if err := yaml.Unmarshal([]byte(plain.configMaps[0].Data["config.yaml"]), &pc); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(rendered.configMaps[0].Data["config.yaml"]), &rc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pc, rc) {
		t.Errorf("agent configs differ:\nmanifest: %v\nchart:    %v", pc, rc)
	}
	for i, role := range plain.roles {
		if !reflect.DeepEqual(role.Rules, rendered.roles[i].Rules) {
			t.Errorf("ClusterRole rules differ")
		}
	}
}
