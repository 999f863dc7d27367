package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// TestFullCheckEveryFollowsALongInterval: a file that sets an interval longer than the default
// full_check_every (and was valid before the key existed) gets a full check every interval;
// one that sets both the wrong way round is an error (TestParseErrors).
func TestFullCheckEveryFollowsALongInterval(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want time.Duration
	}{
		{"interval: 2h\n", 2 * time.Hour},
		{"interval: 2m\n", time.Hour},
		{"interval: 2m\nfull_check_every: 3m\n", 3 * time.Minute},
		{"light_check: false\n", time.Hour},
	} {
		cfg, err := Parse("test.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.yaml, err)
		}
		if cfg.FullCheckEvery != tc.want {
			t.Errorf("Parse(%q): full_check_every %v, want %v", tc.yaml, cfg.FullCheckEvery, tc.want)
		}
	}
}

// TestDefault is the golden test of the defaults: the values of docs/design.md "Configuration", written out.
func TestDefault(t *testing.T) {
	want := &Config{
		Interval:        60 * time.Second,
		FailingInterval: 15 * time.Second,
		Timeout:         5 * time.Second,
		LightCheck:      true,
		FullCheckEvery:  time.Hour,
		MeteredInterval: 15 * time.Minute,
		Thresholds:      Thresholds{Fail: 2, Recover: 1},
		Notify:          Notify{Enabled: true, OnRecovery: true, RepeatAfter: time.Hour},
		Spotify: Spotify{
			APResolve:            "https://apresolve.spotify.com/?type=accesspoint&type=dealer&type=spclient",
			FallbackAccessPoints: []string{"ap.spotify.com:4070", "ap.spotify.com:443", "ap.spotify.com:80"},
			HTTPS:                []string{"https://api.spotify.com/v1/me", "https://spclient.wg.spotify.com/"},
			Domains:              []string{"spotify.com", "scdn.co", "spotifycdn.com", "spotifycdn.net", "pscdn.co"},
		},
		Internet: Internet{
			HTTP: []HTTPReference{
				{URL: "http://connectivitycheck.gstatic.com/generate_204", Status: 204},
				{URL: "http://www.msftconnecttest.com/connecttest.txt", Body: "Microsoft Connect Test"},
				{URL: "http://captive.apple.com/hotspot-detect.html", Body: "Success"},
			},
			TCP: []string{"1.1.1.1:443", "8.8.8.8:443", "9.9.9.9:443"},
			DoH: []string{"https://1.1.1.1/dns-query", "https://8.8.8.8/dns-query"},
		},
		DNS:       DNS{Server: ""},
		HostsFile: "",
		TLS:       TLS{PublicRoots: ""},
		API:       API{Socket: ""},
		Metrics:   Metrics{Listen: ""},
		Log:       Log{Level: "info", Format: "text", File: ""},
	}
	got := Default()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Default()\n got: %+v\nwant: %+v", got, want)
	}

	// Each call returns a fresh Config: changing one does not change the next.
	got.Spotify.Domains[0] = "changed"
	if Default().Spotify.Domains[0] != "spotify.com" {
		t.Error("Default() shares its lists between calls")
	}
}

// TestExampleFile checks config.example.yaml: it parses to exactly Default(), has every key,
// and a comment on each key.
func TestExampleFile(t *testing.T) {
	path := filepath.Join("..", "..", "config.example.yaml")
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := Default(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("the example file differs from Default()\n got: %+v\nwant: %+v", cfg, want)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if missing := missingKeys(t, path, data); len(missing) > 0 {
		t.Errorf("keys missing from %s: %s", path, strings.Join(missing, ", "))
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range uncommentedKeys(doc.Content[0], "") {
		t.Errorf("%s: key %s has no comment", path, key)
	}
	// The daemon listens on a Unix-domain socket on every OS (AF_UNIX on Windows 10 and later).
	if strings.Contains(strings.ToLower(string(data)), "pipe") {
		t.Errorf("%s calls api.socket a pipe; it is a Unix-domain socket on every OS", path)
	}
}

// TestDefaultsFileHasEveryKey keeps defaults.yaml complete, so that Default() sets every key.
func TestDefaultsFileHasEveryKey(t *testing.T) {
	if missing := missingKeys(t, "defaults.yaml", []byte(defaultsYAML)); len(missing) > 0 {
		t.Errorf("keys missing from defaults.yaml: %s", strings.Join(missing, ", "))
	}
}

// missingKeys returns the keys of the schema that data does not set, list indices left out.
func missingKeys(t *testing.T, file string, data []byte) []string {
	t.Helper()
	d := newDecoder(file)
	root, err := d.document(data)
	if err != nil || root == nil {
		t.Fatalf("%s: no document (%v)", file, err)
	}
	d.config(root, Default())
	if len(d.errs) > 0 {
		t.Fatalf("%s: %v", file, errors.Join(d.errs...))
	}
	indices := regexp.MustCompile(`\[\d+\]`)
	present := make(map[string]bool)
	for key := range d.keys {
		present[indices.ReplaceAllString(key, "[]")] = true
	}
	var missing []string
	for key := range d.known {
		if key := indices.ReplaceAllString(key, "[]"); !present[key] {
			missing = append(missing, key)
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing)
}

// uncommentedKeys returns the keys of the mapping n (and of mappings under it, but not inside
// lists) that have neither a comment above them nor one at the end of their line.
func uncommentedKeys(n *yaml.Node, path string) []string {
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		if k.HeadComment == "" && k.LineComment == "" && v.LineComment == "" {
			keys = append(keys, key)
		}
		if v.Kind == yaml.MappingNode {
			keys = append(keys, uncommentedKeys(v, key)...)
		}
	}
	return keys
}

func TestLoad(t *testing.T) {
	dir := testutil.TempDir(t)
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("a file", func(t *testing.T) {
		writeCertPEM(t, filepath.Join(dir, "roots.pem"))
		path := write("good.yaml", "interval: 2m\ntls: {public_roots: roots.pem}\n")
		cfg, err := Load(path)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		want := Default()
		want.Interval = 2 * time.Minute
		want.TLS.PublicRoots = filepath.Join(dir, "roots.pem")
		if !reflect.DeepEqual(cfg, want) {
			t.Errorf("Load\n got: %+v\nwant: %+v", cfg, want)
		}
	})
	t.Run("a missing file", func(t *testing.T) {
		path := filepath.Join(dir, "nope.yaml")
		_, err := Load(path)
		if want := "config file " + path + ": " + statError(t, path); err == nil || err.Error() != want {
			t.Errorf("Load error = %v, want %q", err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load error %v is not fs.ErrNotExist", err)
		}
	})
	t.Run("a directory", func(t *testing.T) {
		_, err := Load(dir)
		if want := "config file " + dir + ": is a directory"; err == nil || err.Error() != want {
			t.Errorf("Load error = %v, want %q", err, want)
		}
		if !errors.Is(err, syscall.EISDIR) {
			t.Errorf("Load error %v is not syscall.EISDIR", err)
		}
	})
	t.Run("a file too large", func(t *testing.T) {
		path := write("big.yaml", strings.Repeat("#", maxFileSize+1))
		_, err := Load(path)
		if want := "config file " + path + ": larger than 1048576 bytes"; err == nil || err.Error() != want {
			t.Errorf("Load error = %v, want %q", err, want)
		}
	})
	t.Run("a bad value", func(t *testing.T) {
		path := write("bad.yaml", "\n\ntimeout: forever\n")
		_, err := Load(path)
		if want := path + `:3: timeout: not a duration: "forever" (write it like "60s" or "1m30s")`; err == nil || err.Error() != want {
			t.Errorf("Load error = %v, want %q", err, want)
		}
	})
}

// setConfigDir points os.UserConfigDir at dir on every OS (Linux and BSDs read
// $XDG_CONFIG_HOME, macOS $HOME, Windows %AppData%), or makes it fail when dir is "".
func setConfigDir(t *testing.T, dir string) {
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("HOME", dir)
	t.Setenv("AppData", dir)
}

func TestUserConfigPath(t *testing.T) {
	dir := testutil.TempDir(t)
	setConfigDir(t, dir)
	got, err := UserConfigPath()
	if err != nil {
		t.Fatalf("UserConfigPath: %v", err)
	}
	base, _ := os.UserConfigDir()
	if want := filepath.Join(base, "spotwatch", "config.yaml"); got != want || !strings.HasPrefix(got, dir) {
		t.Errorf("UserConfigPath() = %q, want %q under %q", got, want, dir)
	}

	setConfigDir(t, "")
	if _, err := UserConfigPath(); err == nil {
		t.Error("UserConfigPath() succeeded without a home directory")
	}
}

func TestLoadDefault(t *testing.T) {
	dir := testutil.TempDir(t)
	setConfigDir(t, dir)
	path, err := UserConfigPath()
	if err != nil {
		t.Fatal(err)
	}

	cfg, gotPath, err := LoadDefault()
	if err != nil || gotPath != "" || !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("without a file: LoadDefault() = %+v, %q, %v; want Default(), \"\", nil", cfg, gotPath, err)
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("log: {level: debug}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, gotPath, err = LoadDefault()
	if err != nil || gotPath != path || cfg.Log.Level != "debug" {
		t.Errorf("with a file: LoadDefault() = %+v, %q, %v; want level debug, %q, nil", cfg, gotPath, err, path)
	}

	if err := os.WriteFile(path, []byte("log: {level: loud}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, gotPath, err = LoadDefault()
	want := path + `:1: log.level: must be one of debug, info, warn, error; got "loud"`
	if err == nil || err.Error() != want || gotPath != path || cfg != nil {
		t.Errorf("with a bad file: LoadDefault() = %v, %q, %v; want nil, %q, %s", cfg, gotPath, err, path, want)
	}

	setConfigDir(t, "")
	cfg, gotPath, err = LoadDefault()
	if err != nil || gotPath != "" || !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("without a config dir: LoadDefault() = %+v, %q, %v; want Default(), \"\", nil", cfg, gotPath, err)
	}
}

func TestSpotifyNames(t *testing.T) {
	if got, want := Default().SpotifyNames(), []string{"apresolve.spotify.com", "ap.spotify.com", "api.spotify.com", "spclient.wg.spotify.com"}; !slices.Equal(got, want) {
		t.Errorf("Default().SpotifyNames() = %q, want %q", got, want)
	}

	c := Default()
	c.Spotify = Spotify{
		APResolve:            "https://AP.example:8443/x",
		FallbackAccessPoints: []string{"ap.example:4070", "[2001:db8::1]:443", "b.example:80", "b.example:443"},
		HTTPS:                []string{"https://b.example/", "https://c.example/v1"},
	}
	if got, want := c.SpotifyNames(), []string{"AP.example", "2001:db8::1", "b.example", "c.example"}; !slices.Equal(got, want) {
		t.Errorf("SpotifyNames() = %q, want %q", got, want)
	}
}

func TestIsSpotifyName(t *testing.T) {
	c := Default()
	tests := map[string]bool{
		"spotify.com":               true,
		"apresolve.spotify.com":     true,
		"APResolve.Spotify.COM.":    true,
		"i.scdn.co":                 true,
		"audio-ak.spotifycdn.com":   true,
		"pscdn.co":                  true,
		"notspotify.com":            false,
		"spotify.com.evil.example":  false,
		"spotify.co":                false,
		"":                          false,
		".":                         false,
		"example.org":               false,
		"spotifycdn.net.":           true,
		"heads-fab.spotifycdn.net.": true,
	}
	for host, want := range tests {
		if got := c.IsSpotifyName(host); got != want {
			t.Errorf("IsSpotifyName(%q) = %v, want %v", host, got, want)
		}
	}

	c.Spotify.Domains = []string{"Example.ORG."}
	if !c.IsSpotifyName("www.example.org") || c.IsSpotifyName("spotify.com") {
		t.Error("IsSpotifyName does not follow spotify.domains")
	}
}

func TestAcceptsStatus(t *testing.T) {
	tests := []struct {
		ref  HTTPReference
		code int
		want bool
	}{
		{HTTPReference{Status: 204}, 204, true},
		{HTTPReference{Status: 204}, 200, false},
		{HTTPReference{}, 200, true},
		{HTTPReference{}, 299, true},
		{HTTPReference{Body: "Success"}, 204, true},
		{HTTPReference{}, 302, false},
		{HTTPReference{}, 199, false},
		{HTTPReference{Status: 302}, 302, true},
	}
	for _, tt := range tests {
		if got := tt.ref.AcceptsStatus(tt.code); got != tt.want {
			t.Errorf("%+v.AcceptsStatus(%d) = %v, want %v", tt.ref, tt.code, got, tt.want)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	for level, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		if got := (Log{Level: level}).SlogLevel(); got != want {
			t.Errorf("Log{Level: %q}.SlogLevel() = %v, want %v", level, got, want)
		}
	}
}

// writeCertPEM writes a fresh self-signed CA certificate to path.
func writeCertPEM(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "spotwatch test root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
