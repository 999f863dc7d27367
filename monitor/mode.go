package monitor

import (
	"context"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// Light mode (issue 17, docs/design.md §6 "Light mode"). While the state is ok, a monitor with
// Settings.LightCheck asks its check for the light check: the least that proves Spotify still
// works. A light check that fails is never a state of its own: the full check runs at once and
// its result is what hysteresis sees, so a fault appearing in light mode is diagnosed within one
// interval plus the confirmation, as in full mode. A network change, a requested check, a new
// configuration, any state but ok, and Settings.FullCheckEvery since the last full check all
// bring the full check.

// Check modes, as Status.Mode shows them.
const (
	ModeFull  = "full"
	ModeLight = "light"
)

// Request is what the monitor asks of one check: the light check or the full one, and the
// round trip the last good check measured (0 when unknown), from which a full check decides
// silence early. A CheckFunc reads it with RequestFrom; one that ignores it runs a full check
// every time, which is always correct.
type Request struct {
	Light   bool
	LastRTT time.Duration
	// LinkRTT is the round trip the latest check measured, whatever it found (0 when none
	// did): a link that has just become slow has no good check yet, and the full check scales
	// its deadline from this.
	LinkRTT time.Duration
}

type requestKey struct{}

// RequestFrom returns the monitor's request for the check running under ctx; the zero Request
// (full, no round trip known) when ctx carries none.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

func withRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// modeState is what the monitor remembers for choosing the next check's mode (under mu).
type modeState struct {
	lastFull time.Time     // when the last full check ended
	lastRTT  time.Duration // the round trip of the last full check that found Spotify reachable
	linkRTT  time.Duration // the round trip of the latest check that measured one
	wantFull bool          // a network change, a requested check or a reload asks for the full check
}

// wantFull makes the next check a full one.
func (m *Monitor) wantFull() {
	m.mu.Lock()
	m.mode.wantFull = true
	m.mu.Unlock()
}

// requestLocked chooses the next check's mode, consuming a pending wish for a full check.
func (m *Monitor) requestLocked() Request {
	s := m.settings
	light := s.LightCheck && s.FullCheckEvery > 0 && !m.mode.wantFull &&
		m.status.Cause == diagnosis.CauseOK && m.status.PendingCause == "" &&
		!m.mode.lastFull.IsZero() && m.clock.Now().Sub(m.mode.lastFull) < s.FullCheckEvery
	m.mode.wantFull = false
	return Request{Light: light, LastRTT: m.mode.lastRTT, LinkRTT: m.mode.linkRTT}
}

// runRequested runs the check req asks for. A light check that passes is returned with
// light true; one that fails is followed at once by the full check, whose result is returned.
func (m *Monitor) runRequested(ctx context.Context, check CheckFunc, timeout time.Duration, req Request) (res diagnosis.Result, ok, light bool) {
	res, ok = m.safeCheck(withRequest(ctx, req), check, timeout)
	if !req.Light || !ok || !res.Light || ctx.Err() != nil {
		return res, ok, false // a full check, or a CheckFunc that ran one anyway
	}
	if res.Cause == diagnosis.CauseOK {
		return res, true, true
	}
	m.log.Info("the light check failed: running the full check", "summary", res.Summary)
	req.Light = false
	res, ok = m.safeCheck(withRequest(ctx, req), check, timeout)
	return res, ok, false
}

// noteFullLocked records a full check's end, and its round trip when it found Spotify reachable.
func (m *Monitor) noteFullLocked(res diagnosis.Result) {
	m.mode.lastFull = m.clock.Now()
	if res.Code == diagnosis.CodeOK && res.RTT > 0 {
		m.mode.lastRTT = res.RTT
	}
	if res.RTT > 0 {
		m.mode.linkRTT = res.RTT
	}
}
