// Package tray is spotwatch's desktop face: a tray icon whose shape and colour say whether
// Spotify is reachable, a menu with the state, its cause and what to do, and desktop
// notifications when that changes. It renders the monitor's state and never probes.
//
// It has three layers:
//   - pure logic: Present turns a monitor.Status into a View (icon, tooltip, menu texts) and
//     Policy decides which notifications a sequence of events deserves;
//   - the app loop (Run): follows a Source (the daemon's status API, reconnecting with backoff,
//     or a monitor in this process), feeds the two, and carries out menu clicks;
//   - a thin layer over fyne.io/systray (StatusNotifierItem over D-Bus on Linux, no cgo) and
//     github.com/gen2brain/beeep, with the workarounds for their known caveats (docs/design.md, "The tray and notifications");
//     on macOS built without cgo (the release), an NSStatusItem and NSMenu driven through the
//     Objective-C runtime from pure Go (ui_darwin.go), its menu the same (menuplan.go).
//
// On Linux without a session bus it logs state changes instead; without a StatusNotifierWatcher
// (a desktop with no tray) it says so once, in the log and in a notification, and keeps
// notifying.
package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spotwatch/spotwatch/internal/clock"
	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// Autostart turns starting the tray at login on and off ("Start at login").
type Autostart interface {
	Enabled() (bool, error)
	SetEnabled(on bool) error
}

// Options configure Run. Source is required.
type Options struct {
	Source    Source
	Notify    config.Notify           // the notify settings of the configuration
	History   HistorySource           // nil: "Open history" is disabled
	Autostart Autostart               // nil: "Start at login" is disabled
	Clock     clock.Clock             // nil: the real clock
	Logger    *slog.Logger            // nil: discard
	PageDir   string                  // where the fix and history pages are written; "": the user cache dir (see pageDir)
	Open      func(path string) error // opens a page in the browser; nil: the OS's opener
	// Started, if set, is called once, on a goroutine of its own, when the tray has started:
	// its menu exists (when it has an icon) and it shows the first state the source gave.
	// What start-up needed and the idle tray does not is garbage by then (spotwatch hands it
	// back to the OS there: internal/cli).
	Started func()

	hooks *testHooks // tests only: observe and synchronise the loop
}

// testHooks let the package's tests follow the loop.
type testHooks struct {
	stepped func(what string) // called after the loop handled something
	sync    chan barrier      // replied once everything before it is done
	ready   func()            // called once the tray's menu exists
}

// barrier is a test's request to the loop. The loop runs before (if set) while it waits in
// its select, its timer armed for the state it has: a test moves its fake clock there, so
// the move can never fall between the loop reading the time and arming its timer. Then it
// handles a timer that fired, and done is closed once the notifications queued so far are
// sent.
type barrier struct {
	before func()
	done   chan struct{}
}

// action is a menu click.
type action int

const (
	actCheckNow action = iota
	actWhatToDo
	actPauseHour
	actPauseTomorrow
	actHistory
	actAutostart
	actQuit
)

// actionTimeout bounds one menu action's requests to the daemon.
const actionTimeout = 15 * time.Second

// historyLimit is how many state changes the history page reads: a week of them, even flapping.
const historyLimit = 1000

// Run shows the tray and notifications until ctx ends or the user picks Quit. On macOS it must
// be called from the main goroutine (Cocoa's rule).
func Run(ctx context.Context, opts Options) error {
	a, err := newApp(opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	desk := probeDesktop()
	if !desk.bus {
		a.log.Warn("no desktop session bus: no tray icon and no notifications; state changes go to this log", "why", desk.why)
		a.notes = logNotifier{log: a.log}
		return a.runWithoutIcon(ctx)
	}
	a.notes = newDesktopNotifier(a.pages, a.log)
	if !desk.tray {
		a.log.Warn("this desktop has no system tray (no StatusNotifierWatcher on the session bus): no tray icon; notifications still work", "why", desk.why)
		a.queueNote(noTrayNote())
	}
	u, err := newTrayUI(a.log)
	if err != nil {
		a.log.Warn("no tray icon", "err", err)
		return a.runWithoutIcon(ctx)
	}
	first := a.view() // before the loop owns the app's state
	menuUp := make(chan struct{})
	a.callStarted(ctx, menuUp)
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		a.loop(ctx, u)
		u.quit()
	}()
	u.run(first, a.actions, func() {
		if a.hooks != nil && a.hooks.ready != nil {
			a.hooks.ready()
		}
		close(menuUp)
	})
	cancel()
	<-loopDone
	a.stopNotifier()
	return nil
}

// noTrayNote tells the user there will be no icon.
func noTrayNote() Note {
	return Note{
		Kind:  NoteNotice,
		Title: "spotwatch has no tray icon on this desktop",
		Body: "This desktop has no system tray (StatusNotifierWatcher), so spotwatch cannot show its icon. " +
			"It keeps watching Spotify's connection and notifies you when it changes. " +
			"On GNOME, the AppIndicator extension adds a tray.",
		Urgency: UrgencyNormal,
		Icon:    icons.Checking,
	}
}

// app is the tray's state and loop.
type app struct {
	src       Source
	hist      HistorySource
	autostart Autostart
	clock     clock.Clock
	log       *slog.Logger
	pages     *pageDir
	open      func(path string) error
	hooks     *testHooks
	started   func()

	policy *Policy
	notes  notifier

	updates  chan update
	actions  chan action
	refresh  chan struct{} // a background action changed something the menu shows
	outbox   chan outgoing // notifications, sent in order by the notifier goroutine
	notifier chan struct{} // closed when the notifier goroutine ends

	outMu     sync.Mutex
	outClosed bool

	// stateShown is closed once the loop has shown the source's first state (or, with no icon,
	// had it); gotState and closedShown are the loop's own.
	stateShown            chan struct{}
	gotState, closedShown bool

	status       monitor.Status
	link         Link
	startAtLogin bool
}

// outgoing is a notification to send, or a barrier (done non-nil) to reply to.
type outgoing struct {
	note Note
	done chan struct{}
}

func newApp(opts Options) (*app, error) {
	if opts.Source == nil {
		return nil, errors.New("tray: no source of state")
	}
	a := &app{
		src: opts.Source, hist: opts.History, autostart: opts.Autostart,
		clock: opts.Clock, log: opts.Logger, open: opts.Open, hooks: opts.hooks, started: opts.Started,
		policy:  NewPolicy(opts.Notify),
		updates: make(chan update), actions: make(chan action, 16), refresh: make(chan struct{}, 1),
		outbox: make(chan outgoing, 32), notifier: make(chan struct{}), stateShown: make(chan struct{}),
		link: Linked,
	}
	if a.clock == nil {
		a.clock = clock.Real{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.open == nil {
		a.open = openInBrowser
	}
	a.pages = &pageDir{want: opts.PageDir, log: a.log}
	if a.pages.want == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			a.pages.want = filepath.Join(dir, "spotwatch")
		}
	}
	a.status = monitor.Status{Result: diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: diagnosis.CodeUnknown, Cause: diagnosis.CauseChecking}}}
	a.readAutostart()
	return a, nil
}

// runWithoutIcon runs the loop with no tray: notifications (or the log) only.
func (a *app) runWithoutIcon(ctx context.Context) error {
	noMenu := make(chan struct{})
	close(noMenu)
	a.callStarted(ctx, noMenu)
	a.loop(ctx, nil)
	a.stopNotifier()
	return nil
}

// callStarted calls the Started option once menuUp is closed and the loop has shown its first
// state, unless ctx ends first.
func (a *app) callStarted(ctx context.Context, menuUp <-chan struct{}) {
	if a.started == nil {
		return
	}
	go func() {
		for _, c := range []<-chan struct{}{menuUp, a.stateShown} {
			select {
			case <-c:
			case <-ctx.Done():
				return
			}
		}
		a.started()
	}()
}

// view is what the tray shows now.
func (a *app) view() View {
	v := Present(a.status, a.link, a.clock.Now())
	v.CanOpenHistory = a.hist != nil
	v.CanStartAtLogin = a.autostart != nil
	v.StartAtLogin = a.startAtLogin
	return v
}

// loop follows the source, keeps the view and sends notifications until ctx ends or Quit.
func (a *app) loop(ctx context.Context, u ui) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.runNotifier()
	go follow(ctx, a.src, a.clock, a.updates)
	timer := a.clock.NewTimer(time.Hour)
	timer.Stop()
	var shown View
	first := true
	for {
		now := a.clock.Now()
		if v := a.view(); u != nil && (first || v != shown) {
			u.show(v)
			shown, first = v, false
		}
		if a.gotState && !a.closedShown {
			close(a.stateShown)
			a.closedShown = true
		}
		var timerC <-chan time.Time
		if at, ok := a.nextWake(now); ok {
			timer.Reset(max(at.Sub(now), 0))
			timerC = timer.C()
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return
		case up := <-a.updates:
			a.onUpdate(up)
		case <-timerC:
			a.onTick()
		case act := <-a.actions:
			if act == actQuit {
				a.log.Info("quitting: chosen in the tray menu")
				return
			}
			a.onAction(ctx, act)
		case <-a.refresh:
			a.readAutostart()
		case b := <-a.syncRequests():
			if b.before != nil {
				b.before()
			}
			select { // a timer that fired before the barrier was asked for counts as before it
			case <-timerC:
				a.onTick()
			default:
			}
			a.outbox <- outgoing{done: b.done}
		}
	}
}

func (a *app) syncRequests() chan barrier {
	if a.hooks == nil {
		return nil
	}
	return a.hooks.sync
}

func (a *app) stepped(what string) {
	if a.hooks != nil && a.hooks.stepped != nil {
		a.hooks.stepped(what)
	}
}

// nextWake is when the loop must next look at the time: the policy's next notification, or
// the end of a pause (the icon changes back). While the daemon is away the state is unknown:
// no reminders then.
func (a *app) nextWake(now time.Time) (time.Time, bool) {
	if a.link == Connecting {
		return time.Time{}, false
	}
	at, ok := a.policy.Wake()
	if until := a.status.PausedUntil; until != nil && until.After(now) && (!ok || until.Before(at)) {
		at, ok = *until, true
	}
	return at, ok
}

func (a *app) onUpdate(up update) {
	if up.lost != nil {
		if a.link == Linked {
			a.log.Warn("lost the connection to the spotwatch service; reconnecting", "err", up.lost.Error())
		}
		a.link = Connecting
		a.stepped("lost")
		return
	}
	if a.link == Connecting {
		a.log.Info("connected to the spotwatch service")
	}
	a.link, a.gotState = Linked, true
	ev := up.ev
	if ev.Type == monitor.EventState && ev.Status.Cause != a.status.Cause {
		a.log.Debug("state", "code", int(ev.Status.Code), "cause", string(ev.Status.Cause), "title", ev.Status.Title)
	}
	a.status = ev.Status
	for _, n := range a.policy.Observe(ev, a.clock.Now()) {
		a.queueNote(n)
	}
	a.stepped(fmt.Sprintf("event %s %s checks=%d", ev.Type, ev.Status.Cause, ev.Status.Checks))
}

func (a *app) onTick() {
	for _, n := range a.policy.Tick(a.clock.Now()) {
		a.queueNote(n)
	}
	a.stepped("tick")
}

// onAction carries out a menu click in the background: each may wait on the daemon.
func (a *app) onAction(ctx context.Context, act action) {
	st, now := a.status, a.clock.Now()
	paused := Present(st, a.link, now).Pause
	// run carries out an action in the background; a failure is logged and, as the user asked
	// for something, told in a notification.
	run := func(what string, f func(ctx context.Context) error) {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, actionTimeout)
			defer cancel()
			if err := f(ctx); err != nil {
				a.log.Error(what, "err", err.Error())
				a.queueNote(Note{Kind: NoteNotice, Title: "spotwatch: failed " + what, Body: err.Error(), Urgency: UrgencyNormal, Icon: icons.Checking})
			}
			a.stepped("done " + what)
		}()
	}
	switch act {
	case actCheckNow:
		a.log.Info("check requested from the tray menu")
		run("asking for a check", a.src.CheckNow)
	case actPauseHour, actPauseTomorrow:
		d := time.Hour
		if act == actPauseTomorrow {
			d = nextMorning(now).Sub(now)
		}
		if (act == actPauseHour && paused == PauseHour) || (act == actPauseTomorrow && paused == PauseTomorrow) {
			d = 0 // a checked entry clicked again: resume
		}
		a.log.Info("notifications paused from the tray menu", "for", d.String())
		run("pausing notifications", func(ctx context.Context) error {
			_, err := a.src.Pause(ctx, d)
			return err
		})
	case actWhatToDo:
		run("showing what to do", func(context.Context) error { return a.showFix(st, now) })
	case actHistory:
		if a.hist == nil {
			return
		}
		run("showing the history", func(ctx context.Context) error { return a.showHistory(ctx, now) })
	case actAutostart:
		if a.autostart == nil {
			return
		}
		on := !a.startAtLogin
		run("changing start at login", func(context.Context) error {
			defer a.requestRefresh()
			return a.autostart.SetEnabled(on)
		})
	}
}

func (a *app) requestRefresh() {
	select {
	case a.refresh <- struct{}{}:
	default:
	}
}

// readAutostart reads whether the tray starts at login.
func (a *app) readAutostart() {
	if a.autostart == nil {
		return
	}
	on, err := a.autostart.Enabled()
	if err != nil {
		a.log.Warn("reading whether spotwatch starts at login", "err", err.Error())
	}
	a.startAtLogin = on
}

// queueNote hands a notification to the notifier goroutine, never blocking the loop long.
func (a *app) queueNote(n Note) {
	a.log.Info("notification", "kind", string(n.Kind), "title", n.Title)
	a.outMu.Lock()
	defer a.outMu.Unlock()
	if a.outClosed {
		return
	}
	select {
	case a.outbox <- outgoing{note: n}:
	default:
		a.log.Error("notification dropped: too many waiting", "title", n.Title)
	}
}

// runNotifier sends queued notifications one by one, in order.
func (a *app) runNotifier() {
	defer close(a.notifier)
	for out := range a.outbox {
		if out.done != nil {
			close(out.done)
			continue
		}
		if err := a.notes.notify(out.note); err != nil {
			a.log.Warn("sending a desktop notification", "title", out.note.Title, "err", err.Error())
		}
	}
}

// stopNotifier lets queued notifications go out, then ends the notifier goroutine.
func (a *app) stopNotifier() {
	a.outMu.Lock()
	a.outClosed = true
	close(a.outbox)
	a.outMu.Unlock()
	select {
	case <-a.notifier:
	case <-time.After(5 * time.Second):
	}
}
