package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// TestParseErrors has one case per kind of mistake; want is the whole message.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		// keys
		{"unknown key, typo", "intervall: 60s\n",
			`test.yaml:1: intervall: unknown key (did you mean "interval"?)`},
		{"unknown key, dashes", "failing-interval: 60s\n",
			`test.yaml:1: failing-interval: unknown key (did you mean "failing_interval"?)`},
		{"unknown key, camel case", "notify:\n  onRecovery: false\n",
			`test.yaml:2: notify.onRecovery: unknown key (did you mean "on_recovery"?)`},
		{"unknown key, nothing close", "log:\n  colour: true\n",
			`test.yaml:2: log.colour: unknown key (the keys here are: file, format, level)`},
		{"unknown key, not a plain name", "\"a b\": 1\n",
			`test.yaml:1: "a b": unknown key (the keys here are: api, dns, failing_interval, full_check_every, hosts_file, internet, interval, light_check, log, metered_interval, metrics, notify, spotify, thresholds, timeout, tls)`},
		{"unknown key in a list item", "internet:\n  http:\n    - {url: \"http://x/\", code: 204}\n",
			`test.yaml:3: internet.http[0].code: unknown key (the keys here are: body, status, url)`},
		{"duplicate key", "timeout: 2s\ninterval: 60s\ntimeout: 3s\n",
			`test.yaml:3: timeout: duplicate key (first set on line 1)`},
		{"key not a name", "thresholds:\n  [fail]: 2\n",
			`test.yaml:2: thresholds: want a key name, got a list`},

		// the shape of the document
		{"root is a list", "- interval: 60s\n",
			`test.yaml:1: want a mapping of keys to values, got a list`},
		{"root is a string", "interval\n",
			`test.yaml:1: want a mapping of keys to values, got the string "interval"`},
		{"section is a number", "thresholds: 5\n",
			`test.yaml:1: thresholds: want a mapping of keys to values, got the number 5`},
		{"section is a list", "spotify: [a]\n",
			`test.yaml:1: spotify: want a mapping of keys to values, got a list`},
		{"second document", "interval: 60s\n---\ntimeout: 1s\n",
			`test.yaml:2: a second YAML document: a config file holds one`},
		{"alias value", "interval: &i 60s\nfailing_interval: *i\n",
			`test.yaml:2: failing_interval: aliases (*i) are not supported: write the value out`},
		{"alias list item", "internet:\n  tcp: [&a \"1.1.1.1:443\", *a]\n",
			`test.yaml:2: internet.tcp[1]: aliases (*a) are not supported: write the value out`},

		// durations
		{"duration without unit", "interval: 60\n",
			`test.yaml:1: interval: want a duration such as "60s" or "1m30s", got the number 60 (add a unit: 60s)`},
		{"duration not Go syntax", "failing_interval: 15 seconds\n",
			`test.yaml:1: failing_interval: not a duration: "15 seconds" (write it like "60s" or "1m30s")`},
		{"duration zero", "timeout: 0s\n",
			`test.yaml:1: timeout: must be greater than 0, got "0s"`},
		{"duration negative", "notify:\n  repeat_after: -1h\n",
			`test.yaml:2: notify.repeat_after: must be greater than 0, got "-1h"`},
		{"duration a list", "interval: [60s]\n",
			`test.yaml:1: interval: want a duration such as "60s" or "1m30s", got a list`},
		{"full_check_every shorter than interval", "interval: 2m\nfull_check_every: 1m\n",
			`test.yaml:2: full_check_every: must not be shorter than interval (2m0s), got 1m0s`},
		{"light_check not a boolean", "light_check: sometimes\n",
			`test.yaml:1: light_check: want true or false, got the string "sometimes"`},
		{"timeout longer than failing_interval", "failing_interval: 10s\ntimeout: 11s\n",
			`test.yaml:2: timeout: must not be longer than failing_interval (10s), got 11s`},
		{"failing_interval shorter than the default timeout", "timeout: 8s\n\nfailing_interval: 6s\n",
			`test.yaml:1: timeout: must not be longer than failing_interval (6s), got 8s`},

		// minimums: below them a schedule does work no diagnosis needs
		{"interval of 1ns", "interval: 1ns\n",
			`test.yaml:1: interval: must be at least 10s, got "1ns"`},
		{"interval just under the minimum", "interval: 9.999s\n",
			`test.yaml:1: interval: must be at least 10s, got "9.999s"`},
		{"failing_interval of 1ns", "\nfailing_interval: 1ns\n",
			`test.yaml:2: failing_interval: must be at least 5s, got "1ns"`},
		{"timeout of 1ns", "timeout: 1ns\n",
			`test.yaml:1: timeout: must be at least 1s, got "1ns"`},
		{"timeout of 999ms", "timeout: 999ms\n",
			`test.yaml:1: timeout: must be at least 1s, got "999ms"`},
		{"repeat_after of 1s", "notify:\n  repeat_after: 1s\n",
			`test.yaml:2: notify.repeat_after: must be at least 1m0s, got "1s"`},
		{"every schedule too short", "interval: 1ns\nfailing_interval: 1ns\ntimeout: 1ns\n",
			"test.yaml:1: interval: must be at least 10s, got \"1ns\"\n" +
				"test.yaml:2: failing_interval: must be at least 5s, got \"1ns\"\n" +
				"test.yaml:3: timeout: must be at least 1s, got \"1ns\""},

		// numbers and booleans
		{"threshold zero", "thresholds: {fail: 0}\n",
			`test.yaml:1: thresholds.fail: must be at least 1, got 0`},
		{"threshold negative", "thresholds:\n  recover: -2\n",
			`test.yaml:2: thresholds.recover: must be at least 1, got -2`},
		{"threshold fraction", "thresholds: {fail: 1.5}\n",
			`test.yaml:1: thresholds.fail: want a whole number, got the number 1.5`},
		{"threshold string", "thresholds: {fail: \"2\"}\n",
			`test.yaml:1: thresholds.fail: want a whole number, got the string "2"`},
		{"threshold too large for int", "thresholds: {fail: 18446744073709551615}\n",
			`test.yaml:1: thresholds.fail: want a whole number, got the number 18446744073709551615`},
		{"boolean yes", "notify:\n  enabled: yes\n",
			`test.yaml:2: notify.enabled: want true or false, got the string "yes"`},
		{"boolean number", "notify: {on_recovery: 1}\n",
			`test.yaml:1: notify.on_recovery: want true or false, got the number 1`},

		// strings
		{"string a number", "hosts_file: 42\n",
			`test.yaml:1: hosts_file: want a string, got the number 42`},
		{"string missing", "api:\n  socket:\n",
			`test.yaml:2: api.socket: want a string, got no value`},
		{"string a date", "log: {file: 2026-11-24}\n",
			`test.yaml:1: log.file: want a string, got "2026-11-24" (a !!timestamp)`},
		{"log level", "log: {level: verbose}\n",
			`test.yaml:1: log.level: must be one of debug, info, warn, error; got "verbose"`},
		{"log level case", "log: {level: INFO}\n",
			`test.yaml:1: log.level: must be one of debug, info, warn, error; got "INFO"`},
		{"log format", "log: {format: xml}\n",
			`test.yaml:1: log.format: must be one of text, json; got "xml"`},

		// lists
		{"list missing", "internet:\n  tcp:\n",
			`test.yaml:2: internet.tcp: no value (write [] for an empty list)`},
		{"list a string", "spotify:\n  https: https://api.spotify.com/\n",
			`test.yaml:2: spotify.https: want a list, got the string "https://api.spotify.com/"`},
		{"list item a list", "spotify: {domains: [[spotify.com]]}\n",
			`test.yaml:1: spotify.domains[0]: want a string, got a list`},
		{"path list a string", "spotify:\n  app_executables: /opt/spotify/spotify\n",
			`test.yaml:2: spotify.app_executables: want a list, got the string "/opt/spotify/spotify"`},

		// URLs
		{"https URL of another scheme", "spotify:\n  https:\n    - https://api.spotify.com/v1/me\n    - ftp://x\n",
			`test.yaml:4: spotify.https[1]: not an https URL: "ftp://x"`},
		{"apresolve over http", "spotify: {apresolve: \"http://apresolve.spotify.com/\"}\n",
			`test.yaml:1: spotify.apresolve: not an https URL: "http://apresolve.spotify.com/"`},
		{"apresolve relative", "spotify: {apresolve: apresolve.spotify.com}\n",
			`test.yaml:1: spotify.apresolve: not an https URL: "apresolve.spotify.com"`},
		{"apresolve empty", "spotify: {apresolve: \"\"}\n",
			`test.yaml:1: spotify.apresolve: not an https URL: ""`},
		{"URL without host", "internet: {doh: [\"https:///dns-query\"]}\n",
			`test.yaml:1: internet.doh[0]: no host in URL "https:///dns-query"`},
		{"URL with port only", "internet: {doh: [\"https://:443/dns-query\"]}\n",
			`test.yaml:1: internet.doh[0]: no host in URL "https://:443/dns-query"`},
		{"URL with port 0", "internet: {doh: [\"https://1.1.1.1:0/dns-query\"]}\n",
			`test.yaml:1: internet.doh[0]: bad port in URL "https://1.1.1.1:0/dns-query": want 1-65535`},
		{"URL unparsable", "internet: {doh: [\"https://[::1/dns-query\"]}\n",
			`test.yaml:1: internet.doh[0]: not an https URL: "https://[::1/dns-query"`},
		{"doh over http", "internet:\n  doh:\n    - http://1.1.1.1/dns-query\n",
			`test.yaml:3: internet.doh[0]: not an https URL: "http://1.1.1.1/dns-query"`},

		// internet.http
		{"http reference without url", "internet:\n  http:\n    - status: 204\n",
			`test.yaml:3: internet.http[0]: missing url`},
		{"http reference of another scheme", "internet:\n  http:\n    - url: ftp://x/\n",
			`test.yaml:3: internet.http[0].url: not an http or https URL: "ftp://x/"`},
		{"http reference status too small", "internet:\n  http:\n    - {url: \"http://x/\", status: 42}\n",
			`test.yaml:3: internet.http[0].status: must be from 100 to 599, got 42`},
		{"http reference status too large", "internet:\n  http:\n    - url: http://x/\n    - {url: \"http://y/\", status: 600}\n",
			`test.yaml:4: internet.http[1].status: must be from 100 to 599, got 600`},
		{"http reference a string", "internet:\n  http: [\"http://x/\"]\n",
			`test.yaml:2: internet.http[0]: want a mapping of keys to values, got the string "http://x/"`},
		{"http reference body a number", "internet:\n  http:\n    - url: http://x/\n      body: 204\n",
			`test.yaml:4: internet.http[0].body: want a string, got the number 204`},

		// host:port
		{"host:port without port", "internet: {tcp: [\"1.1.1.1\"]}\n",
			`test.yaml:1: internet.tcp[0]: not host:port: "1.1.1.1" (missing port in address)`},
		{"host:port IPv6 without brackets", "internet: {tcp: [\"2606:4700::1111:443\"]}\n",
			`test.yaml:1: internet.tcp[0]: not host:port: "2606:4700::1111:443" (too many colons in address; put an IPv6 address in brackets: [::1]:53)`},
		{"host:port without host", "internet: {tcp: [\":443\"]}\n",
			`test.yaml:1: internet.tcp[0]: no host in ":443"`},
		{"host:port port 0", "spotify: {fallback_access_points: [\"ap.spotify.com:0\"]}\n",
			`test.yaml:1: spotify.fallback_access_points[0]: bad port in "ap.spotify.com:0": want 1-65535`},
		{"host:port port too large", "spotify: {fallback_access_points: [\"ap.spotify.com:65536\"]}\n",
			`test.yaml:1: spotify.fallback_access_points[0]: bad port in "ap.spotify.com:65536": want 1-65535`},
		{"host:port named port", "spotify: {fallback_access_points: [\"ap.spotify.com:https\"]}\n",
			`test.yaml:1: spotify.fallback_access_points[0]: bad port in "ap.spotify.com:https": want 1-65535`},
		{"host:port signed port", "spotify: {fallback_access_points: [\"ap.spotify.com:+443\"]}\n",
			`test.yaml:1: spotify.fallback_access_points[0]: bad port in "ap.spotify.com:+443": want 1-65535`},
		{"host:port bad host", "spotify: {fallback_access_points: [\"ap spotify.com:443\"]}\n",
			`test.yaml:1: spotify.fallback_access_points[0]: bad host in "ap spotify.com:443"`},

		// domains
		{"domain an IP", "spotify: {domains: [35.186.224.24]}\n",
			`test.yaml:1: spotify.domains[0]: an IP address, not a domain name: "35.186.224.24"`},
		{"domain a wildcard", "spotify: {domains: [\"*.spotify.com\"]}\n",
			`test.yaml:1: spotify.domains[0]: not a domain name: "*.spotify.com"`},
		{"domain empty", "spotify:\n  domains:\n    - spotify.com\n    - \"\"\n",
			`test.yaml:4: spotify.domains[1]: not a domain name: ""`},
		{"domain with an empty label", "spotify: {domains: [spotify..com]}\n",
			`test.yaml:1: spotify.domains[0]: not a domain name: "spotify..com"`},

		// dns.server
		{"dns server a name", "dns: {server: \"dns.google:53\"}\n",
			`test.yaml:1: dns.server: the DNS server must be an IP address, got "dns.google:53"`},
		{"dns server without port", "dns: {server: 192.168.1.1}\n",
			`test.yaml:1: dns.server: no port in "192.168.1.1": write "192.168.1.1:53"`},
		{"dns server IPv6 without port", "dns: {server: \"::1\"}\n",
			`test.yaml:1: dns.server: no port in "::1": write "[::1]:53"`},

		// metrics.listen
		{"metrics on all addresses", "metrics:\n  listen: 0.0.0.0:9100\n",
			`test.yaml:2: metrics.listen: not a loopback address: "0.0.0.0:9100" (use 127.0.0.1, [::1] or localhost)`},
		{"metrics on no host", "metrics: {listen: \":9100\"}\n",
			`test.yaml:1: metrics.listen: no host in ":9100"`},
		{"metrics on a LAN address", "metrics: {listen: \"192.168.1.2:9100\"}\n",
			`test.yaml:1: metrics.listen: not a loopback address: "192.168.1.2:9100" (use 127.0.0.1, [::1] or localhost)`},
		{"metrics on a name", "metrics: {listen: \"example.com:9100\"}\n",
			`test.yaml:1: metrics.listen: not a loopback address: "example.com:9100" (use 127.0.0.1, [::1] or localhost)`},
		// metrics.textfile
		{"textfile not .prom", "metrics:\n  listen: \"\"\n  textfile: /var/lib/prometheus/node-exporter/spotwatch.txt\n",
			`test.yaml:3: metrics.textfile: want a file name ending in .prom, such as /var/lib/prometheus/node-exporter/spotwatch.prom (node_exporter reads only *.prom): "/var/lib/prometheus/node-exporter/spotwatch.txt"`},
		{"textfile only an extension", "metrics: {textfile: /var/lib/node-exporter/.prom}\n",
			`test.yaml:1: metrics.textfile: want a file name ending in .prom, such as /var/lib/prometheus/node-exporter/spotwatch.prom (node_exporter reads only *.prom): "/var/lib/node-exporter/.prom"`},
		{"textfile a directory", "metrics: {textfile: /}\n",
			`test.yaml:1: metrics.textfile: want a file name ending in .prom, such as /var/lib/prometheus/node-exporter/spotwatch.prom (node_exporter reads only *.prom): "/"`},
		{"textfile a number", "metrics: {textfile: 9100}\n",
			`test.yaml:1: metrics.textfile: want a string, got the number 9100`},
		{"textfile misspelt", "metrics: {text_file: /x/spotwatch.prom}\n",
			`test.yaml:1: metrics.text_file: unknown key (did you mean "textfile"?)`},

		// tls.public_roots
		{"public roots missing", "tls:\n  public_roots: /nonexistent/roots.pem\n",
			`test.yaml:2: tls.public_roots: cannot read "/nonexistent/roots.pem": ` + statError(t, "/nonexistent/roots.pem")},
		{"public roots a device", "tls: {public_roots: " + os.DevNull + "}\n", // NUL on Windows
			`test.yaml:1: tls.public_roots: not a regular file: "` + os.DevNull + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tt.yaml, cfg, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tt.yaml, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "test.yaml" || e.Line == 0 {
				t.Errorf("error %#v: want an *Error with file and line", err)
			}
		})
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"mapping in a scalar, line 1", "interval: 60s: 5\n",
			"test.yaml:1: invalid YAML: mapping values are not allowed in this context"},
		{"mapping in a scalar, line 3", "interval: 60s\ntimeout: 5s\nlog: level: info\n",
			"test.yaml:3: invalid YAML: mapping values are not allowed in this context"},
		{"bad indentation", "interval: 60s\nthresholds: {fail: 2}\n  recover: 1\n",
			"test.yaml:3: invalid YAML: did not find expected key"},
		{"unclosed flow list", "interval: 60s\ntimeout: 5s\ninternet: {tcp: [\"1.1.1.1:443\"\n",
			"test.yaml:3: invalid YAML: did not find expected ',' or ']'"},
		{"list item in a mapping", "interval: 60s\ntimeout: 5s\n- x\n",
			"test.yaml:3: invalid YAML: did not find expected key"},
		{"unclosed quote", "interval: 60s\nhosts_file: \"/etc/hosts\n",
			"test.yaml:2: invalid YAML: found unexpected end of stream"},
		{"tab indentation", "interval: 60s\nlog:\n\tlevel: info\n",
			"test.yaml:3: invalid YAML: found character that cannot start any token"},
		{"control character", "interval: 60s\ntimeout: 5s\nlog: {file: \"a\x01\"}\n",
			"test.yaml:3: invalid YAML: control characters are not allowed"},
		{"invalid UTF-8", "interval: 60s\n\nhosts_file: \xff\n",
			"test.yaml:3: invalid YAML: invalid leading UTF-8 octet"},
		{"unknown anchor", "interval: 60s\n\ntimeout: *t\n",
			"test.yaml:3: invalid YAML: unknown anchor 't' referenced"},
		{"junk after the document", "{interval: 60s}}\n",
			"test.yaml:1: invalid YAML: did not find expected <document start>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got: %v\nwant: %s", tt.yaml, err, tt.want)
			}
		})
	}
}

// TestParseAllErrors checks that one Parse reports every problem, in the order of the file.
func TestParseAllErrors(t *testing.T) {
	yaml := `intervall: 60s
thresholds: {fail: 0}
spotify:
  https: [https://api.spotify.com/, ftp://x]
log: {level: loud}
`
	want := []string{
		`f.yaml:1: intervall: unknown key (did you mean "interval"?)`,
		`f.yaml:2: thresholds.fail: must be at least 1, got 0`,
		`f.yaml:4: spotify.https[1]: not an https URL: "ftp://x"`,
		`f.yaml:5: log.level: must be one of debug, info, warn, error; got "loud"`,
	}
	_, err := Parse("f.yaml", []byte(yaml))
	if err == nil {
		t.Fatal("Parse succeeded, want errors")
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var e *Error
	if !errors.As(err, &e) || e.Key != "intervall" || e.Line != 1 || e.Column != 1 {
		t.Errorf("errors.As gives %+v, want the first error", e)
	}
}

// TestParseValid checks files that must load, and what they load to.
func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(c *Config) // changes Default() into the expected Config
	}{
		{"empty", "", func(*Config) {}},
		{"only comments", "# nothing here\n\n   # still nothing\n", func(*Config) {}},
		{"document marker only", "---\n", func(*Config) {}},
		{"null document", "~\n", func(*Config) {}},
		{"empty mapping", "{}\n", func(*Config) {}},
		{"section with everything commented out", "notify:\n#  enabled: false\n", func(*Config) {}},
		{"durations", "interval: 1m30s\nfailing_interval: 5s\ntimeout: 5s\nnotify: {repeat_after: 24h}\n", func(c *Config) {
			c.Interval, c.FailingInterval, c.Timeout = 90*time.Second, 5*time.Second, 5*time.Second
			c.Notify.RepeatAfter = 24 * time.Hour
		}},
		{"the shortest schedule allowed", "interval: 10s\nfailing_interval: 5s\ntimeout: 1s\nnotify: {repeat_after: 1m}\n", func(c *Config) {
			c.Interval, c.FailingInterval, c.Timeout = 10*time.Second, 5*time.Second, time.Second
			c.Notify.RepeatAfter = time.Minute
		}},
		{"thresholds and booleans", "thresholds: {fail: 3, recover: 2}\nnotify: {enabled: false, on_recovery: false}\n", func(c *Config) {
			c.Thresholds = Thresholds{Fail: 3, Recover: 2}
			c.Notify.Enabled, c.Notify.OnRecovery = false, false
		}},
		{"a list replaces the default list", "internet:\n  tcp: [\"[2606:4700:4700::1111]:443\", \"one.one.one.one:443\"]\n", func(c *Config) {
			c.Internet.TCP = []string{"[2606:4700:4700::1111]:443", "one.one.one.one:443"}
		}},
		{"an empty list", "internet: {doh: []}\n", func(c *Config) {
			c.Internet.DoH = []string{}
		}},
		{"http references", `internet:
  http:
    - url: https://portal.example/check
    - {url: "HTTP://example.com:8080/x", status: 200, body: ok}
    - {url: "http://example.com/", body: ""}
`, func(c *Config) {
			c.Internet.HTTP = []HTTPReference{
				{URL: "https://portal.example/check"},
				{URL: "HTTP://example.com:8080/x", Status: 200, Body: "ok"},
				{URL: "http://example.com/"},
			}
		}},
		{"spotify", `spotify:
  apresolve: https://apresolve.example:8443/
  fallback_access_points: [ap.example:4070, "203.0.113.7:443"]
  https: ["https://[2001:db8::1]/"]
  domains: [Spotify.COM., under_score.example]
`, func(c *Config) {
			c.Spotify = Spotify{
				APResolve:            "https://apresolve.example:8443/",
				FallbackAccessPoints: []string{"ap.example:4070", "203.0.113.7:443"},
				HTTPS:                []string{"https://[2001:db8::1]/"},
				Domains:              []string{"Spotify.COM.", "under_score.example"},
			}
		}},
		{"dns server", "dns: {server: \"[2001:db8::53]:5353\"}\n", func(c *Config) { c.DNS.Server = "[2001:db8::53]:5353" }},
		{"metrics on localhost", "metrics: {listen: \"localhost:9100\"}\n", func(c *Config) { c.Metrics.Listen = "localhost:9100" }},
		{"metrics on 127.0.0.2", "metrics: {listen: \"127.0.0.2:9100\"}\n", func(c *Config) { c.Metrics.Listen = "127.0.0.2:9100" }},
		{"metrics on ::1", "metrics: {listen: \"[::1]:9100\"}\n", func(c *Config) { c.Metrics.Listen = "[::1]:9100" }},
		{"metrics textfile", "metrics: {textfile: /var/lib/prometheus/node-exporter/spotwatch.prom}\n", func(c *Config) {
			c.Metrics.Textfile = "/var/lib/prometheus/node-exporter/spotwatch.prom"
		}},
		{"absolute paths stay", "hosts_file: /tmp/hosts\nlog: {file: /var/log/spotwatch.log, level: debug, format: json}\napi: {socket: \"@spotwatch\"}\n", func(c *Config) {
			c.HostsFile = "/tmp/hosts"
			c.Log = Log{Level: "debug", Format: "json", File: "/var/log/spotwatch.log"}
			c.API.Socket = "@spotwatch"
		}},
		{"relative paths are relative to the config file", "hosts_file: hosts\nlog: {file: ../spotwatch.log}\nspotify: {app_executables: [spotify/spotify]}\n", func(c *Config) {
			c.HostsFile = filepath.Join("etc", "spotwatch", "hosts")
			c.Log.File = filepath.Join("etc", "spotwatch.log")
			c.Spotify.AppExecutables = []string{filepath.Join("etc", "spotwatch", "spotify", "spotify")}
		}},
		{"app executables", "spotify: {app_executables: [/opt/Spotify/spotify, \"\", /usr/local/bin/spotify]}\n", func(c *Config) {
			c.Spotify.AppExecutables = []string{"/opt/Spotify/spotify", "/usr/local/bin/spotify"}
		}},
		{"an anchor without alias is fine", "interval: &i 30s\n", func(c *Config) { c.Interval = 30 * time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(filepath.Join("etc", "spotwatch", "config.yaml"), []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q)\n got: %+v\nwant: %+v", tt.yaml, got, want)
			}
		})
	}
}

// TestParsePublicRoots checks tls.public_roots against real files.
func TestParsePublicRoots(t *testing.T) {
	dir := testutil.TempDir(t)
	writeCertPEM(t, filepath.Join(dir, "roots.pem"))
	if err := os.WriteFile(filepath.Join(dir, "empty.pem"), []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge, err := os.Create(filepath.Join(dir, "huge.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(huge.Truncate(maxPEMSize+1), huge.Close()); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	file := filepath.Join(dir, "config.yaml")

	cfg, err := Parse(file, []byte("tls: {public_roots: roots.pem}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := filepath.Join(dir, "roots.pem"); cfg.TLS.PublicRoots != want {
		t.Errorf("PublicRoots = %q, want %q", cfg.TLS.PublicRoots, want)
	}

	for yaml, want := range map[string]string{
		"tls: {public_roots: empty.pem}\n": file + `:1: tls.public_roots: no PEM certificate in "` + filepath.Join(dir, "empty.pem") + `"`,
		"tls: {public_roots: huge.pem}\n":  file + `:1: tls.public_roots: larger than 16777216 bytes: "` + filepath.Join(dir, "huge.pem") + `"`,
		"tls: {public_roots: .}\n":         file + `:1: tls.public_roots: not a regular file: "` + dir + `"`,
		"tls:\n  public_roots: nope.pem\n": file + `:2: tls.public_roots: cannot read "` + filepath.Join(dir, "nope.pem") + `": ` + statError(t, filepath.Join(dir, "nope.pem")),
	} {
		if _, err := Parse(file, []byte(yaml)); err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error\n got: %v\nwant: %s", yaml, err, want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "/etc/spotwatch.yaml", Line: 7, Column: 5, Key: "spotify.https[1]", Msg: `not an https URL: "ftp://x"`},
			`/etc/spotwatch.yaml:7: spotify.https[1]: not an https URL: "ftp://x"`},
		{Error{File: "c.yaml", Line: 2, Msg: "invalid YAML: x"}, "c.yaml:2: invalid YAML: x"},
		{Error{File: "c.yaml", Key: "timeout", Msg: "m"}, "c.yaml: timeout: m"},
		{Error{Line: 3, Key: "k", Msg: "m"}, "config:3: k: m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestParsePaths checks which paths are taken relative to the config file's directory, on the
// running OS: on Windows a path rooted without a drive (`\x`, `/x`: the current drive's root) or
// with a drive but no root (`C:x`) stays as it is, as does a UNC path.
func TestParsePaths(t *testing.T) {
	file := filepath.Join("etc", "spotwatch", "config.yaml")
	dir := filepath.Dir(file)
	windows := runtime.GOOS == "windows"
	tests := []struct {
		path string
		kept bool // kept as written; otherwise joined onto dir
	}{
		{"hosts", false},
		{`sub\hosts`, false},
		{"/tmp/hosts", true},
		{"//server/share/hosts", true},
		{`\ProgramData\spotwatch\hosts`, windows},
		{`\\server\share\hosts`, windows},
		{`C:\ProgramData\spotwatch\hosts`, windows},
		{"C:/ProgramData/spotwatch/hosts", windows},
		{"C:hosts", windows},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			want := filepath.Join(dir, tt.path)
			if tt.kept {
				want = tt.path
			}
			for _, key := range []string{"hosts_file", "log.file"} {
				yaml := "hosts_file: '" + tt.path + "'\n"
				if key == "log.file" {
					yaml = "log: {file: '" + tt.path + "'}\n"
				}
				cfg, err := Parse(file, []byte(yaml))
				if err != nil {
					t.Fatalf("Parse(%q): %v", yaml, err)
				}
				got := cfg.HostsFile
				if key == "log.file" {
					got = cfg.Log.File
				}
				if got != want {
					t.Errorf("%s %q in %s = %q, want %q", key, tt.path, file, got, want)
				}
			}
		})
	}
}

// statError is the text of the error os.Stat gives for path, which must not exist, without the
// path: the OS's own words ("no such file or directory"; "The system cannot find the file
// specified." on Windows).
func statError(t *testing.T, path string) string {
	t.Helper()
	_, err := os.Stat(path)
	if err == nil {
		t.Fatalf("%s exists", path)
	}
	return unwrapPath(err).Error()
}

// TestQuotePath checks that a path in a message is shown as written: one backslash stays one
// (%q would double it), and only what cannot be seen is escaped.
func TestQuotePath(t *testing.T) {
	for in, want := range map[string]string{
		`C:\ProgramData\spotwatch\roots.pem`: `"C:\ProgramData\spotwatch\roots.pem"`,
		`\\server\share\x.pem`:               `"\\server\share\x.pem"`,
		"/etc/spotwatch/roots.pem":           `"/etc/spotwatch/roots.pem"`,
		"":                                   `""`,
		"d\u00e9j\u00e0 vu/\u6839.pem":       "\"d\u00e9j\u00e0 vu/\u6839.pem\"",
		`say "x".pem`:                        `"say \"x\".pem"`,
		"a\nb\tc\x7f.pem":                    `"a\nb\tc\x7f.pem"`,
		"bad\xff\xfe.pem":                    `"bad\xff\xfe.pem"`,
		"\ufffd.pem":                         "\"\ufffd.pem\"",
		"\u202eevil":                         `"\u202eevil"`,
	} {
		if got := quotePath(in); got != want {
			t.Errorf("quotePath(%q) = %s, want %s", in, got, want)
		}
	}
}
