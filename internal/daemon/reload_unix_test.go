//go:build unix

package daemon

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// TestReloadChecksWhoMayChangeTheConfig: a system daemon checks, on every reload and not only
// at start, that only administrators may change its configuration; it refuses a file others
// may write, says why in its log and keeps the configuration it runs.
func TestReloadChecksWhoMayChangeTheConfig(t *testing.T) {
	tests := []struct {
		name   string
		system bool
		mode   os.FileMode
		want   string // in the log
	}{
		{"system daemon, file only root may write", true, 0o644, "configuration reloaded"},
		{"system daemon, file anyone may write", true, 0o666, "configuration not reloaded: keeping the last good one"},
		{"user daemon, file anyone may write", false, 0o666, "configuration reloaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(path, []byte("interval: 2m\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, nil))
			cfg := config.Default()
			checker, err := probe.New(cfg, probe.Options{Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			d := &daemon{
				log:     log,
				system:  tt.system,
				cfgPath: path,
				monitor: monitor.New(monitor.SettingsFrom(cfg), CheckFunc(checker, log), monitor.Options{Logger: log}),
			}
			d.reload("test")
			if !strings.Contains(logged.String(), tt.want) {
				t.Fatalf("log after the reload lacks %q:\n%s", tt.want, logged.String())
			}
			if tt.mode&0o022 != 0 && tt.system {
				if strings.Contains(logged.String(), "configuration reloaded") {
					t.Errorf("a file others may write was reloaded:\n%s", logged.String())
				}
				if !strings.Contains(logged.String(), "sudo chmod go-w "+path) {
					t.Errorf("the refusal does not say why or what to run:\n%s", logged.String())
				}
			}
		})
	}
}
