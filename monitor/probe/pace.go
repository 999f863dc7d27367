package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// The adaptive connect budget (issue 9). Probes start together. The first internet references to
// answer tell how fast this link is (their round-trip time, RTT). From then on, a connection to
// Spotify that has not opened within
//
//	budget = max(connectFloor, connectRetry + connectRTTs × RTT)
//
// is not going to: a firewall is dropping it. On a fast link that is 1.5 s instead of the whole
// 5 s deadline. On a slow link the references are slow too, so the budget grows with them: at a
// 600 ms RTT it is 2.8 s. The budget always leaves room for one lost SYN (Linux resends it after
// 1 s, connectRetry) plus the handshake's round trips, so a lossy link is not taken for a
// firewall: the early verdict also needs every Spotify endpoint to miss the budget at once,
// which independent 10 % packet loss makes vanishingly rare.
//
// The budget only ends a check early in three situations, none of which the pending probes can
// turn into a false alarm: no connection to Spotify has opened at all (a firewall drop, a VPN
// that swallows Spotify, a proxy that accepts the connection and never answers CONNECT: through
// a proxy, a connection opens when its tunnel does); every Spotify HTTPS endpoint the app needs
// works and the access-point connections still out have had the budget (a blocked port 4070 is
// then "degraded", Code 0, and every access point dropped is a firewall drop, which, as for a
// firewall that drops everything, needs every access-point endpoint to miss the budget at once);
// or the references show a captive portal, which decides the verdict whatever Spotify's probes
// would still say. A check whose Spotify HTTPS answers come in after the budget ran out ends as
// soon as they do.
//
// A TLS handshake naming Spotify has a budget of its own (handshake.go): a connection that
// opened but whose server sends nothing back is an SNI filter that drops, or a box that
// swallows every handshake.
const (
	connectFloor = 1500 * time.Millisecond
	connectRetry = time.Second
	connectRTTs  = 3
)

// errConnectBudget is the cause a check's context is cancelled with when the budget runs out.
var errConnectBudget = errors.New("no answer within the connect budget set by the references' round trip")

// pace tracks the link's round-trip time and Spotify's connection attempts within one check.
type pace struct {
	mu        sync.Mutex
	rtt       time.Duration // the fastest reference round trip seen; 0 = none yet
	firstDial time.Time     // when the first connection to Spotify began
	opened    int           // connections to Spotify that opened
	https     int           // Spotify HTTPS endpoints the app needs (apresolve aside)
	dnsHeard  bool          // the resolver answered a query (silence.go)
	changed   chan struct{} // closed and replaced when rtt or firstDial is first set
}

func newPace(neededHTTPS int) *pace { return &pace{changed: make(chan struct{}), https: neededHTTPS} }

// observeRTT records a reference's round-trip time.
func (p *pace) observeRTT(rtt time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rtt <= 0 {
		rtt = time.Microsecond
	}
	if p.rtt == 0 || rtt < p.rtt {
		first := p.rtt == 0
		p.rtt = rtt
		if first {
			p.notifyLocked()
		}
	}
}

// dialing records that a connection to Spotify begins.
func (p *pace) dialing(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.firstDial.IsZero() {
		p.firstDial = now
		p.notifyLocked()
	}
}

// connected records that a connection to Spotify opened.
func (p *pace) connected() {
	p.mu.Lock()
	p.opened++
	p.mu.Unlock()
}

// deadline returns when the connect budget runs out, once both the link's RTT and the first
// Spotify dial are known; and a channel that changes when they become known.
func (p *pace) deadline() (time.Time, bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rtt == 0 || p.firstDial.IsZero() {
		return time.Time{}, false, p.changed
	}
	return p.firstDial.Add(connectBudget(p.rtt)), true, p.changed
}

// opens returns how many connections to Spotify opened.
func (p *pace) opens() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opened
}

// mayCut reports whether the check may end when the budget runs out, given the probes so far.
func (p *pace) mayCut(probes []diagnosis.Probe) bool {
	e := diagnosis.Assess(probes)
	return p.opens() == 0 || (e.HTTPSWorking >= p.https && e.HTTPSWorks) || e.PortalSeen
}

// roundTrip returns the link's round-trip time, once a reference has answered.
func (p *pace) roundTrip() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rtt, p.rtt != 0
}

// budget returns the connect budget, once the link's RTT is known.
func (p *pace) budget() (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rtt == 0 {
		return 0, false
	}
	return connectBudget(p.rtt), true
}

// cutShort turns the error of a probe step that the budget's end interrupted (rather than
// timed out) into an interruption: it measured nothing, and the report leaves it out.
func cutShort(ctx context.Context, err error) error {
	if err != nil && errors.Is(context.Cause(ctx), errConnectBudget) {
		return fmt.Errorf("%w (the check ended: %v)", context.Canceled, err)
	}
	return err
}

func (p *pace) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// connectBudget is the time a connection may take on a link with this RTT.
func connectBudget(rtt time.Duration) time.Duration {
	return max(connectFloor, connectRetry+connectRTTs*rtt)
}
