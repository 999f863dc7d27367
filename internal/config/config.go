// Package config loads spotwatch's YAML configuration (docs/design.md, "Configuration").
//
// Every key is optional: a file is laid over the built-in defaults (defaults.yaml, embedded),
// and a list in the file replaces the default list. The file is checked strictly: unknown keys,
// wrong types and bad values are errors that name the file, the line and the key, e.g.
//
//	/etc/spotwatch.yaml:7: spotify.https[1]: not an https URL: "ftp://x"
//
// The file is read into a yaml.Node tree and walked by hand (decode.go) rather than unmarshalled
// into structs, because only the node tree knows where each key was written.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Config is spotwatch's whole configuration. The yaml key of each field is in its comment.
type Config struct {
	Interval        time.Duration // "interval": between checks while healthy
	FailingInterval time.Duration // "failing_interval": between checks while a problem lasts
	Timeout         time.Duration // "timeout": one check's deadline; never longer than FailingInterval
	LightCheck      bool          // "light_check": while all is well, a light check instead of the full one
	FullCheckEvery  time.Duration // "full_check_every": a full check at least this often in light mode; at least Interval
	MeteredInterval time.Duration // "metered_interval": between checks while healthy on a metered connection
	Thresholds      Thresholds    // "thresholds"
	Notify          Notify        // "notify"
	Spotify         Spotify       // "spotify"
	Internet        Internet      // "internet"
	DNS             DNS           // "dns"
	HostsFile       string        // "hosts_file": "" means the OS's hosts file
	TLS             TLS           // "tls"
	API             API           // "api"
	Metrics         Metrics       // "metrics"
	Log             Log           // "log"
}

// Thresholds are the consecutive checks needed before the state changes (each at least 1).
type Thresholds struct {
	Fail    int // "fail": failing checks before the state becomes a problem
	Recover int // "recover": good checks before a problem counts as fixed
}

// Notify controls desktop notifications.
type Notify struct {
	Enabled     bool          // "enabled": notify when the state changes
	OnRecovery  bool          // "on_recovery": also notify when a problem is fixed
	RepeatAfter time.Duration // "repeat_after": remind of a lasting problem no sooner than this
}

// Spotify is where spotwatch reaches Spotify, the way the desktop app does.
type Spotify struct {
	APResolve            string   // "apresolve": https URL of the access-point resolver
	FallbackAccessPoints []string // "fallback_access_points": host:port, used when apresolve fails
	HTTPS                []string // "https": https URLs whose answer proves the real Spotify is reachable
	Domains              []string // "domains": names under which every host is Spotify's (hosts file, DNS)
	AppExecutables       []string // "app_executables": where the desktop app's executable is, beside the usual places
}

// Internet lists the references that tell whether the internet works at all.
type Internet struct {
	HTTP []HTTPReference // "http": plain-HTTP captive-portal probes
	TCP  []string        // "tcp": host:port to connect to, best as IP literals (no DNS needed)
	DoH  []string        // "doh": https URLs of DNS-over-HTTPS resolvers, best by IP (the control resolver)
}

// HTTPReference is one captive-portal probe and the answer it expects.
type HTTPReference struct {
	URL    string // "url": http or https URL, fetched without following redirects
	Status int    // "status": the expected status code (100-599); 0 means any 2xx
	Body   string // "body": text the response body must contain; "" means any body
}

// AcceptsStatus reports whether code is the status r expects: r.Status, or any 2xx when it is 0.
func (r HTTPReference) AcceptsStatus(code int) bool {
	if r.Status == 0 {
		return code >= 200 && code <= 299
	}
	return code == r.Status
}

// DNS is the resolver spotwatch treats as the system's.
type DNS struct {
	// Server ("server") is the ip:port of the DNS server to query directly as the system
	// resolver; "" means the OS's resolver (for direct queries: the first nameserver of
	// /etc/resolv.conf).
	Server string
}

// TLS holds the certificate settings.
type TLS struct {
	// PublicRoots ("public_roots") is a PEM file of root certificates to treat as public, added
	// to the bundled Mozilla set; "" for none. It must be readable and hold a certificate.
	PublicRoots string
}

// API is the local status API of the daemon.
type API struct {
	Socket string // "socket": the Unix-domain socket's path (AF_UNIX on Windows too); "" means the per-OS default
}

// Metrics is the optional metrics endpoint and node_exporter textfile.
type Metrics struct {
	Listen   string // "listen": host:port on a loopback address only; "" means no endpoint
	Textfile string // "textfile": a *.prom file in node_exporter's textfile directory, rewritten after every check; "" means none
}

// Log configures logging.
type Log struct {
	Level  string // "level": debug, info, warn or error
	Format string // "format": text or json
	File   string // "file": the file to append to; "" means standard error
}

// SlogLevel returns Level as a slog.Level (info when Level is not one of the four names).
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// defaultsYAML is the one source of truth for the defaults: Default parses it.
//
//go:embed defaults.yaml
var defaultsYAML string

// maxFileSize caps how much of a config file Load reads.
const maxFileSize = 1 << 20

// Default returns the built-in configuration (docs/design.md, "Configuration"). Each call returns a new Config.
func Default() *Config {
	c, err := parse("defaults.yaml", []byte(defaultsYAML), &Config{})
	if err != nil {
		panic("config: the embedded defaults are invalid: " + err.Error())
	}
	return c
}

// Parse lays the YAML in data over Default() and checks the result. file names the source in
// error messages, and relative paths in the file (hosts_file, tls.public_roots, log.file) are
// taken relative to its directory. An empty file, or one of only comments, gives the defaults.
//
// The error lists every problem found, one per line; errors.As finds the first *Error.
func Parse(file string, data []byte) (*Config, error) {
	return parse(file, data, Default())
}

// Load reads and parses the config file at path. A missing file is an error.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// readFile reads at most maxFileSize bytes of path. Its errors keep the cause (fs.ErrNotExist…)
// in their chain and read "config file PATH: no such file or directory".
//
// A directory is found with Stat before it is opened: on Linux reading one fails with "is a
// directory", but on Windows opening one succeeds and reading it fails with "Incorrect function",
// so every OS gets the same error, wrapping syscall.EISDIR.
func readFile(path string) ([]byte, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, unwrapPath(err))
	} else if fi.IsDir() {
		return nil, fmt.Errorf("config file %s: %w", path, syscall.EISDIR)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, unwrapPath(err))
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("config file %s: larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}

// unwrapPath drops the *fs.PathError layer, whose text repeats the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// UserConfigPath returns the per-user config file: os.UserConfigDir()/spotwatch/config.yaml.
func UserConfigPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user config directory: %w", err)
	}
	return filepath.Join(dir, "spotwatch", "config.yaml"), nil
}

// LoadDefault loads the per-user config file if it exists. Otherwise, and also when there is no
// per-user config directory (a system service without $HOME), it returns Default() and path "".
func LoadDefault() (cfg *Config, path string, err error) {
	path, err = UserConfigPath()
	if err != nil {
		return Default(), "", nil
	}
	cfg, err = Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), "", nil
	}
	if err != nil {
		return nil, path, err
	}
	return cfg, path, nil
}

// SpotifyNames returns the distinct host names of spotify.apresolve, the
// spotify.fallback_access_points and the spotify.https URLs, in that order, each once
// (compared case-insensitively; the first spelling is kept).
func (c *Config) SpotifyNames() []string {
	var hosts []string
	if u, err := url.Parse(c.Spotify.APResolve); err == nil {
		hosts = append(hosts, u.Hostname())
	}
	for _, ap := range c.Spotify.FallbackAccessPoints {
		if host, _, err := net.SplitHostPort(ap); err == nil {
			hosts = append(hosts, host)
		}
	}
	for _, s := range c.Spotify.HTTPS {
		if u, err := url.Parse(s); err == nil {
			hosts = append(hosts, u.Hostname())
		}
	}

	var names []string
	seen := make(map[string]bool)
	for _, h := range hosts {
		if h != "" && !seen[strings.ToLower(h)] {
			seen[strings.ToLower(h)] = true
			names = append(names, h)
		}
	}
	return names
}

// IsSpotifyName reports whether host is one of spotify.domains or a subdomain of one, ignoring
// case and a trailing dot.
func (c *Config) IsSpotifyName(host string) bool {
	host = canonicalName(host)
	if host == "" {
		return false
	}
	for _, d := range c.Spotify.Domains {
		d = canonicalName(d)
		if d != "" && (host == d || strings.HasSuffix(host, "."+d)) {
			return true
		}
	}
	return false
}

func canonicalName(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}
