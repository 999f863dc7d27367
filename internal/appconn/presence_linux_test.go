//go:build linux

package appconn

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPresence follows a fake /proc across reads: a launcher that becomes Spotify by exec while
// young is seen; a process's name is read again only while it is young or Spotify's; a pid that
// left and came back is young again; Spotify in another network namespace does not count.
func TestPresence(t *testing.T) {
	root := fakeProc(t)
	proc := filepath.Join(root, "proc")
	must(t, os.Symlink("100", filepath.Join(proc, "thread-self")))
	comm := func(pid, name string) { t.Helper(); setComm(t, proc, pid, name) }
	// The fake's Spotify (pid 100) quits: its comm is another's. Only other processes remain.
	comm("100", "bash")
	p := NewPresence(root)
	running := func(want bool, what string) { t.Helper(); wantRunning(t, p, want, what) }
	running(false, "no Spotify")
	// A launcher starts, and execs the app on the poller's second read.
	comm("500", "sh")
	running(false, "the launcher, first read")
	comm("500", "spotify")
	running(true, "the launcher became Spotify while young")
	must(t, os.RemoveAll(filepath.Join(proc, "500")))
	running(false, "the app quit")

	// A process seen for youngReads reads is no longer read: its later rename goes unseen,
	// which is what keeps a read's cost to the new processes.
	for range youngReads {
		running(false, "pid 200 is python3")
	}
	comm("200", "spotify")
	running(false, "an old process renamed is not read again")
	// It leaves, and the pid is used again: young, read.
	must(t, os.RemoveAll(filepath.Join(proc, "200")))
	running(false, "pid 200 gone")
	comm("200", "spotify")
	running(true, "pid 200 used again by Spotify")

	// Spotify in another network namespace only.
	must(t, os.Remove(filepath.Join(proc, "200", "ns", "net")))
	must(t, os.Symlink("net:[4026532000]", filepath.Join(proc, "200", "ns", "net")))
	running(false, "Spotify in another network namespace")

	if _, err := NewPresence(t.TempDir()).Running(); err == nil {
		t.Error("Running without /proc: no error")
	}
}

// TestPresenceWithoutNewProcesses: while the kernel's newest pid stays the same, /proc is not
// listed again (a process that appeared in the fake's listing only is not seen), yet the young
// processes are read again (a launcher's exec is seen) and a Spotify that quit is forgotten.
func TestPresenceWithoutNewProcesses(t *testing.T) {
	root := fakeProc(t)
	proc := filepath.Join(root, "proc")
	must(t, os.Symlink("100", filepath.Join(proc, "thread-self")))
	loadavg := func(last string) {
		t.Helper()
		must(t, os.WriteFile(filepath.Join(proc, "loadavg"), []byte("0.00 0.01 0.05 1/80 "+last+"\n"), 0o444))
	}
	comm := func(pid, name string) { t.Helper(); setComm(t, proc, pid, name) }
	p := NewPresence(root)
	running := func(want bool, what string) { t.Helper(); wantRunning(t, p, want, what) }
	comm("100", "bash")
	comm("500", "sh")
	loadavg("500")
	running(false, "no Spotify")
	comm("500", "spotify")
	running(true, "the young launcher execs Spotify, no new pid")
	comm("600", "spotify") // in the listing only: the kernel says no process was made
	must(t, os.RemoveAll(filepath.Join(proc, "500")))
	running(false, "Spotify quit; pid 600 not listed while the newest pid is the same")
	loadavg("600")
	running(true, "a new pid: the list is read again")
}

// setComm gives the fake process pid the name name, in this network namespace.
func setComm(t *testing.T, proc, pid, name string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(proc, pid, "ns"), 0o755))
	must(t, os.WriteFile(filepath.Join(proc, pid, "comm"), []byte(name+"\n"), 0o644))
	if _, err := os.Lstat(filepath.Join(proc, pid, "ns", "net")); err != nil {
		must(t, os.Symlink("net:[4026531840]", filepath.Join(proc, pid, "ns", "net")))
	}
}

func wantRunning(t *testing.T, p *Presence, want bool, what string) {
	t.Helper()
	got, err := p.Running()
	if err != nil || got != want {
		t.Fatalf("%s: Running = %v, %v, want %v", what, got, err, want)
	}
}
