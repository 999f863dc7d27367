package probe

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// The system proxy: the OS's own proxy settings, which the Spotify desktop app follows when its
// Settings > Proxy is left at "Auto-detect settings" (the default, network.proxy.mode 0 or no
// line at all in its prefs file). The app is built on Chromium (CEF), and Chromium's
// "use the system settings" reads WinINET's Internet Options on Windows and the SystemConfiguration
// proxies (what `scutil --proxy` prints) on macOS. So findProxy looks, in order, at:
//
//  1. Spotify's own manual proxy (prefs mode 2 and up): it overrides everything else;
//  2. the system proxy, unless Spotify is set to "No proxy" (prefs mode 1), which ignores it;
//  3. the HTTPS_PROXY / ALL_PROXY environment variables, as before.
//
// Linux has no system proxy reader here (GNOME and KDE keep theirs in places spotwatch does not
// read), so on Linux the order is the one it always was: prefs, then the environment.
//
// Facts send no traffic: a proxy auto-config (PAC) script is named, never fetched nor run, and
// WPAD auto-detection is not attempted. Which proxy such a script picks for Spotify is therefore
// unknown: the fact names the script (Proxy.URL empty, so the probes go direct) and the fix can
// point to the setting. "Automatically detect settings" on its own is not reported: Windows has it
// on by default and on most networks it finds no proxy at all.

// Where the system proxy was found, as Proxy.Source (monitor/diagnosis's whereProxy reads these
// as "the OS proxy settings", whose fix is the OS's proxy settings page).
const (
	sourceWinINET = "Windows proxy settings (Internet Options)"
	sourceMacOS   = "macOS proxy settings (scutil --proxy)"
)

// spotifyBypassHosts are names the desktop app connects to through a proxy: an access point,
// the access-point resolver and the web API hosts. A proxy whose exceptions cover all of them is
// not Spotify's proxy.
var spotifyBypassHosts = []string{"apresolve.spotify.com", "ap-gew4.spotify.com", "spclient.wg.spotify.com", "api.spotify.com"}

// systemProxyConfig is what an OS's proxy settings say, reduced to what Spotify's HTTPS needs.
type systemProxyConfig struct {
	Server     string   // the proxy for HTTPS traffic, as a URL with a scheme; "" = none
	PAC        string   // the proxy auto-config script's URL, when one is in use
	AutoDetect bool     // WPAD auto-detection is on
	Exceptions []string // host patterns that go direct (WinINET ProxyOverride, macOS ExceptionsList)
}

// proxyFor is the Proxy fact for a system configuration found at source, nil when the system
// gives Spotify no proxy (none set, only auto-detection, or Spotify's hosts excepted).
func (c systemProxyConfig) proxyFor(source string) *diagnosis.Proxy {
	if c.PAC != "" {
		return &diagnosis.Proxy{Source: source + ", setup script " + safetext.URL(c.PAC)}
	}
	if c.Server == "" || spotifyBypassed(c.Exceptions) {
		return nil
	}
	return &diagnosis.Proxy{URL: c.Server, Source: source}
}

// spotifyBypassed reports whether the exception patterns send every one of Spotify's hosts
// around the proxy.
func spotifyBypassed(patterns []string) bool {
	if len(patterns) == 0 {
		return false
	}
	for _, host := range spotifyBypassHosts {
		if !bypassMatches(patterns, host) {
			return false
		}
	}
	return true
}

// bypassMatches reports whether host matches one of the patterns: "<local>" (a name without a
// dot), "*" wildcards anywhere (case-insensitive), a leading "." (the domain and its
// subdomains, as macOS reads it), or the name itself.
func bypassMatches(patterns []string, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSpace(p))
		switch {
		case p == "":
		case p == "<local>":
			if !strings.Contains(host, ".") {
				return true
			}
		case strings.HasPrefix(p, "."):
			if host == p[1:] || strings.HasSuffix(host, p) {
				return true
			}
		case wildcardMatch(p, host):
			return true
		}
	}
	return false
}

// wildcardMatch matches s against a pattern in which '*' stands for any run of characters,
// dots included.
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

// spotifyNoProxy reports whether a Spotify prefs file sets Proxy type "No proxy"
// (network.proxy.mode=1): the app then uses no proxy at all, the system's included. Files that
// cannot be read say nothing.
func spotifyNoProxy(prefsFiles []string) bool {
	for _, path := range prefsFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok && key == "network.proxy.mode" && strings.Trim(value, `"`) == "1" {
				return true
			}
		}
	}
	return false
}

// WinINET (Windows Internet Options).

// winINETFlags are the bits of DefaultConnectionSettings' flags (byte 8 of the blob), the
// three check boxes of Internet Options > Connections > LAN settings.
const (
	winINETDirect     = 0x01 // always set
	winINETProxy      = 0x02 // Use a proxy server
	winINETAutoConfig = 0x04 // Use automatic configuration script
	winINETAutoDetect = 0x08 // Automatically detect settings
)

// winINETValues are the values of HKCU\Software\Microsoft\Windows\CurrentVersion\Internet
// Settings that decide the proxy, as read from the registry (a missing value is its zero).
type winINETValues struct {
	ProxyEnable    uint64
	HasProxyEnable bool
	ProxyServer    string
	ProxyOverride  string
	AutoConfigURL  string
	// Connections is the Connections\DefaultConnectionSettings blob, nil when absent.
	Connections []byte
}

// winINETConnection is the DefaultConnectionSettings blob decoded: a little-endian layout of
// version, change counter, flags, then three length-prefixed strings (proxy server, bypass
// list, auto-config URL). Later fields (WPAD detection results) are not needed.
type winINETConnection struct {
	Flags         uint32
	ProxyServer   string
	ProxyOverride string
	AutoConfigURL string
}

// parseWinINETConnection decodes a DefaultConnectionSettings blob. A blob too short to hold
// the flags is an error; strings cut short are taken as far as they go.
func parseWinINETConnection(b []byte) (winINETConnection, error) {
	if len(b) < 12 {
		return winINETConnection{}, fmt.Errorf("DefaultConnectionSettings is %d bytes, too short for its flags", len(b))
	}
	c := winINETConnection{Flags: binary.LittleEndian.Uint32(b[8:12])}
	rest := b[12:]
	next := func() string {
		if len(rest) < 4 {
			rest = nil
			return ""
		}
		n := binary.LittleEndian.Uint32(rest[:4])
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			n = uint32(len(rest))
		}
		s := string(rest[:n])
		rest = rest[n:]
		return strings.TrimRight(s, "\x00")
	}
	c.ProxyServer = next()
	c.ProxyOverride = next()
	c.AutoConfigURL = next()
	return c, nil
}

// winINETConfig decides what the Internet Options give Spotify. The blob's flags are what WinINET
// itself reads; without a blob (policies that write only the values), ProxyEnable and the
// presence of AutoConfigURL stand for the proxy and script boxes. The string values are taken
// from the registry values, else from the blob.
func winINETConfig(v winINETValues) (systemProxyConfig, error) {
	var conn winINETConnection
	var err error
	haveBlob := v.Connections != nil
	if haveBlob {
		conn, err = parseWinINETConnection(v.Connections)
		if err != nil {
			haveBlob = false
		}
	}
	if !haveBlob {
		conn.Flags = winINETDirect
		if v.HasProxyEnable && v.ProxyEnable != 0 {
			conn.Flags |= winINETProxy
		}
		if v.AutoConfigURL != "" {
			conn.Flags |= winINETAutoConfig
		}
	}
	server := cmp.Or(v.ProxyServer, conn.ProxyServer)
	override := cmp.Or(v.ProxyOverride, conn.ProxyOverride)
	pac := cmp.Or(v.AutoConfigURL, conn.AutoConfigURL)
	var c systemProxyConfig
	c.AutoDetect = conn.Flags&winINETAutoDetect != 0
	if conn.Flags&winINETAutoConfig != 0 {
		c.PAC = strings.TrimSpace(pac)
	}
	if conn.Flags&winINETProxy != 0 {
		c.Server = winINETServer(server)
		c.Exceptions = splitWinINETList(override)
	}
	return c, err
}

// winINETServer turns a ProxyServer value into the proxy Spotify's HTTPS goes through: the
// https= entry, else a bare entry (one proxy for every protocol), else the socks= entry
// (SOCKS version 4, as WinINET and Chromium read it). An http= entry alone leaves HTTPS direct.
// Entries may name their own scheme ("https=https://p:443", "socks=socks5://s:1080").
func winINETServer(v string) string {
	var https, bare, socks string
	for _, e := range splitWinINETList(v) {
		key, value, ok := strings.Cut(e, "=")
		if !ok {
			if bare == "" {
				bare = e
			}
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "https":
			https = cmp.Or(https, value)
		case "socks":
			socks = cmp.Or(socks, value)
		}
	}
	switch {
	case https != "":
		return normaliseProxyURL(https, "http")
	case bare != "":
		return normaliseProxyURL(bare, "http")
	case socks != "":
		return normaliseProxyURL(socks, "socks4")
	}
	return ""
}

// splitWinINETList splits a ProxyServer or ProxyOverride value at ';' (and at spaces, which
// WinINET accepts too).
func splitWinINETList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '\r' || r == '\n' })
}

// macOS (`scutil --proxy`).

// parseScutilProxy reads the output of `scutil --proxy`: a "<dictionary> {" of "Key : value"
// lines, with ExceptionsList an "<array> {" of "N : pattern" lines. Only the top-level
// dictionary counts: __SCOPED__ holds per-interface copies that are not the ones in effect.
func parseScutilProxy(out string) (systemProxyConfig, error) {
	values := map[string]string{}
	var exceptions []string
	depth, inExceptions, sawDict := 0, false, false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case line == "}":
			if depth == 0 {
				return systemProxyConfig{}, errors.New("scutil --proxy: unbalanced '}'")
			}
			depth--
			if depth == 1 {
				inExceptions = false
			}
			continue
		case line == "<dictionary> {" && depth == 0:
			depth, sawDict = 1, true
			continue
		}
		key, value, ok := strings.Cut(line, " : ")
		if !ok {
			key, ok = strings.CutSuffix(line, " :")
			if !ok {
				return systemProxyConfig{}, fmt.Errorf("scutil --proxy: unexpected line %q", safetext.Clean(line))
			}
			value = ""
		}
		key = strings.TrimSpace(key)
		if strings.HasSuffix(value, "{") && (strings.HasPrefix(value, "<array>") || strings.HasPrefix(value, "<dictionary>")) {
			if depth == 1 && key == "ExceptionsList" {
				inExceptions = true
			}
			depth++
			continue
		}
		switch {
		case depth == 2 && inExceptions:
			exceptions = append(exceptions, strings.TrimSpace(value))
		case depth <= 1:
			values[key] = strings.TrimSpace(value)
		}
	}
	if !sawDict && len(values) == 0 {
		return systemProxyConfig{}, errors.New("scutil --proxy: no proxy dictionary in its output")
	}
	if depth != 0 {
		return systemProxyConfig{}, errors.New("scutil --proxy: output cut short")
	}
	return scutilConfig(values, exceptions), nil
}

// scutilConfig decides what macOS's proxies give Spotify's HTTPS: the automatic proxy
// configuration script when on, else the secure web proxy (HTTPS), else the SOCKS proxy
// (SOCKS version 5 on macOS). The web proxy (HTTP) alone leaves HTTPS direct.
func scutilConfig(v map[string]string, exceptions []string) systemProxyConfig {
	on := func(key string) bool { return v[key] == "1" }
	c := systemProxyConfig{AutoDetect: on("ProxyAutoDiscoveryEnable"), Exceptions: exceptions}
	if on("ProxyAutoConfigEnable") {
		c.PAC = v["ProxyAutoConfigURLString"]
	}
	hostPort := func(host, port string) string {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return host
		}
		return net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	switch {
	case on("HTTPSEnable") && v["HTTPSProxy"] != "":
		c.Server = normaliseProxyURL(hostPort(v["HTTPSProxy"], v["HTTPSPort"]), "http")
	case on("SOCKSEnable") && v["SOCKSProxy"] != "":
		c.Server = normaliseProxyURL(hostPort(v["SOCKSProxy"], v["SOCKSPort"]), "socks5")
	}
	return c
}

// systemProxyUnlessOff is the system proxy (read by system, which may be nil), nil when there
// is none or when Spotify's prefs say No proxy. The prefs files are read again only when there
// is a system proxy, and their errors are proxyFromPrefs' to report.
func systemProxyUnlessOff(prefsFiles []string, system func() (*diagnosis.Proxy, error)) (*diagnosis.Proxy, error) {
	if system == nil {
		return nil, nil
	}
	px, err := system()
	if px == nil || spotifyNoProxy(prefsFiles) {
		return nil, err
	}
	return px, err
}
