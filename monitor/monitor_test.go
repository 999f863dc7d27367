package monitor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/clock"
	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// harness drives a Monitor on a fake clock with a scripted sequence of check results, the way
// gatus's alerting tests script endpoint results.
type harness struct {
	t         *testing.T
	clk       *clock.Fake
	m         *Monitor
	events    <-chan Event
	states    []Event // state events seen so far (after the initial one)
	mu        sync.Mutex
	script    []diagnosis.Cause // causes the next checks return; "panic" panics
	checks    int
	history   *recordingHistory
	exhausted diagnosis.Result // what an "exhausted" check returns
	hold      chan struct{}    // when set, the next check waits until it is closed
}

type recordingHistory struct {
	mu      sync.Mutex
	records []history.Record
}

func (r *recordingHistory) Append(rec history.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}

func (r *recordingHistory) causes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records {
		out = append(out, rec.Cause)
	}
	return out
}

var testSettings = Settings{Interval: 60 * time.Second, FailingInterval: 15 * time.Second, Timeout: 5 * time.Second, Fail: 2, Recover: 2}

func newHarness(t *testing.T, s Settings, jitter float64, script ...diagnosis.Cause) *harness {
	h := &harness{t: t, clk: clock.NewFake(time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)), script: script, history: &recordingHistory{}}
	h.m = New(s, h.check, Options{Clock: h.clk, History: h.history, Jitter: func() float64 { return jitter }})
	events, _ := h.m.Subscribe()
	h.events = events
	if ev := <-events; ev.Status.Cause != diagnosis.CauseChecking || ev.Status.Code != diagnosis.CodeUnknown {
		t.Fatalf("initial state %s %d, want checking -1", ev.Status.Cause, ev.Status.Code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	changed := h.clk.Changed()
	go func() {
		defer close(done)
		h.m.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	h.waitTimer(changed)
	return h
}

func (h *harness) check(ctx context.Context) diagnosis.Result {
	h.mu.Lock()
	hold := h.hold
	h.hold = nil
	h.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return h.scripted()
}

// scripted returns the script's next cause as a check result, counting the check.
func (h *harness) scripted() diagnosis.Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.script) == 0 {
		h.t.Errorf("check %d: the script has run out", h.checks+1)
		return diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Cause: diagnosis.CauseOK}}
	}
	cause := h.script[0]
	h.script = h.script[1:]
	h.checks++
	if cause == "panic" {
		panic("a probe exploded")
	}
	if cause == "exhausted" {
		return h.exhausted
	}
	return diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: cause.Code(), Cause: cause, Title: string(cause)}, DurationMS: 42}
}

func (h *harness) waitTimer(changed <-chan struct{}) {
	h.t.Helper()
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		h.t.Fatal("the monitor did not set a timer")
	}
}

// waitDeadline waits until the monitor's earliest timer is due at want. Waiting for any timer
// change is not enough where the monitor may re-arm a timer it already had (after a check, for
// instance) before it sets the one the test is about.
func (h *harness) waitDeadline(want time.Time) {
	h.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		changed := h.clk.Changed()
		if d, ok := h.clk.NextDeadline(); ok && d.Equal(want) {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			d, ok := h.clk.NextDeadline()
			h.t.Fatalf("the monitor's next timer is due at %v (set: %v), want %v", d, ok, want)
		}
	}
}

// settleToCheck moves the clock to the end of the network settle time and waits for the check
// it brings. A change of the burst may still be in flight when the clock moves (the monitor
// holds one pending signal); it restarts the settle time, as a real change would, so the clock
// follows the timer, never by more than a settle time, until the check comes.
func (h *harness) settleToCheck() {
	h.t.Helper()
	timeout := time.After(5 * time.Second)
	for range 5 {
		d, ok := h.clk.NextDeadline()
		if !ok || d.Sub(h.clk.Now()) > networkSettle {
			h.t.Fatalf("the next timer is due in %v (set: %v), want at most the settle time %v", d.Sub(h.clk.Now()), ok, networkSettle)
		}
		changed := h.clk.Changed()
		h.clk.Advance(d.Sub(h.clk.Now()))
		for restarted := false; !restarted; {
			select {
			case ev := <-h.events:
				for ev.Type != EventCheck {
					h.states = append(h.states, ev)
					ev = h.nextCheck()
				}
				h.waitTimer(changed)
				return
			case <-timeout:
				h.t.Fatal("no check after the settle time")
			case <-time.After(20 * time.Millisecond):
				d, ok := h.clk.NextDeadline()
				restarted = ok && d.After(h.clk.Now()) && d.Sub(h.clk.Now()) <= networkSettle
			}
		}
	}
	h.t.Fatal("the settle time kept restarting")
}

// advance moves the clock by d and waits for the check it causes and the timer it sets.
func (h *harness) advance(d time.Duration) Event {
	h.t.Helper()
	changed := h.clk.Changed()
	h.clk.Advance(d)
	ev := h.nextCheck()
	h.waitTimer(changed)
	return ev
}

// nextCheck reads events up to the next check result, keeping the state events.
func (h *harness) nextCheck() Event {
	h.t.Helper()
	for {
		select {
		case ev := <-h.events:
			if ev.Type == EventCheck {
				return ev
			}
			h.states = append(h.states, ev)
		case <-time.After(5 * time.Second):
			h.t.Fatal("no check happened")
		}
	}
}

// toNext advances to the monitor's next scheduled check, returning the delay it had chosen.
func (h *harness) toNext() (time.Duration, Event) {
	h.t.Helper()
	deadline, ok := h.clk.NextDeadline()
	if !ok {
		h.t.Fatal("no check is scheduled")
	}
	d := deadline.Sub(h.clk.Now())
	return d, h.advance(d)
}

func (h *harness) stateCauses() []diagnosis.Cause {
	var out []diagnosis.Cause
	for _, ev := range h.states {
		out = append(out, ev.Status.Cause)
	}
	return out
}

func TestMonitorHysteresis(t *testing.T) {
	tests := []struct {
		name   string
		s      Settings
		script []diagnosis.Cause
		want   []diagnosis.Cause // the state after each check
	}{
		{"first check sets the state at once", testSettings,
			[]diagnosis.Cause{diagnosis.CauseDNSFiltered}, []diagnosis.Cause{diagnosis.CauseDNSFiltered}},
		{"one failing check is not enough (fail: 2)", testSettings,
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseFirewallDrop, diagnosis.CauseOK, diagnosis.CauseFirewallDrop, diagnosis.CauseFirewallDrop},
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseFirewallDrop}},
		{"recovery needs recover: 2 good checks", testSettings,
			[]diagnosis.Cause{diagnosis.CauseDNSFailure, diagnosis.CauseOK, diagnosis.CauseDNSFailure, diagnosis.CauseOK, diagnosis.CauseOK},
			[]diagnosis.Cause{diagnosis.CauseDNSFailure, diagnosis.CauseDNSFailure, diagnosis.CauseDNSFailure, diagnosis.CauseDNSFailure, diagnosis.CauseOK}},
		{"a new cause must be seen twice in a row", testSettings,
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseDNSFailure, diagnosis.CauseFirewallDrop, diagnosis.CauseFirewallDrop},
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseFirewallDrop}},
		{"thresholds of 1 follow every check", Settings{Interval: time.Minute, FailingInterval: 15 * time.Second, Fail: 1, Recover: 1},
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseBlockPage, diagnosis.CauseOK},
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseBlockPage, diagnosis.CauseOK}},
		{"gatus-like thresholds fail 3 recover 2", Settings{Interval: time.Minute, FailingInterval: 15 * time.Second, Fail: 3, Recover: 2},
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseInternetDown, diagnosis.CauseInternetDown, diagnosis.CauseInternetDown, diagnosis.CauseOK, diagnosis.CauseOK},
			[]diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseInternetDown, diagnosis.CauseInternetDown, diagnosis.CauseOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.s, 0.5, tt.script...)
			for i, want := range tt.want {
				var ev Event
				if i == 0 {
					ev = h.advance(0)
				} else {
					_, ev = h.toNext()
				}
				if ev.Status.Cause != want {
					t.Fatalf("after check %d (%s): state %s, want %s", i+1, tt.script[i], ev.Status.Cause, want)
				}
			}
			// Each state change is one state event and one history record.
			var changes []diagnosis.Cause
			for i, c := range tt.want {
				if i == 0 || c != tt.want[i-1] {
					changes = append(changes, c)
				}
			}
			if got := h.stateCauses(); len(got) != len(changes) {
				t.Errorf("state events %v, want %v", got, changes)
			}
			if got := h.history.causes(); len(got) != len(changes) {
				t.Errorf("history %v, want %v", got, changes)
			}
		})
	}
}

func TestMonitorSchedule(t *testing.T) {
	h := newHarness(t, testSettings, 0.5, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseDNSFiltered, diagnosis.CauseDNSFiltered, diagnosis.CauseDNSFiltered, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK)
	h.advance(0)
	steps := []struct {
		want time.Duration
		why  string
	}{
		{60 * time.Second, "healthy: interval"},
		{60 * time.Second, "a problem seen once: confirm soon"},
		{confirmDelay, "failing state: failing_interval"},
		{15 * time.Second, "still failing"},
		{15 * time.Second, "recovery seen once: confirm soon"},
		{confirmDelay, "recovered: interval"},
		{60 * time.Second, ""},
	}
	for i, st := range steps {
		d, _ := h.toNext()
		if d != st.want {
			t.Fatalf("step %d: waited %v, want %v (%s)", i+1, d, st.want, st.why)
		}
	}
}

func TestMonitorJitterBounds(t *testing.T) {
	for _, tt := range []struct {
		jitter float64
		want   time.Duration
	}{
		{0, 54 * time.Second},
		{0.5, 60 * time.Second},
		{0.999999, 66 * time.Second},
	} {
		h := newHarness(t, testSettings, tt.jitter, diagnosis.CauseOK, diagnosis.CauseOK)
		h.advance(0)
		d, _ := h.toNext()
		if diff := d - tt.want; diff < -time.Millisecond || diff > time.Millisecond {
			t.Errorf("jitter %v: interval %v, want %v", tt.jitter, d, tt.want)
		}
		if d < 54*time.Second || d > 66*time.Second {
			t.Errorf("interval %v outside ±10%% of 60s", d)
		}
	}
}

// TestMonitorCoalescesNetworkEvents: a burst of route/address events gives one check once the
// network has settled, long before the interval.
func TestMonitorCoalescesNetworkEvents(t *testing.T) {
	h := newHarness(t, testSettings, 0.5, diagnosis.CauseOK, diagnosis.CauseNoNetwork, diagnosis.CauseNoNetwork)
	h.advance(0)
	for range 20 {
		h.m.NetworkChanged()
	}
	h.waitDeadline(h.clk.Now().Add(networkSettle))
	start := h.clk.Now()
	h.settleToCheck()
	if h.checks != 2 {
		t.Fatalf("%d checks after the burst, want 2", h.checks)
	}
	d, ev := h.toNext()
	if d != confirmDelay || ev.Status.Cause != diagnosis.CauseNoNetwork {
		t.Fatalf("confirmation after %v gave %s, want after %v: no_network", d, ev.Status.Cause, confirmDelay)
	}
	if took := h.clk.Now().Sub(start); took > 2*time.Second {
		t.Errorf("network change to new state took %v", took)
	}
}

// TestMonitorCheckNowCoalesces: requests that arrive while a check runs collapse into one more
// check after it.
func TestMonitorCheckNowCoalesces(t *testing.T) {
	h := newHarness(t, testSettings, 0.5, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK)
	h.advance(0)
	release := make(chan struct{})
	h.mu.Lock()
	h.hold = release
	h.mu.Unlock()
	h.m.CheckNow() // the second check starts and is held
	for deadline := time.Now().Add(5 * time.Second); ; {
		h.mu.Lock()
		held := h.hold == nil
		h.mu.Unlock()
		if held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the requested check did not start")
		}
		time.Sleep(time.Millisecond)
	}
	for range 50 {
		h.m.CheckNow()
	}
	close(release)
	h.nextCheck() // the held check
	h.nextCheck() // the one the 50 requests collapsed into
	deadline := time.After(300 * time.Millisecond)
	for done := false; !done; {
		select {
		case ev := <-h.events:
			if ev.Type == EventCheck {
				t.Fatalf("a further check after the burst's: %d checks in all, want 3", h.checksDone())
			}
		case <-deadline:
			done = true
		}
	}
	if n := h.checksDone(); n != 3 {
		t.Errorf("%d checks, want 3: the first, the requested one, one for the 50 requests made while it ran", n)
	}
}

func (h *harness) checksDone() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.checks
}

func TestMonitorSurvivesPanickingCheck(t *testing.T) {
	h := newHarness(t, testSettings, 0.5, diagnosis.CauseOK, "panic", diagnosis.CauseOK)
	h.advance(0)
	_, ev := h.toNext()
	if ev.Status.InternalErrors != 1 || ev.Check != nil {
		t.Fatalf("after a panic: internal errors %d, check %v", ev.Status.InternalErrors, ev.Check)
	}
	if ev.Status.Cause != diagnosis.CauseOK {
		t.Errorf("a panic changed the state to %s", ev.Status.Cause)
	}
	_, ev = h.toNext()
	if ev.Check == nil || ev.Status.Checks != 3 {
		t.Errorf("the monitor did not go on checking after a panic: %+v", ev.Status)
	}
}

// exhaustedTCP is a TCP probe that failed to connect for want of spotwatch's own resources.
func exhaustedTCP(name string, role diagnosis.Role, target, addr string) diagnosis.Probe {
	return diagnosis.Probe{Name: name, Kind: diagnosis.KindTCP, Role: role, Target: target, Failure: failure.LocalResourceExhausted,
		Detail: diagnosis.Detail{Addr: addr, Family: "ipv4", Step: failure.StepConnect}}
}

// TestMonitorResourceExhaustionIsInternal: a check whose probes failed because spotwatch ran
// out of file descriptors is an internal error, as a panic is: the state, the history and the
// Spotify code stay as they were.
func TestMonitorResourceExhaustionIsInternal(t *testing.T) {
	exhausted := diagnosis.Report{OS: "linux", Facts: diagnosis.Facts{RoutesKnown: true}, Probes: []diagnosis.Probe{
		exhaustedTCP("tcp 1.1.1.1:443", diagnosis.RoleReference, "1.1.1.1:443", "1.1.1.1:443"),
		exhaustedTCP("tcp 8.8.8.8:443", diagnosis.RoleReference, "8.8.8.8:443", "8.8.8.8:443"),
		exhaustedTCP("tcp access point ap-gae2.spotify.com:4070", diagnosis.RoleSpotify, "ap-gae2.spotify.com:4070", "34.158.1.10:4070"),
	}}
	h := newHarness(t, Settings{Interval: 60 * time.Second, FailingInterval: 15 * time.Second, Timeout: 5 * time.Second, Fail: 1, Recover: 1}, 0.5, diagnosis.CauseOK, "exhausted", "exhausted", diagnosis.CauseOK)
	h.exhausted = diagnosis.NewResult(exhausted, diagnosis.Classify(exhausted))
	h.advance(0)
	for i := 0; i < 2; i++ {
		_, ev := h.toNext()
		if ev.Status.InternalErrors != int64(i+1) {
			t.Errorf("after %d exhausted checks: %d internal errors", i+1, ev.Status.InternalErrors)
		}
		if ev.Status.Cause != diagnosis.CauseOK || ev.Status.Code != diagnosis.CodeOK {
			t.Errorf("an exhausted check changed the state to %d %s", ev.Status.Code, ev.Status.Cause)
		}
	}
	h.toNext()
	if got := h.history.causes(); len(got) != 1 || got[0] != string(diagnosis.CauseOK) {
		t.Errorf("history = %v, want only the first ok", got)
	}
}

func TestMonitorReload(t *testing.T) {
	h := newHarness(t, testSettings, 0.5, diagnosis.CauseOK, diagnosis.CauseOK)
	h.advance(0)
	changed := h.clk.Changed()
	faster := testSettings
	faster.Interval = 10 * time.Second
	h.m.Reload(faster, h.check)
	h.waitTimer(changed)
	if d, _ := h.toNext(); d != 10*time.Second {
		t.Errorf("after reload the next check came after %v, want 10s", d)
	}
}

func TestMonitorPauseAndSlowSubscriber(t *testing.T) {
	h := newHarness(t, testSettings, 0.5, diagnosis.CauseOK)
	h.advance(0)
	slow, _ := h.m.Subscribe()
	until := h.clk.Now().Add(time.Hour)
	h.m.Pause(until)
	select {
	case ev := <-h.events:
		if ev.Status.PausedUntil == nil || !ev.Status.PausedUntil.Equal(until) {
			t.Errorf("pause event %+v", ev.Status.PausedUntil)
		}
	case <-time.After(time.Second):
		t.Fatal("no event for the pause")
	}
	for range subscriberBuffer + 1 {
		h.m.Pause(until)
	}
	n := 0
	for range slow {
		n++
	}
	if n > subscriberBuffer {
		t.Errorf("slow subscriber got %d events before being dropped", n)
	}
}
