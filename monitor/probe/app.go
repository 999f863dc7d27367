package probe

// The Spotify app's own context (diagnosis.App): rules that keep the app itself off the network,
// the security suites installed, the app's own connections. Security software blocks a program,
// not an address, so spotwatch's probes cannot see these rules; they are read from the products'
// own files, read-only and without traffic. Everything taken from a file is untrusted text and
// passes through safetext.Clean before it enters the report.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/spotwatch/spotwatch/internal/boundedread"
	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// readApp gathers the app's context: this OS's rule readers, the Windows firewall rules, the
// app's connections (through FactsSource's hooks) and the installation (app_install.go). It
// returns nil when nothing was found, the app does not run and is not installed, so a report
// without any of it keeps its JSON as before; errors reading a product's files (not their
// absence) are returned for Facts.Errors.
func readApp(src FactsSource, getenv func(string) string) (*diagnosis.App, []error) {
	var app diagnosis.App
	rules, suites, errs := osAppRules(src, getenv)
	app.Rules = rules
	app.Suites = addSuites(app.Suites, suites)
	windows := src.WindowsRules
	if windows == nil {
		windows = defaultWindowsRules
	}
	if windows != nil {
		rules, suites, err := windows()
		if err != nil {
			errs = append(errs, fmt.Errorf("reading the firewall's rules for Spotify: %w", err))
		}
		app.Rules = append(app.Rules, cleanRules(rules)...)
		app.Suites = addSuites(app.Suites, suites)
	}
	conns := src.Connections
	if conns == nil {
		conns = defaultConnections
	}
	if conns != nil {
		if c := conns(); c != nil && (c.Running || c.Note != "") {
			app.Connections = c
		}
	}
	app.Install = readInstall(installEnv{
		root: src.AppRoot, goos: runtime.GOOS, getenv: getenv, asUser: ownsHome(hostPath(src.AppRoot, userHome(getenv))), free: diskFree,
	})
	if len(app.Rules) == 0 && len(app.Suites) == 0 && app.Connections == nil && app.Install == nil {
		return nil, errs
	}
	return &app, errs
}

// addSuites adds the security products in more, cleaned, to those in have, each once.
func addSuites(have, more []string) []string {
	for _, s := range more {
		if s = safetext.Clean(s); s != "" && !slices.Contains(have, s) {
			have = append(have, s)
		}
	}
	return have
}

// userHome is the folder holding the user's Spotify files: %LOCALAPPDATA% on Windows, the home
// folder elsewhere.
func userHome(getenv func(string) string) string {
	if runtime.GOOS == "windows" {
		return getenv("LOCALAPPDATA")
	}
	return getenv("HOME")
}

// cleanRules passes every text of rules through safetext.Clean: they come from files and the
// registry, which anyone who can write there controls.
func cleanRules(rules []diagnosis.AppRule) []diagnosis.AppRule {
	out := make([]diagnosis.AppRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, diagnosis.AppRule{
			Product: safetext.Clean(r.Product), Where: safetext.Clean(r.Where), Name: safetext.Clean(r.Name),
			Action: safetext.Clean(r.Action), Target: safetext.Clean(r.Target),
		})
	}
	return out
}

// rooted is path under root ("" = /): tests read a machine laid out in a directory.
func rooted(root, path string) string {
	if root == "" {
		return path
	}
	return filepath.Join(root, filepath.FromSlash(path))
}

// appFileLimit bounds what is read of one product file: rules and profiles are small.
const appFileLimit = 1 << 20

// readSmall reads a file of at most appFileLimit bytes.
func readSmall(path string) ([]byte, error) {
	return boundedread.File(path, appFileLimit)
}

// --- OpenSnitch --------------------------------------------------------------------------------

// openSnitchRulesDir is where the OpenSnitch daemon keeps its rules, one JSON file each.
const openSnitchRulesDir = "/etc/opensnitchd/rules"

// openSnitchRule is the part of an OpenSnitch rule file spotwatch reads (daemon/rule/rule.go).
type openSnitchRule struct {
	Name     string             `json:"name"`
	Enabled  bool               `json:"enabled"`
	Action   string             `json:"action"`
	Operator openSnitchOperator `json:"operator"`
}

// openSnitchOperator is a rule's condition: simple (==), regexp, or a list of operators that
// must all match (daemon/rule/operator.go).
type openSnitchOperator struct {
	Type      string               `json:"type"`
	Operand   string               `json:"operand"`
	Data      string               `json:"data"`
	Sensitive bool                 `json:"sensitive"`
	List      []openSnitchOperator `json:"list"`
}

// readOpenSnitch reads the OpenSnitch rules under root that deny or reject Spotify.
func readOpenSnitch(root string) ([]diagnosis.AppRule, error) {
	dir := rooted(root, openSnitchRulesDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading OpenSnitch's rules: %w", err)
	}
	var rules []diagnosis.AppRule
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := readSmall(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("reading OpenSnitch rule %s: %w", safetext.Clean(e.Name()), err))
			continue
		}
		r, ok := parseOpenSnitchRule(data, openSnitchRulesDir+"/"+e.Name())
		if ok {
			rules = append(rules, r)
		}
	}
	return cleanRules(rules), errors.Join(errs...)
}

// parseOpenSnitchRule returns the rule in data, from the file where, if it is enabled, denies
// or rejects, and names Spotify. A file that is not a rule is no rule against Spotify.
func parseOpenSnitchRule(data []byte, where string) (diagnosis.AppRule, bool) {
	var r openSnitchRule
	if err := json.Unmarshal(data, &r); err != nil {
		return diagnosis.AppRule{}, false
	}
	action := strings.ToLower(r.Action)
	if !r.Enabled || (action != "deny" && action != "reject") {
		return diagnosis.AppRule{}, false
	}
	target, ok := spotifyOperator(r.Operator)
	if !ok {
		return diagnosis.AppRule{}, false
	}
	name := r.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(where), ".json")
	}
	return diagnosis.AppRule{Product: "OpenSnitch", Where: where, Name: name, Action: action, Target: target}, true
}

// spotifyOperator reports whether op matches Spotify's connections and only those of Spotify
// among the programs and hosts it names, and what Spotify thing it names. A list matches when
// every operator naming a program or host names Spotify (other operands, a port or a user, only
// narrow it) and at least one does.
func spotifyOperator(op openSnitchOperator) (string, bool) {
	if strings.ToLower(op.Type) == "list" {
		target, named := "", false
		for _, sub := range op.List {
			if !namesProgramOrHost(sub.Operand) {
				continue
			}
			t, ok := spotifyOperator(sub)
			if !ok {
				return "", false
			}
			if !named || strings.HasPrefix(sub.Operand, "process.") {
				target = t
			}
			named = true
		}
		return target, named
	}
	if !namesProgramOrHost(op.Operand) {
		return "", false
	}
	isHost := op.Operand == "dest.host"
	switch strings.ToLower(op.Type) {
	case "simple":
		data := op.Data
		if isHost {
			if isSpotifyHost(data) {
				return "connections to " + data, true
			}
			return "", false
		}
		if op.Operand == "process.command" {
			data, _, _ = strings.Cut(strings.TrimSpace(data), " ")
		}
		if isSpotifyProgram(data) {
			return op.Data, true
		}
	case "regexp":
		expr := op.Data
		if !op.Sensitive {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return "", false
		}
		yes, no := spotifyPrograms, otherPrograms
		if isHost {
			yes, no = spotifyHosts, otherHosts
		}
		if slices.ContainsFunc(yes, re.MatchString) && !slices.ContainsFunc(no, re.MatchString) {
			if isHost {
				return "connections to " + op.Data, true
			}
			return op.Data, true
		}
	}
	return "", false
}

func namesProgramOrHost(operand string) bool {
	return operand == "process.path" || operand == "process.command" || operand == "dest.host"
}

// spotifyPrograms are where Spotify's program is on Linux: the deb, the snap, the Flatpak, AUR.
var spotifyPrograms = []string{
	"/usr/share/spotify/spotify", "/usr/bin/spotify", "/snap/spotify/current/usr/share/spotify/spotify",
	"/snap/spotify/81/usr/share/spotify/spotify", "/snap/bin/spotify", "/app/extra/share/spotify/spotify", "/opt/spotify/spotify",
}

// otherPrograms tell a rule for every program (.*) from one for Spotify.
var otherPrograms = []string{"/usr/bin/firefox", "/usr/lib/firefox/firefox", "/usr/bin/curl", "/usr/local/bin/spotwatch"}

var spotifyHosts = []string{"apresolve.spotify.com", "ap-gew1.spotify.com", "spclient.wg.spotify.com", "api.spotify.com", "login5.spotify.com", "i.scdn.co", "audio-fa.scdn.co", "spotifycdn.com"}

var otherHosts = []string{"example.org", "www.google.com", "connectivitycheck.gstatic.com"}

// isSpotifyProgram: path is Spotify's program (its name is spotify, or it lies in a spotify
// folder or the Flatpak's).
func isSpotifyProgram(path string) bool {
	p := strings.ToLower(strings.TrimSpace(path))
	if p == "" {
		return false
	}
	return filepath.Base(p) == "spotify" || strings.Contains(p, "/spotify/") || strings.Contains(p, "com.spotify.client")
}

// isSpotifyHost: host is spotify.com, scdn.co, spotifycdn.com or under one of them.
func isSpotifyHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	for _, d := range []string{"spotify.com", "scdn.co", "spotifycdn.com"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// --- Flatpak -----------------------------------------------------------------------------------

const flatpakApp = "com.spotify.Client"

// readFlatpak reads the Flatpak overrides for Spotify, the user's then the system's, and
// returns a rule when they take the network away: `shared=!network` in [Context], unless the
// user's override gives it back.
func readFlatpak(root, home string) ([]diagnosis.AppRule, error) {
	var files []string
	if home != "" {
		files = append(files, filepath.ToSlash(filepath.Join(home, ".local/share/flatpak/overrides", flatpakApp)))
	}
	files = append(files, "/var/lib/flatpak/overrides/"+flatpakApp)
	var errs []error
	for _, where := range files {
		data, err := readSmall(rooted(root, where))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("reading the Flatpak override %s: %w", safetext.Clean(where), err))
			}
			continue
		}
		switch flatpakNetwork(data) {
		case "granted":
			return nil, errors.Join(errs...) // the user's override wins over the system's
		case "removed":
			return cleanRules([]diagnosis.AppRule{{Product: "Flatpak", Where: where, Action: "no network", Target: flatpakApp}}), errors.Join(errs...)
		}
	}
	return nil, errors.Join(errs...)
}

// flatpakNetwork reads a Flatpak override (a keyfile): "removed" when [Context] shared= holds
// !network, "granted" when it holds network, "" when it says nothing about the network.
func flatpakNetwork(data []byte) string {
	section, state := "", ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if section != "[Context]" || !ok || strings.TrimSpace(key) != "shared" {
			continue
		}
		for _, v := range strings.Split(value, ";") {
			switch strings.TrimSpace(v) {
			case "!network":
				state = "removed"
			case "network":
				state = "granted"
			}
		}
	}
	return state
}

// --- snap --------------------------------------------------------------------------------------

// snapNetworkDisconnected reads the output of `snap connections spotify`: true when the plug
// spotify:network is listed with no slot ("-"). snapd (cmd/snapd/cli/cmd_connections.go) prints
// a header and one row a plug or slot, columns Interface, Plug, Slot, Notes aligned with spaces;
// asked about one snap it lists its disconnected plugs too, as "network  spotify:network  -  -".
// The header is translated, the rows are not.
func snapNetworkDisconnected(out []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[0] == "network" && f[1] == "spotify:network" {
			return f[2] == "-"
		}
	}
	return false
}

// --- firejail ----------------------------------------------------------------------------------

// readFirejail reads Spotify's firejail profiles and returns a rule for each that holds a
// `net none` line (no network in the sandbox), unless one of them says `ignore net none`.
func readFirejail(root, home string) ([]diagnosis.AppRule, error) {
	var files []string
	if home != "" {
		files = append(files, filepath.ToSlash(filepath.Join(home, ".config/firejail/spotify.profile")))
	}
	files = append(files, "/etc/firejail/spotify.local", "/etc/firejail/spotify.profile")
	var rules []diagnosis.AppRule
	var errs []error
	for _, where := range files {
		data, err := readSmall(rooted(root, where))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("reading the firejail profile %s: %w", safetext.Clean(where), err))
			}
			continue
		}
		switch firejailNetNone(data) {
		case "ignored":
			return nil, errors.Join(errs...)
		case "none":
			rules = append(rules, diagnosis.AppRule{Product: "firejail", Where: where, Action: "no network", Target: "spotify"})
		}
	}
	return cleanRules(rules), errors.Join(errs...)
}

// firejailNetNone reads a firejail profile: "none" when a line is `net none`, "ignored" when a
// line is `ignore net none`, "" otherwise.
func firejailNetNone(data []byte) string {
	state := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		switch strings.Join(strings.Fields(sc.Text()), " ") {
		case "net none":
			if state == "" {
				state = "none"
			}
		case "ignore net none":
			state = "ignored"
		}
	}
	return state
}
