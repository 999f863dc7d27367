//go:build linux

package lab_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
)

// reactWithin is how soon after a default-route change the daemon's state must follow: the
// target set in issue 9 for a netlink event, in the lab, is under 2 s. It covers the 300 ms settle of the netlink burst, the first check, the 1 s wait
// before the confirming check (thresholds.fail 2) and that check.
const reactWithin = 2 * time.Second

// slowSchedule leaves only the network events to explain a prompt re-check: the next
// scheduled one is ten minutes away. Debug logging shows the netwatch changes in the log.
const slowSchedule = "interval: 10m\nfailing_interval: 10m\nlog: {level: debug}\n"

// TestLabDaemonReactsToRouteChange runs `spotwatch daemon` in the lab's client namespace with
// a ten-minute schedule, follows its events from the test over the unix socket, removes the
// client's default route and restores it, and asserts that each change turns into a new state
// within reactWithin, through the daemon's netlink watcher rather than its schedule. It logs
// the figure as `route-change-to-state-ms: N` (and `route-restore-to-state-ms: N`).
func TestLabDaemonReactsToRouteChange(t *testing.T) {
	bin := buildSpotwatch(t)
	w := labworld.NewForTest(t)
	ctx := t.Context()
	if err := w.Healthy(ctx); err != nil {
		t.Fatalf("lab error: the world is not healthy before the daemon starts:\n%v", err)
	}
	cfg, err := w.WriteConfig(slowSchedule)
	labErr(t, "writing the configuration", err)

	d := startLabDaemon(t, w.Lab, bin, cfg)
	events := stampEvents(t, statusapi.NewClient(d.socket))

	up := d.waitState(t, events, diagnosis.CauseOK, 30*time.Second)
	t.Logf("first state ok after %d check(s)", up.ev.Status.Checks)

	// The route goes: the state must become no_network through two checks the netlink event set off.
	began := time.Now()
	f, err := w.Lab.RemoveDefaultRoute(ctx)
	labErr(t, "removing the client's default route", err)
	undoLater(t, f)
	applied := time.Since(began)
	down := d.waitState(t, events, diagnosis.CauseNoNetwork, reactWithin+5*time.Second)
	took := down.at.Sub(began)
	t.Logf("route-change-to-state-ms: %d", took.Milliseconds())
	t.Logf("route removed (and proven) in %d ms; no_network after %d checks, in the daemon %d ms after the change",
		applied.Milliseconds(), down.ev.Status.Checks, down.ev.Status.Since.Sub(began).Milliseconds())
	d.assertPrompt(t, "no_network after the default route went", took, up, down, 2)

	// The route comes back: one good check (thresholds.recover 1) restores ok.
	began = time.Now()
	labErr(t, "restoring the client's default route", f.Undo(ctx))
	back := d.waitState(t, events, diagnosis.CauseOK, reactWithin+5*time.Second)
	took = back.at.Sub(began)
	t.Logf("route-restore-to-state-ms: %d", took.Milliseconds())
	d.assertPrompt(t, "ok after the default route came back", took, down, back, 1)
	if back.ev.Lasted <= 0 {
		t.Errorf("recovery event: no_network lasted %v, want a duration", back.ev.Lasted)
	}
	if !strings.Contains(d.logText(), `msg="network changed" reason=route`) {
		t.Errorf("the daemon never logged a route change from netwatch:\n%s", d.logText())
	}
	if strings.Contains(d.logText(), "polling instead") {
		t.Errorf("the daemon fell back to polling instead of netlink events:\n%s", d.logText())
	}

	d.stop(t)
	recs, damage, err := history.Read(d.history, nil)
	if err != nil || len(damage) > 0 {
		t.Fatalf("reading the daemon's history: damage %v, err %v", damage, err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Previous+">"+r.Cause)
	}
	if want := "checking>ok ok>no_network no_network>ok"; strings.Join(got, " ") != want {
		t.Errorf("history %v, want %s", got, want)
	}
}

// labDaemon is `spotwatch daemon` running in the lab's client namespace.
type labDaemon struct {
	cmd     *exec.Cmd
	socket  string // reachable from the test: namespaces do not isolate the filesystem
	history string
	log     testutil.LockedBuffer
	exited  chan error // the exit, once
}

// startLabDaemon starts the daemon in the client namespace with its socket, history and HOME
// in a fresh directory, waits for its status API to answer and stops it when the test ends.
func startLabDaemon(t *testing.T, l *lab.Lab, bin, cfg string) *labDaemon {
	t.Helper()
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	labErr(t, "creating the runtime directory", os.MkdirAll(run, 0o700))
	ctx, cancel := context.WithCancel(context.Background()) // cancelling kills the daemon
	d := &labDaemon{
		cmd:     l.Command(ctx, bin, "daemon", "--config", cfg),
		socket:  filepath.Join(run, "spotwatch", "spotwatch.sock"),
		history: filepath.Join(dir, "state", "spotwatch", "history.log"),
		exited:  make(chan error, 1),
	}
	d.cmd.Env = append(d.cmd.Env, "HOME="+dir, "XDG_RUNTIME_DIR="+run,
		"XDG_STATE_HOME="+filepath.Join(dir, "state"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	d.cmd.Stdout, d.cmd.Stderr = &d.log, &d.log
	if err := d.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting the daemon in the client: %v", err)
	}
	go func() { d.exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-d.exited:
			d.exited <- err
		case <-time.After(10 * time.Second):
			t.Errorf("the daemon (pid %d) did not go when killed", d.cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.logText())
		}
	})

	client := statusapi.NewClient(d.socket)
	deadline := time.Now().Add(10 * time.Second)
	for {
		sctx, scancel := context.WithTimeout(t.Context(), time.Second)
		_, err := client.Status(sctx)
		scancel()
		if err == nil {
			return d
		}
		select {
		case err := <-d.exited:
			d.exited <- err
			t.Fatalf("the daemon exited at start: %v\n%s", err, d.logText())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon's status API at %s did not answer: %v\n%s", d.socket, err, d.logText())
		}
	}
}

func (d *labDaemon) logText() string { return d.log.String() }

// stop sends SIGTERM and requires a clean exit (status 0) within 10 s.
func (d *labDaemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("sending SIGTERM to the daemon: %v", err)
	}
	select {
	case err := <-d.exited:
		d.exited <- err
		if err != nil {
			t.Errorf("the daemon's exit on SIGTERM: %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop within 10 s of SIGTERM")
	}
}

// stamped is an event with the moment the test received it.
type stamped struct {
	ev monitor.Event
	at time.Time
}

// stampEvents follows the daemon's event stream until the test ends, stamping each event as it
// arrives, so that a test busy applying a fault does not delay the stamps.
func stampEvents(t *testing.T, client *statusapi.Client) <-chan stamped {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	events, errs := client.Events(ctx)
	out := make(chan stamped, 256)
	go func() {
		defer close(out)
		for ev := range events {
			out <- stamped{ev, time.Now()}
		}
		if err := <-errs; err != nil && ctx.Err() == nil {
			out <- stamped{ev: monitor.Event{Type: "error: " + err.Error()}, at: time.Now()}
		}
	}()
	return out
}

// waitState reads events until a state event with cause want, and returns it. Another state
// after the first one fails the test: each route change must give exactly one transition.
func (d *labDaemon) waitState(t *testing.T, events <-chan stamped, want diagnosis.Cause, limit time.Duration) stamped {
	t.Helper()
	timeout := time.After(limit)
	var seen []string
	for {
		select {
		case s, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended while waiting for %s; states seen: %v", want, seen)
			}
			if strings.HasPrefix(s.ev.Type, "error: ") {
				t.Fatalf("the event stream failed while waiting for %s: %s", want, s.ev.Type)
			}
			if s.ev.Type != monitor.EventState {
				continue
			}
			cause := s.ev.Status.Cause
			seen = append(seen, string(cause))
			switch {
			case cause == want:
				return s
			case cause != diagnosis.CauseChecking && s.ev.Previous != cause:
				t.Fatalf("state %s (after %s) while waiting for %s", cause, s.ev.Previous, want)
			}
		case <-timeout:
			st, err := statusapi.NewClient(d.socket).Status(context.Background())
			t.Fatalf("no state %s within %v; states seen: %v; the daemon now: %s pending %q after %d checks (%v)",
				want, limit, seen, st.Cause, st.PendingCause, st.Checks, err)
		}
	}
}

// assertPrompt requires the state change to to have come within reactWithin of the route
// change, through at least minChecks checks more than the state from had: checks the ten-minute
// schedule cannot explain.
func (d *labDaemon) assertPrompt(t *testing.T, what string, took time.Duration, from, to stamped, minChecks int64) {
	t.Helper()
	if took >= reactWithin {
		t.Errorf("%s came %v after the route change, want < %v", what, took.Round(time.Millisecond), reactWithin)
	}
	if to.ev.Previous != from.ev.Status.Cause {
		t.Errorf("%s: previous state %s, want %s", what, to.ev.Previous, from.ev.Status.Cause)
	}
	if extra := to.ev.Status.Checks - from.ev.Status.Checks; extra < minChecks {
		t.Errorf("%s after %d check(s) since the last state, want at least %d (a re-check on the netlink event)",
			what, extra, minChecks)
	}
}
