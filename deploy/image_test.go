package deploy

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// imageRef is the image `make image` builds: the repository and
// internal/version/VERSION.
func imageRef(t *testing.T) string {
	t.Helper()
	v, err := os.ReadFile(filepath.Join("..", "internal", "version", "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return "ghcr.io/gopulse/gopulse:" + strings.TrimSpace(string(v))
}

// The manifest and the chart name the image that `make image` stamps.
func TestManifestsNameTheBuiltImage(t *testing.T) {
	plain, err := decodeStrict(manifestPath, readManifest(t))
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := renderChart(t, "gopulse", "gopulse", nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*bundle{"manifest": plain, "chart": rendered} {
		if img := b.daemonSets[0].Spec.Template.Spec.Containers[0].Image; img != imageRef(t) {
			t.Errorf("%s: image %q, want %q (internal/version/VERSION)", name, img, imageRef(t))
		}
	}
}

// TestImage runs scripts/image.sh (what `make image` runs), then unpacks
// the OCI layout: both platforms are in the index, each image's config has
// the entrypoint, user and labels, and the amd64 binary runs from the
// unpacked root filesystem (`gopulse version`, `gopulse config validate` on
// the shipped ConfigMap, with the image's CA bundle in place).
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	out := t.TempDir()
	// The revision and version the image is built from, read once before
	// the build: the build takes minutes on a loaded machine, and a commit
	// or rebase in this checkout meanwhile moved HEAD under the test (the
	// script read the old HEAD, the test the new one).
	version := strings.TrimPrefix(imageRef(t), "ghcr.io/gopulse/gopulse:")
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "scripts/image.sh")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "OUT="+out, "REVISION="+strings.TrimSpace(string(rev)))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/image.sh: %v\n%s", err, b)
	} else {
		t.Logf("%s", b)
	}
	p, err := layout.FromPath(filepath.Join(out, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Manifests) != 1 || tm.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != version {
		t.Fatalf("index.json: %+v, want one index tagged %s", tm.Manifests, version)
	}
	idx, err := top.ImageIndex(tm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	plats := map[string]v1.Hash{}
	for _, m := range im.Manifests {
		if m.Platform != nil {
			plats[m.Platform.OS+"/"+m.Platform.Architecture] = m.Digest
		}
	}
	if len(plats) != 2 || plats["linux/amd64"] == (v1.Hash{}) || plats["linux/arm64"] == (v1.Hash{}) {
		t.Fatalf("platforms %v, want linux/amd64 and linux/arm64", plats)
	}
	for plat, d := range plats {
		img, err := idx.Image(d)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		if cf.OS+"/"+cf.Architecture != plat || strings.Join(c.Entrypoint, " ") != "/usr/bin/gopulse" || c.User != "0:0" ||
			c.Labels["org.opencontainers.image.version"] != version || c.Labels["org.opencontainers.image.revision"] != strings.TrimSpace(string(rev)) ||
			c.Labels["org.opencontainers.image.source"] == "" {
			t.Errorf("%s: config %+v", plat, cf)
		}
		if plat != "linux/amd64" {
			continue
		}
		root := t.TempDir()
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("layers %d %v", len(layers), err)
		}
		rc, err := layers[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		untar(t, rc, root)
		rc.Close()
		if st, err := os.Stat(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil || st.Size() < 100_000 {
			t.Fatalf("CA bundle: %v", err)
		}
		bin := filepath.Join(root, "usr/bin/gopulse")
		vout, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(vout), "gopulse "+version+" ("+strings.TrimSpace(string(rev))[:12]) {
			t.Fatalf("gopulse version: %v %q", err, vout)
		}
		plain, err := decodeStrict(manifestPath, readManifest(t))
		if err != nil {
			t.Fatal(err)
		}
		cfgFile := filepath.Join(t.TempDir(), "config.yaml")
		os.WriteFile(cfgFile, []byte(plain.configMaps[0].Data["config.yaml"]), 0o644)
		val := exec.Command(bin, "config", "validate", cfgFile)
		val.Env = withoutEnv(os.Environ(), "NODE_NAME")
		if vout, err := val.CombinedOutput(); err != nil {
			t.Fatalf("gopulse config validate (shipped ConfigMap): %v\n%s", err, vout)
		}
	}
}

func untar(t *testing.T, r io.Reader, dir string) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(f, tr)
			f.Close()
		}
	}
}
