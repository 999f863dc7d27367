package diagnosis

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAppBlocked: a rule against the Spotify app is decisive even when every network probe
// works (it wins over ok); the app's own stalled connections count only while Spotify works for
// spotwatch and nothing of the app's connects; the suites installed are named in the fixes of
// the causes a suite could explain.
func TestAppBlocked(t *testing.T) {
	apOK := ok(ap(apHost+":4070", apIP+":4070"))
	apiOK := ok(spotifyHTTPS(apiURL, apiAddr, 401))
	healthy := withRefs(apOK, apiOK)
	rule := AppRule{Product: "OpenSnitch", Where: "/etc/opensnitchd/rules/deny-spotify.json", Name: "deny-spotify", Action: "deny", Target: "/usr/share/spotify/spotify"}
	with := func(app *App) Facts {
		f := healthyFacts()
		f.App = app
		return f
	}
	stalled := &AppConnections{Running: true, PIDs: []int{4242}, Stalled: 2, Remotes: []string{"35.186.224.24:4070", "35.186.224.24:443"}}
	someOpen := *stalled
	someOpen.Established = 3
	notRunning := *stalled
	notRunning.Running = false
	dropped := withRefs(fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"), fail(ap(apHost+":443", apIP+":443"), "generic_timeout_error", "connect"), fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "connect"))

	tests := []struct {
		name     string
		rep      Report
		cause    Cause
		summary  string // a fragment of the summary
		evidence string // a fragment of some evidence line
	}{
		{"a rule while the network is fine", report(with(&App{Rules: []AppRule{rule}}), healthy...), CauseAppBlocked, "OpenSnitch rule 'deny-spotify'", "/etc/opensnitchd/rules/deny-spotify.json: deny /usr/share/spotify/spotify"},
		{"a rule while Spotify fails too", report(with(&App{Rules: []AppRule{rule}}), dropped...), CauseAppBlocked, "deny-spotify", "deny-spotify"},
		{"stalled app, Spotify works", report(with(&App{Connections: stalled}), healthy...), CauseAppBlocked, "35.186.224.24:4070", "35.186.224.24:443"},
		{"stalled app, some connections open", report(with(&App{Connections: &someOpen}), healthy...), CauseOK, "reachable from this computer", ""},
		{"app not running", report(with(&App{Connections: &notRunning}), healthy...), CauseOK, "reachable from this computer", ""},
		{"stalled app, Spotify fails for spotwatch too: the network explains it", report(with(&App{Connections: stalled}), dropped...), CauseFirewallDrop, "", ""},
		{"suites only", report(with(&App{Suites: []string{"Norton 360"}}), healthy...), CauseOK, "reachable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Classify(tt.rep)
			if d.Cause != tt.cause || d.Code != tt.cause.Code() {
				t.Fatalf("Classify = %d %s, want %d %s\nevidence:\n  %s", d.Code, d.Cause, tt.cause.Code(), tt.cause, strings.Join(d.Evidence, "\n  "))
			}
			if !strings.Contains(d.Summary, tt.summary) {
				t.Errorf("summary %q does not mention %q", d.Summary, tt.summary)
			}
			if !slices.ContainsFunc(d.Evidence, func(l string) bool { return strings.Contains(l, tt.evidence) }) {
				t.Errorf("no evidence line mentions %q:\n  %s", tt.evidence, strings.Join(d.Evidence, "\n  "))
			}
			if len(d.Fix) == 0 {
				t.Errorf("no fix")
			}
		})
	}

	// The suites are named where a suite could explain the failure, and nowhere else.
	suites := &App{Suites: []string{"Norton 360", "Bitdefender"}}
	for _, tt := range []struct {
		name  string
		rep   Report
		cause Cause
		named bool
	}{
		{"ok", report(with(suites), healthy...), CauseOK, true},
		{"firewall drop", report(with(suites), dropped...), CauseFirewallDrop, true},
		{"firewall reject", report(with(suites), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "connection_refused", "connect"))...), CauseFirewallReject, true},
		{"unknown", report(with(suites), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "unknown_failure: odd", "connect"))...), CauseUnknown, true},
		{"stalled app", report(with(&App{Suites: suites.Suites, Connections: stalled}), healthy...), CauseAppBlocked, true},
		{"sni filtered: a network filter, not a program rule", report(with(suites), withRefs(apOK, fail(spotifyHTTPS(apiURL, apiAddr, 0), "connection_reset", "tls"),
			ok(Probe{Name: "tls neutral", Kind: KindTLS, Role: RoleControl, Target: apiAddr, Detail: Detail{Addr: apiAddr, SNI: neutralSNI}}))...), CauseSNIFiltered, false},
	} {
		t.Run("suites/"+tt.name, func(t *testing.T) {
			d := Classify(tt.rep)
			if d.Cause != tt.cause {
				t.Fatalf("Classify = %s, want %s", d.Cause, tt.cause)
			}
			fix := strings.Join(d.Fix, "\n")
			if named := strings.Contains(fix, "Norton 360 and Bitdefender"); named != tt.named {
				t.Errorf("suites named = %v, want %v:\n%s", named, tt.named, fix)
			}
		})
	}
}

// TestAppRuleFixes: each product's rule gets its own fix, naming where the rule is.
func TestAppRuleFixes(t *testing.T) {
	for _, tt := range []struct {
		rule AppRule
		goos string
		want string
	}{
		{AppRule{Product: "OpenSnitch", Where: "/etc/opensnitchd/rules/deny-spotify.json", Name: "deny-spotify", Action: "deny"}, "linux", "OpenSnitch rule 'deny-spotify' in /etc/opensnitchd/rules/deny-spotify.json: delete it or change its action to allow"},
		{AppRule{Product: "Flatpak", Where: "/home/ana/.local/share/flatpak/overrides/com.spotify.Client", Action: "no network"}, "linux", "`flatpak override --user --reset com.spotify.Client`"},
		{AppRule{Product: "Flatpak", Where: "/var/lib/flatpak/overrides/com.spotify.Client", Action: "no network"}, "linux", "`sudo flatpak override --reset com.spotify.Client`"},
		{AppRule{Product: "snap", Where: "snap connections spotify", Action: "no network", Target: "spotify"}, "linux", "`sudo snap connect spotify:network`"},
		{AppRule{Product: "firejail", Where: "/etc/firejail/spotify.local", Action: "no network", Target: "spotify"}, "linux", "remove the `net none` line"},
		{AppRule{Product: "Windows Defender Firewall", Name: "X", Action: "block", Target: "Spotify.exe"}, "windows", "Windows Defender Firewall blocks Spotify.exe (rule 'X'): Settings > Privacy & security > Windows Security > Firewall & network protection > Allow an app through firewall"},
		{AppRule{Product: "LuLu", Action: "block", Target: "/Applications/Spotify.app"}, "darwin", "open LuLu's rules"},
	} {
		_, _, steps := Describe(CauseAppBlocked, Findings{AppRules: []AppRule{tt.rule}}, tt.goos)
		if !strings.Contains(strings.Join(steps, "\n"), tt.want) {
			t.Errorf("%s rule: steps do not say %q:\n%s", tt.rule.Product, tt.want, strings.Join(steps, "\n"))
		}
	}
}

// appHealthy are the probes of a healthy network, appDropped those of one that drops
// everything; withApp is a healthy machine's facts with app.
func appHealthy() []Probe {
	return withRefs(ok(ap(apHost+":4070", apIP+":4070")), ok(spotifyHTTPS(apiURL, apiAddr, 401)))
}

func appDropped() []Probe {
	return withRefs(fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"), fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "connect"))
}

func withApp(app *App) Facts {
	f := healthyFacts()
	f.App = app
	return f
}

// TestAppFixGolden renders the ok verdict's variants that the app's context makes, per OS, into
// testdata/appfixes: Spotify not installed, and the security suites installed named with where
// their program rules are (-update rewrites them, like TestFixGolden).
func TestAppFixGolden(t *testing.T) {
	dir := filepath.Join("testdata", "appfixes")
	searched := map[string][]string{
		"linux":   {"/usr/share/spotify/spotify", "/opt/spotify/spotify", "/usr/bin/spotify", "/var/lib/flatpak/app/com.spotify.Client/current/active", "/home/ana/.local/share/flatpak/app/com.spotify.Client/current/active", "/snap/spotify/current"},
		"windows": {`C:\Users\Ana\AppData\Roaming\Spotify\Spotify.exe`, `C:\Users\Ana\AppData\Local\Packages\SpotifyAB.SpotifyMusic_zpdnekdrzrea0`},
		"darwin":  {"/Applications/Spotify.app", "/Users/ana/Applications/Spotify.app"},
	}
	suites := map[string][]string{
		"linux":   nil,
		"windows": {"Norton 360", "Windows Defender"},
		"darwin":  {"LuLu", "Little Snitch"},
	}
	for _, goos := range goosList {
		for name, app := range map[string]*App{
			"ok_not_installed": {Install: &AppInstall{Searched: searched[goos]}, Suites: suites[goos]},
			"ok_suites":        {Suites: suites[goos], Install: &AppInstall{Installed: true, Kind: "app"}},
		} {
			file := name + "_" + goos + ".golden"
			t.Run(file, func(t *testing.T) {
				d := Classify(report(withApp(app), appHealthy()...))
				if d.Cause != CauseOK {
					t.Fatalf("Classify = %s, want ok", d.Cause)
				}
				f := Findings{Suites: app.Suites}
				if !app.Install.Installed {
					f.Install = app.Install
				}
				got := render(CauseOK, f, goos)
				path := filepath.Join(dir, file)
				if *updateFixes {
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				golden, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("reading golden file (rerun with -update to create it): %v", err)
				}
				if got != string(golden) {
					t.Errorf("%s differs (rerun with -update if the change is intended)\n--- got\n%s--- want\n%s", path, got, golden)
				}
				// Classify gives the report the same texts.
				if wantTitle, _, _ := Describe(CauseOK, f, ""); d.Title != wantTitle {
					t.Errorf("Classify's title %q, want %q", d.Title, wantTitle)
				}
			})
		}
	}
}

// TestNotInstalled: the ok verdict says plainly that Spotify is not installed, and only then.
func TestNotInstalled(t *testing.T) {
	for _, tt := range []struct {
		name    string
		install *AppInstall
		want    bool
	}{
		{"not installed", &AppInstall{Searched: []string{"/usr/share/spotify/spotify"}}, true},
		{"installed", &AppInstall{Installed: true, Kind: "deb"}, false},
		{"not known", nil, false},
	} {
		d := Classify(report(withApp(&App{Install: tt.install}), appHealthy()...))
		says := strings.Contains(d.Summary, "not installed") && strings.Contains(d.Fix[0], "Install Spotify") && d.Short == "reachable, app not installed"
		if d.Cause != CauseOK || says != tt.want {
			t.Errorf("%s: %s, says not installed = %v, want %v\n%s\n%s", tt.name, d.Cause, says, tt.want, d.Summary, strings.Join(d.Fix, "\n"))
		}
	}
	// A network fault wins: no word of the installation then.
	d := Classify(report(withApp(&App{Install: &AppInstall{}}), appDropped()...))
	if d.Cause == CauseOK || strings.Contains(d.Summary, "not installed") {
		t.Errorf("dropped network, not installed: %s, %s", d.Cause, d.Summary)
	}
}

// TestSuitePlace: each product Security Center or macfw names is told where its program rules
// are, recognised by a whole word of its name.
func TestSuitePlace(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"Norton 360", "Program Control"},
		{"Norton Security", "Program Control"},
		{"Kaspersky Internet Security", "Application rules"},
		{"ESET Security", "Firewall > Configure > Rules"},
		{"ESET Smart Security Premium", "Firewall > Configure > Rules"},
		{"Bitdefender Antivirus", "Protection > Firewall"},
		{"Avast Free Antivirus", "Protection > Firewall > Application rules"},
		{"AVG Internet Security", "Enhanced Firewall"},
		{"McAfee VirusScan", "Internet Connections for Programs"},
		{"Windows Defender", "Allow an app through firewall"},
		{"Microsoft Defender Antivirus", "Allow an app through firewall"},
		{"LuLu", "menu bar > Rules"},
		{"Little Snitch", "menu bar > Rules"},
		{"Preset Guard", ""}, // eset inside a word is not ESET
		{"Unknown Suite", ""},
		{"", ""},
	} {
		got := suitePlace(tt.name)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("suitePlace(%q) = %q, want it to say %q", tt.name, got, tt.want)
		}
	}
}
