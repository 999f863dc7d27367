package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/daemon"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestRunWritesMetricsTextfile: with metrics.textfile the daemon keeps the file current with
// its state and configured interval (following a reload), and leaves it in place when it
// stops, so that the fleet's staleness rule can name a desktop whose daemon is gone.
func TestRunWritesMetricsTextfile(t *testing.T) {
	w := newWorld(t)
	opts := options(t, w, t.TempDir(), filepath.Join(shortDir(t), "s.sock"))
	textfile := filepath.Join(t.TempDir(), "node-exporter", "spotwatch.prom")
	if err := os.MkdirAll(filepath.Dir(textfile), 0o755); err != nil {
		t.Fatal(err)
	}
	withTextfile := addToConfig(t, &opts, fmt.Sprintf("metrics: {textfile: %q}\n", textfile))
	r := start(t, opts)
	st := waitCause(t, r, diagnosis.CauseOK)
	waitTextfile(t, textfile, `spotwatch_state{cause="ok"} 1`, "spotwatch_state_code 0",
		fmt.Sprintf("spotwatch_check_interval_seconds %g", opts.Config.Interval.Seconds()),
		`spotwatch_check_mode{mode="full"} 1`, `spotwatch_state_changes_total{cause="ok"} 1`)
	if st.Checks < 1 {
		t.Errorf("status: %d checks", st.Checks)
	}

	if err := os.WriteFile(opts.ConfigPath, append([]byte("interval: 2m\n"), withTextfile...), 0o644); err != nil {
		t.Fatal(err)
	}
	waitLog(t, r, "configuration reloaded")
	waitTextfile(t, textfile, "spotwatch_check_interval_seconds 120")

	if err := r.shutdown(t); err != nil {
		t.Fatalf("Run after its context ended: %v", err)
	}
	entries, err := os.ReadDir(filepath.Dir(textfile))
	if err != nil || len(entries) != 1 || entries[0].Name() != "spotwatch.prom" {
		t.Errorf("after the daemon stopped the textfile directory holds %v (%v), want spotwatch.prom alone", entries, err)
	}
}

// TestRunTextfileMissingDirectory: a textfile directory that does not exist is logged with the
// file's path, and the daemon goes on checking and serving.
func TestRunTextfileMissingDirectory(t *testing.T) {
	w := newWorld(t)
	opts := options(t, w, t.TempDir(), filepath.Join(shortDir(t), "s.sock"))
	missing := filepath.Join(t.TempDir(), "no-such-dir", "spotwatch.prom")
	addToConfig(t, &opts, fmt.Sprintf("metrics: {textfile: %q}\n", missing))
	r := start(t, opts)
	waitCause(t, r, diagnosis.CauseOK)
	waitLog(t, r, "writing the metrics file; monitoring goes on")
	if !strings.Contains(r.log.String(), missing) {
		t.Errorf("the log does not name %s:\n%s", missing, r.log.String())
	}
}

// addToConfig appends yaml to the daemon's config file and loads it into opts.Config (the
// daemon starts on the file as it is), returning the file's new content.
func addToConfig(t *testing.T, opts *daemon.Options, yaml string) []byte {
	t.Helper()
	before, err := os.ReadFile(opts.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	after := append(before, yaml...)
	if err := os.WriteFile(opts.ConfigPath, after, 0o644); err != nil {
		t.Fatal(err)
	}
	if opts.Config, err = config.Load(opts.ConfigPath); err != nil {
		t.Fatal(err)
	}
	return after
}

// waitTextfile polls the metrics file until it holds every line of want.
func waitTextfile(t *testing.T, path string, want ...string) {
	t.Helper()
	var text string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			text = err.Error()
			continue
		}
		text = string(b)
		missing := false
		for _, line := range want {
			if !strings.Contains(text, line+"\n") {
				missing = true
			}
		}
		if !missing {
			return
		}
	}
	t.Fatalf("the metrics file never held %q:\n%s", want, text)
}
