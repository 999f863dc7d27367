//go:build linux

package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
)

// TestDaemonOnReadOnlyState starts the real daemon with its state directory on a read-only
// filesystem (a read-only bind mount): it must run, answer the status API, report the storage
// problem in `status` (JSON and text), and write the history once the filesystem is writable.
func TestDaemonOnReadOnlyState(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	mount(t, state, syscall.MS_BIND)
	mount(t, state, syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY)
	t.Cleanup(func() {
		if err := syscall.Unmount(state, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", state, err)
		}
	})
	cfg, err := w.WriteConfig(fastSchedule)
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, w, dir, cfg)
	client := statusapi.NewClient(d.socket)
	var st monitor.Status
	deadline := time.Now().Add(20 * time.Second)
	for st.Cause != diagnosis.CauseOK {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon on a read-only state directory never reached ok: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
		if st, err = client.Status(context.Background()); err != nil {
			t.Fatalf("status API: %v", err)
		}
	}
	if st.Storage == nil || st.Storage.OK || !strings.Contains(st.Storage.Error, "read-only file system") || st.Storage.Pending != 1 {
		t.Fatalf("status storage %+v, want the read-only error and 1 pending record", st.Storage)
	}
	env := daemonEnv(w, dir)
	out, stderr, code := run(t, env, "status", "--json")
	if code != 0 || !strings.Contains(out, `"storage": {`) || !strings.Contains(out, "read-only file system") {
		t.Errorf("status --json: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = run(t, env, "status", "--history")
	if code != 0 || !strings.Contains(out, "The history cannot be saved since") || !strings.Contains(out, "read-only file system") ||
		!strings.Contains(out, "History (1 state changes)") {
		t.Errorf("status --history: exit %d\n%s%s", code, out, stderr)
	}
	waitLog(t, d, "keeping the history in memory")

	mount(t, state, syscall.MS_REMOUNT|syscall.MS_BIND)
	waitRecords(t, d.history, 1)
	deadline = time.Now().Add(20 * time.Second)
	for st.Storage != nil {
		if time.Now().After(deadline) {
			t.Fatalf("status still reports storage trouble after the filesystem became writable: %+v", st.Storage)
		}
		time.Sleep(100 * time.Millisecond)
		if st, err = client.Status(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	out, _, _ = run(t, env, "status", "--json")
	if strings.Contains(out, `"storage"`) {
		t.Errorf("status --json reports storage while it works:\n%s", out)
	}
	waitLog(t, d, "writable again")
}

func mount(t *testing.T, dir string, flags uintptr) {
	t.Helper()
	if err := syscall.Mount(dir, dir, "", flags, ""); err != nil {
		t.Fatalf("mount %s (flags %#x; the test needs root): %v", dir, flags, err)
	}
}
