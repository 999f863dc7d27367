//go:build linux

package appconn

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary a stand-in Spotify: it connects to the addresses in it and
// waits for its stdin to close.
const helperEnv = "SPOTWATCH_APPCONN_HELPER"

// snapshotEnv makes the test binary print, as JSON, the snapshot of the process whose pid it
// holds, as whichever user it runs as.
const snapshotEnv = "SPOTWATCH_APPCONN_SNAPSHOT"

func TestMain(m *testing.M) {
	if v := os.Getenv(helperEnv); v != "" {
		os.Exit(standIn(v))
	}
	if v := os.Getenv(snapshotEnv); v != "" {
		pid, _ := strconv.Atoi(v)
		got := snapshot("", func(p int, comm, _ func() string) bool { return p == pid && Matches(comm()) })
		_ = json.NewEncoder(os.Stdout).Encode(got)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// standIn connects to the established address and starts connecting to the stalled one (a port
// whose SYNs are dropped), says "ready", and holds both until stdin closes.
func standIn(v string) int {
	established, stalled, _ := strings.Cut(v, " ")
	c, err := net.Dial("tcp", established)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer c.Close()
	if stalled != "" {
		go func() {
			c, err := net.DialTimeout("tcp", stalled, time.Minute)
			if err == nil {
				c.Close()
			}
		}()
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// fakeProc builds a /proc under a temporary root around testdata's real TCP tables.
func fakeProc(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	tables := map[string][]byte{}
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		tables[name] = b
	}
	type process struct {
		comm, exe string
		fds       []string
		netns     string
	}
	processes := map[string]process{
		// The client of every connection in the tables: 2 established, 2 in SYN-SENT.
		"100": {"spotify", "/usr/share/spotify/spotify", []string{"/dev/null", "socket:[1804685]", "socket:[1804689]", "pipe:[77]", "socket:[1804687]", "socket:[1804690]", "anon_inode:[eventfd]", "socket:[99]"}, "net:[4026531840]"},
		// A helper process of the app, comm renamed, exe replaced by an update; no TCP sockets.
		"300": {"ThreadPoolForeg", "/app/extra/share/spotify/spotify (deleted)", []string{"/dev/null", "socket:[12]"}, "net:[4026531840]"},
		// The servers' side of the same connections: not Spotify.
		"200":  {"python3", "/usr/bin/python3.11", []string{"socket:[1804686]", "socket:[1804688]", "socket:[1804683]"}, "net:[4026531840]"},
		"2":    {"kthreadd", "", nil, ""},
		"4071": {"spotifyd", "/usr/bin/spotifyd", []string{"socket:[1804685]"}, "net:[4026531840]"},
	}
	for pid, p := range processes {
		dir := filepath.Join(root, "proc", pid)
		for _, d := range []string{"fd", "net", "ns"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		must(t, os.WriteFile(filepath.Join(dir, "comm"), []byte(p.comm+"\n"), 0o644))
		if p.exe != "" {
			must(t, os.Symlink(p.exe, filepath.Join(dir, "exe")))
		}
		for i, fd := range p.fds {
			must(t, os.Symlink(fd, filepath.Join(dir, "fd", strconv.Itoa(i))))
		}
		if p.netns != "" {
			must(t, os.Symlink(p.netns, filepath.Join(dir, "ns", "net")))
		}
		for name, b := range tables {
			must(t, os.WriteFile(filepath.Join(dir, "net", name), b, 0o444))
		}
	}
	must(t, os.Symlink("100", filepath.Join(root, "proc", "self")))
	must(t, os.MkdirAll(filepath.Join(root, "proc", "sys"), 0o755))
	return root
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotFakeProc(t *testing.T) {
	root := fakeProc(t)
	got := Snapshot(root)
	if !got.Running || !slices.Equal(got.PIDs, []int{100, 300}) || got.Established != 2 || got.Stalled != 2 ||
		!slices.Equal(got.Remotes, []string{"127.0.0.1:4070", "[::1]:4070"}) || got.Note != "" {
		t.Errorf("Snapshot = %+v, want running, pids [100 300], established 2, stalled 2, remotes 127.0.0.1:4070 [::1]:4070, no note", got)
	}

	// Without IPv6 there is no tcp6; the IPv4 table still counts.
	must(t, os.Remove(filepath.Join(root, "proc", "100", "net", "tcp6")))
	got = Snapshot(root)
	if got.Established != 1 || got.Stalled != 1 || got.Note != "" {
		t.Errorf("without tcp6: %+v, want established 1, stalled 1, no note", got)
	}

	// Not running.
	must(t, os.WriteFile(filepath.Join(root, "proc", "100", "comm"), []byte("bash\n"), 0o644))
	must(t, os.Remove(filepath.Join(root, "proc", "100", "exe")))
	must(t, os.Remove(filepath.Join(root, "proc", "300", "exe")))
	if got := Snapshot(root); got.Running || got.PIDs != nil || got.Established != 0 || got.Note != "" {
		t.Errorf("no Spotify: %+v, want the zero value", got)
	}
}

// TestSnapshotPIDs: only the processes given that are still Spotify's count; a pid that went
// (or was reused by another program) is dropped.
func TestSnapshotPIDs(t *testing.T) {
	root := fakeProc(t)
	tests := []struct {
		name       string
		pids       []int
		wantPIDs   []int
		est, stall int
	}{
		{"both", []int{300, 100}, []int{100, 300}, 2, 2},
		{"the helper only", []int{300}, []int{300}, 0, 0},
		{"not Spotify, gone", []int{200, 4071, 999}, nil, 0, 0},
		{"none", nil, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SnapshotPIDs(root, tt.pids)
			if got.Running != (len(tt.wantPIDs) > 0) || !slices.Equal(got.PIDs, tt.wantPIDs) || got.Established != tt.est || got.Stalled != tt.stall {
				t.Errorf("SnapshotPIDs(%v) = %+v, want pids %v, established %d, stalled %d", tt.pids, got, tt.wantPIDs, tt.est, tt.stall)
			}
		})
	}
}

// TestRunningHere: a process whose comm is Spotify's, in this network namespace (the fake
// /proc's self is pid 100, net:[4026531840]), is the app running; the helper renamed, spotifyd
// and processes in another namespace are not.
func TestRunningHere(t *testing.T) {
	root := fakeProc(t)
	must(t, os.Symlink("100", filepath.Join(root, "proc", "thread-self")))
	if ok, err := RunningHere(root); !ok || err != nil {
		t.Errorf("RunningHere = %v, %v with Spotify's pid 100 here, want true", ok, err)
	}
	must(t, os.Remove(filepath.Join(root, "proc", "100", "ns", "net")))
	must(t, os.Symlink("net:[4026532000]", filepath.Join(root, "proc", "100", "ns", "net")))
	must(t, os.Remove(filepath.Join(root, "proc", "thread-self")))
	must(t, os.Symlink("200", filepath.Join(root, "proc", "thread-self")))
	if ok, err := RunningHere(root); ok || err != nil {
		t.Errorf("RunningHere = %v, %v with Spotify in another namespace only, want false", ok, err)
	}
	if ok, err := RunningHere(t.TempDir()); ok || err == nil {
		t.Errorf("RunningHere without /proc = %v, %v, want false and an error", ok, err)
	}
}

// TestSockets: the socket inodes of the processes given, sorted; pipes, files and processes
// that went do not count.
func TestSockets(t *testing.T) {
	root := fakeProc(t)
	got := Sockets(root, []int{300, 100, 999})
	want := []uint64{12, 99, 1804685, 1804687, 1804689, 1804690}
	if !slices.Equal(got, want) {
		t.Errorf("Sockets = %v, want %v", got, want)
	}
	if got := Sockets(root, nil); got != nil {
		t.Errorf("Sockets of no process = %v", got)
	}
}

func TestSnapshotNoProc(t *testing.T) {
	got := Snapshot(t.TempDir())
	if got.Running || !strings.Contains(got.Note, "reading the process list") {
		t.Errorf("Snapshot of a root without /proc = %+v, want not running and a note", got)
	}
}

// dropPort is where the stand-in's SYNs go unanswered: Spotify's own access point port.
const dropPort = 4070

// startStandIn runs a copy of the test binary named "spotify" in a fresh network namespace
// (lo up, iptables dropping TCP to 127.0.0.1:dropPort), connected to a listener of this process
// made in that namespace (established) and connecting to dropPort (SYN-SENT). It returns the
// stand-in's pid and its executable. Everything is removed at the end of the test.
func startStandIn(tb testing.TB) (int, string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Fatal("needs root for a network namespace and iptables: run as root, as make test and CI do")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("needs %s (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	name := fmt.Sprintf("spotwatch-appconn-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		tb.Fatalf("ip netns add: %v: %s", err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			tb.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	for _, args := range [][]string{
		{"ip", "-n", name, "link", "set", "lo", "up"},
		{"ip", "netns", "exec", name, "iptables", "-A", "INPUT", "-p", "tcp", "-d", "127.0.0.1", "--dport", strconv.Itoa(dropPort), "-j", "DROP"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			tb.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}

	// The listener is made on a thread switched into the namespace, which then ends (the
	// goroutine exits locked), so the rest of the test stays in the host's namespace.
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		ns, err := os.Open(filepath.Join("/run/netns", name))
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("setns: %w", err)}
			return
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ch <- result{ln, err}
	}()
	r := <-ch
	if r.err != nil {
		tb.Fatalf("listening in %s: %v", name, r.err)
	}
	ln := r.ln
	tb.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	tb.Cleanup(func() {
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})

	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	exe := filepath.Join(tb.TempDir(), "spotify")
	b, err := os.ReadFile(self)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", name, exe) // ip execs exe: same pid
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s 127.0.0.1:%d", helperEnv, ln.Addr(), dropPort))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		tb.Fatalf("stand-in said %q, %v", line, err)
	}
	return cmd.Process.Pid, exe
}

func TestSnapshotStandIn(t *testing.T) {
	pid, exe := startStandIn(t)
	match := func(p int, comm, exe func() string) bool {
		return p == pid && Matches(comm()) && Matches(exe())
	}
	want := fmt.Sprintf("127.0.0.1:%d", dropPort)
	var got = snapshot("", match)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if got.Established == 1 && got.Stalled == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
		got = snapshot("", match)
	}
	t.Logf("stand-in pid %d: %+v", pid, got)
	if !got.Running || !slices.Equal(got.PIDs, []int{pid}) || got.Established != 1 || got.Stalled != 1 ||
		!slices.Equal(got.Remotes, []string{want}) || got.Note != "" {
		t.Errorf("snapshot = %+v, want running, pid %d, established 1, stalled 1, remotes [%s], no note", got, pid, want)
	}
	// The real matcher finds it too (among any other Spotify on this machine).
	if all := Snapshot(""); !all.Running || !slices.Contains(all.PIDs, pid) || all.Stalled < 1 {
		t.Errorf("Snapshot(\"\") = %+v, want the stand-in %d among the pids", all, pid)
	}

	// The stand-in runs in a network namespace of its own: what spotwatch, in this one, counts
	// (SnapshotHere) leaves it out.
	if here := SnapshotHere(""); slices.Contains(here.PIDs, pid) {
		t.Errorf("SnapshotHere(\"\") = %+v counts the stand-in %d of another network namespace", here, pid)
	}

	// Another user sees that Spotify runs (comm is world-readable) but not its sockets.
	for dir := filepath.Dir(exe); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		must(t, os.Chmod(dir, 0o755)) // t.TempDir's folders are 0700
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), snapshotEnv+"="+strconv.Itoa(pid))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("snapshot as nobody: %v", err)
	}
	var other diagnosis.AppConnections
	if err := json.Unmarshal(out, &other); err != nil {
		t.Fatalf("snapshot as nobody: %v: %s", err, out)
	}
	t.Logf("as nobody: %+v", other)
	if !other.Running || !slices.Equal(other.PIDs, []int{pid}) || other.Established != 0 || other.Stalled != 0 ||
		!strings.Contains(other.Note, fmt.Sprintf("Spotify process %d could not be read", pid)) {
		t.Errorf("as nobody: %+v, want running, pid %d, nothing counted, a note", other, pid)
	}
}

// BenchmarkSnapshot is the cost of one check: Snapshot("") over this machine's /proc, without
// and with a stand-in Spotify process.
func BenchmarkSnapshot(b *testing.B) {
	b.Run("without", func(b *testing.B) {
		if got := Snapshot(""); got.Running {
			b.Logf("a Spotify process runs already: %+v", got)
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			Snapshot("")
		}
	})
	b.Run("with", func(b *testing.B) {
		pid, _ := startStandIn(b)
		if got := Snapshot(""); !slices.Contains(got.PIDs, pid) {
			b.Fatalf("Snapshot = %+v, no stand-in %d", got, pid)
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			Snapshot("")
		}
	})
	// What internal/apptrigger pays per poll of the process list without a session bus: only
	// the new processes' names are read (after the first read, none here).
	b.Run("presence", func(b *testing.B) {
		p := NewPresence("")
		p.Running()
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			p.Running()
		}
	})
	// One read of every process's name (what a Presence pays on its first read).
	b.Run("running", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			RunningHere("")
		}
	})
	// What internal/apptrigger pays per poll while the app's sockets stay the same.
	b.Run("sockets", func(b *testing.B) {
		pid, _ := startStandIn(b)
		if got := Sockets("", []int{pid}); len(got) == 0 {
			b.Fatalf("Sockets = %v, want the stand-in's", got)
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			Sockets("", []int{pid})
		}
	})
	// What internal/apptrigger pays per poll while the app runs: the known processes only.
	b.Run("pids", func(b *testing.B) {
		pid, _ := startStandIn(b)
		got := SnapshotPIDs("", []int{pid})
		for deadline := time.Now().Add(10 * time.Second); got.Stalled != 1 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			got = SnapshotPIDs("", []int{pid})
		}
		if got.Stalled != 1 {
			b.Fatalf("SnapshotPIDs = %+v, want the stand-in's stalled connection", got)
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			SnapshotPIDs("", []int{pid})
		}
	})
}

// reportCPU reports the process's CPU time (user and system) per operation, from the call to
// the call of the function it returns: the figure a daemon pays, where ns/op is wall time on a
// machine that may be busy.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}
