//go:build linux

package probes

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// exeKey identifies an executable file: uprobes attach per inode.
type exeKey struct{ dev, ino uint64 }

// procExe returns the /proc path of pid's executable and its identity.
func procExe(pid int) (string, exeKey, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/exe"
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "", exeKey{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return path, exeKey{dev: st.Dev, ino: st.Ino}, nil
}

// errExeSwapped: the file at an executable's path is not the one its
// identity was taken from (a process exec'd, a file was replaced).
var errExeSwapped = errors.New("executable changed while it was prepared")

// pinExe opens the executable at path, which must still be the file with
// identity key.
func pinExe(path string, key exeKey) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open executable: %w", err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if now := (exeKey{dev: st.Dev, ino: st.Ino}); now != key {
		f.Close()
		return nil, fmt.Errorf("%w: %s was %d:%d, now %d:%d", errExeSwapped, path, key.dev, key.ino, now.dev, now.ino)
	}
	return f, nil
}

// procStartTime returns field 22 of /proc/PID/stat (start time in clock
// ticks), which tells a process from a later one that reuses its pid. A
// process that has exited (a zombie) is an error.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	if st := fields[0]; st == "Z" || st == "X" {
		return 0, fmt.Errorf("process %d is a zombie", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// listPIDs returns the numeric entries of /proc.
func listPIDs() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// loadBias returns how far pid's executable is mapped from its link-time
// addresses (0 for a non-PIE executable).
func loadBias(pid int, exePath string) (uint64, error) {
	f, err := elf.Open(exePath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if f.Type != elf.ET_DYN {
		return 0, nil
	}
	var first *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			first = p
			break
		}
	}
	if first == nil {
		return 0, fmt.Errorf("%s: no PT_LOAD segment", exePath)
	}
	target, err := os.Readlink(exePath)
	if err != nil {
		return 0, err
	}
	mf, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		return 0, err
	}
	defer mf.Close()
	sc := bufio.NewScanner(mf)
	for sc.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != target {
			continue
		}
		off, err := strconv.ParseUint(fields[2], 16, 64)
		if err != nil || off != first.Off&^0xfff {
			continue
		}
		startStr, _, _ := strings.Cut(fields[0], "-")
		start, err := strconv.ParseUint(startStr, 16, 64)
		if err != nil {
			continue
		}
		return start - first.Vaddr&^0xfff, nil
	}
	return 0, fmt.Errorf("%s: executable mapping not found in /proc/%d/maps", exePath, pid)
}
