package probe_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// denySpotify is an OpenSnitch rule as its daemon writes it to /etc/opensnitchd/rules when the
// user answers "Deny" for Spotify's program, forever.
const denySpotify = `{
  "created": "2025-03-14T09:26:53.348120718+01:00",
  "updated": "2025-03-14T09:26:53.348167098+01:00",
  "name": "deny-spotify",
  "description": "",
  "action": "deny",
  "duration": "always",
  "operator": {
    "operand": "process.path",
    "data": "/usr/share/spotify/spotify",
    "type": "simple",
    "list": [],
    "sensitive": false
  },
  "enabled": true,
  "precedence": false,
  "nolog": false
}
`

// TestCheckAppBlocked: a full check against the healthy loopback world, with an OpenSnitch rule
// denying Spotify's program in the machine's root. Every network probe succeeds — OpenSnitch
// lets spotwatch through — and yet the verdict is Code 7 app_blocked, naming the rule: the
// answer "Spotify reachable" would be wrong while the app shows Error Code 7. Without the rule
// the same world is ok, saying plainly what "reachable" means and what is left to try.
func TestCheckAppBlocked(t *testing.T) {
	for _, withRule := range []bool{true, false} {
		name := "without the rule"
		if withRule {
			name = "OpenSnitch denies Spotify"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			root := t.TempDir()
			if withRule {
				dir := filepath.Join(root, "etc", "opensnitchd", "rules")
				mustDo(t, os.MkdirAll(dir, 0o755))
				mustDo(t, os.WriteFile(filepath.Join(dir, "deny-spotify.json"), []byte(denySpotify), 0o644))
			}
			checker, err := probe.New(w.Config(), probe.Options{
				SystemRoots: w.SystemRoots(),
				Getenv:      func(k string) string { return map[string]string{"HOME": "/home/ana"}[k] },
				Facts:       probe.FactsSource{PrefsFiles: []string{}, AppRoot: root},
				GOOS:        "linux",
			})
			if err != nil {
				t.Fatalf("NewChecker: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rep := checker.Check(ctx)
			for _, p := range rep.Probes {
				if !p.OK && p.Role == diagnosis.RoleSpotify && p.Kind != diagnosis.KindDNS {
					t.Errorf("a Spotify probe failed in the healthy world: %s %s", p.Name, p.Failure)
				}
			}
			d := diagnosis.Classify(rep)
			if !withRule {
				if d.Cause != diagnosis.CauseOK || rep.Facts.App != nil {
					t.Fatalf("got %s (app %+v), want ok and no app context\nevidence:\n  %s", d.Cause, rep.Facts.App, strings.Join(d.Evidence, "\n  "))
				}
				if !strings.Contains(d.Summary, "Spotify's servers are reachable from this computer") {
					t.Errorf("ok summary %q does not say plainly what is reachable", d.Summary)
				}
				fix := strings.Join(d.Fix, "\n")
				for _, want := range []string{"start it again", "security software's program rules", "reinstall Spotify"} {
					if !strings.Contains(fix, want) {
						t.Errorf("ok fix does not say %q:\n%s", want, fix)
					}
				}
				return
			}
			if d.Cause != diagnosis.CauseAppBlocked || d.Code != diagnosis.CodeBlocked {
				t.Fatalf("got %d %s, want 7 app_blocked\nsummary: %s\nevidence:\n  %s\nprobes:\n%s", d.Code, d.Cause, d.Summary, strings.Join(d.Evidence, "\n  "), probesText(rep))
			}
			want := "OpenSnitch rule 'deny-spotify' in /etc/opensnitchd/rules/deny-spotify.json"
			if !strings.Contains(d.Summary, want) || !strings.Contains(d.Summary, "/usr/share/spotify/spotify") {
				t.Errorf("summary %q does not name %s", d.Summary, want)
			}
			if !strings.Contains(strings.Join(d.Evidence, "\n"), want+": deny /usr/share/spotify/spotify") {
				t.Errorf("evidence does not name the rule:\n  %s", strings.Join(d.Evidence, "\n  "))
			}
			if !strings.Contains(strings.Join(d.Fix, "\n"), "delete it or change its action to allow") {
				t.Errorf("fix does not say how to remove the rule:\n%s", strings.Join(d.Fix, "\n"))
			}
			if d.Title != "OpenSnitch blocks the Spotify app" {
				t.Errorf("title %q", d.Title)
			}
		})
	}
}

// TestCheckAppInstallBroken: a full check against the healthy loopback world, with the Spotify
// Flatpak installed in the machine's root and its prefs file full of binary garbage. Every
// network probe succeeds, and the verdict is Code 7 app_install_broken, naming the prefs file
// and giving the Flatpak's reinstall steps.
func TestCheckAppInstallBroken(t *testing.T) {
	w := newWorld(t)
	root := t.TempDir()
	active := filepath.Join(root, "var", "lib", "flatpak", "app", "com.spotify.Client", "current", "active")
	mustDo(t, os.MkdirAll(active, 0o755))
	garbage, err := os.ReadFile(filepath.Join("testdata", "app", "install", "prefs-binary"))
	mustDo(t, err)
	prefs := filepath.Join(root, "home", "ana", ".var", "app", "com.spotify.Client", "config", "spotify")
	mustDo(t, os.MkdirAll(prefs, 0o755))
	mustDo(t, os.WriteFile(filepath.Join(prefs, "prefs"), garbage, 0o644))
	checker, err := probe.New(w.Config(), probe.Options{
		SystemRoots: w.SystemRoots(),
		Getenv:      func(k string) string { return map[string]string{"HOME": "/home/ana"}[k] },
		Facts:       probe.FactsSource{PrefsFiles: []string{}, AppRoot: root},
		GOOS:        "linux",
	})
	if err != nil {
		t.Fatalf("NewChecker: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep := checker.Check(ctx)
	d := diagnosis.Classify(rep)
	if d.Cause != diagnosis.CauseAppInstallBroken || d.Code != diagnosis.CodeBlocked {
		t.Fatalf("got %d %s, want 7 app_install_broken\nsummary: %s\nevidence:\n  %s\nprobes:\n%s", d.Code, d.Cause, d.Summary, strings.Join(d.Evidence, "\n  "), probesText(rep))
	}
	problem := "the prefs file /home/ana/.var/app/com.spotify.Client/config/spotify/prefs does not parse"
	if !strings.Contains(d.Summary, problem) || !strings.Contains(d.Summary, "Flatpak at /var/lib/flatpak/app/com.spotify.Client/current/active") {
		t.Errorf("summary %q does not name the Flatpak and %s", d.Summary, problem)
	}
	if !strings.Contains(strings.Join(d.Evidence, "\n"), problem) {
		t.Errorf("evidence does not name the problem:\n  %s", strings.Join(d.Evidence, "\n  "))
	}
	if !strings.Contains(strings.Join(d.Fix, "\n"), "`flatpak uninstall com.spotify.Client && flatpak install flathub com.spotify.Client`") {
		t.Errorf("fix does not give the Flatpak's reinstall steps:\n%s", strings.Join(d.Fix, "\n"))
	}
	if in := rep.Facts.App.Install; in == nil || in.Kind != "Flatpak" {
		t.Errorf("install = %+v", in)
	}
}
