// Package desktoptest helps tests stand up pieces of a Linux desktop session: a private D-Bus
// session bus, waits on bus names, and child processes whose output goes to the test log.
package desktoptest

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/spotwatch/spotwatch/internal/testutil"
)

// StartBus starts a private session bus daemon (Debian package dbus) for one test, with no
// service activation, so nothing is started behind the test's back, and returns its address.
// The daemon is killed when the test ends.
func StartBus(t testing.TB) string {
	t.Helper()
	return testutil.StartBus(t, "session", quietWriter{LogWriter(t, "dbus-daemon")})
}

// quietWriter drops dbus-daemon's harmless complaint about the fd limit when not root.
type quietWriter struct{ w io.Writer }

func (q quietWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "Failed to set fd limit") || strings.TrimSpace(string(p)) == "" {
		return len(p), nil
	}
	return q.w.Write(p)
}

// LogWriter returns a writer that logs each line to the test log, prefixed with name.
func LogWriter(t testing.TB, name string) io.Writer {
	return &logWriter{t: t, name: name}
}

type logWriter struct {
	t    testing.TB
	name string
	mu   sync.Mutex
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		line = strings.ReplaceAll(line, "\a", "") // beeep's bell
		if strings.TrimSpace(line) != "" {
			w.t.Logf("%s: %s", w.name, line)
		}
	}
	return len(p), nil
}

// Lines copies r's lines to the test log (until the test ends) and to the returned channel,
// closed at EOF.
func Lines(t testing.TB, name string, r io.Reader) <-chan string {
	ch := make(chan string, 4096)
	var mu sync.Mutex
	ended := false
	t.Cleanup(func() {
		mu.Lock()
		ended = true
		mu.Unlock()
	})
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.ReplaceAll(sc.Text(), "\a", "")
			mu.Lock()
			if !ended {
				t.Logf("%s: %s", name, line)
			}
			mu.Unlock()
			select {
			case ch <- line:
			default: // nobody reads: drop rather than block the child
			}
		}
	}()
	return ch
}

// WaitName waits until name has an owner on the bus at addr, watching NameOwnerChanged.
func WaitName(t testing.TB, addr, name string, timeout time.Duration) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the bus: %v", err)
	}
	defer conn.Close()
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, name)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		var has bool
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err != nil {
			t.Fatalf("asking for %s: %v", name, err)
		}
		if has {
			return
		}
		select {
		case <-signals:
		case <-ctx.Done():
			t.Fatalf("nobody took %s on the bus within %v", name, timeout)
		}
	}
}

// Start starts a long-running child whose stderr (and stdout, unless the caller took it) goes
// to the test log; it is killed when the test ends. The channel it returns is closed when the
// child has ended.
func Start(t testing.TB, cmd *exec.Cmd) <-chan struct{} {
	t.Helper()
	name := filepath.Base(cmd.Path)
	if cmd.Stdout == nil {
		cmd.Stdout = LogWriter(t, name)
	}
	if cmd.Stderr == nil {
		cmd.Stderr = LogWriter(t, name)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not end after kill", name)
		}
	})
	return done
}
