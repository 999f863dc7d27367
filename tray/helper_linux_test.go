//go:build linux

package tray

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/clock"
	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/internal/desktoptest"
)

// The helper is the tray under test, in a process of its own: the test binary started with
// helperEnv set. It runs Run with a real monitor whose checks find what the test scripts, on a
// fake clock. It reads commands on stdin:
//
//	result CAUSE   the monitor's checks find CAUSE from now on
//	advance DUR    move the clock on by DUR (time.ParseDuration), then sync
//	sync           wait until everything the tray was given is handled and sent
//	quit           end Run as a signal would
//
// It reads them only once the monitor waits for its first check (a timer of 0), so the first
// "advance" runs that check. It writes lines on file descriptor 3: "ready" once the menu exists
// and the tray follows the monitor (its first event handled), "started" when Run calls
// Options.Started, "checked CAUSE" for each check
// the monitor runs, "step …" for each thing the tray's loop handled, "open PATH" for each page
// it opens, "ok COMMAND" when a command is done ("ok quit" before Run is ended), and "exit ERR"
// when Run returned. What a command sets off runs concurrently with it: its lines may come
// before or after its "ok" (see trayProcess.send).

// helperStart is the helper's fake time: a Monday, 12:00 local.
var helperStart = t0

// helperNotify are the helper's notify settings.
var helperNotify = config.Notify{Enabled: true, OnRecovery: true, RepeatAfter: time.Hour}

// lineWriter writes whole lines from many goroutines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}

// fileAutostart is "start at login" as a file's presence.
type fileAutostart string

func (f fileAutostart) Enabled() (bool, error) {
	_, err := os.Stat(string(f))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (f fileAutostart) SetEnabled(on bool) error {
	if on {
		return os.WriteFile(string(f), nil, 0o600)
	}
	return os.Remove(string(f))
}

func runHelper() int {
	out := &lineWriter{w: os.NewFile(3, "protocol")}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir, err := os.MkdirTemp("", "spotwatch-tray-helper")
	if err != nil {
		out.printf("exit %v", err)
		return 1
	}
	defer os.RemoveAll(dir)

	clk := clock.NewFake(helperStart)
	var mu sync.Mutex
	cause := diagnosis.CauseOK
	check := func(context.Context) diagnosis.Result {
		mu.Lock()
		c := cause
		mu.Unlock()
		out.printf("checked %s", c)
		return diagnosis.Result{Diagnosis: diag(c, diagnosis.Findings{}), DurationMS: 200, Version: "test"}
	}
	hist := NewMemoryHistory(100)
	m := monitor.New(monitor.Settings{Interval: 24 * time.Hour, FailingInterval: 24 * time.Hour, Timeout: time.Minute, Fail: 2, Recover: 1},
		check, monitor.Options{Clock: clk, Logger: log, History: hist})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := clk.Changed()
	go m.Run(ctx)
	for clk.Waiters() == 0 { // the monitor's first timer: nothing else uses the clock yet
		<-changed
		changed = clk.Changed()
	}

	var (
		readyMu                 sync.Mutex
		menuUp, following, said bool
	)
	sayReady := func(menu, event bool) {
		readyMu.Lock()
		defer readyMu.Unlock()
		menuUp, following = menuUp || menu, following || event
		if menuUp && following && !said {
			said = true
			out.printf("ready")
		}
	}
	hooks := &testHooks{
		stepped: func(what string) {
			out.printf("step %s", what)
			if strings.HasPrefix(what, "event ") {
				sayReady(false, true)
			}
		},
		sync:  make(chan barrier),
		ready: func() { sayReady(true, false) },
	}
	// settle waits until the loop handled everything before it; it runs before in the loop first.
	settle := func(before func()) {
		b := barrier{before: before, done: make(chan struct{})}
		select {
		case hooks.sync <- b:
			<-b.done
		case <-ctx.Done():
		}
	}
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			cmd, arg, _ := strings.Cut(sc.Text(), " ")
			switch cmd {
			case "result":
				mu.Lock()
				cause = diagnosis.Cause(arg)
				mu.Unlock()
			case "advance":
				d, err := time.ParseDuration(arg)
				if err != nil {
					out.printf("error %v", err)
					continue
				}
				settle(func() { clk.Advance(d) })
			case "sync":
				settle(nil)
			case "quit":
				out.printf("ok %s", cmd) // before Run returns and the process may end
				cancel()
				continue
			}
			out.printf("ok %s", cmd)
		}
	}()
	err = Run(ctx, Options{
		Source: Local{Monitor: m, Clock: clk}, Notify: helperNotify, History: hist,
		Autostart: fileAutostart(filepath.Join(dir, "autostart")), Clock: clk, Logger: log, PageDir: dir,
		Open:    func(path string) error { out.printf("open %s", path); return nil },
		Started: func() { out.printf("started") },
		hooks:   hooks,
	})
	out.printf("exit %v", err)
	return 0
}

// trayProcess is a running helper.
type trayProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	exit   chan error
	stderr testutil.LockedBuffer

	// backlog are the lines send passed over waiting for its "ok": the command's own effects
	// may be said before its "ok", and the next expects must still see them.
	backlog []string
}

// startTray starts the helper on the bus at addr.
func startTray(t *testing.T, addr string) *trayProcess {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &trayProcess{t: t, lines: make(chan string, 1024), exit: make(chan error, 1)}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	p.cmd = cmd
	raceDir := t.TempDir()
	cmd.Env = append(os.Environ(), helperEnv+"=1", "DBUS_SESSION_BUS_ADDRESS="+addr, "DISPLAY=",
		"GORACE=exitcode=0 log_path="+filepath.Join(raceDir, "race"))
	t.Cleanup(func() { checkRaces(t, raceDir) })
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Stdout = desktoptest.LogWriter(t, "tray stdout")
	cmd.Stderr = io.MultiWriter(desktoptest.LogWriter(t, "tray"), &p.stderr)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the tray: %v", err)
	}
	pw.Close()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	go func() { p.exit <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exit
	})
	return p
}

// expect waits for a protocol line starting with prefix, skipping others, and returns it.
// It looks in the backlog first.
func (p *trayProcess) expect(prefix string) string {
	p.t.Helper()
	for i, line := range p.backlog {
		if strings.HasPrefix(line, prefix) {
			p.backlog = p.backlog[i+1:]
			return line
		}
	}
	p.backlog = nil
	return p.next(prefix, nil)
}

// next waits for a new line starting with prefix and returns it; it passes each other line
// to skipped, if set.
func (p *trayProcess) next(prefix string, skipped func(line string)) string {
	p.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("the tray ended before %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
			if skipped != nil {
				skipped(line)
			}
		case <-deadline:
			p.t.Fatalf("the tray did not say %q within %v", prefix, wait)
		}
	}
}

// send gives the helper a command and waits until it is done. The lines before its "ok" stay
// for the next expects: what the command set off (the check an advance ran) may be said first.
func (p *trayProcess) send(cmd string) {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.stdin, cmd); err != nil {
		p.t.Fatalf("sending %q: %v", cmd, err)
	}
	name, _, _ := strings.Cut(cmd, " ")
	p.next("ok "+name, func(line string) { p.backlog = append(p.backlog, line) })
}

// waitExit waits for the helper to end and returns its exit error.
func (p *trayProcess) waitExit() error {
	p.t.Helper()
	select {
	case err := <-p.exit:
		p.exit <- err
		return err
	case <-time.After(wait):
		p.t.Fatal("the tray did not exit")
	}
	return nil
}

// checkRaces reads the race detector's reports of the helper (when the tests run with -race)
// and fails the test for a race in spotwatch's code. Races inside fyne.io/systray v1.12.2 and
// godbus (its menu revision and icon properties are shared between D-Bus handler goroutines
// without a common lock) are logged, not failed: they are upstream's.
func checkRaces(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "race*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, report := range strings.Split(string(data), "WARNING: DATA RACE")[1:] {
			if racesIn(report, "github.com/spotwatch/spotwatch/") {
				t.Errorf("data race in spotwatch:%s", report)
			} else {
				t.Logf("data race in a library (not failed):%s", report)
			}
		}
	}
}

// racesIn reports whether one of the racing accesses of a race report is made by a function
// of prefix.
func racesIn(report, prefix string) bool {
	lines := strings.Split(report, "\n")
	for i, line := range lines {
		access := strings.HasPrefix(line, "Read at ") || strings.HasPrefix(line, "Write at ") ||
			strings.HasPrefix(line, "Previous read at ") || strings.HasPrefix(line, "Previous write at ")
		if access && i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), prefix) {
			return true
		}
	}
	return false
}

// TestRacesIn: the race report filter tells spotwatch's races from a library's.
func TestRacesIn(t *testing.T) {
	ours := "\nWrite at 0x1 by goroutine 4:\n  github.com/spotwatch/spotwatch/tray.(*app).loop()\n      /x/tray.go:1\n\nPrevious read at 0x1 by goroutine 5:\n  fyne.io/systray.refresh()\n"
	theirs := "\nWrite at 0x1 by goroutine 4:\n  fyne.io/systray.refresh()\n      /x.go:1\n  github.com/spotwatch/spotwatch/tray.(*trayUI).apply()\n\nPrevious read at 0x1 by goroutine 5:\n  fyne.io/systray.(*tray).GetLayout()\n"
	if !racesIn(ours, "github.com/spotwatch/spotwatch/") || racesIn(theirs, "github.com/spotwatch/spotwatch/") {
		t.Error("racesIn misclassifies")
	}
}
