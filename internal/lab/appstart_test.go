//go:build linux

package lab_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
)

// TestLabSystemDaemonSeesAppStart: a daemon without a session bus (a system service), on a
// ten-minute schedule, told where the app is installed (spotify.app_executables: a stand-in,
// sleep called spotify), checks at once when the app starts in its network namespace — from
// the kernel's open event on the executable, not from a poll of the process list. Logged as
// `app-start-to-check-ms: N`.
func TestLabSystemDaemonSeesAppStart(t *testing.T) {
	bin := buildSpotwatch(t)
	w := labworld.NewForTest(t)
	ctx := t.Context()
	if err := w.Healthy(ctx); err != nil {
		t.Fatalf("lab error: the world is not healthy before the daemon starts:\n%v", err)
	}
	exe := testutil.InstallStandInApp(t, filepath.Join(t.TempDir(), "spotify"))
	cfg, err := w.WriteConfig(slowSchedule + fmt.Sprintf("spotify: {app_executables: [%q]}\n", exe))
	labErr(t, "writing the configuration", err)

	d := startLabDaemon(t, w.Lab, bin, cfg)
	events := stampEvents(t, statusapi.NewClient(d.socket))
	d.waitState(t, events, diagnosis.CauseOK, 30*time.Second)
	waitLogged(t, d, `msg="the Spotify app's start is seen from its executable being run"`, 10*time.Second)
	if strings.Contains(d.logText(), "the Spotify app's start is seen from the process list") || strings.Contains(d.logText(), "session bus") {
		t.Fatalf("the daemon does not follow the stand-in's executable:\n%s", d.logText())
	}

	app := w.Lab.Command(ctx, exe, "60")
	began := time.Now()
	labErr(t, "starting the stand-in app", app.Start())
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	waitLogged(t, d, `msg="check requested by the Spotify app" reason="app started" detail="executable run"`, 5*time.Second)
	t.Logf("app-start-to-check-ms: %d", time.Since(began).Milliseconds())
}

// waitLogged waits for line in the daemon's log.
func waitLogged(t *testing.T, d *labDaemon, line string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(d.logText(), line) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not log %s within %v:\n%s", line, within, d.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
