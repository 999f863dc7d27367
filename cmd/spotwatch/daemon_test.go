package main_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
)

// fastSchedule makes the daemon check every second so a test sees state changes quickly.
const fastSchedule = "interval: 1s\nfailing_interval: 1s\ntimeout: 1s\n"

// daemonProc is a running `spotwatch daemon`.
type daemonProc struct {
	cmd     *exec.Cmd
	socket  string
	history string
	logMu   sync.Mutex
	log     strings.Builder
	exited  chan error
}

// daemonEnv is the environment of a daemon whose socket, history and config live under dir;
// the system daemon's socket is there too, so that no installed daemon answers.
func daemonEnv(w *testworld.World, dir string) []string {
	return []string{
		"SSL_CERT_FILE=" + w.SystemPEM,
		"HOME=" + dir,
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		statusapi.SystemSocketEnv + "=" + filepath.Join(dir, "system.sock"),
		"PATH=" + os.Getenv("PATH"),
	}
}

// startDaemon starts `spotwatch daemon --config cfg` with daemonEnv and the extra variables env,
// and waits until its status API answers.
func startDaemon(t testing.TB, w *testworld.World, dir, cfg string, env ...string) *daemonProc {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	d := &daemonProc{
		cmd:     exec.Command(binary, "daemon", "--config", cfg),
		socket:  filepath.Join(dir, "run", "spotwatch", "spotwatch.sock"),
		history: filepath.Join(dir, "state", "spotwatch", "history.log"),
		exited:  make(chan error, 1),
	}
	d.cmd.Env = append(daemonEnv(w, dir), env...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting the daemon: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.logMu.Lock()
			d.log.WriteString(sc.Text() + "\n")
			d.logMu.Unlock()
		}
		d.exited <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.logText())
		}
	})
	d.waitStatus(t, "the daemon's status API to answer", 10*time.Second, func(monitor.Status) bool { return true })
	return d
}

// waitStatus polls the daemon's status API until its answer meets cond, failing the test with
// what (what was awaited), the last answer or error and the daemon's log after timeout.
func (d *daemonProc) waitStatus(t testing.TB, what string, timeout time.Duration, cond func(monitor.Status) bool) monitor.Status {
	t.Helper()
	client := statusapi.NewClient(d.socket)
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := client.Status(ctx)
		cancel()
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: last status %+v, err %v\n%s", timeout, what, st, err, d.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemonProc) logText() string {
	d.logMu.Lock()
	defer d.logMu.Unlock()
	return d.log.String()
}

// waitState reads events until the state's cause is want, returning the state events seen.
func waitState(t *testing.T, events <-chan monitor.Event, errs <-chan error, want diagnosis.Cause) []monitor.Event {
	t.Helper()
	var states []monitor.Event
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream ended while waiting for %s: %v", want, <-errs)
			}
			if ev.Type == monitor.EventState {
				states = append(states, ev)
				if ev.Status.Cause == want {
					return states
				}
			}
		case <-timeout:
			t.Fatalf("the state did not become %s; state events: %v", want, causesOf(states))
		}
	}
}

func causesOf(events []monitor.Event) []diagnosis.Cause {
	var out []diagnosis.Cause
	for _, ev := range events {
		out = append(out, ev.Status.Cause)
	}
	return out
}

// TestDaemonEventsAndHistory runs the real daemon against the loopback world, follows its
// server-sent events while a DNS filter appears and goes, and checks the history it kept.
func TestDaemonEventsAndHistory(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	cfg, err := w.WriteConfig(fastSchedule + "thresholds: {fail: 2, recover: 1}\n")
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, w, dir, cfg)
	client := statusapi.NewClient(d.socket)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, errs := client.Events(ctx)

	waitState(t, events, errs, diagnosis.CauseOK)
	w.Zone.SetModeSuffix("spotify.com", testnet.Sinkhole)
	failing := waitState(t, events, errs, diagnosis.CauseDNSFiltered)
	last := failing[len(failing)-1]
	if last.Previous != diagnosis.CauseOK || last.Status.Code != 7 {
		t.Errorf("state event %s (previous %s, code %d), want dns_filtered after ok, code 7", last.Status.Cause, last.Previous, last.Status.Code)
	}
	if len(failing) != 1 {
		t.Errorf("state events while the filter appeared: %v, want exactly one", causesOf(failing))
	}
	w.Zone.SetModeSuffix("spotify.com", testnet.Answer)
	recovered := waitState(t, events, errs, diagnosis.CauseOK)
	if got := recovered[len(recovered)-1]; got.Previous != diagnosis.CauseDNSFiltered || got.Lasted <= 0 {
		t.Errorf("recovery event: previous %s, lasted %v", got.Previous, got.Lasted)
	}

	// `spotwatch status` asks the daemon.
	env := daemonEnv(w, dir)
	out, stderr, code := run(t, env, "status", "--history")
	if code != 0 || !strings.Contains(out, "Spotify is reachable") || !strings.Contains(out, "dns_filtered") {
		t.Errorf("status --history: exit %d\n%s%s", code, out, stderr)
	}
	out, _, code = run(t, env, "status", "--json")
	if code != 0 || !strings.Contains(out, `"cause": "ok"`) || !strings.Contains(out, `"since"`) {
		t.Errorf("status --json: exit %d\n%s", code, out)
	}

	records, err := client.History(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range records {
		got = append(got, r.Previous+">"+r.Cause)
	}
	want := []string{"checking>ok", "ok>dns_filtered", "dns_filtered>ok"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("history %v, want %v", got, want)
	}

	// A bad configuration on SIGHUP is logged with file:line and the daemon keeps running.
	if err := os.WriteFile(cfg, []byte("interval: 1s\nintervall: 2s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, d, filepath.Base(cfg)+":2: intervall")
	if _, err := client.Status(ctx); err != nil {
		t.Fatalf("the daemon stopped answering after a bad reload: %v", err)
	}

	// SIGTERM stops it cleanly and the history on disk holds the same records.
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		if err != nil {
			t.Errorf("daemon exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop on SIGTERM")
	}
	onDisk, damage, err := history.Read(d.history, nil)
	if err != nil || len(damage) > 0 || len(onDisk) != len(records) {
		t.Errorf("history file: %d records, damage %v, err %v; want %d records", len(onDisk), damage, err, len(records))
	}
	if _, err := statusapi.NewClient(d.socket).Status(context.Background()); err == nil {
		t.Error("the socket still answers after the daemon stopped")
	}
}

func waitLog(t *testing.T, d *daemonProc, fragment string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.logText(), fragment) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon never logged %q", fragment)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDaemonHistorySurvivesSIGKILL kills the real daemon with SIGKILL at random moments while
// faults come and go (thresholds of 1, so every flip is a state change written to the
// history), restarting it each time, then checks that the history file is intact.
func TestDaemonHistorySurvivesSIGKILL(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	cfg, err := w.WriteConfig("interval: 200ms\nfailing_interval: 200ms\ntimeout: 200ms\nthresholds: {fail: 1, recover: 1}\n")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	flipped := make(chan struct{})
	go func() {
		defer close(flipped)
		modes := []testnet.Mode{testnet.Sinkhole, testnet.Answer, testnet.NXDomain, testnet.Answer}
		for i := 0; ; i++ {
			select {
			case <-stop:
				w.Zone.SetModeSuffix("spotify.com", testnet.Answer)
				return
			case <-time.After(150 * time.Millisecond):
				w.Zone.SetModeSuffix("spotify.com", modes[i%len(modes)])
			}
		}
	}()
	kills := 12
	var historyPath string
	for i := range kills {
		d := startDaemon(t, w, dir, cfg)
		historyPath = d.history
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		d.cmd.Process.Kill()
		<-d.exited
		recs, damage, err := history.Read(d.history, nil)
		if err != nil {
			t.Fatalf("kill %d: reading the history: %v", i+1, err)
		}
		for _, dmg := range damage {
			if !strings.Contains(dmg.Reason, "incomplete") {
				t.Errorf("kill %d: damage other than a torn last record: %v", i+1, dmg)
			}
		}
		for j := 1; j < len(recs); j++ {
			if recs[j].Time.Before(recs[j-1].Time) {
				t.Errorf("kill %d: records out of order at %d", i+1, j)
			}
		}
	}
	close(stop)
	<-flipped
	recs, damage, err := history.Read(historyPath, nil)
	if err != nil || len(recs) < kills {
		t.Fatalf("after %d kills: %d records, damage %v, err %v", kills, len(recs), damage, err)
	}
	t.Logf("%d kills, %d state changes recorded, damage: %v", kills, len(recs), damage)
}

// TestSecondDaemonOnTheSameStateIsRefused starts a second daemon on a running one's state
// directory: it must exit with an error naming the lock and the running daemon, and touch
// nothing: the first daemon's history stays byte for byte what it was, and keeps receiving
// records.
func TestSecondDaemonOnTheSameStateIsRefused(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	cfg, err := w.WriteConfig(fastSchedule + "thresholds: {fail: 1, recover: 1}\n")
	if err != nil {
		t.Fatal(err)
	}
	first := startDaemon(t, w, dir, cfg)
	waitRecords(t, first.history, 1)
	before, err := os.ReadFile(first.history)
	if err != nil {
		t.Fatal(err)
	}

	second := exec.Command(binary, "daemon", "--config", cfg)
	second.Env = daemonEnv(w, dir)
	var stderr strings.Builder
	second.Stderr = &stderr
	done := make(chan error, 1)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- second.Wait() }()
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		second.Process.Kill()
		<-done
		t.Fatalf("the second daemon did not exit:\n%s", stderr.String())
	}
	if err == nil {
		t.Fatalf("the second daemon exited 0:\n%s", stderr.String())
	}
	lock := filepath.Join(filepath.Dir(first.history), history.LockName)
	for _, want := range []string{lock, fmt.Sprintf("pid %d", first.cmd.Process.Pid), "another spotwatch daemon"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the second daemon's error does not name %q:\n%s", want, stderr.String())
		}
	}
	after, err := os.ReadFile(first.history)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, before) {
		t.Fatalf("the second daemon changed the history:\nbefore %q\nafter  %q", before, after)
	}
	if _, err := os.Stat(first.history + ".damaged"); err == nil {
		t.Error("the second daemon left a .damaged copy")
	}

	// The first daemon still writes its history.
	n := bytes.Count(after, []byte("\n"))
	w.Zone.SetModeSuffix("spotify.com", testnet.Sinkhole)
	waitRecords(t, first.history, n+1)
	now, err := os.ReadFile(first.history)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(now, before) || !bytes.Contains(now[len(before):], []byte("dns_filtered")) {
		t.Fatalf("the first daemon's history after the refused start:\n%s", now)
	}
}

// waitRecords waits until the history file at path holds at least n valid records.
func waitRecords(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		recs, _, err := history.Read(path, nil)
		if err == nil && len(recs) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the history %s did not reach %d records: %d, err %v", path, n, len(recs), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
