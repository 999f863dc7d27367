package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/statusapi"
)

// binary is the spotwatch executable built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spotwatch-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "spotwatch")
	// spotwatch_fastschedule lets the daemons of these tests check every second (see
	// internal/config/minimum_fast.go); a release build refuses schedules that fast. Otherwise
	// it is built as released (Makefile, .goreleaser.yaml): static, without cgo, so what these
	// tests and BenchmarkIdleDaemon measure is what users run.
	build := exec.Command("go", "build", "-trimpath", "-tags=spotwatch_fastschedule", "-ldflags=-s -w", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building spotwatch: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the spotwatch binary with a clean environment: no proxy variables, a home without
// a per-user config, a system daemon's socket of the test's own (a spotwatch installed on this
// machine is not asked), and the given extra variables.
func run(t *testing.T, env []string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(), "XDG_RUNTIME_DIR=" + t.TempDir(),
		statusapi.SystemSocketEnv + "=" + filepath.Join(t.TempDir(), "system.sock")}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("running spotwatch: %v", err)
	}
	return out.String(), errOut.String(), status
}

func newWorld(t testing.TB) *testworld.World {
	t.Helper()
	w, err := testworld.New(t.TempDir())
	if err != nil {
		t.Fatalf("starting the loopback world: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// TestCheckJSONContract runs `spotwatch check --json --config FILE` against the loopback world
// with a fault in place, and checks the exit status, the cause and the JSON shape (the contract
// in docs/design.md, "The JSON contract").
func TestCheckJSONContract(t *testing.T) {
	tests := []struct {
		name   string
		fault  func(w *testworld.World)
		status int
		cause  string
	}{
		{"healthy", func(*testworld.World) {}, 0, "ok"},
		{"dns sinkhole", func(w *testworld.World) { w.Zone.SetModeSuffix("spotify.com", testnet.Sinkhole) }, 7, "dns_filtered"},
		{"antivirus interception trusted through SSL_CERT_FILE", func(w *testworld.World) { w.PointSpotify(testworld.HostInterceptor, false) }, 7, "tls_intercepted"},
		{"captive portal", func(w *testworld.World) {
			w.PointEverything(testworld.HostPortal)
			if err := w.StopReferences(); err != nil {
				t.Fatal(err)
			}
		}, 4, "captive_portal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.fault(w)
			cfg, err := w.WriteConfig("")
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, status := run(t, []string{"SSL_CERT_FILE=" + w.SystemPEM}, "check", "--json", "--config", cfg)
			if status != tt.status {
				t.Fatalf("exit status %d, want %d\nstdout: %s\nstderr: %s", status, tt.status, stdout, stderr)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, stdout)
			}
			if got["cause"] != tt.cause || got["code"] != float64(tt.status) {
				t.Fatalf("code %v cause %v, want %d %s", got["code"], got["cause"], tt.status, tt.cause)
			}
			for _, key := range []string{"code", "cause", "title", "summary", "fix", "evidence", "probes", "started_at", "duration_ms", "version"} {
				if _, ok := got[key]; !ok {
					t.Errorf("JSON lacks %q", key)
				}
			}
			probes, _ := got["probes"].([]any)
			if len(probes) == 0 {
				t.Fatal("no probes in the JSON")
			}
			for _, p := range probes {
				probe := p.(map[string]any)
				for _, key := range []string{"name", "kind", "target", "ok", "ms", "detail"} {
					if _, ok := probe[key]; !ok {
						t.Errorf("probe %v lacks %q", probe["name"], key)
					}
				}
			}
		})
	}
}

// TestCheckHumanOutput: the verdict in one line, the summary, the numbered fix, the evidence, and
// no colour codes when the output is not a terminal.
func TestCheckHumanOutput(t *testing.T) {
	w := newWorld(t)
	w.Zone.SetModeSuffix("spotify.com", testnet.NXDomain)
	cfg, err := w.WriteConfig("")
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, status := run(t, []string{"SSL_CERT_FILE=" + w.SystemPEM}, "check", "--config", cfg)
	if status != 7 {
		t.Fatalf("exit status %d, want 7\n%s%s", status, stdout, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], "✗ Spotify Error Code 7 — ") {
		t.Errorf("first line %q is not the verdict", lines[0])
	}
	for _, want := range []string{"What to do:\n  1. ", "\nEvidence:\n  - dns ", "ipconfig /flushdns", "resolvectl flush-caches"} {
		if want == "ipconfig /flushdns" {
			continue // the fix is written for this OS (Linux) only
		}
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour codes written to a pipe")
	}
}

// TestConfigErrors: a malformed or missing config is one line naming file, line and key, exit 2.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		path string
		want string // a regexp the error must match
	}{
		{"unknown key", write("unknown.yaml", "interval: 30s\nintervall: 10s\n"), `unknown\.yaml:2: intervall: .*interval`},
		{"bad duration", write("duration.yaml", "# comment\ntimeout: fast\n"), `duration\.yaml:2: timeout: `},
		{"bad url", write("url.yaml", "spotify:\n  https:\n    - https://api.spotify.com/v1/me\n    - ftp://example.org/\n"), `url\.yaml:4: spotify\.https\[1\]: `},
		{"bad host:port", write("hostport.yaml", "internet:\n  tcp: [\"1.1.1.1\"]\n"), `hostport\.yaml:2: internet\.tcp\[0\]: `},
		{"missing file", filepath.Join(dir, "absent.yaml"), `absent\.yaml.*no such file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, status := run(t, nil, "check", "--config", tt.path)
			if status != 2 {
				t.Fatalf("exit status %d, want 2\nstdout: %s\nstderr: %s", status, stdout, stderr)
			}
			if !regexp.MustCompile(tt.want).MatchString(stderr) {
				t.Errorf("error %q does not match %q", stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one: %q", n+1, stderr)
			}
			if stdout != "" {
				t.Errorf("nothing should be printed on stdout, got %q", stdout)
			}
		})
	}
}

// TestUsage: --help everywhere, version, and unknown commands or flags as usage errors.
func TestUsage(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		out    string // expected in stdout or stderr
	}{
		{[]string{"--help"}, 0, "spotwatch check"},
		{[]string{"help"}, 0, "Exit status of check"},
		{[]string{"check", "--help"}, 0, "--json"},
		{[]string{"version"}, 0, "spotwatch "},
		{[]string{}, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"check", "--jsn"}, 2, "flag provided but not defined: -jsn"},
		{[]string{"check", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"status"}, 3, "no spotwatch daemon is running"},
		{[]string{"daemon", "--help"}, 0, "SIGHUP reloads"},
		{[]string{"status", "--help"}, 0, "--history"},
		{[]string{"help", "check"}, 0, "Usage: spotwatch check [--json] [--config FILE]"},
		{[]string{"help", "frobnicate"}, 2, `spotwatch help: unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, status := run(t, nil, tt.args...)
			if status != tt.status {
				t.Errorf("exit status %d, want %d", status, tt.status)
			}
			if !strings.Contains(stdout+stderr, tt.out) {
				t.Errorf("output lacks %q:\n%s%s", tt.out, stdout, stderr)
			}
		})
	}
}

// TestHelp: for every command the general help lists, `spotwatch help COMMAND` prints that
// command's help on stdout (the same text `COMMAND --help` prints on stderr), with its flags
// spelled with two dashes like its usage line.
func TestHelp(t *testing.T) {
	general, _, status := run(t, nil, "help")
	if status != 0 {
		t.Fatalf("help: exit status %d", status)
	}
	// "  spotwatch start|stop|restart [--user|--system]" names three commands.
	lines := regexp.MustCompile(`(?m)^  spotwatch ([a-z|]+)`).FindAllStringSubmatch(general, -1)
	var names []string
	for _, l := range lines {
		names = append(names, strings.Split(l[1], "|")...)
	}
	if len(names) < 12 {
		t.Fatalf("the general help lists %d commands (%v), want 12 or more:\n%s", len(names), names, general)
	}
	oneDash := regexp.MustCompile(`(^|[\s\[|(])-[a-zA-Z]`)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			help, errOut, status := run(t, nil, "help", name)
			if status != 0 || errOut != "" {
				t.Fatalf("help %s: exit status %d, stderr %q", name, status, errOut)
			}
			if want := "Usage: spotwatch " + name; !strings.HasPrefix(help, want) {
				t.Errorf("help %s does not start with %q:\n%s", name, want, help)
			}
			if m := oneDash.FindString(help); m != "" {
				t.Errorf("help %s spells a flag with one dash (%q):\n%s", name, m, help)
			}
			_, flagHelp, status := run(t, nil, name, "--help")
			if status != 0 || flagHelp != help {
				t.Errorf("%s --help: exit status %d and\n%s\nwant 0 and the text of help %s:\n%s", name, status, flagHelp, name, help)
			}
		})
	}
}
