package statusapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// childEnv names the socket a re-executed test binary talks to as another user.
const childEnv = "SPOTWATCH_API_TEST_CHILD_SOCKET"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		os.Exit(childMode(mode, os.Getenv(childEnv)))
	}
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(childMain(path))
	}
	os.Exit(m.Run())
}

// childReport is what the child process found, as JSON on its stdout.
type childReport struct {
	UID       int    `json:"uid"`
	StatusErr string `json:"status_err"`
	Cause     string `json:"cause"`
	CheckCode int    `json:"check_code"`
	CheckErr  string `json:"check_err"`
	PauseCode int    `json:"pause_code"`
}

// childMain runs in the child: it reads the status and tries to trigger a check and a pause.
func childMain(path string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := NewClient(path)
	rep := childReport{UID: os.Getuid()}
	st, err := c.Status(ctx)
	if err != nil {
		rep.StatusErr = err.Error()
	}
	rep.Cause = string(st.Cause)
	code := func(err error) int {
		var se *StatusError
		if errors.As(err, &se) {
			return se.StatusCode
		}
		if err == nil {
			return 0
		}
		return -1
	}
	err = c.CheckNow(ctx)
	rep.CheckCode = code(err)
	if err != nil {
		rep.CheckErr = err.Error()
	}
	_, err = c.Pause(ctx, time.Hour)
	rep.PauseCode = code(err)
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestForeignUID runs a real client as uid 65534 against a system daemon's 0666 socket: it may
// read, its POSTs get 403, and root's are accepted.
func TestForeignUID(t *testing.T) {
	checkNoLeaks(t)
	if os.Getuid() != 0 {
		t.Fatal("this test runs as root (it starts a process as uid 65534)")
	}
	dir := t.TempDir()
	// t.TempDir's parent is 0700: let uid 65534 reach the binary and the socket.
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "api.test")
	copyFile(t, bin)

	src := newFakeSource(diagnosis.CauseSNIFiltered)
	ts := startServerAt(t, filepath.Join(dir, "run", "spotwatch.sock"), ServerOptions{Source: src, System: true}, true)

	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Env = []string{childEnv + "=" + ts.path}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the child failed: %v\n%s", err, stderr.Bytes())
	}
	var rep childReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("child output %q: %v", stdout.Bytes(), err)
	}
	if rep.UID != 65534 {
		t.Fatalf("the child ran as uid %d", rep.UID)
	}
	if rep.StatusErr != "" || rep.Cause != string(diagnosis.CauseSNIFiltered) {
		t.Errorf("uid 65534 could not read the status: %q (cause %q)", rep.StatusErr, rep.Cause)
	}
	if rep.CheckCode != 403 || rep.PauseCode != 403 {
		t.Errorf("uid 65534 got check %d, pause %d; want 403 both", rep.CheckCode, rep.PauseCode)
	}
	if !strings.Contains(rep.CheckErr, "you are uid 65534, the daemon runs as uid 0") {
		t.Errorf("the refusal does not say why: %q", rep.CheckErr)
	}
	if checks, pauses := src.counts(); checks != 0 || len(pauses) != 0 {
		t.Fatalf("uid 65534 reached the source: %d checks, pauses %v", checks, pauses)
	}

	if err := NewClient(ts.path).CheckNow(t.Context()); err != nil {
		t.Fatalf("root's check: %v", err)
	}
	if checks, _ := src.counts(); checks != 1 {
		t.Fatalf("root's check did not reach the source")
	}
}

func copyFile(t *testing.T, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOSPeers reads the peer credentials of real connections with SO_PEERCRED.
func TestOSPeers(t *testing.T) {
	checkNoLeaks(t)
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	for name, c := range map[string]net.Conn{"accepted": server, "dialled": client} {
		uid, err := osPeers{}.PeerUID(c)
		if err != nil || uid != os.Getuid() {
			t.Errorf("%s connection: uid %d, %v; want %d", name, uid, err, os.Getuid())
		}
	}

	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	tc, err := net.Dial("tcp", tcp.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	for name, c := range map[string]net.Conn{"tcp": tc, "pipe": p1} {
		if uid, err := (osPeers{}).PeerUID(c); err == nil {
			t.Errorf("%s connection: uid %d, want an error", name, uid)
		}
	}
}
