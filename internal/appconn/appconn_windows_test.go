//go:build windows

package appconn

import (
	"encoding/binary"
	"net"
	"os"
	"slices"
	"testing"
)

// TestSnapshotOwnProcess reads the tables for this test's own process, which holds a listener
// and both ends of one connection to it. Wine 8 gives only the dialled end this process's id:
// the listener and the accepted end show pid 0, so it counts 1 established where Windows
// counts 2.
func TestSnapshotOwnProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	defer s.Close()

	self := os.Getpid()
	var name string
	got := snapshot(func(pid uint32, exe string) bool {
		if int(pid) == self {
			name = exe
			return true
		}
		return false
	})
	t.Logf("own process %d (%q): %+v", self, name, got)
	logRows(t, ln.Addr().(*net.TCPAddr).Port)
	if !got.Running || !slices.Equal(got.PIDs, []int{self}) || got.Note != "" {
		t.Fatalf("snapshot = %+v, want running, pid %d, no note", got, self)
	}
	if got.Established < 1 || got.Stalled != 0 {
		t.Errorf("snapshot = %+v, want at least 1 established (2 on Windows: both ends), none stalled", got)
	}

	// No Spotify.exe here.
	if all := Snapshot(""); all.Running || all.Note != "" {
		t.Errorf("Snapshot = %+v, want not running, no note", all)
	}
}

func TestTCPTableAll(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		b, err := tcpTable(v6)
		if err != nil {
			t.Fatalf("v6 %v: %v", v6, err)
		}
		var c counter
		if err := parseMibTable(b, v6, nil, &c); err != nil {
			t.Errorf("v6 %v: %v", v6, err)
		}
	}
}

// logRows logs the IPv4 table's rows to or from port: what the OS (or wine) shows of them.
func logRows(t *testing.T, port int) {
	b, err := tcpTable(false)
	if err != nil {
		t.Log(err)
		return
	}
	n := int(binary.LittleEndian.Uint32(b))
	for i := range n {
		row := b[4+i*mibRow4Size:]
		local, remote := int(binary.BigEndian.Uint16(row[8:])), int(binary.BigEndian.Uint16(row[16:]))
		if local == port || remote == port {
			t.Logf("row: state %d, local port %d, remote port %d, pid %d", binary.LittleEndian.Uint32(row), local, remote, binary.LittleEndian.Uint32(row[20:]))
		}
	}
}
