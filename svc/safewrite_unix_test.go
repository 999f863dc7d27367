//go:build unix

package svc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// rootsFile is what a root-owned file planted links point at holds; nothing may change it.
const rootsFile = "root's file: install must not change this\n"

// TestInstallNeverFollowsLinks runs the installer's real file writing as root (sudo spotwatch
// install) into the home of another user (nobody) who planted symbolic links: at the temporary
// ".new" path, at the final path, and at a directory on the way, each pointing at root's files.
// Root's files must stay as they were, links in the way of a directory must be refused, and
// what install creates in the home must belong to the user.
func TestInstallNeverFollowsLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test writes as root into another user's home: run it as root")
	}
	const uid, gid = 65534, 65534
	tests := []struct {
		name string
		// plant lays the user's links in home; rootDir holds root's files (spotwatch.desktop,
		// spotwatch.png, config.yaml, victim).
		plant   func(t *testing.T, p Plan, rootDir string)
		refused string // what the error says when install must refuse; "" when it must succeed
	}{
		{"nothing planted", func(*testing.T, Plan, string) {}, ""},
		{"a link at the entry's .new path", func(t *testing.T, p Plan, rootDir string) {
			makeUserDir(t, filepath.Dir(p.Tray.Entry), uid)
			plantLink(t, filepath.Join(rootDir, "victim"), p.Tray.Entry+".new")
		}, ""},
		{"a link at the icon's .new path", func(t *testing.T, p Plan, rootDir string) {
			makeUserDir(t, filepath.Dir(p.Tray.Icon), uid)
			plantLink(t, filepath.Join(rootDir, "victim"), p.Tray.Icon+".new")
		}, ""},
		{"a link at the entry itself", func(t *testing.T, p Plan, rootDir string) {
			makeUserDir(t, filepath.Dir(p.Tray.Entry), uid)
			plantLink(t, filepath.Join(rootDir, "victim"), p.Tray.Entry)
		}, ""},
		{"a link at the icon itself", func(t *testing.T, p Plan, rootDir string) {
			makeUserDir(t, filepath.Dir(p.Tray.Icon), uid)
			plantLink(t, filepath.Join(rootDir, "victim"), p.Tray.Icon)
		}, ""},
		{"the autostart directory is a link", func(t *testing.T, p Plan, rootDir string) {
			makeUserDir(t, filepath.Dir(filepath.Dir(p.Tray.Entry)), uid)
			plantLink(t, rootDir, filepath.Dir(p.Tray.Entry))
		}, "symbolic link"},
		{"~/.local is a link", func(t *testing.T, p Plan, rootDir string) {
			plantLink(t, rootDir, filepath.Join(p.Tray.Home, ".local"))
		}, "symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rootDir := sudoPlan(t, uid, gid)
			tt.plant(t, p, rootDir)
			before := snapshot(t, rootDir)
			var out bytes.Buffer
			in := &Installer{Plan: p, Out: &out}
			err := in.installTrayFiles()
			if after := snapshot(t, rootDir); after != before {
				t.Errorf("root's directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("install: %v, want it refused with %q\n%s", err, tt.refused, out.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("install: %v\n%s", err, out.String())
			}
			// Everything under the home that install made belongs to the user, and the entry and
			// icon are regular files, not links.
			for _, path := range []string{p.Tray.Entry, p.Tray.Icon} {
				info, err := os.Lstat(path)
				if err != nil || !info.Mode().IsRegular() {
					t.Errorf("%s: %v %v, want a regular file", path, info, err)
				}
			}
			filepath.Walk(p.Tray.Home, func(path string, info os.FileInfo, err error) error {
				if err != nil {
					t.Error(err)
					return nil
				}
				if info.Mode()&os.ModeSymlink != 0 {
					return nil // planted by the user
				}
				if st := info.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid {
					t.Errorf("%s belongs to %d:%d, want the user's %d:%d", path, st.Uid, st.Gid, uid, gid)
				}
				if strings.Contains(filepath.Base(path), ".new") || strings.Contains(filepath.Base(path), ".spotwatch-") {
					t.Errorf("a temporary file was left: %s", path)
				}
				return nil
			})
		})
	}
}

// TestConfigNeverFollowsLinks: the configuration install writes where there is none is not
// written through a link the user planted: at the file (dangling, so that it looks missing)
// or at its directory.
func TestConfigNeverFollowsLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test writes as root into another user's home: run it as root")
	}
	const uid, gid = 65534, 65534
	tests := []struct {
		name  string
		plant func(t *testing.T, config, rootDir string)
	}{
		{"a dangling link at the file", func(t *testing.T, config, rootDir string) {
			makeUserDir(t, filepath.Dir(config), uid)
			plantLink(t, filepath.Join(rootDir, "new.yaml"), config)
		}},
		{"the directory is a link", func(t *testing.T, config, rootDir string) {
			plantLink(t, rootDir, filepath.Dir(config))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rootDir := sudoPlan(t, uid, gid)
			p.Scope = System
			p.Config = filepath.Join(p.Tray.Home, "spot", "config.yaml")
			tt.plant(t, p.Config, rootDir)
			before := snapshot(t, rootDir)
			var out bytes.Buffer
			err := (&Installer{Plan: p, Out: &out}).ensureConfig()
			if after := snapshot(t, rootDir); after != before {
				t.Errorf("root's directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if err == nil {
				t.Errorf("ensureConfig accepted a configuration under a user's links:\n%s", out.String())
			}
		})
	}
}

// sudoPlan is the plan of root installing for the user uid: a home of theirs (mode 0755, as
// homes are) with nothing in it, and beside it a directory of root's with root's files.
func sudoPlan(t *testing.T, uid, gid int) (Plan, string) {
	t.Helper()
	base := safeTempDir(t)
	home := filepath.Join(base, "home")
	must(t, os.Mkdir(home, 0o755))
	must(t, os.Chown(home, uid, gid))
	rootDir := filepath.Join(base, "root")
	must(t, os.Mkdir(rootDir, 0o755))
	for _, name := range []string{"victim", "spotwatch.desktop", "spotwatch.png", "config.yaml"} {
		must(t, os.WriteFile(filepath.Join(rootDir, name), []byte(rootsFile), 0o644))
	}
	tray := Tray{User: "nobody", Home: home, UID: uid, GID: gid}
	tray.Entry = filepath.Join(home, ".config", "autostart", Name+".desktop")
	tray.Icon = filepath.Join(home, ".local", "share", "icons", "hicolor", "64x64", "apps", Name+".png")
	return Plan{GOOS: "linux", Platform: PlatformSysV, Scope: System, Name: Name, Binary: "/usr/bin/spotwatch", Tray: tray}, rootDir
}

// makeUserDir creates dir and its missing parents as the user's.
func makeUserDir(t *testing.T, dir string, uid int) {
	t.Helper()
	if _, err := os.Lstat(dir); err == nil {
		return
	}
	makeUserDir(t, filepath.Dir(dir), uid)
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.Chown(dir, uid, uid))
}

// plantLink makes a symbolic link at link to target, as the user nobody would.
func plantLink(t *testing.T, target, link string) {
	t.Helper()
	must(t, os.Symlink(target, link))
	must(t, os.Lchown(link, 65534, 65534))
}

// snapshot lists a directory's entries with their modes and contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		st := info.Sys().(*syscall.Stat_t)
		fmt.Fprintf(&b, "%s %v %d:%d %q\n", e.Name(), info.Mode(), st.Uid, st.Gid, data)
	}
	return b.String()
}
