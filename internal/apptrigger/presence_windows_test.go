//go:build windows

package apptrigger

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// sleepEnv makes the test binary, run as Spotify.exe, wait for its stdin to close.
const sleepEnv = "SPOTWATCH_APPTRIGGER_SLEEP"

func TestMain(m *testing.M) {
	if os.Getenv(sleepEnv) != "" {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestWatchSeesSpotifyExeStart runs Watch with this OS's process list (Toolhelp) while a copy
// of the test binary named Spotify.exe starts: one start event, from the process list.
func TestWatchSeesSpotifyExeStart(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(testutil.TempDir(t), "Spotify.exe")
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if newDefaultPresent()() {
		t.Fatal("a Spotify.exe runs before the test started one")
	}
	events := make(chan Event, 4)
	go Watch(t.Context(), func(e Event) { events <- e }, Options{ProcessPoll: 50 * time.Millisecond, ConnPoll: time.Hour})
	time.Sleep(300 * time.Millisecond) // Watch has seen the list without it

	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), sleepEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Spotify.exe: %v", err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() }) // before the directory's cleanup: Windows cannot delete a running program
	select {
	case e := <-events:
		if e.Reason != ReasonStarted || e.Detail != "process list" {
			t.Errorf("event %+v, want the app started, seen in the process list", e)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s of Spotify.exe starting")
	}
	if !newDefaultPresent()() {
		t.Error("the process-list read says no Spotify while Spotify.exe runs")
	}
}
