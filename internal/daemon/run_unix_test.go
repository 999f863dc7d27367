//go:build unix

package daemon_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestRunReloadsOnSIGHUP: SIGHUP reloads the configuration file. It is caught from before the
// socket answers, so the signal, sent to this process, cannot end it.
func TestRunReloadsOnSIGHUP(t *testing.T) {
	w := newWorld(t)
	r := start(t, options(t, w, t.TempDir(), filepath.Join(shortDir(t), "s.sock")))
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, r, `msg="configuration reloaded" trigger=SIGHUP`)
	waitCause(t, r, diagnosis.CauseOK)
}
