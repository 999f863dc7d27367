//go:build linux

package statusapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// redactChildEnv names the socket TestSystemAPIRedactsProxyPassword's re-executed copy reads as
// another user.
const redactChildEnv = "SPOTWATCH_API_TEST_REDACT_SOCKET"

// redactEndpoints are what every local user can read from a system daemon.
var redactEndpoints = []string{"/v1/status", "/v1/history?limit=50"}

// TestSystemAPIRedactsProxyPassword runs a real system-mode daemon (a real check through a proxy
// set with HTTPS_PROXY=http://user:password@…, a real monitor, a real history file and the API
// on its 0666 socket), then reads /v1/status and /v1/history as uid 65534, as any local user can:
// the proxy is named with its user name, its password appears in neither answer nor in the
// daemon's log.
func TestSystemAPIRedactsProxyPassword(t *testing.T) {
	if socket := os.Getenv(redactChildEnv); socket != "" {
		readAsChild(t, socket)
		return
	}
	checkNoLeaks(t)
	if os.Getuid() != 0 {
		t.Fatal("this test runs as root (it binds port 53 and starts a process as uid 65534)")
	}
	const password = "s3cret-pw"
	w, err := testworld.New(t.TempDir())
	if err != nil {
		t.Fatalf("starting the loopback world: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	proxy := "http://spotwatch:" + password + "@" + w.HostPort(testworld.HostProxy, 3128)

	var logBuf testutil.LockedBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	checker, err := probe.New(w.Config(), probe.Options{
		Logger:      log,
		SystemRoots: w.SystemRoots(),
		Getenv:      func(k string) string { return map[string]string{"HTTPS_PROXY": proxy}[k] },
		Facts:       probe.FactsSource{PrefsFiles: []string{}},
		GOOS:        "linux",
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// t.TempDir's parent is 0700: let uid 65534 reach the binary and the socket.
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	store, err := history.Open(filepath.Join(dir, "history.jsonl"), history.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := monitor.New(monitor.Settings{Interval: time.Hour, FailingInterval: time.Hour, Timeout: 20 * time.Second, Fail: 1, Recover: 1},
		checker.Diagnose, monitor.Options{Logger: log, History: store})
	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		m.Run(runCtx)
	}()
	t.Cleanup(func() { stopRun(); <-runDone })
	for deadline := time.Now().Add(30 * time.Second); m.Status().Cause != diagnosis.CauseProxyBlocked; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon's state is %s, want proxy_blocked", m.Status().Cause)
		}
	}
	ts := startServerAt(t, filepath.Join(dir, "run", "spotwatch.sock"), ServerOptions{Source: m, History: store.Last, Logger: log, System: true}, true)

	bin := filepath.Join(dir, "api.test")
	copyFile(t, bin)
	cmd := exec.CommandContext(t.Context(), bin, "-test.run=^TestSystemAPIRedactsProxyPassword$", "-test.v")
	cmd.Env = []string{redactChildEnv + "=" + ts.path}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the child failed: %v\n%s%s", err, stdout.Bytes(), stderr.Bytes())
	}
	redacted := "spotwatch:xxxxx@" + w.HostPort(testworld.HostProxy, 3128)
	for _, endpoint := range redactEndpoints {
		body := between(stdout.String(), "BEGIN "+endpoint+"\n", "\nEND "+endpoint)
		if !strings.Contains(body, redacted) {
			t.Errorf("uid 65534's %s does not name the proxy as %q:\n%s", endpoint, redacted, body)
		}
		if strings.Contains(body, password) {
			t.Errorf("uid 65534 read the proxy password from %s:\n%s", endpoint, body)
		}
	}
	stopRun()
	<-runDone
	if logText := logBuf.String(); !strings.Contains(logText, "proxy_blocked") || strings.Contains(logText, password) {
		t.Errorf("the daemon's log lacks the state change or holds the proxy password:\n%s", logText)
	}
}

// readAsChild runs in the re-executed copy, as uid 65534: it prints each of redactEndpoints'
// answers between BEGIN and END lines.
func readAsChild(t *testing.T, socket string) {
	if os.Getuid() != 65534 {
		t.Fatalf("the child runs as uid %d, want 65534", os.Getuid())
	}
	client := rawClient(socket)
	for _, endpoint := range redactEndpoints {
		resp, err := client.Get("http://spotwatch" + endpoint)
		if err != nil {
			t.Fatalf("GET %s: %v", endpoint, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s %v\n%s", endpoint, resp.Status, err, body)
		}
		fmt.Printf("BEGIN %s\n%s\nEND %s\n", endpoint, body, endpoint)
	}
}

// between returns the text of s between begin and end ("" when either is missing).
func between(s, begin, end string) string {
	_, rest, ok := strings.Cut(s, begin)
	if !ok {
		return ""
	}
	body, _, _ := strings.Cut(rest, end)
	return body
}
