package diagnosis

import (
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
