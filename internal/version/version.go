// Package version is gopulse's build identity: the release version (the
// VERSION file beside this one, embedded, so a plain `go build` knows it)
// and the source revision (stamped by `make build`/`make image` with
// -ldflags -X, else read from the Go toolchain's VCS stamp).
package version

import (
	_ "embed"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

//go:embed VERSION
var versionFile string

// Set at link time: -ldflags "-X github.com/gopulse/gopulse/internal/version.revision=SHA".
var (
	revision string
	modified string // "true" when built from a tree with uncommitted changes
)

// Info is what a build knows about itself.
type Info struct {
	Version   string // e.g. "0.2.0"
	Revision  string // full git commit, "" when unknown
	Modified  bool   // built from a tree with uncommitted changes
	GoVersion string
	Platform  string // GOOS/GOARCH
}

var get = sync.OnceValue(func() Info {
	i := Info{Version: strings.TrimSpace(versionFile), Revision: revision, Modified: modified == "true",
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if i.Revision == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					i.Revision = s.Value
				case "vcs.modified":
					i.Modified = s.Value == "true"
				}
			}
		}
	}
	return i
})

// Get returns the build's identity.
func Get() Info { return get() }

// ShortRevision is the first 12 characters of the revision.
func (i Info) ShortRevision() string {
	if len(i.Revision) > 12 {
		return i.Revision[:12]
	}
	return i.Revision
}

// String is the one-line form `gopulse version` prints:
// "gopulse 0.2.0 (f475c5e1a2b3, go1.26.8, linux/amd64)".
func (i Info) String() string {
	rev := i.ShortRevision()
	if rev == "" {
		rev = "unknown revision"
	}
	if i.Modified {
		rev += "+modified"
	}
	return fmt.Sprintf("gopulse %s (%s, %s, %s)", i.Version, rev, i.GoVersion, i.Platform)
}
