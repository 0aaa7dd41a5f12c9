package probes

import (
	"strconv"
	"syscall"
)

// procExeKey identifies the executable of pid by device and inode.
func procExeKey(proc string, pid int) ([2]uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(proc+"/"+strconv.Itoa(pid)+"/exe", &st); err != nil {
		return [2]uint64{}, false
	}
	return [2]uint64{uint64(st.Dev), st.Ino}, true
}
