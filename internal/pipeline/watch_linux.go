package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirWatcher reports, through inotify, the names created, moved or
// removed in the directories it watches: the tailer opens a new file at
// once and follows a rotation without waiting for its next re-scan.
// Writes are not watched (a busy log would flood the queue); they are read
// at each poll.
type dirWatcher struct {
	f *os.File

	mu       sync.Mutex
	wds      map[string]int
	dirs     map[int]string
	changed  map[string]bool
	overflow bool
	notify   chan struct{}
	done     chan struct{}
}

const watchMask = unix.IN_CREATE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

func newDirWatcher() (*dirWatcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	w := &dirWatcher{f: os.NewFile(uintptr(fd), "inotify"), wds: map[string]int{}, dirs: map[int]string{},
		changed: map[string]bool{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
	go w.loop()
	return w, nil
}

// Add watches dir (once).
func (w *dirWatcher) Add(dir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.wds[dir]; ok {
		return nil
	}
	wd, err := unix.InotifyAddWatch(int(w.f.Fd()), dir, watchMask)
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	w.wds[dir] = wd
	w.dirs[wd] = dir
	return nil
}

// C is signalled when names changed; Take returns them.
func (w *dirWatcher) C() <-chan struct{} { return w.notify }

// Take returns the changed paths since the last call; overflow says events
// were lost (the kernel queue overflowed): everything must be re-scanned.
func (w *dirWatcher) Take(dst []string) (paths []string, overflow bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p := range w.changed {
		dst = append(dst, p)
	}
	clear(w.changed)
	overflow, w.overflow = w.overflow, false
	return dst, overflow
}

func (w *dirWatcher) loop() {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return // closed
		}
		w.mu.Lock()
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameLen := int(ev.Len)
			end := off + unix.SizeofInotifyEvent + nameLen
			if end > n {
				break
			}
			switch {
			case ev.Mask&unix.IN_Q_OVERFLOW != 0:
				w.overflow = true
			case ev.Mask&unix.IN_IGNORED != 0:
				if d, ok := w.dirs[int(ev.Wd)]; ok {
					delete(w.wds, d)
					delete(w.dirs, int(ev.Wd))
					w.changed[d] = true
				}
			default:
				dir := w.dirs[int(ev.Wd)]
				name := ""
				if nameLen > 0 {
					b := buf[off+unix.SizeofInotifyEvent : end]
					for i, c := range b {
						if c == 0 {
							b = b[:i]
							break
						}
					}
					name = string(b)
				}
				if dir != "" {
					w.changed[filepath.Join(dir, name)] = true
				}
			}
			off = end
		}
		w.mu.Unlock()
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
}

// Close stops watching; safe to call twice.
func (w *dirWatcher) Close() error {
	err := w.f.Close()
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	<-w.done
	return err
}
