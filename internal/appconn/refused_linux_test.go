package appconn

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRefusedLeavesNoTrace proves what the package comment says: a connection refused by a
// reset (a firewall's REJECT with tcp-reset, as OpenSnitch's and ufw's reject rules send) leaves
// the TCP table at once, even while the program still holds its socket, so a snapshot cannot
// count refusals; a connection whose SYNs are dropped stays in SYN-SENT, which is what Snapshot
// counts as stalled. It runs in a network namespace of its own, as root.
func TestRefusedLeavesNoTrace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root for a network namespace and iptables: run as root, as make test and CI do")
	}
	name := fmt.Sprintf("spotwatch-refused-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	const rejected, dropped = 4070, 4071
	for _, args := range [][]string{
		{"ip", "-n", name, "link", "set", "lo", "up"},
		{"ip", "netns", "exec", name, "iptables", "-A", "OUTPUT", "-p", "tcp", "-d", "127.0.0.1", "--dport", strconv.Itoa(rejected), "-j", "REJECT", "--reject-with", "tcp-reset"},
		{"ip", "netns", "exec", name, "iptables", "-A", "INPUT", "-p", "tcp", "-d", "127.0.0.1", "--dport", strconv.Itoa(dropped), "-j", "DROP"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}

	type result struct {
		refusedErr       error
		refused, stalled string // the sockets' states in the table, "" = not in it
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine, in the namespace
		var r result
		defer func() { ch <- r }()
		ns, err := os.Open(filepath.Join("/run/netns", name))
		if err != nil {
			r.refusedErr = err
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			r.refusedErr = fmt.Errorf("setns: %w", err)
			return
		}
		lo := [4]byte{127, 0, 0, 1}
		// Refused: a blocking connect, as any program makes; the socket is kept open.
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			r.refusedErr = err
			return
		}
		defer unix.Close(fd)
		r.refusedErr = unix.Connect(fd, &unix.SockaddrInet4{Port: rejected, Addr: lo})
		// Stalled: a non-blocking connect whose SYN is dropped.
		sfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			r.refusedErr = err
			return
		}
		defer unix.Close(sfd)
		if err := unix.Connect(sfd, &unix.SockaddrInet4{Port: dropped, Addr: lo}); !errors.Is(err, unix.EINPROGRESS) {
			r.refusedErr = fmt.Errorf("connect to the dropped port: %v", err)
			return
		}
		time.Sleep(100 * time.Millisecond) // let the reset of the first arrive, if it were late
		r.refused, r.stalled = tableState(fd), tableState(sfd)
	}()
	r := <-ch
	if !errors.Is(r.refusedErr, unix.ECONNREFUSED) {
		t.Fatalf("connect to the rejected port: %v, want ECONNREFUSED", r.refusedErr)
	}
	if r.stalled != "SYN-SENT" {
		t.Errorf("the dropped connection is %q in the table, want SYN-SENT", r.stalled)
	}
	if r.refused != "" {
		t.Errorf("the refused connection is %q in the table, want absent (then refusals could be counted: update the package comment and design.md)", r.refused)
	}
}

// tableState is the state of fd's socket in this thread's /proc/thread-self/net/tcp: its name,
// "" when the socket is not in the table.
func tableState(fd int) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "fstat: " + err.Error()
	}
	f, err := os.Open("/proc/thread-self/net/tcp")
	if err != nil {
		return "open: " + err.Error()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[9] != strconv.FormatUint(st.Ino, 10) {
			continue
		}
		switch fields[3] {
		case "02":
			return "SYN-SENT"
		case "01":
			return "ESTABLISHED"
		}
		return "state " + fields[3]
	}
	return ""
}
