package macfw

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// put copies testdata/lulu/file to path under root (or makes a folder when file is "").
func put(t *testing.T, root, path, file string) {
	t.Helper()
	dst := filepath.Join(root, filepath.FromSlash(path))
	if file == "" {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(filepath.Join("testdata", "lulu", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRead lays out a Mac's folders under a root and reads them as spotwatch does on macOS.
func TestRead(t *testing.T) {
	const ext = "/Library/SystemExtensions/6F1E4C2A-91B0-4E0B-9B5E-0D5C2C9E8A11/"
	for _, tt := range []struct {
		name      string
		files     map[string]string // path → testdata file ("" = a folder)
		installed []string
		targets   []string // the rules' targets
		where     string
	}{
		{name: "nothing installed"},
		{name: "LuLu app only, rules not written yet", files: map[string]string{"/Applications/LuLu.app/Contents": ""},
			installed: []string{"LuLu"}},
		{name: "LuLu blocks Spotify", files: map[string]string{
			ext + "com.objective-see.lulu.extension.systemextension/Contents": "",
			LuLuRules: "block-spotify.plist",
		}, installed: []string{"LuLu"}, targets: []string{"/Applications/Spotify.app/Contents/MacOS/Spotify"}, where: LuLuRules},
		{name: "LuLu allows Spotify", files: map[string]string{LuLuRules: "allow-spotify.plist"}, installed: []string{"LuLu"}},
		{name: "a profile's rules win", files: map[string]string{
			LuLuRules:                              "allow-spotify.plist",
			LuLuPrefs:                              "preferences-profile.plist",
			LuLuDir + "/Profiles/Work/rules.plist": "block-spotify-helper.plist",
		}, installed: []string{"LuLu"}, where: LuLuDir + "/Profiles/Work/rules.plist",
			targets: []string{"/Applications/Spotify.app/Contents/Frameworks/Spotify Helper.app/Contents/MacOS/Spotify Helper"}},
		{name: "Little Snitch's extension", files: map[string]string{
			ext + "at.obdev.littlesnitch.networkextension.systemextension/Contents": "",
		}, installed: []string{"Little Snitch"}},
		{name: "both", files: map[string]string{
			"/Library/Little Snitch/configuration.user.xpl": "block-firefox.plist", // unreadable to spotwatch: its presence only
			"/Applications/LuLu.app":                        "",
		}, installed: []string{"LuLu", "Little Snitch"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := testutil.TempDir(t)
			for path, file := range tt.files {
				put(t, root, path, file)
			}
			r, err := Read(root, now)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Installed, tt.installed) {
				t.Errorf("installed %q, want %q", r.Installed, tt.installed)
			}
			var targets []string
			for _, rule := range r.Rules {
				targets = append(targets, rule.Target)
				if rule.Where != tt.where {
					t.Errorf("rule from %q, want %q", rule.Where, tt.where)
				}
			}
			if !reflect.DeepEqual(targets, tt.targets) {
				t.Errorf("targets %q, want %q", targets, tt.targets)
			}
		})
	}
}

// TestReadBadFiles: a rules file or preferences that do not parse are errors naming the file;
// the products found are still returned.
func TestReadBadFiles(t *testing.T) {
	for _, path := range []string{LuLuRules, LuLuPrefs} {
		root := testutil.TempDir(t)
		put(t, root, "/Applications/LuLu.app", "")
		dst := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, []byte("bplist00 broken"), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Read(root, now)
		if err == nil || !reflect.DeepEqual(r.Installed, []string{"LuLu"}) {
			t.Errorf("%s broken: %+v, %v", path, r, err)
		}
	}
}
