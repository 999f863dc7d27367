//go:build unix

package svc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckFile: on real files, who may change a system daemon's configuration. Runs as root
// (to give files to another user), like the rest of the suite.
func TestCheckFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test gives files to other users: run it as root")
	}
	const nobody = 65534
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the file to check
		err   string                                // "" when the file is safe
	}{
		{"root's file, mode 0644", func(t *testing.T, dir string) string { return write(t, dir, "c.yaml", 0o644) }, ""},
		{"mode 0600", func(t *testing.T, dir string) string { return write(t, dir, "c.yaml", 0o600) }, ""},
		{"writable by others", func(t *testing.T, dir string) string { return write(t, dir, "c.yaml", 0o666) }, "lets group or others write it; run: sudo chmod go-w"},
		{"writable by the group", func(t *testing.T, dir string) string { return write(t, dir, "c.yaml", 0o664) }, "mode -rw-rw-r--"},
		{"another user's file", func(t *testing.T, dir string) string {
			p := write(t, dir, "c.yaml", 0o644)
			must(t, os.Chown(p, nobody, nobody))
			return p
		}, "it belongs to nobody (uid 65534); run: sudo chown root:"},
		{"in a directory others may write", func(t *testing.T, dir string) string {
			sub := mkdir(t, dir, "shared", 0o777)
			return write(t, sub, "c.yaml", 0o644)
		}, "lets group or others replace what is in it"},
		{"in a sticky directory (/tmp)", func(t *testing.T, dir string) string {
			sub := mkdir(t, dir, "tmp", os.ModeSticky|0o777)
			return write(t, sub, "c.yaml", 0o644)
		}, ""},
		{"in another user's directory", func(t *testing.T, dir string) string {
			sub := mkdir(t, dir, "theirs", 0o755)
			must(t, os.Chown(sub, nobody, nobody))
			return write(t, sub, "c.yaml", 0o644)
		}, "theirs); run: sudo chown root:"},
		{"a link to an unsafe file", func(t *testing.T, dir string) string {
			target := write(t, mkdir(t, dir, "open", 0o777), "c.yaml", 0o644)
			link := filepath.Join(dir, "link.yaml")
			must(t, os.Symlink(target, link))
			return link
		}, "lets group or others replace"},
		{"missing", func(t *testing.T, dir string) string { return filepath.Join(dir, "none.yaml") }, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := safeTempDir(t)
			err := CheckFile(tt.setup(t, dir))
			if tt.err == "" {
				if err != nil {
					t.Errorf("CheckFile: %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CheckFile: %v, want an error saying %q", err, tt.err)
			}
			if tt.name != "missing" && !errors.Is(err, ErrUnsafeFile) {
				t.Errorf("CheckFile: %v does not wrap ErrUnsafeFile", err)
			}
		})
	}
}

// safeTempDir is a temporary directory whose parents only root can change (t.TempDir is 0700
// under /tmp, which is sticky).
func safeTempDir(t *testing.T) string {
	dir := t.TempDir()
	must(t, os.Chmod(dir, 0o755))
	return dir
}

func write(t *testing.T, dir, name string, mode os.FileMode) string {
	p := filepath.Join(dir, name)
	must(t, os.WriteFile(p, []byte("interval: 1m\n"), 0o600))
	must(t, os.Chmod(p, mode))
	return p
}

func mkdir(t *testing.T, dir, name string, mode os.FileMode) string {
	p := filepath.Join(dir, name)
	must(t, os.Mkdir(p, 0o700))
	must(t, os.Chmod(p, mode))
	return p
}
