package probe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestParseOpenSnitchRule reads rule files in OpenSnitch's own format (as its daemon writes them
// to /etc/opensnitchd/rules): enabled deny and reject rules naming Spotify's program or hosts
// count; allow rules, disabled rules, rules for other programs or for every program do not.
func TestParseOpenSnitchRule(t *testing.T) {
	tests := []struct {
		file   string
		want   bool
		action string
		target string
	}{
		{"deny-spotify.json", true, "deny", "/usr/share/spotify/spotify"},
		{"reject-snap-spotify.json", true, "reject", "^/snap/spotify/[0-9]+/usr/share/spotify/spotify$"},
		{"deny-flatpak-spotify-443.json", true, "deny", "/app/extra/share/spotify/spotify"},
		{"deny-spotify-domains.json", true, "deny", `connections to .*\.spotify\.com$`},
		{"deny-simple-apresolve-spotify-com.json", true, "deny", "connections to apresolve.spotify.com"},
		{"deny-spotify-command.json", true, "deny", "/usr/share/spotify/spotify --uri=spotify:track:x"},
		{"deny-spotify-evil-name.json", true, "deny", "/usr/share/spotify/spotify"},
		{"disabled-deny-spotify.json", false, "", ""},
		{"allow-spotify.json", false, "", ""},
		{"deny-firefox.json", false, "", ""},
		{"deny-everything.json", false, "", ""},
		{"deny-firefox-to-spotify.json", false, "", ""},
		{"deny-spotify-to-ads.json", false, "", ""},
		{"not-a-rule.json", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "app", "opensnitch", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r, ok := parseOpenSnitchRule(data, "/etc/opensnitchd/rules/"+tt.file)
			if ok != tt.want {
				t.Fatalf("rule against Spotify = %v, want %v (%+v)", ok, tt.want, r)
			}
			if !ok {
				return
			}
			if r.Product != "OpenSnitch" || r.Action != tt.action || r.Target != tt.target || r.Where != "/etc/opensnitchd/rules/"+tt.file || r.Name == "" {
				t.Errorf("rule = %+v, want action %q, target %q", r, tt.action, tt.target)
			}
		})
	}
}

// TestReadOpenSnitch reads the rules directory under a root: every rule against Spotify, in
// file order, with untrusted text cleaned and the file that is not JSON skipped.
func TestReadOpenSnitch(t *testing.T) {
	root := testutil.TempDir(t)
	dir := filepath.Join(root, "etc", "opensnitchd", "rules")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("testdata", "app", "opensnitch")
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(src, e.Name()))
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := readOpenSnitch(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
		if strings.ContainsAny(r.Name, "\x1b\u202e") {
			t.Errorf("rule name not cleaned: %q", r.Name)
		}
	}
	want := "deny-flatpak-spotify-443 deny-simple-apresolve-spotify-com deny-spotify-command deny-spotify-domains denyspotify deny-spotify reject-snap-spotify"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("rules = %q, want %q", got, want)
	}
	if rules, err := readOpenSnitch(filepath.Join(root, "nowhere")); rules != nil || err != nil {
		t.Errorf("no OpenSnitch: %v, %v; want nothing", rules, err)
	}
}

func TestFlatpakNetwork(t *testing.T) {
	for file, want := range map[string]string{"no-network": "removed", "network-granted": "granted", "filesystem-only": ""} {
		data, err := os.ReadFile(filepath.Join("testdata", "app", "flatpak", file))
		if err != nil {
			t.Fatal(err)
		}
		if got := flatpakNetwork(data); got != want {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
	}
}

// TestReadFlatpak: the user's override, then the system's; the user's granting the network wins.
func TestReadFlatpak(t *testing.T) {
	put := func(root, path, testfile string) {
		t.Helper()
		putTestFile(t, root, path, filepath.Join("testdata", "app", "flatpak", testfile))
	}
	user := "/home/ana/.local/share/flatpak/overrides/com.spotify.Client"
	system := "/var/lib/flatpak/overrides/com.spotify.Client"

	root := testutil.TempDir(t)
	put(root, user, "no-network")
	rules, err := readFlatpak(root, "/home/ana")
	if err != nil || len(rules) != 1 || rules[0].Where != user || rules[0].Product != "Flatpak" || rules[0].Target != "com.spotify.Client" {
		t.Errorf("user override: %+v, %v", rules, err)
	}

	root = testutil.TempDir(t)
	put(root, system, "no-network")
	if rules, _ := readFlatpak(root, "/home/ana"); len(rules) != 1 || rules[0].Where != system {
		t.Errorf("system override: %+v", rules)
	}
	put(root, user, "network-granted")
	if rules, _ := readFlatpak(root, "/home/ana"); len(rules) != 0 {
		t.Errorf("the user's override gives the network back, yet: %+v", rules)
	}
	if rules, err := readFlatpak(testutil.TempDir(t), "/home/ana"); rules != nil || err != nil {
		t.Errorf("no overrides: %v, %v", rules, err)
	}
}

// TestSnapNetworkDisconnected reads `snap connections spotify` output in snapd's format
// (testdata/app/snap/README.md): a disconnected plug has "-" as its slot, and a plug connected
// again by hand says "manual" in its notes.
func TestSnapNetworkDisconnected(t *testing.T) {
	for file, want := range map[string]bool{
		"connections-connected.txt": false, "connections-network-disconnected.txt": true, "connections-network-reconnected.txt": false,
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "app", "snap", file))
		if err != nil {
			t.Fatal(err)
		}
		if got := snapNetworkDisconnected(data); got != want {
			t.Errorf("%s: disconnected = %v, want %v", file, got, want)
		}
	}
	if snapNetworkDisconnected([]byte("error: snap \"spotify\" not found\n")) {
		t.Errorf("an error message read as a disconnected plug")
	}
}

func TestReadFirejail(t *testing.T) {
	put := func(root, path, testfile string) {
		t.Helper()
		putTestFile(t, root, path, filepath.Join("testdata", "app", "firejail", testfile))
	}
	userProfile := "/home/ana/.config/firejail/spotify.profile"

	root := testutil.TempDir(t)
	put(root, "/etc/firejail/spotify.profile", "spotify-stock.profile")
	if rules, err := readFirejail(root, "/home/ana"); len(rules) != 0 || err != nil {
		t.Errorf("stock profile: %+v, %v", rules, err)
	}
	put(root, userProfile, "spotify-net-none.profile")
	rules, err := readFirejail(root, "/home/ana")
	if err != nil || len(rules) != 1 || rules[0] != (diagnosis.AppRule{Product: "firejail", Where: userProfile, Action: "no network", Target: "spotify"}) {
		t.Errorf("net none: %+v, %v", rules, err)
	}
	put(root, "/etc/firejail/spotify.local", "spotify-ignore.local")
	if rules, _ := readFirejail(root, "/home/ana"); len(rules) != 0 {
		t.Errorf("ignore net none, yet: %+v", rules)
	}
}

// TestReadAppHooks: the hooks the Windows firewall and TCP-table readers fill; nothing found and
// the app not running give no App at all (the JSON stays as before).
func TestReadAppHooks(t *testing.T) {
	empty := FactsSource{AppRoot: testutil.TempDir(t), WindowsRules: func() ([]diagnosis.AppRule, []string, error) { return nil, nil, nil },
		Connections: func() *diagnosis.AppConnections { return &diagnosis.AppConnections{Running: false} }}
	if app, errs := readApp(empty, func(string) string { return "/home/ana" }); app != nil || len(errs) != 0 {
		t.Errorf("nothing found: %+v, %v", app, errs)
	}
	full := FactsSource{AppRoot: testutil.TempDir(t),
		WindowsRules: func() ([]diagnosis.AppRule, []string, error) {
			return []diagnosis.AppRule{{Product: "Windows Defender Firewall", Name: "Block \x1b[2JSpotify", Action: "block", Target: `C:\Users\Ana\AppData\Roaming\Spotify\Spotify.exe`}}, []string{"Norton 360", "Norton 360", "\u202eevil"}, nil
		},
		Connections: func() *diagnosis.AppConnections {
			return &diagnosis.AppConnections{Running: true, Stalled: 1, Remotes: []string{"35.186.224.24:4070"}}
		}}
	app, errs := readApp(full, func(string) string { return "/home/ana" })
	if app == nil || len(errs) != 0 {
		t.Fatalf("readApp = %+v, %v", app, errs)
	}
	if len(app.Rules) != 1 || app.Rules[0].Name != "Block Spotify" {
		t.Errorf("rules = %+v, want the name cleaned", app.Rules)
	}
	if strings.Join(app.Suites, "|") != "Norton 360|evil" {
		t.Errorf("suites = %q", app.Suites)
	}
	if app.Connections == nil || app.Connections.Stalled != 1 {
		t.Errorf("connections = %+v", app.Connections)
	}
}

// putTestFile copies the testdata file from to path under root, making its directories.
func putTestFile(t *testing.T, root, path, from string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	full := rooted(root, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
