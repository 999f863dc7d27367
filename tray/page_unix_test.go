//go:build unix

package tray

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spotwatch/spotwatch/monitor"
)

// TestPagesInAPrivateDirectory: a tray without HOME (no cache directory) writes its pages in
// a directory it created itself, mode 0700, never in a shared path another user made first
// ($TMPDIR/spotwatch, pre-created by nobody as a directory of theirs or as a link to one).
func TestPagesInAPrivateDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test creates files as another user: run it as root")
	}
	const nobody = 65534
	tests := []struct {
		name  string
		plant func(t *testing.T, shared, theirs string)
	}{
		{"nothing there", func(*testing.T, string, string) {}},
		{"another user's directory", func(t *testing.T, shared, _ string) {
			mustDo(t, os.Mkdir(shared, 0o777))
			mustDo(t, os.Chmod(shared, 0o777))
			mustDo(t, os.Chown(shared, nobody, nobody))
		}},
		{"a link to another user's directory", func(t *testing.T, shared, theirs string) {
			mustDo(t, os.Symlink(theirs, shared))
			mustDo(t, os.Lchown(shared, nobody, nobody))
		}},
		{"a directory of ours, open to all", func(t *testing.T, shared, _ string) {
			mustDo(t, os.Mkdir(shared, 0o700))
			mustDo(t, os.Chmod(shared, 0o777))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			mustDo(t, os.Chmod(tmp, 0o1777)) // a /tmp
			t.Setenv("TMPDIR", tmp)
			t.Setenv("HOME", "")
			t.Setenv("XDG_CACHE_HOME", "")
			theirs := filepath.Join(tmp, "theirs")
			mustDo(t, os.Mkdir(theirs, 0o777))
			mustDo(t, os.Chmod(theirs, 0o777))
			mustDo(t, os.Chown(theirs, nobody, nobody))
			shared := filepath.Join(tmp, "spotwatch")
			tt.plant(t, shared, theirs)

			a, err := newApp(Options{Source: Local{Monitor: monitor.New(monitor.Settings{}, nil, monitor.Options{})}})
			if err != nil {
				t.Fatal(err)
			}
			path, err := a.writePage("history.html", []byte("<p>history</p>"))
			if err != nil {
				t.Fatalf("writePage: %v", err)
			}
			dir := filepath.Dir(path)
			if strings.HasPrefix(path, shared+string(filepath.Separator)) || strings.HasPrefix(path, theirs) {
				t.Errorf("the page went to the shared %s", path)
			}
			for _, d := range []string{theirs, shared} {
				if entries, err := os.ReadDir(d); err == nil && len(entries) > 0 {
					t.Errorf("%s got %d entries", d, len(entries))
				}
			}
			info, err := os.Lstat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !info.IsDir() || info.Mode().Perm() != 0o700 || info.Sys().(*syscall.Stat_t).Uid != 0 {
				t.Errorf("the page directory %s: %v, owner %d; want a directory of ours, mode 0700", dir, info.Mode(), info.Sys().(*syscall.Stat_t).Uid)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
