package probe

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

func isSpotifyForTest(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range []string{"spotify.com", "scdn.co", "spotifycdn.com"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

func TestScanHosts(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "hosts")
	content := strings.Join([]string{
		"127.0.0.1 localhost",
		"# 0.0.0.0 apresolve.spotify.com (commented out)",
		"",
		"0.0.0.0 apresolve.spotify.com ads.example.org",
		"::1\tip6-localhost ip6-loopback",
		"127.0.0.1 audio-ak-spotify-com.akamaized.net api.SPOTIFY.com. # inline comment",
		"10.0.0.5 i.scdn.co",
		"0.0.0.0 notspotify.com",
	}, "\n")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := scanHosts(path, isSpotifyForTest)
	if err != nil {
		t.Fatal(err)
	}
	want := []diagnosis.HostsEntry{
		{File: path, Line: 4, Addr: "0.0.0.0", Name: "apresolve.spotify.com"},
		{File: path, Line: 6, Addr: "127.0.0.1", Name: "api.SPOTIFY.com."},
		{File: path, Line: 7, Addr: "10.0.0.5", Name: "i.scdn.co"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scanHosts =\n%v\nwant\n%v", got, want)
	}
	if _, err := scanHosts(filepath.Join(testutil.TempDir(t), "absent"), isSpotifyForTest); err == nil {
		t.Error("a missing hosts file gave no error")
	}
}

func TestProxyFromPrefsAndEnv(t *testing.T) {
	dir := testutil.TempDir(t)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manual := write("manual", "autologin.username=\"x\"\nnetwork.proxy.mode=2\nnetwork.proxy.addr=\"10.0.0.1:3128@http\"\n")
	socks := write("socks", "network.proxy.addr=\"10.0.0.2:1080@socks5\"\nnetwork.proxy.mode=4\n")
	none := write("none", "network.proxy.mode=1\nnetwork.proxy.addr=\"10.0.0.3:3128@http\"\n")
	env := map[string]string{"HTTPS_PROXY": "http://corp:8080"}
	tests := []struct {
		name  string
		prefs []string
		env   map[string]string
		want  string
	}{
		{"Spotify's manual proxy wins", []string{manual}, env, "http://10.0.0.1:3128 from Spotify's proxy setting in " + manual},
		{"SOCKS proxy", []string{socks}, nil, "socks5://10.0.0.2:1080 from Spotify's proxy setting in " + socks},
		{"no proxy in prefs falls back to the environment", []string{none}, env, "http://corp:8080 from HTTPS_PROXY environment variable"},
		{"missing prefs file", []string{filepath.Join(dir, "absent")}, nil, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			px, err := findProxy(func(k string) string { return tt.env[k] }, tt.prefs, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			if px != nil {
				got = px.URL + " from " + px.Source
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// BenchmarkScanHosts scans a large hosts file (an ad-blocking list of 50,000 lines).
func BenchmarkScanHosts(b *testing.B) {
	var sb strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&sb, "0.0.0.0 ads%d.tracker-example.com\n", i)
	}
	sb.WriteString("0.0.0.0 apresolve.spotify.com\n")
	path := filepath.Join(b.TempDir(), "hosts")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		entries, err := scanHosts(path, isSpotifyForTest)
		if err != nil || len(entries) != 1 {
			b.Fatalf("scanHosts = %v, %v", entries, err)
		}
	}
}

func TestEnvProxyFunc(t *testing.T) {
	env := map[string]string{"http_proxy": "proxy.corp:3128", "NO_PROXY": "intranet.corp, .example.org,10.0.0.0/8,192.0.2.7:80"}
	proxyFor := envProxyFunc(func(k string) string { return env[k] })
	tests := map[string]string{
		"http://connectivitycheck.gstatic.com/generate_204": "http://proxy.corp:3128",
		"http://intranet.corp/":                             "",
		"http://wiki.intranet.corp/":                        "",
		"http://example.org/":                               "",
		"http://www.example.org/":                           "",
		"http://notexample.org/":                            "http://proxy.corp:3128",
		"http://10.1.2.3/":                                  "",
		"http://192.0.2.7/":                                 "",
		"http://127.0.0.1/":                                 "",
		"http://localhost:8080/":                            "",
		"https://api.spotify.com/":                          "",
	}
	for raw, want := range tests {
		u, _ := url.Parse(raw)
		px, err := proxyFor(u)
		got := ""
		if px != nil {
			got = px.String()
		}
		if err != nil || got != want {
			t.Errorf("%s: proxy %q (%v), want %q", raw, got, err, want)
		}
	}
}

// TestGatherFactsRedactsProxyPassword: the facts name the proxy without its password, and the
// URL the probes dial keeps it.
func TestGatherFactsRedactsProxyPassword(t *testing.T) {
	tests := []struct {
		name, env, wantFacts string
	}{
		{"user and password", "http://corp:s3cret@10.0.0.1:3128", "http://corp:xxxxx@10.0.0.1:3128"},
		{"no scheme", "corp:s3cret@10.0.0.1:3128", "http://corp:xxxxx@10.0.0.1:3128"},
		{"user only", "http://corp@10.0.0.1:3128", "http://corp@10.0.0.1:3128"},
		{"no credentials", "http://10.0.0.1:3128", "http://10.0.0.1:3128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := FactsSource{HostsFile: filepath.Join(testutil.TempDir(t), "hosts"), PrefsFiles: []string{}, Getenv: func(k string) string {
				if k == "HTTPS_PROXY" {
					return tt.env
				}
				return ""
			}}
			facts, dial := gatherFacts(src)
			if facts.Proxy == nil || facts.Proxy.URL != tt.wantFacts {
				t.Fatalf("facts.Proxy = %+v, want URL %q", facts.Proxy, tt.wantFacts)
			}
			want, err := url.Parse(normaliseProxyURL(tt.env, "http"))
			if err != nil {
				t.Fatal(err)
			}
			if dial == nil || dial.String() != want.String() {
				t.Errorf("the probes would dial %v, want %v (credentials included)", dial, want)
			}
		})
	}
}
