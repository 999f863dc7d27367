package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spotwatch/spotwatch/internal/netstate"
	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// FactsSource says where local facts come from. The zero value reads the real machine; tests
// point it at files and environments of their own.
type FactsSource struct {
	HostsFile  string                 // "" = the OS's hosts file
	Getenv     func(string) string    // nil = os.Getenv
	PrefsFiles []string               // nil = Spotify's prefs files for this OS and user
	IsSpotify  func(host string) bool // which host names belong to Spotify
	// SystemProxy reads the OS's proxy settings (sysproxy.go); nil = this OS's reader (Windows
	// Internet Options, macOS scutil --proxy, none on Linux).
	SystemProxy func() (*diagnosis.Proxy, error)

	// The Spotify app's context (app.go). AppRoot prefixes the files read for it (OpenSnitch's
	// rules, the Flatpak's overrides, firejail's profiles, the installation and its prefs and
	// cache, app_install.go): "" = /; with a root, snapd is not asked. The user's files are
	// under Getenv("HOME") (%APPDATA% and %LOCALAPPDATA% on Windows).
	AppRoot string
	// WindowsRules reads the firewall rules against Spotify and the security suites installed;
	// nil = this OS's reader (internal/winfw on Windows, none elsewhere).
	WindowsRules func() ([]diagnosis.AppRule, []string, error)
	// Connections reads the running app's TCP connections; nil = this OS's reader (none yet).
	Connections func() *diagnosis.AppConnections
	// Interfaces lists the interfaces that are up with their global addresses; nil = the
	// machine's (upInterfaces). The light check passes the list the last full check read.
	Interfaces func() ([]diagnosis.Interface, error)

	// readHosts reads the hosts file's Spotify entries; nil = scanHosts. The Checker passes its
	// hostsCache's (hostscache.go).
	readHosts func(path string, isSpotify func(string) bool) ([]diagnosis.HostsEntry, error)
}

// gatherFacts reads interfaces, default routes, the VPN carrying one, the DNS servers, the hosts
// file, the proxy settings and the Spotify app's context (rules against the app, its connections).
// Failures to read a fact are recorded in Facts.Errors, never fatal. The facts name the proxy
// with its password redacted: they are shown to every local user of a system daemon, logged and
// kept in the history. The proxy URL the probes dial, credentials included, is returned apart
// (nil when no usable proxy is set).
func gatherFacts(src FactsSource) (diagnosis.Facts, *url.URL) {
	f, dial := gatherPathFacts(src)
	st, err := netstate.Read()
	if err != nil {
		f.Errors = append(f.Errors, err.Error())
	}
	f.DefaultRoutes, f.RoutesKnown = reportRoutes(st.Routes), st.RoutesKnown
	f.VPN, f.DNSServers = st.VPN, st.DNSServers
	app, errs := readApp(src, src.getenv())
	for _, err := range errs {
		f.Errors = append(f.Errors, strings.Split(err.Error(), "\n")...) // errors.Join's, one a line
	}
	f.App = app
	return f, dial
}

// gatherPathFacts reads only what decides the way a connection to Spotify takes: the interfaces
// (whether IPv6 is tried), the hosts file's Spotify entries and the proxy. It is what the light
// check reads; routes, the VPN, DNS servers and the app's context are for naming a cause, which
// only the full check does. (The app's own connections, the dearest fact, are watched apart
// while it runs: internal/apptrigger asks for the full check when they stall.)
func gatherPathFacts(src FactsSource) (diagnosis.Facts, *url.URL) {
	var f diagnosis.Facts
	list := src.Interfaces
	if list == nil {
		list = upInterfaces
	}
	ifaces, err := list()
	if err != nil {
		f.Errors = append(f.Errors, err.Error())
	}
	f.Interfaces = ifaces
	f.HostsFile = src.HostsFile
	if f.HostsFile == "" {
		f.HostsFile = defaultHostsFile()
	}
	if src.IsSpotify != nil {
		read := src.readHosts
		if read == nil {
			read = scanHosts
		}
		entries, err := read(f.HostsFile, src.IsSpotify)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			f.Errors = append(f.Errors, err.Error())
		}
		f.HostsEntries = entries
	}
	getenv := src.getenv()
	prefs := src.PrefsFiles
	if prefs == nil {
		prefs = spotifyPrefsFiles(getenv)
	}
	system := src.SystemProxy
	if system == nil {
		system = readSystemProxy
	}
	px, err := findProxy(getenv, prefs, system)
	if err != nil {
		f.Errors = append(f.Errors, err.Error())
	}
	dial := parsedProxy(px)
	if px != nil {
		f.Proxy = &diagnosis.Proxy{URL: safetext.RedactProxyURL(px.URL), Source: px.Source}
	}
	return f, dial
}

// getenv is the source's environment, os.Getenv when none is given.
func (src FactsSource) getenv() func(string) string {
	if src.Getenv == nil {
		return os.Getenv
	}
	return src.Getenv
}

// reportRoutes converts internal/netstate's default routes, which the network watcher shares,
// to the report's (nil when there are none, as the JSON shows them).
func reportRoutes(routes []netstate.Route) []diagnosis.Route {
	var out []diagnosis.Route
	for _, r := range routes {
		out = append(out, diagnosis.Route(r))
	}
	return out
}

// upInterfaces lists the interfaces that are up, with their global unicast addresses.
func upInterfaces() ([]diagnosis.Interface, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing network interfaces: %w", err)
	}
	var out []diagnosis.Interface
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		it := diagnosis.Interface{Name: ifc.Name, Global: []string{}}
		for _, a := range addrs {
			pfx, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			if ip := pfx.Addr(); ip.IsGlobalUnicast() {
				it.Global = append(it.Global, ip.String())
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// defaultHostsFile is the OS's hosts file.
func defaultHostsFile() string {
	if runtime.GOOS == "windows" {
		root := os.Getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		return filepath.Join(root, "System32", "drivers", "etc", "hosts")
	}
	return "/etc/hosts"
}

// scanHosts returns the hosts-file lines that map a Spotify name, with their line numbers.
func scanHosts(path string, isSpotify func(string) bool) ([]diagnosis.HostsEntry, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading hosts file: %w", err)
	}
	defer file.Close()
	var entries []diagnosis.HostsEntry
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) < 2 {
			continue
		}
		for _, name := range fields[1:] {
			if isSpotify(name) {
				entries = append(entries, diagnosis.HostsEntry{File: path, Line: line, Addr: fields[0], Name: name})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return entries, fmt.Errorf("reading hosts file %s: %w", path, err)
	}
	return entries, nil
}

// spotifyPrefsFiles lists where Spotify keeps its prefs file on this OS: its proxy setting,
// if any, is the one the app uses.
func spotifyPrefsFiles(getenv func(string) string) []string {
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "windows":
		return []string{
			filepath.Join(getenv("APPDATA"), "Spotify", "prefs"),
			filepath.Join(getenv("LOCALAPPDATA"), "Packages", "SpotifyAB.SpotifyMusic_zpdnekdrzrea0", "LocalState", "Spotify", "prefs"),
		}
	case "darwin":
		return []string{filepath.Join(home, "Library", "Application Support", "Spotify", "prefs")}
	default:
		return []string{
			filepath.Join(home, ".config", "spotify", "prefs"),
			filepath.Join(home, ".var", "app", "com.spotify.Client", "config", "spotify", "prefs"),
			filepath.Join(home, "snap", "spotify", "current", ".config", "spotify", "prefs"),
		}
	}
}

// findProxy returns the proxy Spotify would use: its own prefs setting first (the app's
// Settings > Proxy), then the system proxy unless the app is set to No proxy (sysproxy.go says
// why), then the HTTPS_PROXY / ALL_PROXY environment variables.
func findProxy(getenv func(string) string, prefsFiles []string, system func() (*diagnosis.Proxy, error)) (*diagnosis.Proxy, error) {
	var errs []error
	for _, path := range prefsFiles {
		px, err := proxyFromPrefs(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		if px != nil {
			return px, errors.Join(errs...)
		}
	}
	px, err := systemProxyUnlessOff(prefsFiles, system)
	if errs = append(errs, err); px != nil {
		return px, errors.Join(errs...)
	}
	for _, name := range []string{"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		if v := getenv(name); v != "" {
			return &diagnosis.Proxy{URL: normaliseProxyURL(v, "http"), Source: name + " environment variable"}, errors.Join(errs...)
		}
	}
	return nil, errors.Join(errs...)
}

// proxyFromPrefs reads network.proxy.mode and network.proxy.addr from a Spotify prefs file.
// Modes 0 (auto-detect) and 1 (no proxy) mean Spotify sets no proxy of its own; higher modes
// with an address "host:port@type" (type http, https, socks4, socks5) mean a manual proxy.
func proxyFromPrefs(path string) (*diagnosis.Proxy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading Spotify prefs: %w", err)
	}
	var mode int
	var addr string
	for _, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		value = strings.Trim(value, `"`)
		switch key {
		case "network.proxy.mode":
			mode, _ = strconv.Atoi(value)
		case "network.proxy.addr":
			addr = value
		}
	}
	if mode < 2 || addr == "" {
		return nil, nil
	}
	hostPort, kind, _ := strings.Cut(addr, "@")
	if kind == "" {
		kind = "http"
	}
	return &diagnosis.Proxy{URL: normaliseProxyURL(hostPort, kind), Source: "Spotify's proxy setting in " + path}, nil
}

// normaliseProxyURL turns "host:port" or a URL into a URL string with a scheme.
func normaliseProxyURL(v, defaultScheme string) string {
	if strings.Contains(v, "://") {
		return v
	}
	return defaultScheme + "://" + v
}

// parsedProxy parses a Proxy's URL, nil when there is no usable proxy.
func parsedProxy(p *diagnosis.Proxy) *url.URL {
	if p == nil {
		return nil
	}
	u, err := url.Parse(p.URL)
	if err != nil || u.Host == "" {
		return nil
	}
	return u
}
