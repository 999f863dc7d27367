package diagnosis

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var updateFixes = flag.Bool("update", false, "rewrite the golden files in testdata/fixes")

var goosList = []string{"windows", "darwin", "linux"}

// declaredCauses reads the Cause constants from report.go, so a cause added there without a
// catalogue entry fails the tests.
func declaredCauses(t *testing.T) []Cause {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "report.go", nil, 0)
	if err != nil {
		t.Fatalf("parsing report.go: %v", err)
	}
	var causes []Cause
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Cause" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("Cause constant with a non-literal value: %#v", v)
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("unquoting %s: %v", lit.Value, err)
				}
				causes = append(causes, Cause(s))
			}
		}
	}
	if len(causes) < 18 {
		t.Fatalf("found only %d Cause constants in report.go: %v", len(causes), causes)
	}
	return causes
}

// realistic returns Findings as Classify would fill them for cause on goos.
func realistic(cause Cause, goos string) Findings {
	aps := []string{"ap-gae2.spotify.com:4070", "ap-gae2.spotify.com:443", "ap-gae2.spotify.com:80", "api.spotify.com:443"}
	hosts, prefs, vpn := "/etc/hosts", "/home/ana/.config/spotify/prefs", "wg0"
	switch goos {
	case "windows":
		hosts, prefs, vpn = `C:\Windows\System32\drivers\etc\hosts`, `C:\Users\Ana\AppData\Roaming\Spotify\prefs`, "NordLynx"
	case "darwin":
		prefs, vpn = "/Users/ana/Library/Application Support/Spotify/prefs", "utun4"
	}
	switch cause {
	case CauseDegraded:
		return Findings{Parts: []string{"port 4070", "IPv6"}}
	case CauseCaptivePortal:
		return Findings{PortalURL: "http://wifi.example.net/login?dst=generate_204"}
	case CauseInternetDown:
		return Findings{Failure: "generic_timeout_error"}
	case CauseDNSDown:
		return Findings{Resolver: "192.168.1.1:53", Failure: "dns_timeout"}
	case CauseHostsFile:
		return Findings{
			Names: []string{"apresolve.spotify.com", "ap.spotify.com"},
			HostsEntries: []HostsEntry{
				{File: hosts, Line: 212, Addr: "0.0.0.0", Name: "apresolve.spotify.com"},
				{File: hosts, Line: 213, Addr: "0.0.0.0", Name: "ap.spotify.com"},
			},
		}
	case CauseAppInstallBroken:
		switch goos {
		case "windows":
			return Findings{Install: &AppInstall{Installed: true, Kind: "Microsoft Store", Path: `C:\Users\Ana\AppData\Local\Packages\SpotifyAB.SpotifyMusic_zpdnekdrzrea0`,
				Problems: []string{`the cache folder C:\Users\Ana\AppData\Local\Packages\SpotifyAB.SpotifyMusic_zpdnekdrzrea0\LocalCache\Spotify\Data is not writable`}}}
		case "darwin":
			return Findings{Install: &AppInstall{Installed: true, Kind: "app", Path: "/Applications/Spotify.app", Version: "1.2.53.440",
				Problems: []string{"the cache folder /Users/ana/Library/Caches/com.spotify.client is not writable", "the disk holding /Users/ana/Library/Caches/com.spotify.client has only 42 MB free"}}}
		}
		return Findings{Install: &AppInstall{Installed: true, Kind: "Flatpak", Path: "/var/lib/flatpak/app/com.spotify.Client/current/active", Version: "1.2.53.440",
			Problems: []string{"the prefs file /home/ana/.var/app/com.spotify.Client/config/spotify/prefs does not parse (line 1)"}}}
	case CauseAppBlocked:
		switch goos {
		case "windows":
			return Findings{
				AppRules: []AppRule{{Product: "Windows Defender Firewall", Where: `HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules`,
					Name: "Block Spotify", Action: "block", Target: `C:\Users\Ana\AppData\Roaming\Spotify\Spotify.exe`}},
				Suites: []string{"Norton 360"},
			}
		case "darwin":
			return Findings{AppRules: []AppRule{{Product: "LuLu", Where: "/Library/Objective-See/LuLu/rules.plist", Action: "block", Target: "/Applications/Spotify.app"}}}
		}
		return Findings{AppRules: []AppRule{
			{Product: "OpenSnitch", Where: "/etc/opensnitchd/rules/deny-spotify.json", Name: "deny-spotify", Action: "deny", Target: "/usr/share/spotify/spotify"},
			{Product: "Flatpak", Where: "/home/ana/.local/share/flatpak/overrides/com.spotify.Client", Action: "no network", Target: "com.spotify.Client"},
		}}
	case CauseDNSFailure:
		return Findings{
			Names:       []string{"apresolve.spotify.com", "ap.spotify.com", "spclient.wg.spotify.com", "api.spotify.com", "login5.spotify.com"},
			Resolver:    "192.168.1.1:53",
			Failure:     "dns_nxdomain",
			PublicAddrs: []string{"35.186.224.24"},
		}
	case CauseDNSFiltered:
		return Findings{
			Names:       []string{"apresolve.spotify.com"},
			SystemAddrs: []string{"0.0.0.0"},
			PublicAddrs: []string{"35.186.224.24"},
			Resolver:    "system",
			Failure:     "dns_bogon",
		}
	case CauseProxyBlocked:
		return Findings{Proxy: &Proxy{URL: "http://10.0.0.1:3128", Source: "Spotify prefs " + prefs}, Status: 403}
	case CauseFirewallReject:
		failure := "connection_refused"
		if goos == "windows" {
			failure = "permission_denied"
		}
		return Findings{Endpoints: aps, Failure: failure}
	case CauseFirewallDrop:
		return Findings{Endpoints: aps, Failure: "generic_timeout_error"}
	case CauseSNIFiltered:
		return Findings{Names: []string{"api.spotify.com", "spclient.wg.spotify.com"}, Failure: "connection_reset"}
	case CauseTLSIntercepted:
		return Findings{
			Endpoints: []string{"https://api.spotify.com/v1/me"},
			Product:   "Kaspersky",
			Issuer:    "Kaspersky Anti-Virus Personal Root Certificate",
		}
	case CauseBlockPage:
		return Findings{Endpoints: []string{"https://api.spotify.com/v1/me"}, Product: "FortiGuard", Status: 403}
	case CauseVPNBlocked:
		return Findings{VPN: vpn, Endpoints: aps[:3], Failure: "generic_timeout_error"}
	case CauseSpotifyOutage:
		return Findings{Names: []string{"api.spotify.com", "spclient.wg.spotify.com"}, Status: 503}
	case CauseUnknown:
		return Findings{Endpoints: []string{"api.spotify.com:443"}, Failure: "eof_error"}
	}
	return Findings{}
}

// render is the golden-file form of one description.
func render(cause Cause, f Findings, goos string) string {
	title, summary, steps := Describe(cause, f, goos)
	var b strings.Builder
	fmt.Fprintf(&b, "title: %s\nshort: %s\nsummary: %s\nsteps:\n", title, ShortCause(cause, f), summary)
	for i, s := range steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s)
	}
	return b.String()
}

func TestCatalogueCoversEveryCause(t *testing.T) {
	causes := declaredCauses(t)
	for _, c := range causes {
		if info, ok := causeInfo(c); !ok || info.texts.title == nil || !info.Diagnosis {
			t.Errorf("cause %q has no catalogue entry in the cause table", c)
		}
	}
	diagnoses := 0
	for _, info := range Causes() {
		if info.Diagnosis {
			diagnoses++
		}
	}
	if diagnoses != len(causes) {
		t.Errorf("the cause table has %d diagnoses, report.go declares %d causes", diagnoses, len(causes))
	}
	for _, c := range causes {
		for _, goos := range goosList {
			t.Run(string(c)+"/"+goos, func(t *testing.T) {
				for name, f := range map[string]Findings{"realistic": realistic(c, goos), "empty": {}} {
					title, summary, steps := Describe(c, f, goos)
					if title == "" || summary == "" || ShortCause(c, f) == "" {
						t.Errorf("%s findings: empty title %q, summary %q or short cause %q", name, title, summary, ShortCause(c, f))
					}
					if c != CauseOK && len(steps) == 0 {
						t.Errorf("%s findings: no fix steps", name)
					}
				}
			})
		}
	}
}

func TestFixGolden(t *testing.T) {
	dir := filepath.Join("testdata", "fixes")
	if *updateFixes {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("creating %s: %v", dir, err)
		}
	}
	want := map[string]bool{}
	for _, c := range declaredCauses(t) {
		for _, goos := range goosList {
			name := string(c) + "_" + goos + ".golden"
			want[name] = true
			t.Run(name, func(t *testing.T) {
				got := render(c, realistic(c, goos), goos)
				path := filepath.Join(dir, name)
				if *updateFixes {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatalf("writing %s: %v", path, err)
					}
					return
				}
				golden, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("reading golden file (run `go test ./monitor -run TestFixGolden -update` to create it): %v", err)
				}
				if got != string(golden) {
					t.Errorf("%s differs (rerun with -update if the change is intended)\n--- got\n%s--- want\n%s", path, got, golden)
				}
			})
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("stale golden file %s: no cause and OS produce it", filepath.Join(dir, e.Name()))
		}
	}
}

// badText are fragments that show a sentence was assembled from a missing finding.
var badText = []string{"  ", "()", "( ", " )", " .", " ,", " ;", " :", "for .", "to .", "at .", ",.", ";.", "..", "%!", "<nil>", "``", `""`, "line 0", " and more"}

var numbered = regexp.MustCompile(`^\s*(\d+[.)]|[-*•])\s`)

func checkClean(t *testing.T, what, s string) {
	t.Helper()
	if s == "" || strings.TrimSpace(s) != s {
		t.Errorf("%s is empty or padded: %q", what, s)
	}
	for _, bad := range badText {
		if strings.Contains(s, bad) {
			t.Errorf("%s contains %q: %q", what, bad, s)
		}
	}
}

func checkDescription(t *testing.T, c Cause, f Findings, goos string) {
	t.Helper()
	title, summary, steps := Describe(c, f, goos)
	short := ShortCause(c, f)
	checkClean(t, "title", title)
	checkClean(t, "short cause", short)
	checkClean(t, "summary", summary)
	if strings.HasSuffix(title, ".") || strings.HasSuffix(short, ".") {
		t.Errorf("title %q or short cause %q ends with a period", title, short)
	}
	if title != "" && strings.ToUpper(title[:1]) != title[:1] {
		t.Errorf("title %q does not start with a capital", title)
	}
	if n := len("Spotify Error Code 7 — " + short); n > 64 {
		t.Errorf("notification title with short cause %q is %d bytes, want at most 64", short, n)
	}
	if summary != "" && strings.ToUpper(summary[:1]) != summary[:1] {
		t.Errorf("summary %q does not start with a capital", summary)
	}
	if !strings.HasSuffix(summary, ".") || strings.Contains(summary, ". ") {
		t.Errorf("summary is not one sentence ending in a period: %q", summary)
	}
	for i, s := range steps {
		what := fmt.Sprintf("step %d", i+1)
		checkClean(t, what, s)
		if !strings.HasSuffix(s, ".") {
			t.Errorf("%s does not end with a period: %q", what, s)
		}
		if numbered.MatchString(s) {
			t.Errorf("%s carries its own number or bullet: %q", what, s)
		}
	}
}

// TestDescriptionsReadCleanly checks every cause and OS with realistic, empty and half-filled
// Findings: no text may show a hole where a finding was missing.
func TestDescriptionsReadCleanly(t *testing.T) {
	sparse := Findings{
		Names:        []string{""},
		HostsEntries: []HostsEntry{{}},
		SystemAddrs:  []string{""},
		Proxy:        &Proxy{},
		Parts:        []string{""},
		Endpoints:    []string{"", ""},
		Failure:      "unknown_failure: something odd",
	}
	for _, c := range append(declaredCauses(t), "no_such_cause") {
		for _, goos := range append(goosList, "freebsd") {
			for name, f := range map[string]Findings{"realistic": realistic(c, goos), "empty": {}, "sparse": sparse} {
				t.Run(string(c)+"/"+goos+"/"+name, func(t *testing.T) {
					checkDescription(t, c, f, goos)
				})
			}
		}
	}
}

func TestSummaries(t *testing.T) {
	tests := []struct {
		cause Cause
		f     Findings
		want  string
	}{
		{CauseDNSFiltered, realistic(CauseDNSFiltered, "linux"),
			"Your DNS server answers 0.0.0.0 for apresolve.spotify.com; a public resolver gives 35.186.224.24."},
		{CauseDNSFiltered, Findings{},
			"Your DNS server answers a blocking address for Spotify's names; a public resolver answers correctly."},
		{CauseHostsFile, Findings{HostsEntries: []HostsEntry{{File: "/etc/hosts", Line: 212, Addr: "0.0.0.0", Name: "apresolve.spotify.com"}}},
			"Your hosts file /etc/hosts line 212 maps apresolve.spotify.com to 0.0.0.0."},
		{CauseHostsFile, realistic(CauseHostsFile, "linux"),
			"Your hosts file /etc/hosts maps apresolve.spotify.com and ap.spotify.com to 0.0.0.0 (lines 212 and 213)."},
		{CauseHostsFile, Findings{HostsEntries: manyHostsEntries(5)},
			"Your hosts file /etc/hosts maps a0.spotify.com, a1.spotify.com, a2.spotify.com and 2 more to 0.0.0.0 (lines 100, 101, 102 and 2 more)."},
		{CauseHostsFile, Findings{},
			"Your hosts file maps Spotify's names to a wrong address."},
		{CauseProxyBlocked, realistic(CauseProxyBlocked, "linux"),
			"Your proxy http://10.0.0.1:3128 (set in Spotify's prefs /home/ana/.config/spotify/prefs) refuses Spotify with HTTP 403."},
		{CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "http://10.0.0.1:3128", Source: "HTTPS_PROXY environment variable"}, Failure: "generic_timeout_error"},
			"Your proxy http://10.0.0.1:3128 (set by the HTTPS_PROXY environment variable) does not answer."},
		{CauseProxyBlocked, Findings{},
			"A proxy does not let Spotify through."},
		{CauseFirewallDrop, realistic(CauseFirewallDrop, "linux"),
			"Connections to Spotify (ap-gae2.spotify.com:4070, ap-gae2.spotify.com:443, ap-gae2.spotify.com:80 and 1 more) time out while other sites answer."},
		{CauseFirewallDrop, Findings{},
			"Connections to Spotify time out while other sites answer."},
		{CauseFirewallReject, Findings{Endpoints: []string{"ap.spotify.com:4070"}, Failure: "connection_reset"},
			"Connections to Spotify (ap.spotify.com:4070) are reset while other sites answer."},
		{CauseDNSFailure, Findings{Names: []string{"apresolve.spotify.com"}, Failure: "dns_servfail", Resolver: "[2001:db8::53]:53", PublicAddrs: []string{"35.186.224.24", "35.186.224.25"}},
			"Your DNS server 2001:db8::53 fails (SERVFAIL) for apresolve.spotify.com; a public resolver gives 35.186.224.24 and 35.186.224.25."},
		{CauseTLSIntercepted, realistic(CauseTLSIntercepted, "linux"),
			`The certificate for api.spotify.com is issued by "Kaspersky Anti-Virus Personal Root Certificate", not by a public certificate authority.`},
		{CauseBlockPage, Findings{Product: "OpenDNS", Endpoints: []string{"https://api.spotify.com/v1/me", "https://spclient.wg.spotify.com/", "api.spotify.com:443"}},
			"An OpenDNS block page answers for api.spotify.com and spclient.wg.spotify.com instead of Spotify."},
		{CauseTLSIntercepted, Findings{Product: "Zscaler", Endpoints: []string{"https://api.spotify.com/v1/me"}},
			"The certificate for api.spotify.com is issued by Zscaler, not by a public certificate authority."},
		{CauseSNIFiltered, Findings{Endpoints: []string{"[2001:db8::1]:443"}, Failure: "eof_error"},
			"Secure connections naming 2001:db8::1 are cut off, while the same server answers to another name."},
		{CauseBlockPage, Findings{},
			"A block page answers instead of Spotify."},
		{CauseDegraded, Findings{Parts: []string{"port 4070"}},
			"Spotify works, but port 4070 is blocked, so it falls back to port 443."},
		{CauseVPNBlocked, Findings{VPN: "wg0"},
			"Connections to Spotify fail through your VPN wg0, which carries this computer's internet traffic."},
		{CauseSpotifyOutage, Findings{Failure: "eof_error"},
			"Spotify's servers close connections at once while the way to them shows no interference."},
		{CauseCaptivePortal, Findings{PortalURL: "http://wifi.example.net/login"},
			"This network sends web requests to a sign-in page at http://wifi.example.net/login."},
		{CauseUnknown, Findings{},
			"Spotify fails while the internet works, and no known cause fits the evidence."},
	}
	for _, tt := range tests {
		t.Run(string(tt.cause), func(t *testing.T) {
			if _, got, _ := Describe(tt.cause, tt.f, "linux"); got != tt.want {
				t.Errorf("summary\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func manyHostsEntries(n int) []HostsEntry {
	var es []HostsEntry
	for i := range n {
		es = append(es, HostsEntry{File: "/etc/hosts", Line: 100 + i, Addr: "0.0.0.0", Name: fmt.Sprintf("a%d.spotify.com", i)})
	}
	return es
}

// TestArticleFixesAppear checks that every fix of the support article (spotify-error-7.txt)
// appears where it applies, for each OS.
func TestArticleFixesAppear(t *testing.T) {
	flush := map[string][]string{
		"windows": {"`ipconfig /flushdns`"},
		"darwin":  {"`sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder`"},
		"linux":   {"resolvectl flush-caches", "systemd-resolve --flush-caches", "restart nscd", "restart dnsmasq"},
	}
	reinstall := map[string][]string{
		"windows": {"reinstall Spotify cleanly", `%APPDATA%\Spotify`, `%LOCALAPPDATA%\Spotify`, "https://www.spotify.com/download"},
		"darwin":  {"reinstall Spotify cleanly", "~/Library/Application Support/Spotify", "~/Library/Caches/com.spotify.client"},
		"linux":   {"reinstall Spotify cleanly", "~/.config/spotify", "~/.cache/spotify", "flatpak uninstall com.spotify.Client"},
	}
	const (
		router    = "unplug it, wait 30 seconds"
		hotspot   = "phone's mobile hotspot"
		antivirus = "Temporarily turn off your antivirus or security software"
		exception = "add Spotify as a trusted exception"
		whitelist = "whitelist Spotify: outgoing TCP ports 4070, 443 and 80 to *.spotify.com, *.scdn.co and *.spotifycdn.com"
		status    = "@SpotifyStatus"
	)
	type need struct {
		causes []Cause
		all    []string            // on every OS
		byOS   map[string][]string // per OS
	}
	needs := []need{
		{causes: []Cause{CauseDNSDown, CauseDNSFailure, CauseDNSFiltered, CauseHostsFile, CauseUnknown}, byOS: flush},
		{causes: []Cause{CauseInternetDown, CauseDNSDown, CauseDNSFailure, CauseUnknown}, all: []string{router}},
		{causes: []Cause{CauseOK, CauseUnknown}, byOS: reinstall},
		{causes: []Cause{CauseFirewallDrop, CauseSNIFiltered, CauseBlockPage, CauseUnknown}, all: []string{hotspot}},
		{causes: []Cause{CauseFirewallReject, CauseFirewallDrop, CauseUnknown}, all: []string{antivirus, exception}},
		{causes: []Cause{CauseFirewallDrop, CauseUnknown}, all: []string{whitelist}},
		{causes: []Cause{CauseVPNBlocked}, all: []string{"Disconnect the VPN", "split-tunnel Spotify"}},
		{causes: []Cause{CauseSpotifyOutage, CauseUnknown}, all: []string{status, "https://downdetector.com/status/spotify/", "https://status.spotify.dev"}},
		{causes: []Cause{CauseTLSIntercepted}, all: []string{"Turn off HTTPS scanning in Kaspersky", "add an exception"}},
		{causes: []Cause{CauseCaptivePortal}, all: []string{"http://wifi.example.net/login?dst=generate_204", "http://neverssl.com"}},
		{causes: []Cause{CauseNoNetwork}, byOS: map[string][]string{"windows": {"Airplane mode off"}, "darwin": {"Wi-Fi icon"}, "linux": {"rfkill unblock"}}},
		{causes: []Cause{CauseHostsFile}, byOS: map[string][]string{
			"windows": {"Notepad as administrator", `C:\Windows\System32\drivers\etc\hosts`, "line 212 (`0.0.0.0 apresolve.spotify.com`)", "line 213"},
			"darwin":  {"`sudo nano +212 /etc/hosts`", "line 212 (`0.0.0.0 apresolve.spotify.com`)"},
			"linux":   {"`sudo nano +212 /etc/hosts`", "sudoedit", "line 213 (`0.0.0.0 ap.spotify.com`)"},
		}},
		{causes: []Cause{CauseDNSFiltered, CauseDNSFailure, CauseDNSDown}, byOS: map[string][]string{
			"windows": {"DNS server assignment"},
			"darwin":  {"System Settings > Network > Wi-Fi (or Ethernet) > Details > DNS"},
			"linux":   {"nmcli connection modify", "resolvectl dns"},
		}},
		{causes: []Cause{CauseDNSFiltered}, all: []string{"Pi-hole", "AdGuard Home", "NextDNS", "parental controls", "ask IT"}},
		{causes: []Cause{CauseProxyBlocked}, all: []string{"Proxy settings", "No proxy", "network.proxy"}},
		{causes: []Cause{CauseFirewallReject, CauseFirewallDrop}, byOS: map[string][]string{
			"windows": {"Allow an app through firewall", "Outbound Rules"},
			"darwin":  {"System Settings > Network > Firewall"},
			"linux":   {"sudo ufw", "firewall-cmd"},
		}},
	}
	for _, n := range needs {
		if len(n.all)+len(n.byOS) == 0 {
			t.Fatalf("need for %v checks nothing", n.causes)
		}
		for _, c := range n.causes {
			for _, goos := range goosList {
				text := render(c, realistic(c, goos), goos)
				for _, s := range append(append([]string{}, n.all...), n.byOS[goos]...) {
					if !strings.Contains(text, s) {
						t.Errorf("%s on %s lacks %q:\n%s", c, goos, s, text)
					}
				}
			}
		}
	}
}

// TestVariants checks the texts that depend on findings the golden files do not cover.
func TestVariants(t *testing.T) {
	tests := []struct {
		name  string
		cause Cause
		f     Findings
		goos  string
		want  []string // substrings of the rendered description
		not   []string
	}{
		{"proxy env windows", CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "http://p:8080", Source: "HTTPS_PROXY environment variable"}}, "windows",
			[]string{"Edit environment variables for your account", "select HTTPS_PROXY"}, []string{"Proxy settings and set"}},
		{"proxy env linux", CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "http://p:8080", Source: "http_proxy environment variable"}}, "linux",
			[]string{"`unset http_proxy`", "/etc/environment"}, nil},
		{"proxy env darwin", CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "http://p:8080", Source: "environment variable ALL_PROXY"}}, "darwin",
			[]string{"`launchctl unsetenv ALL_PROXY`"}, nil},
		{"proxy winhttp", CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "http://p:8080", Source: "WinHTTP proxy"}}, "windows",
			[]string{"Settings > Network & internet > Proxy", "`netsh winhttp reset proxy`", "set in the system proxy settings"}, nil},
		{"proxy macos system", CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "http://p:8080", Source: "macOS system proxy settings"}}, "darwin",
			[]string{"Details > Proxies"}, []string{"netsh"}},
		{"proxy prefs default path", CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "socks5://p:1080", Source: "Spotify prefs"}}, "windows",
			[]string{`%APPDATA%\Spotify\prefs`, "set in Spotify's proxy settings", "profile picture > Settings"}, nil},
		{"proxy 407", CauseProxyBlocked, Findings{Proxy: &Proxy{URL: "http://p:8080"}, Status: 407}, "linux",
			[]string{"asks Spotify for a proxy login (HTTP 407)", "HTTP_PROXY and HTTPS_PROXY", "gsettings"}, nil},
		{"tls corporate", CauseTLSIntercepted, Findings{Product: "Zscaler", Issuer: "Zscaler Root CA"}, "linux",
			[]string{"Zscaler is intercepting Spotify's HTTPS", "ask IT to exempt *.spotify.com, *.scdn.co and *.spotifycdn.com", "hotspot"}, []string{"Turn off HTTPS scanning"}},
		{"tls unknown product", CauseTLSIntercepted, Findings{}, "windows",
			[]string{"Something is intercepting Spotify's HTTPS", "*.spotify.com, *.scdn.co and *.spotifycdn.com", "add an exception"}, nil},
		{"tls avast", CauseTLSIntercepted, Findings{Product: "Avast"}, "windows",
			[]string{"Enable HTTPS scanning", "temporarily turn Avast off"}, nil},
		{"dns filter pi-hole", CauseDNSFiltered, Findings{Product: "Pi-hole"}, "linux",
			[]string{"title: Pi-hole blocks Spotify", "short: blocked by Pi-hole", "Allow Spotify in Pi-hole", "Add domain as wildcard"}, []string{"AdGuard"}},
		{"block page nextdns", CauseBlockPage, Findings{Product: "NextDNS"}, "darwin",
			[]string{"my.nextdns.io", "hotspot"}, nil},
		{"block page opendns", CauseBlockPage, Findings{Product: "Cisco Umbrella (OpenDNS)"}, "windows",
			[]string{"title: Cisco Umbrella (OpenDNS) blocks Spotify", "If you run Cisco Umbrella (OpenDNS)", "dashboard.opendns.com", "Otherwise ask whoever runs it"}, nil},
		{"dns filter corporate", CauseDNSFiltered, Findings{Product: "Zscaler"}, "linux",
			[]string{"Ask the IT administrator who runs Zscaler to allow Spotify"}, []string{"Pi-hole"}},
		{"block page school", CauseBlockPage, Findings{Product: "GoGuardian"}, "linux",
			[]string{"Ask your IT administrator to allow Spotify (spotify.com, scdn.co and spotifycdn.com) in GoGuardian"}, nil},
		{"block page corporate", CauseBlockPage, Findings{Product: "Zscaler"}, "darwin",
			[]string{"Ask your IT administrator to allow Spotify (spotify.com, scdn.co and spotifycdn.com) in Zscaler"}, nil},
		{"block page unknown", CauseBlockPage, Findings{}, "windows",
			[]string{"title: A web filter blocks Spotify", "parental-control owner", "hotspot"}, nil},
		{"hosts many lines", CauseHostsFile, Findings{HostsEntries: manyHostsEntries(5)}, "linux",
			[]string{"`sudo nano +100 /etc/hosts`", "and the 2 other lines that mention spotify"}, nil},
		{"hosts no entries windows", CauseHostsFile, Findings{}, "windows",
			[]string{`C:\Windows\System32\drivers\etc\hosts`, "Delete every line that mentions spotify", "`ipconfig /flushdns`"}, nil},
		{"hosts path with space", CauseHostsFile, Findings{HostsEntries: []HostsEntry{{File: "/tmp/my hosts", Line: 3, Addr: "127.0.0.1", Name: "ap.spotify.com"}}}, "darwin",
			[]string{"`sudo nano +3 '/tmp/my hosts'`"}, nil},
		{"degraded slow", CauseDegraded, Findings{Parts: []string{"slow"}}, "linux",
			[]string{"short: degraded: slow", "connections to it are slow", "Pause large downloads"}, nil},
		{"firewall permission denied", CauseFirewallReject, Findings{Failure: "permission_denied"}, "windows",
			[]string{"title: This computer's firewall blocks Spotify", "are blocked by this computer's firewall"}, nil},
		{"firewall product", CauseFirewallReject, Findings{Product: "Norton"}, "windows",
			[]string{"title: Norton blocks Spotify", "Temporarily turn off Norton", "exception (allowed application) in Norton"}, nil},
		{"vpn linux other", CauseVPNBlocked, Findings{VPN: "tun0"}, "linux",
			[]string{"title: Your VPN (tun0) blocks Spotify", "`nmcli device disconnect tun0`"}, []string{"wg-quick"}},
		{"vpn linux wireguard", CauseVPNBlocked, Findings{VPN: "wg0"}, "linux",
			[]string{"`sudo wg-quick down wg0`"}, nil},
		{"unknown cause id", Cause("made_up"), Findings{}, "linux",
			[]string{"title: Something blocks Spotify"}, nil},
		{"unknown http status", CauseUnknown, Findings{Failure: "http_status_418", Endpoints: []string{"https://api.spotify.com/v1/me"}}, "linux",
			[]string{"Spotify fails with HTTP 418 at https://api.spotify.com/v1/me while"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := render(tt.cause, tt.f, tt.goos)
			for _, s := range tt.want {
				if !strings.Contains(text, s) {
					t.Errorf("lacks %q:\n%s", s, text)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(text, s) {
					t.Errorf("contains %q:\n%s", s, text)
				}
			}
			checkDescription(t, tt.cause, tt.f, tt.goos)
		})
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"", " "}, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "", "b"}, "a and b"},
		{[]string{"a", "b", "c"}, "a, b and c"},
		{[]string{"a", "b", "c", "d"}, "a, b, c and 1 more"},
		{[]string{"a", "b", "c", "d", "e", "f"}, "a, b, c and 3 more"},
	}
	for _, tt := range tests {
		if got := listed(tt.in); got != tt.want {
			t.Errorf("listed(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestDescribeReturnsFreshSteps makes sure a caller editing the steps cannot change the catalogue.
func TestDescribeReturnsFreshSteps(t *testing.T) {
	for _, c := range declaredCauses(t) {
		_, _, steps := Describe(c, realistic(c, "linux"), "linux")
		for i := range steps {
			steps[i] = "changed"
		}
		if _, _, again := Describe(c, realistic(c, "linux"), "linux"); len(again) > 0 && again[0] == "changed" {
			t.Errorf("%s: editing returned steps changed the next description", c)
		}
	}
}
