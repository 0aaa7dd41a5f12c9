//go:build !linux

package pipeline

import "errors"

// errNoWatcher: inotify is Linux-only; elsewhere the tailer finds new
// files at its periodic re-scan.
var errNoWatcher = errors.New("not supported on this platform")

type dirWatcher struct{}

func newDirWatcher() (*dirWatcher, error)                { return nil, errNoWatcher }
func (w *dirWatcher) Add(string) error                   { return errNoWatcher }
func (w *dirWatcher) C() <-chan struct{}                 { return nil }
func (w *dirWatcher) Take(dst []string) ([]string, bool) { return dst, false }
func (w *dirWatcher) Close() error                       { return nil }
