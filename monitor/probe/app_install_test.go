package probe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// installTestdata is where the recorded installation files are.
func installTestdata(name string) string { return filepath.Join("testdata", "app", "install", name) }

// mkdirUnder makes the folder path under root.
func mkdirUnder(t *testing.T, root, path string) {
	t.Helper()
	if err := os.MkdirAll(hostPath(root, path), 0o755); err != nil {
		t.Fatal(err)
	}
}

// putUnder puts the testdata file from at path (an OS path, Windows' too) under root.
func putUnder(t *testing.T, root, path, from string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	mkdirUnder(t, root, filepath.ToSlash(filepath.Dir(strings.ReplaceAll(path, `\`, "/"))))
	if err := os.WriteFile(hostPath(root, path), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// plenty is a disk with room.
func plenty(string) (uint64, error) { return 50 << 30, nil }

// TestReadInstall lays out each way Spotify is installed under a test root and reads it back:
// kind, path, version, and the problems of a broken one.
func TestReadInstall(t *testing.T) {
	linuxEnv := map[string]string{"HOME": "/home/ana"}
	winEnv := map[string]string{"APPDATA": `C:\Users\Ana\AppData\Roaming`, "LOCALAPPDATA": `C:\Users\Ana\AppData\Local`}
	macEnv := map[string]string{"HOME": "/Users/ana"}
	store := `C:\Users\Ana\AppData\Local\Packages\SpotifyAB.SpotifyMusic_zpdnekdrzrea0`
	tests := []struct {
		name   string
		goos   string
		env    map[string]string
		layout func(t *testing.T, root string)
		free   func(string) (uint64, error)
		want   *diagnosis.AppInstall
	}{
		{"nothing installed", "linux", linuxEnv, func(*testing.T, string) {}, plenty, &diagnosis.AppInstall{Searched: []string{
			"/usr/share/spotify/spotify", "/opt/spotify/spotify", "/usr/bin/spotify", "/var/lib/flatpak/app/com.spotify.Client/current/active",
			"/home/ana/.local/share/flatpak/app/com.spotify.Client/current/active", "/snap/spotify/current"}}},
		{"nothing installed, a service account's home: not known", "linux", map[string]string{"HOME": "/var/lib/spotwatch"}, func(*testing.T, string) {}, plenty, nil},
		{"nothing installed, root's home: not known", "linux", map[string]string{"HOME": "/root"}, func(*testing.T, string) {}, plenty, nil},
		{"nothing installed on Windows", "windows", winEnv, func(*testing.T, string) {}, plenty, &diagnosis.AppInstall{Searched: []string{
			`C:\Users\Ana\AppData\Roaming\Spotify\Spotify.exe`, store}}},
		{"nothing installed, Windows service: not known", "windows", map[string]string{
			"APPDATA": `C:\Windows\system32\config\systemprofile\AppData\Roaming`, "LOCALAPPDATA": `C:\Windows\system32\config\systemprofile\AppData\Local`,
		}, func(*testing.T, string) {}, plenty, nil},
		{"nothing installed on macOS", "darwin", macEnv, func(*testing.T, string) {}, plenty, &diagnosis.AppInstall{Searched: []string{
			"/Applications/Spotify.app", "/Users/ana/Applications/Spotify.app"}}},
		{"another distribution's package", "linux", linuxEnv, func(t *testing.T, root string) {
			putUnder(t, root, "/usr/bin/spotify", installTestdata("prefs"))
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "package", Path: "/usr/bin/spotify"}},
		{"deb", "linux", linuxEnv, func(t *testing.T, root string) {
			putUnder(t, root, "/usr/share/spotify/spotify", installTestdata("prefs"))
			putUnder(t, root, "/var/lib/dpkg/status", installTestdata("dpkg-status"))
			putUnder(t, root, "/home/ana/.config/spotify/prefs", installTestdata("prefs"))
			mkdirUnder(t, root, "/home/ana/.cache/spotify")
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "deb", Path: "/usr/share/spotify/spotify", Version: "1.2.53.440.g7b2f582a"}},
		{"tarball in /usr/share/spotify (dpkg does not know it)", "linux", linuxEnv, func(t *testing.T, root string) {
			putUnder(t, root, "/usr/share/spotify/spotify", installTestdata("prefs"))
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "tarball", Path: "/usr/share/spotify/spotify"}},
		{"tarball in /opt", "linux", linuxEnv, func(t *testing.T, root string) {
			putUnder(t, root, "/opt/spotify/spotify", installTestdata("prefs"))
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "tarball", Path: "/opt/spotify/spotify"}},
		{"system Flatpak, prefs with binary garbage", "linux", linuxEnv, func(t *testing.T, root string) {
			putUnder(t, root, "/var/lib/flatpak/app/com.spotify.Client/current/active/files/share/metainfo/com.spotify.Client.metainfo.xml", installTestdata("com.spotify.Client.metainfo.xml"))
			putUnder(t, root, "/home/ana/.var/app/com.spotify.Client/config/spotify/prefs", installTestdata("prefs-binary"))
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "Flatpak", Path: "/var/lib/flatpak/app/com.spotify.Client/current/active", Version: "1.2.53.440",
			Problems: []string{"the prefs file /home/ana/.var/app/com.spotify.Client/config/spotify/prefs does not parse (line 1)"}}},
		{"user Flatpak, disk full", "linux", linuxEnv, func(t *testing.T, root string) {
			mkdirUnder(t, root, "/home/ana/.local/share/flatpak/app/com.spotify.Client/current/active")
			mkdirUnder(t, root, "/home/ana/.var/app/com.spotify.Client/cache/spotify")
		}, func(string) (uint64, error) { return 12 << 20, nil }, &diagnosis.AppInstall{Installed: true, Kind: "Flatpak", Path: "/home/ana/.local/share/flatpak/app/com.spotify.Client/current/active",
			Problems: []string{"the disk holding /home/ana/.var/app/com.spotify.Client/cache/spotify has only 12 MB free"}}},
		{"snap, unbalanced quote, cache is a file", "linux", linuxEnv, func(t *testing.T, root string) {
			putUnder(t, root, "/snap/spotify/current/meta/snap.yaml", installTestdata("snap.yaml"))
			putUnder(t, root, "/home/ana/snap/spotify/current/.config/spotify/prefs", installTestdata("prefs-unbalanced-quote"))
			putUnder(t, root, "/home/ana/snap/spotify/common/.cache/spotify", installTestdata("prefs"))
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "snap", Path: "/snap/spotify/current", Version: "1.2.53.440.g7b2f582a",
			Problems: []string{"the prefs file /home/ana/snap/spotify/current/.config/spotify/prefs does not parse (line 5)", "the cache folder /home/ana/snap/spotify/common/.cache/spotify is a file, not a folder"}}},
		{"free space unknown", "linux", linuxEnv, func(t *testing.T, root string) {
			mkdirUnder(t, root, "/snap/spotify/current")
		}, func(string) (uint64, error) { return 0, errors.ErrUnsupported }, &diagnosis.AppInstall{Installed: true, Kind: "snap", Path: "/snap/spotify/current"}},
		{"Windows desktop", "windows", winEnv, func(t *testing.T, root string) {
			putUnder(t, root, `C:\Users\Ana\AppData\Roaming\Spotify\Spotify.exe`, installTestdata("prefs"))
			putUnder(t, root, `C:\Users\Ana\AppData\Roaming\Spotify\prefs`, installTestdata("prefs-binary"))
			mkdirUnder(t, root, `C:\Users\Ana\AppData\Local\Spotify\Storage`)
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "desktop", Path: `C:\Users\Ana\AppData\Roaming\Spotify\Spotify.exe`,
			Problems: []string{`the prefs file C:\Users\Ana\AppData\Roaming\Spotify\prefs does not parse (line 1)`}}},
		{"Microsoft Store", "windows", winEnv, func(t *testing.T, root string) {
			putUnder(t, root, store+`\LocalState\Spotify\prefs`, installTestdata("prefs"))
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "Microsoft Store", Path: store}},
		{"macOS /Applications", "darwin", macEnv, func(t *testing.T, root string) {
			putUnder(t, root, "/Applications/Spotify.app/Contents/Info.plist", installTestdata("Info.plist"))
			putUnder(t, root, "/Users/ana/Library/Application Support/Spotify/prefs", installTestdata("prefs"))
			mkdirUnder(t, root, "/Users/ana/Library/Caches/com.spotify.client")
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "app", Path: "/Applications/Spotify.app", Version: "1.2.53.440"}},
		{"macOS ~/Applications", "darwin", macEnv, func(t *testing.T, root string) {
			mkdirUnder(t, root, "/Users/ana/Applications/Spotify.app/Contents")
		}, plenty, &diagnosis.AppInstall{Installed: true, Kind: "app", Path: "/Users/ana/Applications/Spotify.app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := testutil.TempDir(t)
			tt.layout(t, root)
			got := readInstall(installEnv{root: root, goos: tt.goos, getenv: func(k string) string { return tt.env[k] }, asUser: true, free: tt.free})
			if !sameInstall(got, tt.want) {
				t.Errorf("readInstall =\n  %+v\nwant\n  %+v", got, tt.want)
			}
			if leftovers(t, root) {
				t.Error("the writability test left a file behind")
			}
		})
	}
}

// TestReadInstallNotAsUser: a system daemon reads where Spotify is, but tests nothing of the
// user's folders.
func TestReadInstallNotAsUser(t *testing.T) {
	root := testutil.TempDir(t)
	mkdirUnder(t, root, "/snap/spotify/current")
	putUnder(t, root, "/home/ana/snap/spotify/current/.config/spotify/prefs", installTestdata("prefs-binary"))
	got := readInstall(installEnv{root: root, goos: "linux", getenv: func(string) string { return "/home/ana" }, asUser: false,
		free: func(string) (uint64, error) { return 0, nil }})
	if got == nil || got.Kind != "snap" || len(got.Problems) != 0 {
		t.Errorf("readInstall = %+v, want the snap and no problems", got)
	}
}

func sameInstall(a, b *diagnosis.AppInstall) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Installed == b.Installed && a.Kind == b.Kind && a.Path == b.Path && a.Version == b.Version &&
		strings.Join(a.Problems, "\n") == strings.Join(b.Problems, "\n") && strings.Join(a.Searched, "\n") == strings.Join(b.Searched, "\n")
}

// leftovers: a .spotwatch-write-test file remains under root.
func leftovers(t *testing.T, root string) bool {
	t.Helper()
	found := false
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".spotwatch-write-test-") {
			found = true
		}
		return nil
	})
	return found
}

// TestPrefsParse: Spotify's own prefs parse; binary garbage and an unbalanced quote do not.
func TestPrefsParse(t *testing.T) {
	for _, tt := range []struct {
		file string
		line int
		ok   bool
	}{{"prefs", 0, true}, {"prefs-binary", 1, false}, {"prefs-unbalanced-quote", 5, false}} {
		data, err := os.ReadFile(installTestdata(tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if line, ok := prefsParse(data); line != tt.line || ok != tt.ok {
			t.Errorf("%s: prefsParse = %d, %v, want %d, %v", tt.file, line, ok, tt.line, tt.ok)
		}
	}
	for in, want := range map[string]bool{
		"a=1\n": true, "\n\n": true, `a="x\"y"`: true, `a="x\\"`: true, `a="x\"`: false, `a="`: false, "no equals": false, "=1": false, "a b=1": false, "a=x\x01y": false,
	} {
		if _, ok := prefsParse([]byte(in)); ok != want {
			t.Errorf("prefsParse(%q) = %v, want %v", in, ok, want)
		}
	}
}

// TestPlistString: the version from a recorded Info.plist; a key without a string gives "".
func TestPlistString(t *testing.T) {
	data, err := os.ReadFile(installTestdata("Info.plist"))
	if err != nil {
		t.Fatal(err)
	}
	if v := plistString(data, "CFBundleShortVersionString"); v != "1.2.53.440" {
		t.Errorf("version = %q", v)
	}
	if v := plistString(data, "NoSuchKey"); v != "" {
		t.Errorf("missing key = %q", v)
	}
	if v := plistString([]byte("<plist><dict><key>CFBundleShortVersionString</key><integer>3</integer></dict></plist>"), "CFBundleShortVersionString"); v != "" {
		t.Errorf("non-string = %q", v)
	}
}
