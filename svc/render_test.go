package svc

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kardianos/service"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ and ../packaging/")

// fakeHost is a machine of the given OS and init system, for plans on any OS.
func fakeHost(goos, platform, exe string, env map[string]string) host {
	home := env["HOME"]
	if goos == "windows" {
		home = env["USERPROFILE"]
	}
	return host{
		goos:       goos,
		platform:   platform,
		executable: exe,
		getenv:     func(k string) string { return env[k] },
		current:    &user.User{Username: "ann", Uid: "1000", Gid: "1000", HomeDir: home},
		userConfig: map[string]string{
			"linux":   "/home/ann/.config/spotwatch/config.yaml",
			"darwin":  "/Users/ann/Library/Application Support/spotwatch/config.yaml",
			"windows": `C:\Users\ann\AppData\Roaming\spotwatch\config.yaml`,
		}[goos],
		sysvReady: true,
		trusted:   func(string) bool { return true },
	}
}

var (
	linuxEnv   = map[string]string{"HOME": "/home/ann"}
	darwinEnv  = map[string]string{"HOME": "/Users/ann"}
	windowsEnv = map[string]string{
		"USERPROFILE": `C:\Users\ann`, "LocalAppData": `C:\Users\ann\AppData\Local`,
		"ProgramData": `C:\ProgramData`, "ProgramFiles": `C:\Program Files`, "SystemRoot": `C:\Windows`,
	}
)

func mustPlan(t *testing.T, h host, opts Options) Plan {
	t.Helper()
	p, err := h.plan(opts)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// golden compares got with testdata/name (or a path), rewriting it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if !strings.Contains(path, "/") {
		path = filepath.Join("testdata", path)
	}
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (go test ./svc -run %s -update writes it): %v", t.Name(), err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what is rendered now (go test ./svc -run %s -update rewrites it):\n--- rendered\n%s\n--- %s\n%s", path, t.Name(), got, path, want)
	}
}

// TestDefinitions renders each OS's service definition from a plan and compares it with its
// golden file, and checks that each is well-formed for its consumer.
func TestDefinitions(t *testing.T) {
	proxy := []EnvVar{{"HTTPS_PROXY", "http://proxy.example:3128"}}
	corpRoots := []EnvVar{{"SSL_CERT_FILE", "/etc/ssl/corp roots/ca.pem"}}
	tests := []struct {
		file  string
		host  host
		opts  Options
		check func(t *testing.T, path string)
	}{
		{"systemd-user.service", fakeHost("linux", PlatformSystemd, "/home/ann/.local/bin/spotwatch", linuxEnv), Options{Scope: User, Env: proxy}, checkUnit},
		{"systemd-system.service", fakeHost("linux", PlatformSystemd, "/home/ann/Downloads/spotwatch", linuxEnv), Options{Scope: System, Env: corpRoots}, checkUnit},
		{"sysv-system.sh", fakeHost("linux", PlatformSysV, "/usr/bin/spotwatch", linuxEnv), Options{Scope: System, Env: corpRoots}, checkShell},
		{"openrc-system.sh", fakeHost("linux", PlatformOpenRC, "/usr/bin/spotwatch", linuxEnv), Options{Scope: System}, checkShell},
		{"launchd-user.plist", fakeHost("darwin", PlatformLaunchd, "/Users/ann/bin/spotwatch", darwinEnv), Options{Scope: User, Env: proxy}, checkPlist},
		{"launchd-system.plist", fakeHost("darwin", PlatformLaunchd, "/Users/ann/Downloads/spotwatch", darwinEnv), Options{Scope: System}, checkPlist},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := mustPlan(t, tt.host, tt.opts)
			golden(t, tt.file, p.Definition())
			tt.check(t, filepath.Join("testdata", tt.file))
			if c, ok := installedConfig(p.Definition()); !ok || c != p.Config {
				t.Errorf("installedConfig reads %q (%v) back, want %q", c, ok, p.Config)
			}
		})
	}
}

// TestTrayEntries: the XDG autostart entry, the tray's LaunchAgent and the Run key value.
func TestTrayEntries(t *testing.T) {
	linux := mustPlan(t, fakeHost("linux", PlatformSystemd, "/home/ann/My Apps/spotwatch", linuxEnv), Options{Scope: User})
	a := &autostart{plan: linux}
	golden(t, "autostart.desktop", a.content())
	checkDesktop(t, filepath.Join("testdata", "autostart.desktop"))

	mac := mustPlan(t, fakeHost("darwin", PlatformLaunchd, "/Applications/spotwatch.app/Contents/MacOS/spotwatch", darwinEnv), Options{Scope: User})
	golden(t, "launchd-tray.plist", (&autostart{plan: mac}).content())
	checkPlist(t, filepath.Join("testdata", "launchd-tray.plist"))
	for _, want := range []string{"<key>LimitLoadToSessionType</key>\n\t<string>Aqua</string>", "<key>RunAtLoad</key>\n\t<true/>", "<string>tray</string>"} {
		if !strings.Contains(LaunchdTray(mac), want) {
			t.Errorf("the tray's LaunchAgent lacks %q", want)
		}
	}

	win := mustPlan(t, fakeHost("windows", PlatformWindows, `C:\Users\ann\Downloads\spotwatch.exe`, windowsEnv), Options{})
	golden(t, "windows-run-key.txt", (&autostart{plan: win}).content()+"\n")
	if got, want := RunKeyValue(`C:\Program Files\spotwatch\spotwatch.exe`), `"C:\Program Files\spotwatch\spotwatch.exe" tray`; got != want {
		t.Errorf("RunKeyValue = %s, want %s", got, want)
	}
}

// TestPackagingFiles: the unit and autostart entry the .deb and .rpm install are the renderers'
// output for /usr/bin/spotwatch.
func TestPackagingFiles(t *testing.T) {
	unit, desktop := PackageFiles()
	golden(t, "../packaging/spotwatch.service", unit)
	checkUnit(t, "../packaging/spotwatch.service")
	golden(t, "../packaging/spotwatch.desktop", desktop)
	checkDesktop(t, "../packaging/spotwatch.desktop")
	if !strings.Contains(unit, "WantedBy=default.target") || !strings.Contains(unit, "ExecStart=/usr/bin/spotwatch daemon\n") {
		t.Errorf("the packages' unit is not a user unit running /usr/bin/spotwatch daemon:\n%s", unit)
	}
}

// TestWindowsService: the SCM registration and the kardianos options that make it.
func TestWindowsService(t *testing.T) {
	p := mustPlan(t, fakeHost("windows", PlatformWindows, `C:\Users\ann\Downloads\spotwatch.exe`, windowsEnv), Options{Env: []EnvVar{{"HTTPS_PROXY", "http://proxy.example:3128"}}})
	c, err := kardianosConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range c.Option {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	options := map[string]any{}
	for _, k := range keys {
		options[k] = c.Option[k]
	}
	out, err := json.MarshalIndent(map[string]any{
		"settings": WindowsSettings(p),
		"kardianos": map[string]any{
			"name": c.Name, "display_name": c.DisplayName, "user_name": c.UserName,
			"executable": c.Executable, "arguments": c.Arguments, "env_vars": c.EnvVars, "options": options,
		},
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "windows-service.json", string(out)+"\n")

	// What kardianos registers must be what windowsInstalled reads back as installed.
	want := scmCommandLine(c.Executable, c.Arguments...)
	if w := WindowsSettings(p); w.CommandLine != want || c.UserName != WindowsAccount || c.Option["OnFailure"] != "restart" {
		t.Errorf("settings %+v do not match the kardianos config %+v", w, c)
	}
}

// TestWindowsEscapeArg: the same quoting as syscall.EscapeArg (Go's Windows source).
func TestWindowsEscapeArg(t *testing.T) {
	tests := map[string]string{
		``:                   `""`,
		`daemon`:             `daemon`,
		`C:\Program Files\x`: `"C:\Program Files\x"`,
		`C:\dir\`:            `C:\dir\`,
		`C:\my dir\`:         `"C:\my dir\\"`,
		`say "hi"`:           `"say \"hi\""`,
		`a\"b`:               `a\\\"b`,
	}
	for in, want := range tests {
		if got := windowsEscapeArg(in); got != want {
			t.Errorf("windowsEscapeArg(%s) = %s, want %s", in, got, want)
		}
	}
}

func checkUnit(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			sections[line] = true
		case !strings.Contains(line, "="):
			t.Errorf("%s:%d: not Key=Value: %q", path, i+1, line)
		}
	}
	for _, s := range []string{"[Unit]", "[Service]", "[Install]"} {
		if !sections[s] {
			t.Errorf("%s: no %s section", path, s)
		}
	}
	if !strings.Contains(string(data), "Restart=on-failure") {
		t.Errorf("%s: no Restart=on-failure", path)
	}
}

func checkPlist(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
	}
}

// newManagerOn is newManager on the kardianos system named platform instead of the detected one.
func newManagerOn(p Plan, platform string) (*manager, error) {
	c, err := kardianosConfig(p)
	if err != nil {
		return nil, err
	}
	for _, sys := range service.AvailableSystems() {
		if sys.String() == platform {
			s, err := sys.New(noProgram{}, c)
			if err != nil {
				return nil, err
			}
			return &manager{p: p, s: s}, nil
		}
	}
	return nil, fmt.Errorf("kardianos has no system %s here", platform)
}
