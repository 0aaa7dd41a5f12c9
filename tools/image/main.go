// Command image builds gopulse's OCI image without a container daemon: a
// static gopulse binary per platform on an empty base, plus the CA bundle
// made from Debian's ca-certificates, written as an OCI image layout (an
// index of one image per platform) and as a tar of that layout.
//
// Everything is reproducible: file times, the image's creation time and
// the layer order come from --epoch (SOURCE_DATE_EPOCH, the commit time),
// tar entries are sorted and owned by 0:0, so the same inputs give the same
// digests.
//
//	go run ./tools/image --version 0.2.0 --revision SHA --epoch 1700000000 \
//	    --binary linux/amd64=out/linux_amd64/gopulse --binary linux/arm64=out/linux_arm64/gopulse \
//	    --ca-dir out/ca/usr/share/ca-certificates/mozilla --ca-version 20250419 --out out/image
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Paths inside the image.
const (
	binPath = "usr/bin/gopulse"
	caPath  = "etc/ssl/certs/ca-certificates.crt"
	// Repository is where the manifests pull the image from.
	Repository = "ghcr.io/gopulse/gopulse"
	source     = "https://github.com/gopulse/gopulse"
)

type binaries map[string]string // "linux/amd64" → path

func (b binaries) String() string { return fmt.Sprint(map[string]string(b)) }
func (b binaries) Set(s string) error {
	plat, path, ok := strings.Cut(s, "=")
	if !ok || !strings.HasPrefix(plat, "linux/") {
		return fmt.Errorf("want linux/ARCH=PATH, got %q", s)
	}
	b[plat] = path
	return nil
}

func main() {
	bins := binaries{}
	var (
		version   = flag.String("version", "", "image version (the tag)")
		revision  = flag.String("revision", "", "source revision (git commit)")
		epoch     = flag.Int64("epoch", 0, "creation time, Unix seconds (SOURCE_DATE_EPOCH)")
		caDir     = flag.String("ca-dir", "", "directory of PEM certificates (*.crt) from Debian's ca-certificates")
		caVersion = flag.String("ca-version", "", "the ca-certificates package version (a label)")
		out       = flag.String("out", "out/image", "output directory")
	)
	flag.Var(bins, "binary", "linux/ARCH=PATH of a static gopulse binary (repeatable)")
	flag.Parse()
	if err := build(*version, *revision, time.Unix(*epoch, 0).UTC(), bins, *caDir, *caVersion, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func build(version, revision string, created time.Time, bins binaries, caDir, caVersion, out string) error {
	if version == "" || revision == "" || len(bins) == 0 || caDir == "" {
		return errors.New("--version, --revision, --binary and --ca-dir are required")
	}
	ca, n, err := caBundle(caDir)
	if err != nil {
		return err
	}
	plats := make([]string, 0, len(bins))
	for p := range bins {
		plats = append(plats, p)
	}
	sort.Strings(plats)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, plat := range plats {
		bin, err := os.ReadFile(bins[plat])
		if err != nil {
			return fmt.Errorf("read binary: %w", err)
		}
		img, err := image(plat, bin, ca, version, revision, caVersion, created)
		if err != nil {
			return fmt.Errorf("%s: %w", plat, err)
		}
		_, arch, _ := strings.Cut(plat, "/")
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	dir := filepath.Join(out, "oci")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write layout: %w", err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": version,
	})); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	archive := filepath.Join(out, "gopulse-"+version+"-oci.tar")
	if err := tarDir(dir, archive, created); err != nil {
		return err
	}
	d, _ := idx.Digest()
	fmt.Printf("%s:%s %s (%d platforms, %d CA certificates)\n  layout:  %s (skopeo copy --all oci:%s:%s docker://REGISTRY/gopulse:%s)\n  archive: %s\n",
		Repository, version, d, len(plats), n, dir, dir, version, version, archive)
	return nil
}

// caBundle concatenates the certificates of dir in name order, as
// update-ca-certificates does.
func caBundle(dir string) ([]byte, int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.crt"))
	if err != nil || len(files) == 0 {
		return nil, 0, fmt.Errorf("no *.crt in %s", dir)
	}
	sort.Strings(files)
	var b bytes.Buffer
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, 0, err
		}
		b.Write(bytes.TrimSpace(pem))
		b.WriteByte('\n')
	}
	return b.Bytes(), len(files), nil
}

func image(plat string, bin, ca []byte, version, revision, caVersion string, created time.Time) (v1.Image, error) {
	var lt bytes.Buffer
	tw := tar.NewWriter(&lt)
	dirs := []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "tmp/", "usr/", "usr/bin/"}
	for _, d := range dirs {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, ModTime: created, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{caPath, 0o644, ca}, {binPath, 0o755, bin}} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)),
			ModTime: created, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := lt.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: created},
		CreatedBy: "make image: gopulse " + version + " and the CA certificates of Debian's ca-certificates " + caVersion}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	_, arch, _ := strings.Cut(plat, "/")
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: created}
	cf.Config = v1.Config{
		Entrypoint: []string{"/" + binPath},
		Cmd:        []string{"agent"},
		Env:        []string{"SSL_CERT_FILE=/" + caPath},
		// Root by default: the probes need CAP_BPF/CAP_PERFMON/CAP_SYS_PTRACE
		// (the DaemonSet adds them to a root user and drops the rest).
		// Every file is world-readable, so any --user runs the CLI.
		User:       "0:0",
		WorkingDir: "/",
		Labels: map[string]string{
			"org.opencontainers.image.title":       "gopulse",
			"org.opencontainers.image.description": "Watches Go programs from the outside: eBPF runtime probes, log parsing, exporters, health decisions",
			"org.opencontainers.image.version":     version,
			"org.opencontainers.image.revision":    revision,
			"org.opencontainers.image.source":      source,
			"org.opencontainers.image.created":     created.Format(time.RFC3339),
			"org.opencontainers.image.base.name":   "scratch",
			"io.gopulse.ca-certificates.version":   caVersion,
		},
	}
	return mutate.ConfigFile(img, cf)
}

// tarDir writes dir as a tar (an oci-archive), sorted, with fixed times.
func tarDir(dir, file string, mtime time.Time) error {
	var names []string
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			names = append(names, p)
		}
		return nil
	}); err != nil {
		return err
	}
	sort.Strings(names)
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, p := range names {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: mtime, Format: tar.FormatPAX}
		if st.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}
