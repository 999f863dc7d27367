package statusapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// childModeEnv selects what a re-executed test binary does as another user (see childMode);
// childCountEnv says how many connections or streams it opens.
const (
	childModeEnv  = "SPOTWATCH_API_TEST_CHILD_MODE"
	childCountEnv = "SPOTWATCH_API_TEST_CHILD_COUNT"
)

// childMode runs in a child started by startChild. Modes:
//
//	hold-conns: open count connections to the socket, say "ready", hold them until stdin closes;
//	streams:    open count event streams, say "streams <how many got their first event>", hold
//	            them until stdin closes;
//	impostor:   serve a fake daemon on the socket (see impostorMain).
func childMode(mode, path string) int {
	count, _ := strconv.Atoi(os.Getenv(childCountEnv))
	switch mode {
	case "hold-conns":
		var conns []net.Conn
		for range count {
			c, err := net.Dial("unix", path)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			conns = append(conns, c)
		}
		fmt.Println("ready", len(conns))
	case "streams":
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := NewClient(path)
		ok := 0
		for range count {
			events, errs := c.Events(ctx)
			select {
			case _, open := <-events:
				if open {
					ok++
				} else {
					<-errs // refused: over the limit
				}
			case <-time.After(10 * time.Second):
				fmt.Fprintln(os.Stderr, "no first event within 10 s")
			}
		}
		fmt.Println("streams", ok)
	case "impostor":
		return impostorMain(path)
	default:
		fmt.Fprintf(os.Stderr, "unknown child mode %q\n", mode)
		return 2
	}
	io.Copy(io.Discard, os.Stdin) // hold everything until the test closes stdin
	return 0
}

// foreignDir returns a directory other users can reach, holding a copy of the test binary.
func foreignDir(t *testing.T) (dir, bin string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Fatal("this test runs as root (it starts processes as other users)")
	}
	dir = t.TempDir()
	// t.TempDir's parent is 0700: let the other users reach the binary and the socket.
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin = filepath.Join(dir, "api.test")
	copyFile(t, bin)
	return dir, bin
}

// child is a test binary running childMode as another user.
type child struct {
	cmd   *exec.Cmd
	out   *bufio.Scanner
	stdin io.WriteCloser
	done  chan error
}

// startChild runs bin in mode as uid against the socket at path; the cleanup ends it.
func startChild(t *testing.T, bin string, uid int, mode, path string, count int) *child {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = []string{childModeEnv + "=" + mode, childEnv + "=" + path, childCountEnv + "=" + strconv.Itoa(count)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, out: bufio.NewScanner(stdout), stdin: stdin, done: make(chan error, 1)}
	t.Cleanup(func() { c.stop(t) })
	return c
}

// line returns the child's next line of output.
func (c *child) line(t *testing.T) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		if c.out.Scan() {
			got <- c.out.Text()
		}
		close(got)
	}()
	select {
	case s, ok := <-got:
		if !ok {
			t.Fatalf("the child (uid %d) said nothing and ended", c.cmd.SysProcAttr.Credential.Uid)
		}
		return s
	case <-time.After(30 * time.Second):
		t.Fatal("the child said nothing within 30 s")
	}
	panic("unreachable")
}

// stop closes the child's stdin (its signal to let go) and waits for it.
func (c *child) stop(t *testing.T) {
	t.Helper()
	if c.stdin == nil {
		return
	}
	c.stdin.Close()
	c.stdin = nil
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("the child failed: %v", err)
	}
}

// TestFloodByAnotherUID has uid 65534 open 300 connections to a system daemon's socket, as in
// the report: root's POST /v1/check and GET /v1/status still answer, and the daemon holds at
// most the per-user cap for uid 65534. The test process is the daemon, and its descriptor limit
// is lowered to 256 as a daemon's may be: without a cap the flood takes every descriptor and
// root cannot even connect.
func TestFloodByAnotherUID(t *testing.T) {
	checkNoLeaks(t)
	dir, bin := foreignDir(t)
	src := newFakeSource(diagnosis.CauseOK)
	ts := startServerAt(t, filepath.Join(dir, "run", "spotwatch.sock"), ServerOptions{Source: src, System: true}, true)

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })

	flood := startChild(t, bin, 65534, "hold-conns", ts.path, 300)
	if got := flood.line(t); got != "ready 300" {
		t.Fatalf("the flooding child said %q", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c := NewClient(ts.path)
	if err := c.CheckNow(ctx); err != nil {
		t.Errorf("root's POST /v1/check while uid 65534 floods: %v", err)
	}
	if _, err := c.Status(ctx); err != nil {
		t.Errorf("root's GET /v1/status while uid 65534 floods: %v", err)
	}
	if n := ts.conns.count(peer{uid: 65534}); n > maxConnsPerUser {
		t.Errorf("the daemon holds %d connections of uid 65534, want at most %d", n, maxConnsPerUser)
	}
	if checks, _ := src.counts(); checks != 1 {
		t.Errorf("root's check did not reach the source (%d checks)", checks)
	}
}

// TestStreamsPerUID has uid 65534 open 70 event streams: it gets its share, and the tray of
// uid 65533 and root still connect.
func TestStreamsPerUID(t *testing.T) {
	checkNoLeaks(t)
	dir, bin := foreignDir(t)
	ts := startServerAt(t, filepath.Join(dir, "run", "spotwatch.sock"), ServerOptions{Source: newFakeSource(diagnosis.CauseOK), System: true}, true)

	hog := startChild(t, bin, 65534, "streams", ts.path, 70)
	line := hog.line(t)
	var got int
	if _, err := fmt.Sscanf(line, "streams %d", &got); err != nil {
		t.Fatalf("the hogging child said %q", line)
	}
	if got < 1 || got > maxStreamsPerUser {
		t.Errorf("uid 65534 opened %d streams, want 1 to %d", got, maxStreamsPerUser)
	}
	tray := startChild(t, bin, 65533, "streams", ts.path, 1)
	if line := tray.line(t); line != "streams 1" {
		t.Errorf("the tray of uid 65533 while uid 65534 holds its streams: %q, want \"streams 1\"", line)
	}
	tray.stop(t)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, errs := NewClient(ts.path).Events(ctx)
	nextEvent(t, events, errs)
}
