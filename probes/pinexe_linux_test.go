package probes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf/link"
)

// TestPinExeSwapped: the file at a path must still be the one whose
// identity was taken.
func TestPinExeSwapped(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "prog")
	if err := os.WriteFile(p, []byte("a"), 0o755); err != nil {
		t.Fatal(err)
	}
	key := statKey(t, p)
	f, err := pinExe(p, key)
	if err != nil {
		t.Fatalf("pin: %v", err)
	}
	f.Close()
	if err := os.WriteFile(p+".new", []byte("b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
	if _, err := pinExe(p, key); !errors.Is(err, errExeSwapped) {
		t.Fatalf("pin after the file was replaced: %v, want errExeSwapped", err)
	}
}

// TestPrepareAttachesTheFileAnalysed: every uprobe of a prepared
// executable goes into the file the offsets were computed from, also when
// its path names another file by the time of an attach (the trace probes
// are attached again and again, long after the analysis). Attaching
// through the path put probes computed from one executable into another
// one's code: in the kernel matrix, gopulse's own runtime.casgstatus
// offset landed one byte into a `MOVQ AX, BX` of the target, whose
// REX.W prefix the kernel then skipped (a 64-bit pointer truncated to 32
// bits, SIGSEGV). Both attach mechanisms where the kernel has them.
func TestPrepareAttachesTheFileAnalysed(t *testing.T) {
	requireBPF(t)
	bin := buildTarget(t, "gcload", "", "")
	other := buildTarget(t, "gcload", "", "-s -w") // another file, other offsets
	for _, attach := range []string{"", AttachPerfEvent} {
		t.Run("attach="+attach, func(t *testing.T) {
			m := startManager(t, Config{Attach: attach}, Deps{Sink: &syncSink{}, Logger: testLogger(t)})
			if attach == "" && m.Mechanisms().Attach != AttachUprobeMulti {
				t.Skipf("mechanism %s: covered by attach=%s", m.Mechanisms().Attach, AttachPerfEvent)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "prog")
			copyFile(t, bin, p)
			key := statKey(t, p)

			m.mu.Lock()
			defer m.mu.Unlock()
			x, err := m.prepare(p, key)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			m.ps.exes[key] = x
			// Another executable takes the path (an upgrade, or the
			// next exec behind /proc/PID/exe), then the trace probe is
			// attached.
			copyFile(t, other, p+".new")
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
			if err := m.at.attachTrace(x); err != nil {
				t.Fatalf("attach trace probe after the swap: %v", err)
			}
			ls := append(append([]link.Link(nil), x.links...), x.trace...)
			if len(ls) < 2 {
				t.Fatalf("%d links, want the default probes and the trace probe", len(ls))
			}
			for i, l := range ls {
				info, err := l.Info()
				if err != nil {
					t.Fatalf("link %d info: %v", i, err)
				}
				switch {
				case info.UprobeMulti() != nil:
					// The kernel names the file it attached to: the
					// analysed one, which lost its name to the new one.
					if file, want := info.UprobeMulti().File, p+" (deleted)"; file != want {
						t.Errorf("link %d (of %d, the last one attached after the swap) is in %q, want %q", i, len(ls), file, want)
					}
				case info.PerfEvent() != nil && info.PerfEvent().Uprobe() != nil:
					// The kernel keeps the path as given (it resolved
					// it at attach): the pinned descriptor, checked
					// below to be the analysed file.
					if file, want := info.PerfEvent().Uprobe().File, x.attachPath(); file != want {
						t.Errorf("link %d (of %d) attached through %q, want %q", i, len(ls), file, want)
					}
				default:
					t.Fatalf("link %d: no uprobe in its info", i)
				}
			}
			if !strings.HasPrefix(x.attachPath(), "/proc/self/fd/") {
				t.Fatalf("attach path %q, want the pinned descriptor", x.attachPath())
			}
			var st syscall.Stat_t
			if err := syscall.Fstat(int(x.file.Fd()), &st); err != nil || (exeKey{dev: st.Dev, ino: st.Ino}) != key {
				t.Errorf("pinned file: %v, %d:%d, want the analysed %d:%d", err, st.Dev, st.Ino, key.dev, key.ino)
			}
		})
	}
}
