package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// InstallStandInApp puts a stand-in Spotify app in dir (made if missing): the system's sleep,
// copied as dir/spotify, so that it runs with the app's process name for as many seconds as it
// is given. It returns the executable's path.
func InstallStandInApp(t testing.TB, dir string) string {
	t.Helper()
	program, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Fatalf("installing the stand-in app: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("installing the stand-in app: %v", err)
	}
	exe := filepath.Join(dir, "spotify")
	if err := os.WriteFile(exe, program, 0o755); err != nil {
		t.Fatalf("installing the stand-in app: %v", err)
	}
	return exe
}
