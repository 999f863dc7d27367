//go:build linux

package svc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The checks in this file run programs that exist on Linux only (sh, desktop-file-validate,
// kardianos's systemd code). Elsewhere (see render_other_test.go) the same tests compare the
// renderings with the golden files, which the Linux run validates.

func checkShell(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("sh -n %s: %v\n%s", path, err, out)
	}
}

func checkDesktop(t *testing.T, path string) {
	t.Helper()
	validate, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		t.Fatalf("desktop-file-validate is needed to check %s: apt-get install desktop-file-utils", path)
	}
	if out, err := exec.Command(validate, path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
}

// TestSystemdRenderedByKardianos installs the user unit through kardianos's real systemd code
// (with a recording systemctl on PATH: systemd does not run here) to show that kardianos
// writes the rendered unit byte for byte and enables it for the user.
func TestSystemdRenderedByKardianos(t *testing.T) {
	home := t.TempDir()
	bin := t.TempDir()
	log := filepath.Join(bin, "calls")
	stub := "#!/bin/sh\necho \"$@\" >>" + shQuote(log) + "\n"
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("HOME", home)
	h := fakeHost("linux", PlatformSystemd, "/opt/spot watch/spotwatch", map[string]string{"HOME": home})
	h.userConfig = filepath.Join(home, ".config", "spotwatch", "config.yaml")
	p := mustPlan(t, h, Options{Scope: User, Env: []EnvVar{{"PRICE", "100% $5"}}})
	m, err := newManagerOn(p, PlatformSystemd)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.install(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p.ServiceFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != SystemdUnit(p, "") {
		t.Errorf("kardianos wrote\n%s\nwant\n%s", got, SystemdUnit(p, ""))
	}
	for _, want := range []string{`ExecStart="/opt/spot watch/spotwatch" daemon --config`, `Environment="PRICE=100%% $$5"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the unit lacks %s:\n%s", want, got)
		}
	}
	calls, _ := os.ReadFile(log)
	if want := "enable --user spotwatch.service\ndaemon-reload --user\n"; string(calls) != want {
		t.Errorf("systemctl calls:\n%s\nwant\n%s", calls, want)
	}
	def, installed, err := m.installed()
	if err != nil || !installed || def != m.want() {
		t.Errorf("installed() = %v, %v: the installed unit does not count as the plan's", installed, err)
	}
}
