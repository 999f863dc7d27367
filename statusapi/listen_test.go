package statusapi

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

func TestDefaultSocketPath(t *testing.T) {
	tests := []struct {
		goos   string
		system bool
		env    map[string]string
		want   string // "" = an error
	}{
		{"linux", false, map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/spotwatch/spotwatch.sock"},
		{"linux", false, nil, "/tmp/spotwatch-1000/spotwatch.sock"},
		{"linux", false, map[string]string{"XDG_RUNTIME_DIR": "relative/dir"}, "/tmp/spotwatch-1000/spotwatch.sock"},
		{"linux", true, map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/spotwatch/spotwatch.sock"},
		{"linux", true, map[string]string{SystemSocketEnv: "/tmp/t/system.sock"}, "/tmp/t/system.sock"},
		{"linux", true, map[string]string{SystemSocketEnv: "relative.sock"}, "/run/spotwatch/spotwatch.sock"},
		{"linux", false, map[string]string{SystemSocketEnv: "/tmp/t/system.sock", "XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/spotwatch/spotwatch.sock"},
		{"freebsd", false, map[string]string{"XDG_RUNTIME_DIR": "/var/run/user/1000"}, "/var/run/user/1000/spotwatch/spotwatch.sock"},
		{"freebsd", true, nil, "/var/run/spotwatch/spotwatch.sock"},
		{"darwin", false, map[string]string{"HOME": "/Users/ann", "XDG_RUNTIME_DIR": "/ignored"}, "/Users/ann/Library/Application Support/spotwatch/spotwatch.sock"},
		{"darwin", false, nil, ""},
		{"darwin", true, nil, "/var/run/spotwatch/spotwatch.sock"},
		{"windows", false, map[string]string{"LocalAppData": `C:\Users\ann\AppData\Local`}, `C:\Users\ann\AppData\Local\spotwatch\spotwatch.sock`},
		{"windows", false, nil, ""},
		{"windows", true, map[string]string{"ProgramData": `D:\ProgramData`}, `D:\ProgramData\spotwatch\spotwatch.sock`},
		{"windows", true, nil, `C:\ProgramData\spotwatch\spotwatch.sock`},
	}
	for _, tt := range tests {
		got, err := defaultSocketPath(tt.goos, tt.system, func(k string) string { return tt.env[k] }, 1000)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s system=%v env %v: %q, want an error", tt.goos, tt.system, tt.env, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s system=%v env %v: %q, %v; want %q", tt.goos, tt.system, tt.env, got, err, tt.want)
		}
	}
	path, err := DefaultSocketPath(false)
	if err != nil || !filepath.IsAbs(path) || len(path) > maxSocketPath() {
		t.Errorf("DefaultSocketPath(false) on this machine = %q, %v", path, err)
	}
}

func TestListenModes(t *testing.T) {
	checkNoLeaks(t)
	tests := []struct {
		system            bool
		umask             int
		dirMode, sockMode os.FileMode
	}{
		{false, 0o022, 0o700, 0o600},
		{false, 0, 0o700, 0o600},
		{true, 0o022, 0o755, 0o666},
		{true, 0o077, 0o755, 0o666}, // the modes are set, not left to the umask
	}
	for _, tt := range tests {
		old := umask(tt.umask)
		defer umask(old)
		path := filepath.Join(t.TempDir(), "a", "spotwatch", "spotwatch.sock")
		ln, err := Listen(path, tt.system)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.Stat(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		sock, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if dir.Mode().Perm() != tt.dirMode || sock.Mode().Perm() != tt.sockMode || sock.Mode().Type() != os.ModeSocket {
			t.Errorf("system=%v umask %03o: directory %v, socket %v; want %v and socket %v", tt.system, tt.umask, dir.Mode(), sock.Mode(), tt.dirMode, tt.sockMode)
		}
		ln.Close()
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("system=%v: the socket is still there after Close (%v)", tt.system, err)
		}
	}
}

// TestStaleSocket leaves a socket as a daemon killed with SIGKILL does: Listen replaces it and
// the new daemon answers.
func TestStaleSocket(t *testing.T) {
	checkNoLeaks(t)
	path := filepath.Join(t.TempDir(), "run", "spotwatch.sock")
	if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	old, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	old.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the stale socket is not there: %v", err)
	}

	if _, err := NewClient(path).Status(t.Context()); !errors.Is(err, ErrNoDaemon) || !strings.Contains(err.Error(), "nothing answers on "+path) {
		t.Fatalf("Status on a stale socket: %v, want ErrNoDaemon saying nothing answers", err)
	}
	ts := startServerAt(t, path, ServerOptions{Source: newFakeSource(diagnosis.CauseOK)}, false)
	if st, err := NewClient(ts.path).Status(t.Context()); err != nil || st.Cause != diagnosis.CauseOK {
		t.Fatalf("Status from the new daemon: %v %v", st.Cause, err)
	}
}

// TestLiveSocket starts a second daemon on a live one's socket: it is refused and the first
// keeps answering.
func TestLiveSocket(t *testing.T) {
	checkNoLeaks(t)
	ts := startServer(t, ServerOptions{Source: newFakeSource(diagnosis.CauseOK)}, false)
	ln, err := Listen(ts.path, false)
	if err == nil {
		ln.Close()
		t.Fatal("Listen took a live daemon's socket")
	}
	if !errors.Is(err, ErrDaemonRunning) || !strings.Contains(err.Error(), "another spotwatch daemon is running") {
		t.Fatalf("Listen on a live socket: %v, want ErrDaemonRunning", err)
	}
	if _, err := NewClient(ts.path).Status(t.Context()); err != nil {
		t.Fatalf("the first daemon stopped answering: %v", err)
	}
}

func TestListenRefuses(t *testing.T) {
	checkNoLeaks(t)
	t.Run("a regular file at the path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "spotwatch.sock")
		if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		if ln, err := Listen(path, false); err == nil {
			ln.Close()
			t.Fatal("Listen replaced a regular file")
		} else if !strings.Contains(err.Error(), "not a socket") {
			t.Errorf("error %v does not say why", err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
			t.Fatalf("the file was changed: %q %v", b, err)
		}
	})
	t.Run("a directory of another user", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "spotwatch-1000")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		ln, err := Listen(filepath.Join(dir, "spotwatch.sock"), false)
		if err == nil {
			ln.Close()
			t.Fatal("Listen used a directory another user owns")
		}
		if !strings.Contains(err.Error(), "belongs to uid 65534") {
			t.Errorf("error %v does not say why", err)
		}
	})
	t.Run("a directory others may write to", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "open")
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		ln, err := Listen(filepath.Join(dir, "spotwatch.sock"), false)
		if err == nil {
			ln.Close()
			t.Fatal("Listen used a world-writable directory")
		}
		if !strings.Contains(err.Error(), "others may write") {
			t.Errorf("error %v does not say why", err)
		}
		// With the sticky bit (as /tmp) others cannot remove or replace our socket.
		if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
			t.Fatal(err)
		}
		ln, err = Listen(filepath.Join(dir, "spotwatch.sock"), false)
		if err != nil {
			t.Fatalf("Listen in a sticky directory: %v", err)
		}
		ln.Close()
	})
	t.Run("a path too long for a socket", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), strings.Repeat("x", 120), "spotwatch.sock")
		if ln, err := Listen(path, false); err == nil {
			ln.Close()
			t.Fatal("Listen accepted an over-long path")
		} else if !strings.Contains(err.Error(), "longer than") {
			t.Errorf("error %v does not say why", err)
		}
	})
	t.Run("no path", func(t *testing.T) {
		if ln, err := Listen("", false); err == nil {
			ln.Close()
			t.Fatal("Listen accepted an empty path")
		}
	})
}

func TestNoDaemon(t *testing.T) {
	checkNoLeaks(t)
	path := filepath.Join(t.TempDir(), "spotwatch", "spotwatch.sock")
	c := NewClient(path)
	calls := map[string]func() error{
		"Status":   func() error { _, err := c.Status(t.Context()); return err },
		"History":  func() error { _, err := c.History(t.Context(), 5); return err },
		"CheckNow": func() error { return c.CheckNow(t.Context()) },
		"Pause":    func() error { _, err := c.Pause(t.Context(), 0); return err },
		"Events": func() error {
			events, errs := c.Events(t.Context())
			for range events {
				t.Error("an event without a daemon")
			}
			return <-errs
		},
	}
	want := "no spotwatch daemon is running (no socket at " + path + ")"
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrNoDaemon) || err.Error() != want {
			t.Errorf("%s: %v, want %q wrapping ErrNoDaemon", name, err, want)
		}
	}
}

// TestSocketPaths lists where a user daemon's socket may be: a fallback in the user's cache
// directory follows the predictable /tmp path, and only that path.
func TestSocketPaths(t *testing.T) {
	tests := []struct {
		goos string
		env  map[string]string
		want []string
	}{
		{"linux", map[string]string{"HOME": "/home/ann"}, []string{"/tmp/spotwatch-1000/spotwatch.sock", "/home/ann/.cache/spotwatch/run/spotwatch.sock"}},
		{"linux", map[string]string{"HOME": "/home/ann", "XDG_CACHE_HOME": "/c"}, []string{"/tmp/spotwatch-1000/spotwatch.sock", "/c/spotwatch/run/spotwatch.sock"}},
		{"linux", map[string]string{"HOME": "/home/ann", "XDG_CACHE_HOME": "rel"}, []string{"/tmp/spotwatch-1000/spotwatch.sock", "/home/ann/.cache/spotwatch/run/spotwatch.sock"}},
		{"linux", nil, []string{"/tmp/spotwatch-1000/spotwatch.sock"}},
		{"linux", map[string]string{"HOME": "/home/ann", "XDG_RUNTIME_DIR": "/run/user/1000"}, []string{"/run/user/1000/spotwatch/spotwatch.sock"}},
		{"darwin", map[string]string{"HOME": "/Users/ann"}, []string{"/Users/ann/Library/Application Support/spotwatch/spotwatch.sock"}},
	}
	for _, tt := range tests {
		got, err := socketPaths(tt.goos, false, func(k string) string { return tt.env[k] }, 1000, "/tmp")
		if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s env %v: %q, %v; want %q", tt.goos, tt.env, got, err, tt.want)
		}
	}
}
