package monitor

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/clock"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// modeCheck is a check that answers the monitor's requests: a light check passes unless told
// to fail; a full check returns the next scripted cause (ok when the script is empty) with a
// round trip of fullRTT when it finds Spotify reachable.
type modeCheck struct {
	mu        sync.Mutex
	reqs      []Request
	lightFail bool
	full      []diagnosis.Cause
	badRTT    time.Duration // the round trip a full check that does not find Spotify reachable measures
}

const fullRTT = 20 * time.Millisecond

func (c *modeCheck) check(ctx context.Context) diagnosis.Result {
	req := RequestFrom(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, req)
	if req.Light {
		if c.lightFail {
			return diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: diagnosis.CodeBlocked, Cause: diagnosis.CauseUnknown}, Light: true}
		}
		return diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Cause: diagnosis.CauseOK}, Light: true, DurationMS: 3}
	}
	cause := diagnosis.CauseOK
	if len(c.full) > 0 {
		cause, c.full = c.full[0], c.full[1:]
	}
	res := diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: cause.Code(), Cause: cause, Title: string(cause)}, DurationMS: 42}
	res.RTT = c.badRTT
	if cause.Code() == diagnosis.CodeOK {
		res.RTT = fullRTT
	}
	return res
}

// modes returns the modes of the requests since the last call ("L" light, "F" full).
func (c *modeCheck) modes() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s string
	for _, r := range c.reqs {
		if r.Light {
			s += "L"
		} else {
			s += "F"
		}
	}
	c.reqs = nil
	return s
}

func (c *modeCheck) set(lightFail bool, full ...diagnosis.Cause) {
	c.mu.Lock()
	c.lightFail, c.full = lightFail, full
	c.mu.Unlock()
}

func newModeHarness(t *testing.T, s Settings, c *modeCheck) *harness {
	h := &harness{t: t, clk: clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))}
	h.m = New(s, c.check, Options{Clock: h.clk, Jitter: func() float64 { return 0.5 }})
	h.events, _ = h.m.Subscribe()
	<-h.events
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

var lightSettings = Settings{Interval: time.Minute, FailingInterval: 15 * time.Second, Timeout: 5 * time.Second, Fail: 2, Recover: 1,
	LightCheck: true, FullCheckEvery: 3 * time.Minute}

// TestMonitorLightMode walks the light mode's rules: light while ok, full after a network
// change, a requested check, a failed light check (at once, in the same round), any state but
// ok and full_check_every; the last good round trip goes with every request.
func TestMonitorLightMode(t *testing.T) {
	c := &modeCheck{}
	h := newModeHarness(t, lightSettings, c)
	step := func(what, wantModes string, wantState diagnosis.Cause, wantMode string, ev Event) {
		t.Helper()
		if got := c.modes(); got != wantModes {
			t.Errorf("%s: checks %q, want %q", what, got, wantModes)
		}
		if ev.Status.Cause != wantState || ev.Status.Mode != wantMode {
			t.Errorf("%s: state %s mode %q, want %s %q", what, ev.Status.Cause, ev.Status.Mode, wantState, wantMode)
		}
	}
	step("first check", "F", diagnosis.CauseOK, ModeFull, h.advance(0))
	_, ev := h.toNext()
	step("ok: light", "L", diagnosis.CauseOK, ModeLight, ev)
	if ev.Check == nil || !ev.Check.Light || ev.Status.Title != string(diagnosis.CauseOK) {
		t.Errorf("a light check's event: check %+v, status title %q; want the light result and the full check's diagnosis kept", ev.Check, ev.Status.Title)
	}
	h.m.NetworkChanged()
	h.waitDeadline(h.clk.Now().Add(networkSettle))
	h.settleToCheck()
	step("network change: full", "F", diagnosis.CauseOK, ModeFull, Event{Status: h.m.Status()})
	_, ev = h.toNext()
	step("ok again: light", "L", diagnosis.CauseOK, ModeLight, ev)

	// A fault appears: the light check fails, the full check runs in the same round and its
	// cause awaits confirmation, which a full check gives a second later.
	c.set(true, diagnosis.CauseFirewallDrop, diagnosis.CauseFirewallDrop)
	d, ev := h.toNext()
	if d != time.Minute {
		t.Errorf("the light check came after %v, want the interval", d)
	}
	step("light fails: full at once", "LF", diagnosis.CauseOK, ModeFull, ev)
	if ev.Status.PendingCause != diagnosis.CauseFirewallDrop || ev.Status.Checks != 5 {
		t.Errorf("after the escalation: pending %q after %d checks, want firewall_drop after 5 (the two count as one)", ev.Status.PendingCause, ev.Status.Checks)
	}
	d, ev = h.toNext()
	step("confirmation: full", "F", diagnosis.CauseFirewallDrop, ModeFull, ev)
	if d != confirmDelay {
		t.Errorf("the confirmation came after %v, want %v", d, confirmDelay)
	}
	c.set(false)
	_, ev = h.toNext()
	step("failing state: full, recovers", "F", diagnosis.CauseOK, ModeFull, ev)
	fullAt := h.clk.Now()
	_, ev = h.toNext()
	step("ok: light", "L", diagnosis.CauseOK, ModeLight, ev)
	_, ev = h.toNext()
	step("ok: light", "L", diagnosis.CauseOK, ModeLight, ev)
	_, ev = h.toNext()
	step("full_check_every since the last full: full", "F", diagnosis.CauseOK, ModeFull, ev)
	if h.clk.Now().Sub(fullAt) != lightSettings.FullCheckEvery {
		t.Errorf("the periodic full check came %v after the last, want %v", h.clk.Now().Sub(fullAt), lightSettings.FullCheckEvery)
	}
	changed := h.clk.Changed()
	h.m.CheckNow()
	step("requested: full", "F", diagnosis.CauseOK, ModeFull, h.nextCheck())
	h.waitTimer(changed)
	_, ev = h.toNext()
	step("ok: light", "L", diagnosis.CauseOK, ModeLight, ev)
	c.mu.Lock()
	c.reqs = nil
	c.mu.Unlock()
	h.toNext()
	c.mu.Lock()
	reqs := slices.Clone(c.reqs)
	c.mu.Unlock()
	if len(reqs) != 1 || reqs[0].LastRTT != fullRTT {
		t.Errorf("requests %+v, want one carrying the last good round trip %v", reqs, fullRTT)
	}
}

// TestMonitorLinkRTTFollowsTheLatestCheck: the last good round trip stays that of the last check
// that found Spotify reachable, while the link's round trip follows the latest check that
// measured one, good or not (a link that has just become slow has no good check yet).
func TestMonitorLinkRTTFollowsTheLatestCheck(t *testing.T) {
	const slow = 800 * time.Millisecond
	c := &modeCheck{badRTT: slow}
	h := newModeHarness(t, lightSettings, c)
	h.advance(0) // the first check: full, ok, fullRTT
	c.set(true, diagnosis.CauseUnknown, diagnosis.CauseUnknown)
	h.toNext() // light fails, then the full check finds unknown over a slow link
	c.mu.Lock()
	c.reqs = nil
	c.mu.Unlock()
	h.toNext() // the confirmation
	c.mu.Lock()
	reqs := slices.Clone(c.reqs)
	c.mu.Unlock()
	if len(reqs) != 1 || reqs[0].LastRTT != fullRTT || reqs[0].LinkRTT != slow {
		t.Errorf("requests %+v, want one with the last good round trip %v and the link's %v", reqs, fullRTT, slow)
	}
}

// TestMonitorLightModeOff: without light_check, and with a check that ignores the request,
// every check is full.
func TestMonitorLightModeOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
	}{
		{"light_check false", Settings{Interval: time.Minute, FailingInterval: 15 * time.Second, Timeout: 5 * time.Second, Fail: 2, Recover: 1, FullCheckEvery: time.Hour}},
		{"full_check_every 0", Settings{Interval: time.Minute, FailingInterval: 15 * time.Second, Timeout: 5 * time.Second, Fail: 2, Recover: 1, LightCheck: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &modeCheck{}
			h := newModeHarness(t, tc.s, c)
			h.advance(0)
			for range 3 {
				if _, ev := h.toNext(); ev.Status.Mode != ModeFull {
					t.Errorf("mode %q, want full", ev.Status.Mode)
				}
			}
			if got := c.modes(); got != "FFFF" {
				t.Errorf("checks %q, want FFFF", got)
			}
		})
	}
	// A check that ignores the request (returns a result not marked light) counts as full.
	h := newHarness(t, lightSettings, 0.5, diagnosis.CauseOK, diagnosis.CauseOK)
	h.advance(0)
	if _, ev := h.toNext(); ev.Status.Mode != ModeFull {
		t.Errorf("a check that ignores the request: mode %q, want full", ev.Status.Mode)
	}
}
