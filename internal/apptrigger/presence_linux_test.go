//go:build linux

package apptrigger

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// startBus starts a private session bus (dbus-daemon, Debian package dbus) for one test and
// returns its address; it is killed when the test ends.
func startBus(t *testing.T) string {
	t.Helper()
	return testutil.StartBus(t, "session", nil)
}

// TestWatchMPRIS runs Watch on a real session bus: a connection taking the app's MPRIS name is
// the app starting (one event, no process list read for it), another player's name is not,
// and the name taken again after the app quit is a new start.
func TestWatchMPRIS(t *testing.T) {
	addr := startBus(t)
	log := make(logged, 64)
	found := make(chan struct{}, 64)
	events := make(chan Event, 8)
	done := make(chan error, 1)
	go func() {
		done <- Watch(t.Context(), func(e Event) { events <- e }, Options{
			Logger: slog.New(log), Bus: addr, ProcessPoll: time.Millisecond, ConnPoll: time.Hour,
			Find:  func() diagnosis.AppConnections { found <- struct{}{}; return diagnosis.AppConnections{} },
			Conns: func([]int) diagnosis.AppConnections { return diagnosis.AppConnections{} },
		})
	}()
	// Its match is in place once it has asked whether the app runs.
	waitLog(t, log, "watching the Spotify app's MPRIS name")

	other := connect(t, addr)
	own(t, other, "org.mpris.MediaPlayer2.vlc")
	app := connect(t, addr)
	own(t, app, MPRISName)
	select {
	case e := <-events:
		if e.Reason != ReasonStarted || e.Detail != "session bus" {
			t.Errorf("event %+v, want the app started, seen on the session bus", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s of the app taking its MPRIS name")
	}
	app.Close() // the app quits: its name goes
	app = connect(t, addr)
	own(t, app, MPRISName)
	select {
	case e := <-events:
		if e.Reason != ReasonStarted {
			t.Errorf("event %+v, want the app started again", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event when the app started again")
	}
	select {
	case e := <-events:
		t.Errorf("an extra event %+v (another player, or the app quitting)", e)
	case <-time.After(200 * time.Millisecond):
	}
	select {
	case <-found:
		t.Errorf("the process list was read although the session bus tells the app's start")
	default:
	}
}

// TestWatchNoBusPolls: with no session bus and no executable of the app found, the process
// list is polled.
func TestWatchNoBusPolls(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if got := sessionBus(""); got != "" {
		t.Fatalf("sessionBus = %q with no bus anywhere, want none", got)
	}
	found := make(chan struct{}, 64)
	go Watch(t.Context(), func(Event) {}, Options{ProcessPoll: time.Millisecond, ConnPoll: time.Hour,
		executables: func() []string { return nil }, // no Spotify installed here
		Find:        func() diagnosis.AppConnections { found <- struct{}{}; return diagnosis.AppConnections{} },
		Conns:       func([]int) diagnosis.AppConnections { return diagnosis.AppConnections{} }})
	for range 3 {
		select {
		case <-found:
		case <-time.After(10 * time.Second):
			t.Fatal("the process list was not polled without a session bus")
		}
	}
}

func connect(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	c, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the test bus: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func own(t *testing.T, c *dbus.Conn, name string) {
	t.Helper()
	reply, err := c.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking %s: reply %v, %v", name, reply, err)
	}
}

// logged is a slog handler that sends each message on a channel.
type logged chan string

func (l logged) Enabled(context.Context, slog.Level) bool { return true }
func (l logged) Handle(_ context.Context, r slog.Record) error {
	select {
	case l <- r.Message:
	default:
	}
	return nil
}
func (l logged) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logged) WithGroup(string) slog.Handler      { return l }

// waitLog waits for the message msg in the watcher's log.
func waitLog(t *testing.T, l logged, msg string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-l:
			if m == msg {
				return
			}
		case <-deadline:
			t.Fatalf("the watcher never logged %q", msg)
		}
	}
}

// TestWatchExecutable runs Watch without a session bus on a stand-in app, a program called
// spotify in a folder of its own given as the app's executable: while it does not run the
// process list is read once, at start, and never again (no poll); running it is the app
// starting (seen from the process list read after the open); while it runs the list is polled
// to see it quit; run again it is a new start. The executable only read, not run, is no start.
// The folder removed, the watcher falls back to the process list and, the app installed again,
// follows its executable again at the next look for it.
func TestWatchExecutable(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := filepath.Join(t.TempDir(), "spotify")
	exe := testutil.InstallStandInApp(t, dir)
	var reads atomic.Int64
	present := newDefaultPresent()
	log := make(logged, 256)
	events := make(chan Event, 8)
	go Watch(t.Context(), func(e Event) { events <- e }, Options{
		Logger: slog.New(log), ProcessPoll: 100 * time.Millisecond, ConnPoll: time.Hour, Rescan: time.Hour,
		Present:     func() bool { reads.Add(1); return present() },
		Conns:       func([]int) diagnosis.AppConnections { return diagnosis.AppConnections{} },
		executables: func() []string { return appExecutables([]string{exe}) },
	})
	waitLog(t, log, "the Spotify app's start is seen from its executable being run")
	time.Sleep(500 * time.Millisecond) // five poll periods: none may read the list
	if n := reads.Load(); n != 1 {
		t.Fatalf("the process list was read %d times before the app started, want once (at start)", n)
	}
	if _, err := os.ReadFile(exe); err != nil { // read, not run
		t.Fatal(err)
	}
	expectNoEvent(t, events, 1500*time.Millisecond, "the executable read")

	for round := range 2 {
		app := startApp(t, exe)
		select {
		case e := <-events:
			if e.Reason != ReasonStarted || e.Detail != "executable run" {
				t.Errorf("round %d: event %+v, want the app started, seen from its executable run", round, e)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: no event within 5 s of the app's start", round)
		}
		app.Process.Kill()
		app.Wait()
		waitLog(t, log, "the Spotify app quit")
	}

	// Uninstalled: the process list is polled; installed again: followed again at the next look.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitLog(t, log, "no Spotify executable found: the app's start is seen from the process list")
}

// TestFollowProcessesRescan: the executables are looked for again every Rescan, so an app
// installed after the watcher started is followed by its executable.
func TestFollowProcessesRescan(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := filepath.Join(t.TempDir(), "spotify")
	exe := filepath.Join(dir, "spotify")
	log := make(logged, 256)
	events := make(chan Event, 8)
	go Watch(t.Context(), func(e Event) { events <- e }, Options{
		Logger: slog.New(log), ProcessPoll: time.Hour, ConnPoll: time.Hour, Rescan: 200 * time.Millisecond,
		Conns:       func([]int) diagnosis.AppConnections { return diagnosis.AppConnections{} },
		executables: func() []string { return appExecutables([]string{exe}) },
	})
	waitLog(t, log, "no Spotify executable found: the app's start is seen from the process list")
	testutil.InstallStandInApp(t, dir)
	waitLog(t, log, "the Spotify app's start is seen from its executable being run")
	startApp(t, exe)
	select {
	case e := <-events:
		if e.Reason != ReasonStarted {
			t.Errorf("event %+v, want the app started", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s of the app's start (the process list is polled hourly here)")
	}
}

// startApp runs the stand-in app for 30 s; it is killed when the test ends.
func startApp(t *testing.T, exe string) *exec.Cmd {
	t.Helper()
	app := exec.Command(exe, "30")
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	return app
}

func expectNoEvent(t *testing.T, events chan Event, wait time.Duration, what string) {
	t.Helper()
	select {
	case e := <-events:
		t.Errorf("%s: event %+v, want none", what, e)
	case <-time.After(wait):
	}
}
