package tray

import (
	"os"
	"testing"
)

// helperEnv makes the test binary run as the tray under test (see runHelper) instead of the
// tests: the D-Bus tests start it as a separate process, as systray is one per process.
const helperEnv = "SPOTWATCH_TRAY_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper())
	}
	os.Exit(m.Run())
}
