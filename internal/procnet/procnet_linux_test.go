package procnet

import (
	"fmt"
	"net"
	"os"
	"slices"
	"testing"
)

// TestOwnListener: a listener this process opens is found in its own
// namespace's table and among the ports its descriptors hold; a closed one
// is not.
func TestOwnListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	dir := fmt.Sprintf("/proc/%d", os.Getpid())
	l, err := ReadListening(dir)
	if err != nil {
		t.Fatal(err)
	}
	if held := l.HeldPorts(dir); !slices.Contains(held, port) {
		t.Fatalf("port %d not among the held ports %v", port, held)
	}
	ln.Close()
	l, err = ReadListening(dir)
	if err != nil {
		t.Fatal(err)
	}
	if held := l.HeldPorts(dir); slices.Contains(held, port) {
		t.Fatalf("closed port %d still held: %v", port, held)
	}
}

// TestTable: a hand-written table: only LISTEN rows count, ports are hex,
// inode 0 is skipped; a missing table is no error, an unreadable one is.
func TestTable(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(dir+"/net", 0o755)
	table := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0\n" +
		"   1: 0100007F:1F91 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0\n" +
		"   2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0\n"
	if err := os.WriteFile(dir+"/net/tcp", []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadListening(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l[4242] != 8080 {
		t.Fatalf("got %v, want only inode 4242 on port 8080", l)
	}
	os.Remove(dir + "/net/tcp")
	os.Mkdir(dir+"/net/tcp", 0o755) // a directory: reading it fails
	if _, err := ReadListening(dir); err == nil {
		t.Fatal("an unreadable table gave no error")
	}
}
