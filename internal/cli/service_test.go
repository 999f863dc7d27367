package cli

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/svc"
)

// TestServiceUsage: the service commands' flags and usage errors, before anything is touched.
func TestServiceUsage(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		out    string
	}{
		{[]string{"install", "--help"}, exitOK, "--env KEY=VALUE"},
		{[]string{"uninstall", "--help"}, exitOK, "-purge"},
		{[]string{"restart", "-h"}, exitOK, "Restarts the installed service"},
		{[]string{"install", "--user", "--system"}, exitUsage, "--user and --system exclude each other"},
		{[]string{"install", "--env", "NOVALUE"}, exitUsage, "want KEY=VALUE"},
		{[]string{"install", "--env", "SPOTWATCH_SERVICE=x"}, exitUsage, "set by the service definition"},
		{[]string{"stop", "now"}, exitUsage, `unexpected argument "now"`},
		{[]string{"start", "--purge"}, exitUsage, "flag provided but not defined: -purge"},
		{[]string{"status", "--user", "--system"}, exitUsage, "exclude each other"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := Main(context.Background(), tt.args, &out, &errOut); got != tt.status {
				t.Errorf("exit %d, want %d\n%s%s", got, tt.status, out.String(), errOut.String())
			}
			if !strings.Contains(out.String()+errOut.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s%s", tt.out, out.String(), errOut.String())
			}
		})
	}
}

// TestAdminHint: the command to run instead is this one, with sudo (and --system when it was
// the default scope), quoted for a shell.
func TestAdminHint(t *testing.T) {
	exe, _ := os.Executable()
	got := adminHint("install", svc.System, []string{"--config", "/etc/my spot.yaml"})
	if runtime.GOOS == "windows" {
		if !strings.Contains(got, "Run as administrator") || !strings.Contains(got, "install --config") {
			t.Errorf("hint %q", got)
		}
		return
	}
	want := "Run instead:\n  sudo " + shellQuote(exe) + " install --config '/etc/my spot.yaml' --system\n"
	if got != want {
		t.Errorf("adminHint = %q, want %q", got, want)
	}
	if got := adminHint("stop", svc.System, []string{"--system"}); strings.Count(got, "--system") != 1 {
		t.Errorf("adminHint repeats --system: %q", got)
	}
}
