package diagnosis

// The Spotify app's own context: what the OS and security software say about the app itself,
// as opposed to the network. Security suites and application firewalls block a program, not an
// address: a rule against Spotify stops the app while spotwatch's own probes connect fine. These
// facts are read without traffic and without admin rights where the OS allows it.

import (
	"strings"
	"unicode"
)

// App is what spotwatch learned about the Spotify app on this machine.
type App struct {
	// Rules are the rules found that stop the Spotify app from reaching the network.
	Rules []AppRule `json:"rules,omitempty"`
	// Suites are the security products installed that filter per program (Windows Security
	// Center, macOS LuLu / Little Snitch), named in the fix when Spotify fails.
	Suites []string `json:"suites,omitempty"`
	// Connections is the app's own TCP connections, when it runs.
	Connections *AppConnections `json:"connections,omitempty"`
	// Install is where and how Spotify is installed, and what is wrong with the installation.
	Install *AppInstall `json:"install,omitempty"`
}

// AppRule is one rule that keeps the Spotify app off the network.
type AppRule struct {
	Product string `json:"product"`        // what holds the rule: "Windows Defender Firewall", "OpenSnitch", "Flatpak", "snap", "firejail", "LuLu"…
	Where   string `json:"where"`          // the file or registry key the rule is in
	Name    string `json:"name,omitempty"` // the rule's own name, when it has one
	Action  string `json:"action"`         // what it does: "block", "deny", "reject", "no network"
	Target  string `json:"target"`         // the program or package it names (a Spotify path or id)
}

// AppConnections summarises the TCP connections of the running Spotify app, from the OS's TCP
// table: connections that stall (SYN sent, no answer) or are refused while spotwatch's own probes
// to the same servers work point at a rule against the app.
type AppConnections struct {
	Running     bool     `json:"running"`           // a Spotify process runs
	PIDs        []int    `json:"pids,omitempty"`    // its process ids
	Established int      `json:"established"`       // connections open now
	Stalled     int      `json:"stalled"`           // connections stuck in SYN-SENT
	Remotes     []string `json:"remotes,omitempty"` // the stalled connections' ip:port, at most a few
	Note        string   `json:"note,omitempty"`    // why the table could not be read, if it could not
}

// AppInstall is where and how Spotify is installed.
type AppInstall struct {
	Installed bool     `json:"installed"`
	Kind      string   `json:"kind,omitempty"`     // "desktop", "Microsoft Store", "Flatpak", "snap", "deb"…
	Path      string   `json:"path,omitempty"`     // where the program is
	Version   string   `json:"version,omitempty"`  // when known
	Problems  []string `json:"problems,omitempty"` // what is broken: an unreadable prefs file, a cache folder not writable, a full disk
	// Searched are the places looked in, when Spotify was found in none of them (Installed is
	// false). Spotify is reported as not installed only when the search covered the user's own
	// folders (spotwatch runs as that user); otherwise Install is nil: not known.
	Searched []string `json:"searched,omitempty"`
}

// suitePlaces say where each security product keeps its program (application) rules, the
// place the fix sends the user to allow Spotify. A product is recognised by a word of the name
// it registers (Security Center's displayName, or macfw's product name).
var suitePlaces = []struct{ words, place string }{
	{"norton", "Settings > Firewall > Program Control"},
	{"kaspersky", "Settings > Security settings > Firewall > Application rules"},
	{"eset", "Setup > Network protection > Firewall > Configure > Rules"},
	{"bitdefender", "Protection > Firewall > Settings > Rules"},
	{"avast", "Menu > Settings > Protection > Firewall > Application rules"},
	{"avg", "Menu > Settings > Full protection > Enhanced Firewall > Application rules"},
	{"mcafee", "PC Security > Firewall > Internet Connections for Programs"},
	{"windows defender", "Windows Security > Firewall & network protection > Allow an app through firewall"},
	{"microsoft defender", "Windows Security > Firewall & network protection > Allow an app through firewall"},
	{"lulu", "the LuLu icon in the menu bar > Rules, search for com.spotify.client"},
	{"little snitch", "the Little Snitch icon in the menu bar > Rules, search for Spotify"},
}

// suitePlace is where the product named name keeps its program rules; "" when spotwatch does
// not know the product.
func suitePlace(name string) string {
	words := " " + strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ") + " "
	for _, p := range suitePlaces {
		if strings.Contains(words, " "+p.words+" ") {
			return p.place
		}
	}
	return ""
}

// suitePlacesWords name where the suites known keep their program rules:
// "Norton 360: Settings > Firewall > Program Control; ESET Security: Setup > …"; "" when none
// is known.
func suitePlacesWords(suites []string) string {
	var out []string
	for _, s := range suites {
		if p := suitePlace(s); p != "" {
			out = append(out, s+": "+p)
		}
	}
	return strings.Join(out, "; ")
}

// notInstalled: the check found no Spotify app on this computer (AppInstall.Searched), so the
// ok verdict says so and the fix is to install it, not to look for a rule against it.
func notInstalled(f Findings) bool { return f.Install != nil && !f.Install.Installed }

// notInstalledSummary follows ok's summary when Spotify is not installed.
func notInstalledSummary(in AppInstall) string {
	s := " But the Spotify app is not installed on this computer"
	if len(in.Searched) > 0 {
		s += ": spotwatch looked for it in " + listed(in.Searched)
	}
	return s + "."
}

// installSteps are ok's steps when Spotify is not installed.
func installSteps(o osName) []string {
	return []string{
		perOS{
			linux: "Install Spotify: `flatpak install flathub com.spotify.Client`, `sudo snap install spotify`, or the Debian package " +
				"spotify-client from Spotify's own repository (see spotify.com/download/linux).",
			windows: "Install Spotify from the Microsoft Store (search for Spotify) or from spotify.com/download.",
			darwin:  "Install Spotify: download it from spotify.com/download, open the file and move Spotify to Applications.",
		}.on(o),
		"If Spotify is installed somewhere spotwatch does not look (a copy you unpacked yourself), start it from there; " +
			"if it then shows an error, run the check again while it runs.",
	}
}
