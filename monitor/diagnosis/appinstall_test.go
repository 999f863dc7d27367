package diagnosis

import (
	"strings"
	"testing"
)

// TestAppInstallBroken: a broken installation is the verdict only while Spotify works for
// spotwatch (it wins over ok); a broken network names its own cause; a rule against the app wins
// over the installation; a sound installation is no cause at all.
func TestAppInstallBroken(t *testing.T) {
	apOK := ok(ap(apHost+":4070", apIP+":4070"))
	apiOK := ok(spotifyHTTPS(apiURL, apiAddr, 401))
	healthy := withRefs(apOK, apiOK)
	dropped := withRefs(fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"), fail(ap(apHost+":443", apIP+":443"), "generic_timeout_error", "connect"), fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "connect"))
	with := func(app *App) Facts {
		f := healthyFacts()
		f.App = app
		return f
	}
	broken := &AppInstall{Installed: true, Kind: "Flatpak", Path: "/var/lib/flatpak/app/com.spotify.Client/current/active", Version: "1.2.53.440",
		Problems: []string{"the prefs file /home/ana/.var/app/com.spotify.Client/config/spotify/prefs does not parse (line 1)"}}
	sound := &AppInstall{Installed: true, Kind: "deb", Path: "/usr/share/spotify/spotify"}
	rule := AppRule{Product: "OpenSnitch", Where: "/etc/opensnitchd/rules/deny-spotify.json", Name: "deny-spotify", Action: "deny", Target: "/usr/share/spotify/spotify"}
	tests := []struct {
		name  string
		rep   Report
		cause Cause
	}{
		{"broken, Spotify works", report(with(&App{Install: broken}), healthy...), CauseAppInstallBroken},
		{"broken, the network drops Spotify", report(with(&App{Install: broken}), dropped...), CauseFirewallDrop},
		{"broken and a rule against the app", report(with(&App{Install: broken, Rules: []AppRule{rule}}), healthy...), CauseAppBlocked},
		{"sound installation", report(with(&App{Install: sound}), healthy...), CauseOK},
		{"not installed", report(with(&App{Install: &AppInstall{Installed: false, Problems: []string{"x"}}}), healthy...), CauseOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Classify(tt.rep)
			if d.Cause != tt.cause {
				t.Fatalf("cause = %s, want %s\nevidence:\n  %s", d.Cause, tt.cause, strings.Join(d.Evidence, "\n  "))
			}
			if tt.cause != CauseAppInstallBroken {
				return
			}
			if d.Code != CodeBlocked || !strings.Contains(d.Summary, "does not parse (line 1)") {
				t.Errorf("code %d, summary %q", d.Code, d.Summary)
			}
			want := "Flatpak at /var/lib/flatpak/app/com.spotify.Client/current/active, version 1.2.53.440: the prefs file"
			if !strings.Contains(strings.Join(d.Evidence, "\n"), want) {
				t.Errorf("evidence does not name the problem:\n  %s", strings.Join(d.Evidence, "\n  "))
			}
			if !strings.Contains(strings.Join(d.Fix, "\n"), "`flatpak uninstall com.spotify.Client && flatpak install flathub com.spotify.Client`") {
				t.Errorf("fix:\n%s", strings.Join(d.Fix, "\n"))
			}
		})
	}
}

// TestReinstallSteps: each kind of installation gets the steps that fit it.
func TestReinstallSteps(t *testing.T) {
	for _, tt := range []struct{ kind, goos, want string }{
		{"snap", "linux", "`sudo snap remove spotify && sudo snap install spotify`"},
		{"deb", "linux", "`sudo apt-get install --reinstall spotify-client`"},
		{"tarball", "linux", "download it again"},
		{"desktop", "windows", `%APPDATA%\Spotify`},
		{"Microsoft Store", "windows", "Advanced options and click Repair"},
		{"app", "darwin", "~/Library/Application Support/Spotify"},
	} {
		f := Findings{Install: &AppInstall{Installed: true, Kind: tt.kind, Problems: []string{"the cache folder x is not writable"}}}
		_, _, steps := Describe(CauseAppInstallBroken, f, tt.goos)
		if !strings.Contains(strings.Join(steps, "\n"), tt.want) {
			t.Errorf("%s on %s: steps do not say %q:\n%s", tt.kind, tt.goos, tt.want, strings.Join(steps, "\n"))
		}
	}
}
