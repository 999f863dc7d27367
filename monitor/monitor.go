// Package monitor is spotwatch's scheduler: it runs checks (a CheckFunc, in practice a
// probe.Checker's Diagnose) on a schedule and on demand, applies hysteresis, keeps the durable
// history of state changes and tells subscribers about every check and state change. It does no
// network work and no diagnosis of its own.
package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/spotwatch/spotwatch/internal/clock"
	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// CheckFunc runs one check and returns its result.
type CheckFunc func(ctx context.Context) diagnosis.Result

// Settings are the monitor's schedule and hysteresis (docs/design.md, "The Monitor").
type Settings struct {
	Interval        time.Duration // between checks while healthy
	FailingInterval time.Duration // between checks while a problem lasts
	Timeout         time.Duration // one check's deadline
	Fail            int           // consecutive failing checks before the state turns failing
	Recover         int           // consecutive good checks before it turns good again
	Confirm         time.Duration // how soon a check that disagrees with the state is repeated; 0 = confirmDelay
	LightCheck      bool          // a light check while the state is ok (mode.go)
	FullCheckEvery  time.Duration // in light mode, a full check at least this often; 0 = every check is full
	MeteredInterval time.Duration // between checks while healthy on a metered connection (SetMetered); never shorter than Interval
}

// HistoryWriter keeps every state change; the daemon passes a durable history.Store.
type HistoryWriter interface {
	Append(history.Record) error
}

// Options adjust a Monitor; the zero value uses the real clock and no history.
type Options struct {
	Clock   clock.Clock
	Logger  *slog.Logger
	History HistoryWriter
	Jitter  func() float64 // uniform in [0,1); nil = math/rand/v2
}

// Status is the monitor's current state: the diagnosis of the stable state (as `check --json`
// prints it) plus what the monitor knows about it.
type Status struct {
	diagnosis.Result
	Since          time.Time       `json:"since"`                   // when this state began
	LastCheck      time.Time       `json:"last_check"`              // when the last check finished
	LastCheckMS    int64           `json:"last_check_ms"`           // how long it took
	PendingCause   diagnosis.Cause `json:"pending_cause,omitempty"` // a different cause seen, not yet confirmed
	PausedUntil    *time.Time      `json:"paused_until,omitempty"`  // notifications paused until then
	Checks         int64           `json:"checks"`                  // checks since start
	InternalErrors int64           `json:"internal_errors"`         // checks that failed inside spotwatch (a panic, its own resources exhausted)
	Mode           string          `json:"mode,omitempty"`          // the last check's: "light" or "full" (mode.go)
	// Metered is set while the connection is metered; MeteredInterval is then the time between
	// checks while all is well (triggers.go).
	Metered         bool          `json:"metered,omitempty"`
	MeteredInterval time.Duration `json:"metered_interval_ns,omitempty"`
	// Storage is set by the daemon while its history cannot be written (kept in memory).
	Storage *history.Health `json:"storage,omitempty"`
	// ResultSeq changes whenever Result does (0 before the first check's); it is not in the
	// JSON. A subscriber that encodes every event reuses the Result's encoding while it stays
	// (statusapi's event stream).
	ResultSeq uint64 `json:"-"`
}

// Event is what subscribers receive: every state change and every check result.
type Event struct {
	Type     string            `json:"type"`               // "state" or "check"
	Status   Status            `json:"status"`             // the state after this event
	Previous diagnosis.Cause   `json:"previous,omitempty"` // state events: the cause before
	Lasted   time.Duration     `json:"lasted_ns"`          // state events: how long the previous state lasted
	Check    *diagnosis.Result `json:"check,omitempty"`    // check events: the check's result
}

// Event types.
const (
	EventState = "state"
	EventCheck = "check"
)

// Timing of the triggers.
const (
	// networkSettle coalesces a burst of route and address events into one re-check.
	networkSettle = 300 * time.Millisecond
	// confirmDelay is how soon, by default, a check that disagrees with the state is repeated,
	// so hysteresis confirms a change in seconds, not after a whole interval.
	confirmDelay = time.Second
	// jitterFraction spreads checks of many machines: ±10 % of the interval.
	jitterFraction = 0.1
	// subscriberBuffer is how many events a subscriber may fall behind before it is dropped.
	subscriberBuffer = 32
)

// Monitor runs checks on a schedule and on demand, applies hysteresis, keeps history and tells
// subscribers about every check and state change.
type Monitor struct {
	clock   clock.Clock
	log     *slog.Logger
	history HistoryWriter
	jitter  func() float64

	checkNow  chan struct{} // a user or the API asked for a check
	netChange chan struct{} // the network changed (routes, addresses, resume from sleep)
	reloaded  chan struct{}

	mu        sync.Mutex
	settings  Settings
	check     CheckFunc
	status    Status
	candidate diagnosis.Cause // a cause that differs from the state, and how many checks in a row saw it
	seen      int
	subs      map[int]chan Event
	nextSub   int
	unwritten []history.Record // state changes in memory, not yet given to the history (oldest first)
	mode      modeState

	// histMu is held while records are given to the history, outside mu: Status and the
	// subscribers never wait on the disk, and records are written in the order of the state
	// changes even when checks end concurrently.
	histMu sync.Mutex
}

// New returns a monitor that is not running yet: call Run.
func New(s Settings, check CheckFunc, opts Options) *Monitor {
	m := &Monitor{
		clock: opts.Clock, log: opts.Logger, history: opts.History, jitter: opts.Jitter,
		checkNow: make(chan struct{}, 1), netChange: make(chan struct{}, 1), reloaded: make(chan struct{}, 1),
		settings: s, check: check, subs: map[int]chan Event{},
	}
	if m.clock == nil {
		m.clock = clock.Real{}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.jitter == nil {
		m.jitter = rand.Float64
	}
	now := m.clock.Now()
	m.status = Status{Result: diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: diagnosis.CodeUnknown, Cause: diagnosis.CauseChecking, Title: "Checking…"}, Version: version.Version}, Since: now}
	return m
}

// Run checks at once, then on schedule and on triggers, until ctx is done.
func (m *Monitor) Run(ctx context.Context) error {
	timer := m.clock.NewTimer(0)
	defer timer.Stop()
	var settle clock.Timer
	var settleC <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			if settle != nil {
				settle.Stop()
			}
			return nil
		case <-timer.C():
		case <-m.checkNow:
		case <-settleC:
			settleC = nil
		case <-m.netChange:
			if settle == nil {
				settle = m.clock.NewTimer(networkSettle)
			} else {
				settle.Reset(networkSettle)
			}
			settleC = settle.C()
			continue
		case <-m.reloaded:
			timer.Reset(m.nextDelay())
			continue
		}
		m.runCheck(ctx)
		if ctx.Err() != nil {
			return nil
		}
		timer.Reset(m.nextDelay())
	}
}

// CheckNow asks for a full check as soon as the current one (if any) ends; requests coalesce.
func (m *Monitor) CheckNow() {
	m.wantFull()
	select {
	case m.checkNow <- struct{}{}:
	default:
	}
}

// NetworkChanged reports a route, address or power change; a burst of them gives one check
// once the network has been quiet for networkSettle.
func (m *Monitor) NetworkChanged() {
	m.wantFull()
	select {
	case m.netChange <- struct{}{}:
	default:
	}
}

// Reload replaces the settings and the check (a new configuration) and reschedules.
func (m *Monitor) Reload(s Settings, check CheckFunc) {
	m.mu.Lock()
	m.settings, m.check = s, check
	m.mode.wantFull = true
	if m.status.Metered {
		m.status.MeteredInterval = m.meteredIntervalLocked()
	}
	m.mu.Unlock()
	select {
	case m.reloaded <- struct{}{}:
	default:
	}
}

// Pause pauses notifications until the given time (the zero time resumes them).
func (m *Monitor) Pause(until time.Time) {
	m.mu.Lock()
	if until.IsZero() {
		m.status.PausedUntil = nil
	} else {
		m.status.PausedUntil = &until
	}
	ev := Event{Type: EventState, Status: m.status, Previous: m.status.Cause}
	m.publishLocked(ev)
	m.mu.Unlock()
}

// Status returns the current state.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// Subscribe returns a channel of events, starting with the current state, and a function that
// ends the subscription. A subscriber that falls subscriberBuffer events behind is dropped (its
// channel closed) rather than slowing the monitor: it should subscribe again.
func (m *Monitor) Subscribe() (<-chan Event, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextSub
	m.nextSub++
	ch := make(chan Event, subscriberBuffer)
	ch <- Event{Type: EventState, Status: m.status, Previous: m.status.Cause}
	m.subs[id] = ch
	return ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if c, ok := m.subs[id]; ok {
			delete(m.subs, id)
			close(c)
		}
	}
}

// runCheck runs one check, applies hysteresis and tells subscribers.
func (m *Monitor) runCheck(ctx context.Context) {
	m.mu.Lock()
	check, timeout := m.check, m.settings.Timeout
	req := m.requestLocked()
	m.mu.Unlock()
	res, ok, light := m.runRequested(ctx, check, timeout, req)
	if ctx.Err() != nil {
		return
	}
	m.mu.Lock()
	m.status.Checks++
	m.status.LastCheck = m.clock.Now()
	if light {
		// Spotify still works: the state and its diagnosis (the last full check's) stand.
		m.status.Mode, m.status.LastCheckMS = ModeLight, res.DurationMS
		m.publishLocked(Event{Type: EventCheck, Status: m.status, Check: &res})
		m.mu.Unlock()
		return
	}
	m.status.Mode = ModeFull
	if !ok {
		m.status.InternalErrors++
		m.publishLocked(Event{Type: EventCheck, Status: m.status})
		m.mu.Unlock()
		return
	}
	m.status.LastCheckMS = res.DurationMS
	m.noteFullLocked(res)
	m.applyLocked(res)
	m.publishLocked(Event{Type: EventCheck, Status: m.status, Check: &res})
	changed := len(m.unwritten) > 0
	m.mu.Unlock()
	if changed {
		m.writeHistory()
	}
}

// writeHistory gives the history the state changes recorded in memory, oldest first, without
// holding mu. It returns once they are all written, so that when Run returns nothing is left
// unwritten.
func (m *Monitor) writeHistory() {
	m.histMu.Lock()
	defer m.histMu.Unlock()
	for {
		m.mu.Lock()
		batch := m.unwritten
		m.unwritten = nil
		m.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		for _, rec := range batch {
			if err := m.history.Append(rec); err != nil {
				m.log.Error("recording the state change in the history", "err", err)
			}
		}
	}
}

// safeCheck runs check, turning a panic, or a check whose probes could not run for want of
// spotwatch's own resources (CauseInternalError), into a logged internal error: a broken check
// never takes the daemon down nor changes the state.
func (m *Monitor) safeCheck(ctx context.Context, check CheckFunc, timeout time.Duration) (res diagnosis.Result, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			m.log.Error("check panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			ok = false
		}
	}()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 3*timeout) // the check keeps its own deadline (up to 2 × timeout on a slow link); this is a backstop
		defer cancel()
	}
	res = check(ctx)
	if res.Cause == diagnosis.CauseInternalError {
		// The probes could not run (spotwatch out of file descriptors or memory): like a
		// panic, this says nothing about the network and must not move the state.
		m.log.Error("check failed inside spotwatch", "summary", res.Summary, "evidence", res.Evidence)
		return res, false
	}
	return res, true
}

// applyLocked is the hysteresis: the state follows a different cause only after enough checks
// in a row agree on it (thresholds.fail towards a problem, thresholds.recover towards good).
// The first check sets the state at once: a fresh start has no state to protect.
func (m *Monitor) applyLocked(res diagnosis.Result) {
	if res.Cause == m.status.Cause {
		m.status.Result = res // same state, fresher evidence
		m.status.ResultSeq++
		m.candidate, m.seen = "", 0
		m.status.PendingCause = ""
		return
	}
	if res.Cause == m.candidate {
		m.seen++
	} else {
		m.candidate, m.seen = res.Cause, 1
	}
	need := m.settings.Fail
	if res.Code == diagnosis.CodeOK {
		need = m.settings.Recover
	}
	if m.status.Cause != diagnosis.CauseChecking && m.seen < max(need, 1) {
		m.status.PendingCause = res.Cause
		return
	}
	now := m.clock.Now()
	previous, lasted := m.status.Cause, now.Sub(m.status.Since)
	m.status.Result, m.status.Since, m.status.PendingCause = res, now, ""
	m.status.ResultSeq++
	m.candidate, m.seen = "", 0
	m.log.Info("state changed", "from", previous, "to", res.Cause, "code", res.Code, "summary", res.Summary)
	if m.history != nil {
		// Written by runCheck once mu is released (writeHistory).
		rec := history.Record{Time: now, Code: int(res.Code), Cause: string(res.Cause), Title: res.Title, Summary: res.Summary, Short: res.Short, Previous: string(previous), Duration: lasted}
		m.unwritten = append(m.unwritten, rec)
	}
	m.publishLocked(Event{Type: EventState, Status: m.status, Previous: previous, Lasted: lasted})
}

// nextDelay is the time to the next scheduled check: soon while a change awaits confirmation,
// failing_interval while there is a problem, interval while all is well; both with jitter.
func (m *Monitor) nextDelay() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.status.PendingCause != "" {
		if m.settings.Confirm > 0 {
			return m.settings.Confirm
		}
		return confirmDelay
	}
	base := m.healthyIntervalLocked()
	if m.status.Code != diagnosis.CodeOK {
		base = m.settings.FailingInterval
	}
	spread := time.Duration(float64(base) * jitterFraction * (2*m.jitter() - 1))
	return base + spread
}

func (m *Monitor) publishLocked(ev Event) {
	for id, ch := range m.subs {
		select {
		case ch <- ev:
		default:
			m.log.Warn("dropping a subscriber that fell behind", "subscriber", id)
			delete(m.subs, id)
			close(ch)
		}
	}
}

// SettingsFrom takes the monitor's settings from a configuration.
func SettingsFrom(cfg *config.Config) Settings {
	return Settings{
		Interval:        cfg.Interval,
		FailingInterval: cfg.FailingInterval,
		Timeout:         cfg.Timeout,
		Fail:            cfg.Thresholds.Fail,
		Recover:         cfg.Thresholds.Recover,
		LightCheck:      cfg.LightCheck,
		FullCheckEvery:  cfg.FullCheckEvery,
		MeteredInterval: cfg.MeteredInterval,
	}
}
