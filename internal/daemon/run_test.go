package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/daemon"
	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/svc"
)

// logBuffer is a log the daemon's goroutines write while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is a daemon started by daemon.Run in this process.
type running struct {
	opts   daemon.Options
	socket string
	log    *logBuffer
	stop   context.CancelFunc
	done   chan error
}

// newWorld is a loopback Internet for one test, closed at its end.
func newWorld(t *testing.T) *testworld.World {
	t.Helper()
	w, err := testworld.New(t.TempDir())
	if err != nil {
		t.Fatalf("starting the loopback world: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// options are a daemon's options against the world w: its configuration written to a file with
// the socket at socket, its history under stateDir, checks that trust the world's roots and see
// no proxy variables, and the config file looked at every 50 ms.
func options(t *testing.T, w *testworld.World, stateDir, socket string) daemon.Options {
	t.Helper()
	t.Setenv(svc.ServiceEnv, "") // not under a service manager, whatever runs the tests
	written, err := w.WriteConfig(fmt.Sprintf("api:\n  socket: %q\n", socket))
	if err != nil {
		t.Fatal(err)
	}
	// A file of this daemon's own: the world's is rewritten for the next daemon.
	content, err := os.ReadFile(written)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spotwatch.yaml")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return daemon.Options{
		Config:      cfg,
		ConfigPath:  path,
		HistoryPath: filepath.Join(stateDir, "history.log"),
		Check:       probe.Options{SystemRoots: w.SystemRoots(), Getenv: func(string) string { return "" }},
		ConfigPoll:  50 * time.Millisecond,
	}
}

// shortDir is a directory for sockets, whose paths must stay short (a Unix socket's path is
// limited to about 100 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "swd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// start runs daemon.Run with opts until the test ends, and waits until its socket answers.
func start(t *testing.T, opts daemon.Options) *running {
	t.Helper()
	r := &running{opts: opts, socket: opts.Config.API.Socket, log: &logBuffer{}, done: make(chan error, 1)}
	r.opts.Logger = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- daemon.Run(ctx, r.opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("the daemon did not stop")
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", r.log.String())
		}
	})
	client := statusapi.NewClient(r.socket)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := client.Status(ctx)
		cancel()
		if err == nil {
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("the daemon stopped: %v\n%s", err, r.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon's status API did not answer: %v\n%s", err, r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shutdown cancels the daemon's context and returns what Run returned.
func (r *running) shutdown(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Run did not return after its context ended\n%s", r.log.String())
		return nil
	}
}

// waitCause polls the daemon's status until its cause is want.
func waitCause(t *testing.T, r *running, want diagnosis.Cause) monitor.Status {
	t.Helper()
	client := statusapi.NewClient(r.socket)
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := client.Status(context.Background())
		if err == nil && st.Cause == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the state did not become %s: %v, %v\n%s", want, st.Cause, err, r.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLog waits until the daemon's log holds fragment.
func waitLog(t *testing.T, r *running, fragment string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.log.String(), fragment) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon never logged %q:\n%s", fragment, r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunServesStatusAndHistory: the daemon answers on its socket with the state of its checks
// of the loopback world, and its history holds the state change, through the real client.
func TestRunServesStatusAndHistory(t *testing.T) {
	w := newWorld(t)
	r := start(t, options(t, w, t.TempDir(), filepath.Join(shortDir(t), "s.sock")))
	st := waitCause(t, r, diagnosis.CauseOK)
	if st.Code != diagnosis.CodeOK || st.Checks < 1 || st.Storage != nil {
		t.Errorf("status: code %d, %d checks, storage %+v", st.Code, st.Checks, st.Storage)
	}
	records, err := statusapi.NewClient(r.socket).History(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Previous != string(diagnosis.CauseChecking) || records[0].Cause != string(diagnosis.CauseOK) {
		t.Errorf("history %+v, want one record checking>ok", records)
	}
}

// TestRunShutdownReleasesSocketAndLock: when its context ends, Run returns nil having closed
// the socket and released the history's lock, with the history on disk: a new daemon starts
// on the same socket and state directory at once.
func TestRunShutdownReleasesSocketAndLock(t *testing.T) {
	w := newWorld(t)
	state := t.TempDir()
	opts := options(t, w, state, filepath.Join(shortDir(t), "s.sock"))
	first := start(t, opts)
	waitCause(t, first, diagnosis.CauseOK)
	if err := first.shutdown(t); err != nil {
		t.Fatalf("Run after its context ended: %v", err)
	}
	if _, err := statusapi.NewClient(first.socket).Status(context.Background()); err == nil {
		t.Error("the socket still answers after Run returned")
	}
	if _, err := os.Stat(first.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket file is still there: %v", err)
	}
	if !strings.Contains(first.log.String(), "spotwatch daemon stopped") {
		t.Errorf("the log does not say the daemon stopped:\n%s", first.log.String())
	}
	recs, damage, err := history.Read(opts.HistoryPath, nil)
	if err != nil || len(damage) > 0 || len(recs) != 1 {
		t.Errorf("history on disk: %d records, damage %v, err %v; want 1 record", len(recs), damage, err)
	}

	second := start(t, opts)
	waitCause(t, second, diagnosis.CauseOK)
	// The time between the two daemons is a gap in the history, never the first one's state.
	recs, _, err = history.Read(opts.HistoryPath, nil)
	if err != nil || len(recs) < 2 || recs[1].Kind != history.KindStopped || recs[1].Duration <= 0 || recs[1].Time.Before(recs[0].Time) {
		t.Errorf("history after a restart: %+v, %v; want the first state change, then a stop", recs, err)
	}
}

// TestRunRefusesASecondDaemon: a second daemon on a running one's state directory fails at
// once, naming the lock, before it listens on anything; the first one keeps serving.
func TestRunRefusesASecondDaemon(t *testing.T) {
	w := newWorld(t)
	state := t.TempDir()
	first := start(t, options(t, w, state, filepath.Join(shortDir(t), "first.sock")))
	waitCause(t, first, diagnosis.CauseOK)

	opts := options(t, w, state, filepath.Join(shortDir(t), "second.sock"))
	var logged logBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := daemon.Run(ctx, opts)
	if !errors.Is(err, history.ErrLocked) {
		t.Fatalf("the second daemon: %v, want an error wrapping history.ErrLocked", err)
	}
	lock := filepath.Join(state, history.LockName)
	for _, want := range []string{"another spotwatch daemon", lock, fmt.Sprintf("pid %d", os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q: %v", want, err)
		}
	}
	if !strings.Contains(logged.String(), "starting the daemon") {
		t.Errorf("the refusal is not logged:\n%s", logged.String())
	}
	if _, err := os.Stat(opts.Config.API.Socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused daemon made its socket: %v", err)
	}
	if _, err := statusapi.NewClient(first.socket).Status(context.Background()); err != nil {
		t.Errorf("the first daemon stopped answering: %v", err)
	}
}

// TestRunReloadKeepsTheLastGoodConfig: a configuration file changed into an invalid one is
// refused with its file, line and key in the log, and the daemon keeps serving on the last good
// one; a valid change after it is applied.
func TestRunReloadKeepsTheLastGoodConfig(t *testing.T) {
	w := newWorld(t)
	opts := options(t, w, t.TempDir(), filepath.Join(shortDir(t), "s.sock"))
	r := start(t, opts)
	waitCause(t, r, diagnosis.CauseOK)
	good, err := os.ReadFile(opts.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}

	bad := append([]byte("intervall: 2m\n"), good...)
	if err := os.WriteFile(opts.ConfigPath, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	waitLog(t, r, "configuration not reloaded: keeping the last good one")
	waitLog(t, r, filepath.Base(opts.ConfigPath)+":1: intervall")
	if strings.Contains(r.log.String(), "configuration reloaded") {
		t.Fatalf("the invalid configuration was applied:\n%s", r.log.String())
	}
	if _, err := statusapi.NewClient(r.socket).Status(context.Background()); err != nil {
		t.Fatalf("the daemon stopped answering after a bad reload: %v", err)
	}

	if err := os.WriteFile(opts.ConfigPath, append([]byte("interval: 2m\n"), good...), 0o644); err != nil {
		t.Fatal(err)
	}
	waitLog(t, r, "configuration reloaded")
	waitCause(t, r, diagnosis.CauseOK)
}

// A config file written between the caller's read and the daemon's start is what the daemon
// runs on: the caller read an older content (here: a DNS server that refuses), the file now
// holds the good one, and the file watcher's stamp is taken after the write, so only the
// start can notice.
func TestRunStartsOnAConfigWrittenDuringItsStart(t *testing.T) {
	w := newWorld(t)
	opts := options(t, w, t.TempDir(), filepath.Join(shortDir(t), "s.sock"))
	read := *opts.Config
	read.DNS.Server = "127.0.0.1:1"
	opts.Config = &read
	r := start(t, opts)
	waitCause(t, r, diagnosis.CauseOK)
	waitLog(t, r, "the configuration file changed while the daemon started")
}
