package probe

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// proxyString shows a Proxy fact as "URL from Source", "none" for nil.
func proxyString(p *diagnosis.Proxy) string {
	if p == nil {
		return "none"
	}
	return p.URL + " from " + p.Source
}

func TestSysProxyWinINETServer(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"proxy:8080", "http://proxy:8080"},
		{"http=p:80;https=p:443;socks=s:1080", "http://p:443"},
		{"HTTPS=secure:3129; http=plain:3128", "http://secure:3129"},
		{"http=plain:3128", ""}, // an http= entry alone leaves HTTPS direct
		{"http=plain:3128;socks=s:1080", "socks4://s:1080"},
		{"socks=socks5://s:1080", "socks5://s:1080"},
		{"https=https://tls-proxy:443", "https://tls-proxy:443"},
		{"ftp=f:21;corp:8080", "http://corp:8080"},
		{"user:secret@corp:8080", "http://user:secret@corp:8080"}, // redacted later, in gatherFacts
		{" ; ;", ""},
	} {
		if got := winINETServer(tt.in); got != tt.want {
			t.Errorf("winINETServer(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSysProxySpotifyBypass(t *testing.T) {
	for _, tt := range []struct {
		override string
		want     bool
	}{
		{"", false},
		{"<local>", false}, // Spotify's names all have a dot
		{"<local>;*.corp", false},
		{"*.spotify.com", true},
		{"<local>;*.SPOTIFY.com;*.corp", true},
		{"*spotify*", true},
		{"*", true},
		{"api.spotify.com", false}, // one host only: the rest still goes through the proxy
		{"spotify.com", false},
		{"*.spotify.co", false},
		{"10.*;192.168.*", false},
	} {
		if got := spotifyBypassed(splitWinINETList(tt.override)); got != tt.want {
			t.Errorf("spotifyBypassed(%q) = %v, want %v", tt.override, got, tt.want)
		}
	}
	if !spotifyBypassed([]string{".spotify.com"}) {
		t.Error(`macOS-style ".spotify.com" should cover Spotify's hosts`)
	}
}

// connectionBlob builds a DefaultConnectionSettings blob as Windows writes it.
func connectionBlob(flags uint32, server, bypass, pac string) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0x46)
	b = le.AppendUint32(b, 7) // change counter
	b = le.AppendUint32(b, flags)
	for _, s := range []string{server, bypass, pac} {
		b = le.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return append(b, make([]byte, 32)...) // WPAD detection fields, unread
}

func TestSysProxyWinINETConnectionBlob(t *testing.T) {
	c, err := parseWinINETConnection(connectionBlob(0x0f, "p:8080", "<local>", "http://wpad/wpad.dat"))
	if err != nil {
		t.Fatal(err)
	}
	want := winINETConnection{Flags: 0x0f, ProxyServer: "p:8080", ProxyOverride: "<local>", AutoConfigURL: "http://wpad/wpad.dat"}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if _, err := parseWinINETConnection([]byte{0x46, 0, 0, 0, 1}); err == nil {
		t.Error("a 5-byte blob should be an error")
	}
	// Lengths running past the end are taken as far as they go.
	b := connectionBlob(0x03, "p:8080", "", "")[:18]
	if c, err := parseWinINETConnection(b); err != nil || c.Flags != 0x03 || c.ProxyServer != "p:" {
		t.Errorf("cut blob: got %+v, %v", c, err)
	}
}

func TestSysProxyWinINETConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    winINETValues
		want string
	}{
		{"nothing set", winINETValues{}, "none"},
		{"ProxyEnable=1 without a blob", winINETValues{ProxyEnable: 1, HasProxyEnable: true, ProxyServer: "corp:8080"},
			"http://corp:8080 from " + sourceWinINET},
		{"ProxyEnable=0", winINETValues{HasProxyEnable: true, ProxyServer: "corp:8080"}, "none"},
		{"per-protocol server", winINETValues{ProxyEnable: 1, HasProxyEnable: true, ProxyServer: "http=p:80;https=p:443;socks=s:1080", ProxyOverride: "<local>;*.corp"},
			"http://p:443 from " + sourceWinINET},
		{"Spotify excepted", winINETValues{ProxyEnable: 1, HasProxyEnable: true, ProxyServer: "corp:8080", ProxyOverride: "<local>;*.spotify.com"}, "none"},
		{"the blob's flags win over ProxyEnable", winINETValues{ProxyEnable: 1, HasProxyEnable: true, ProxyServer: "corp:8080", Connections: connectionBlob(0x01, "corp:8080", "", "")}, "none"},
		{"blob on, ProxyEnable stale", winINETValues{ProxyServer: "corp:8080", Connections: connectionBlob(0x03, "", "", "")},
			"http://corp:8080 from " + sourceWinINET},
		{"server only in the blob", winINETValues{Connections: connectionBlob(0x03, "blob:3128", "", "")},
			"http://blob:3128 from " + sourceWinINET},
		{"setup script", winINETValues{AutoConfigURL: "http://pac.corp/proxy.pac"},
			" from " + sourceWinINET + ", setup script http://pac.corp/proxy.pac"},
		{"setup script over a manual proxy, credentials and query dropped", winINETValues{ProxyEnable: 1, HasProxyEnable: true, ProxyServer: "corp:8080", AutoConfigURL: "http://u:pw@pac.corp/p.pac?token=x"},
			" from " + sourceWinINET + ", setup script http://pac.corp/p.pac"},
		{"setup script box off in the blob", winINETValues{AutoConfigURL: "http://pac.corp/proxy.pac", Connections: connectionBlob(0x09, "", "", "http://pac.corp/proxy.pac")}, "none"},
		{"auto-detect only", winINETValues{Connections: connectionBlob(0x09, "", "", "")}, "none"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := winINETConfig(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := proxyString(c.proxyFor(sourceWinINET)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	c, err := winINETConfig(winINETValues{ProxyEnable: 1, HasProxyEnable: true, ProxyServer: "corp:8080", Connections: []byte{1, 2}})
	if err == nil || c.Server != "http://corp:8080" {
		t.Errorf("a broken blob: got %+v, %v; want the values used and an error", c, err)
	}
}

func TestSysProxyScutil(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"none.txt", "none"},
		{"disabled.txt", "none"},
		{"https.txt", "http://proxy.corp.example:3129 from " + sourceMacOS},
		{"http-only.txt", "none"},
		{"socks.txt", "socks5://127.0.0.1:1080 from " + sourceMacOS},
		{"pac.txt", " from " + sourceMacOS + ", setup script http://pac.corp.example/proxy.pac"},
		{"wpad.txt", "none"},
		{"bypass.txt", "none"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "scutil", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseScutilProxy(string(data))
			if err != nil {
				t.Fatal(err)
			}
			if got := proxyString(c.proxyFor(sourceMacOS)); got != tt.want {
				t.Errorf("got %q, want %q (parsed %+v)", got, tt.want, c)
			}
		})
	}
	data, err := os.ReadFile(filepath.Join("testdata", "scutil", "https.txt"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseScutilProxy(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Exceptions, ",") != "*.local,169.254/16,*.corp.example" {
		t.Errorf("exceptions %q: the __SCOPED__ copy's must not count", c.Exceptions)
	}
	for _, bad := range []string{"", "{", "<dictionary> {\n  HTTPSEnable : 1\n", "<dictionary> {\n}\n}\n", "<dictionary> {\n  garbage\n}\n"} {
		if _, err := parseScutilProxy(bad); err == nil {
			t.Errorf("parseScutilProxy(%q): want an error", bad)
		}
	}
}

func TestSysProxyPrecedence(t *testing.T) {
	dir := tempDir(t)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manual := write("manual", "network.proxy.mode=2\nnetwork.proxy.addr=\"10.0.0.1:3128@http\"\n")
	auto := write("auto", "network.proxy.mode=0\n")
	off := write("off", "network.proxy.mode=1\n")
	system := func() (*diagnosis.Proxy, error) {
		return &diagnosis.Proxy{URL: "http://sys:8080", Source: sourceWinINET}, nil
	}
	broken := func() (*diagnosis.Proxy, error) { return nil, errors.New("registry says no") }
	env := map[string]string{"HTTPS_PROXY": "http://env:3128"}
	for _, tt := range []struct {
		name    string
		prefs   []string
		system  func() (*diagnosis.Proxy, error)
		want    string
		wantErr bool
	}{
		{"Spotify's manual proxy first", []string{manual}, system, "http://10.0.0.1:3128 from Spotify's proxy setting in " + manual, false},
		{"auto-detect follows the system", []string{auto}, system, "http://sys:8080 from " + sourceWinINET, false},
		{"no prefs file follows the system", nil, system, "http://sys:8080 from " + sourceWinINET, false},
		{"No proxy in Spotify ignores the system", []string{off}, system, "http://env:3128 from HTTPS_PROXY environment variable", false},
		{"no system proxy falls back to the environment", []string{auto}, nil, "http://env:3128 from HTTPS_PROXY environment variable", false},
		{"an unreadable system proxy is an error, the environment still counts", []string{auto}, broken, "http://env:3128 from HTTPS_PROXY environment variable", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			px, err := findProxy(func(k string) string { return env[k] }, tt.prefs, tt.system)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if got := proxyString(px); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSysProxyRedactedInFacts: a system proxy with a password reaches the facts redacted and
// the probes with it; a setup script gives a fact and no proxy to dial.
func TestSysProxyRedactedInFacts(t *testing.T) {
	for _, tt := range []struct {
		name, url, wantFact, wantDial string
	}{
		{"password", "http://alice:s3cret@corp:8080", "http://alice:xxxxx@corp:8080", "http://alice:s3cret@corp:8080"},
		{"setup script", "", "", "<nil>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := FactsSource{HostsFile: filepath.Join("testdata", "no-such-hosts-file"), PrefsFiles: []string{},
				Getenv: func(string) string { return "" },
				SystemProxy: func() (*diagnosis.Proxy, error) {
					return &diagnosis.Proxy{URL: tt.url, Source: sourceWinINET}, nil
				}}
			facts, dial := gatherFacts(src)
			if facts.Proxy == nil {
				t.Fatal("no proxy in the facts")
			}
			want := strings.ReplaceAll(tt.wantFact, "xxxxx", safetext.RedactedPassword)
			if facts.Proxy.URL != want || facts.Proxy.Source != sourceWinINET {
				t.Errorf("fact %+v, want URL %q", facts.Proxy, want)
			}
			got := "<nil>"
			if dial != nil {
				got = dial.String()
			}
			if got != tt.wantDial {
				t.Errorf("dial %s, want %s", got, tt.wantDial)
			}
		})
	}
}

// tempDir is a temporary directory removed after the test, best effort: under wine 8 removing
// files fails (scripts/wine/README.md), which t.TempDir reports as a test failure.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "spotwatch-sysproxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
