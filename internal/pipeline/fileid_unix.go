//go:build unix

package pipeline

import (
	"io/fs"
	"syscall"
)

// fileID returns the device and inode of a file, which tell a rename
// rotation from more data in the same file.
func fileID(fi fs.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}
