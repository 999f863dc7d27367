//go:build linux

package daemon_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestRunReloadOnFileEvent: with a poll far too slow to see it, a change of the config file is
// still applied within seconds: the file's directory is watched (internal/filewatch; Linux
// only, elsewhere the file is polled as TestRunReloadKeepsTheLastGoodConfig shows).
func TestRunReloadOnFileEvent(t *testing.T) {
	w := newWorld(t)
	opts := options(t, w, t.TempDir(), filepath.Join(shortDir(t), "s.sock"))
	opts.ConfigPoll = time.Hour
	r := start(t, opts)
	waitCause(t, r, diagnosis.CauseOK)
	good, err := os.ReadFile(opts.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	// Saved as editors save: a new file renamed over the old one.
	tmp := opts.ConfigPath + ".swp"
	if err := os.WriteFile(tmp, append([]byte("interval: 2m\n"), good...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, opts.ConfigPath); err != nil {
		t.Fatal(err)
	}
	waitLog(t, r, "configuration reloaded")
}
