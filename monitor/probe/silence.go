package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// Silence decided from what the daemon already knows (issue 17). When no internet reference
// answers at all (internet_down), or the references answer by IP but the resolver answers no
// name (dns_down), a check on its own has no round trip to scale a budget from, and waits for
// its deadline (5 s) and the DNS budget (3 s). A monitor knows better: its last good check
// measured the link's round trip (CheckOptions.LastRTT). Within
//
//	silenceBudget = max(silenceFloor, connectRetry + connectRTTs × LastRTT)
//
// every reference, and every resolver query, has had one retransmission (Linux resends a SYN
// after 1 s; the resolver re-asks after dnsAttempt, 1 s) and the round trips to answer; on a
// fast link that is 1.2 s. A lossy link is not taken for silence: the cut needs all of the
// several independent references (or all of the lookups) to have lost both their first try and
// its retransmission. The cut probes are recorded as the timeouts they would have become.
const silenceFloor = 1200 * time.Millisecond

// errSilence is the cause a check's context is cancelled with when silence is decided early.
// It is a cancellation: the probes it stops report failure.Interrupted, which silenced turns
// into the timeouts they stood for.
var errSilence = fmt.Errorf("no answer within the budget set by the last good check's round trip: %w", context.Canceled)

// silenceBudget is how long silence may last before it decides the check; 0 (never early) when
// the last round trip is unknown.
func silenceBudget(lastRTT time.Duration) time.Duration {
	if lastRTT <= 0 {
		return 0
	}
	return max(silenceFloor, connectRetry+connectRTTs*lastRTT)
}

// heardDNS records that the resolver answered a query (with addresses or an error code):
// whatever it said, it is not silent.
func (p *pace) heardDNS() {
	p.mu.Lock()
	p.dnsHeard = true
	p.mu.Unlock()
}

// silent reports whether the check so far is silence that its pending probes, had they the
// whole deadline, would only confirm: nothing answered at all (no reference, no Spotify
// connection), or the references answered by IP while the resolver answered nothing and no
// Spotify probe worked.
func (p *pace) silent(probes []diagnosis.Probe) bool {
	p.mu.Lock()
	rtt, opened, dnsHeard := p.rtt, p.opened, p.dnsHeard
	p.mu.Unlock()
	for _, pr := range probes {
		if pr.OK && (pr.Role == diagnosis.RoleSpotify || rtt == 0) {
			return false
		}
	}
	if rtt == 0 {
		return opened == 0
	}
	return !dnsHeard
}

// silenced turns the probes that the silence cut interrupted into the timeouts they would have
// become at the deadline, which is what the classifier judges silence by. While the resolver
// had answered nothing (dnsHeard false), a probe of a name cannot have got past its lookup: it
// was waiting on DNS.
func silenced(probes []diagnosis.Probe, dnsHeard bool) []diagnosis.Probe {
	for i, p := range probes {
		if p.Failure != failure.Interrupted {
			continue
		}
		switch {
		case p.Kind == diagnosis.KindDNS || p.Detail.Step == failure.StepDNS:
			probes[i].Failure = failure.DNSTimeout
		case !dnsHeard && targetIsName(p.Target):
			probes[i].Failure, probes[i].Detail.Step = failure.DNSTimeout, failure.StepDNS
		default:
			probes[i].Failure = failure.GenericTimeout
		}
	}
	return probes
}

// targetIsName reports whether a probe's target (a URL, host:port or host) names its host
// rather than giving an IP address.
func targetIsName(target string) bool {
	host := target
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		host = u.Hostname()
	} else if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	_, err := netip.ParseAddr(host)
	return host != "" && err != nil
}

// dnsAnswered reports whether the resolver answered any query of this check.
func (p *pace) dnsAnswered() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dnsHeard
}

// A slow link's deadline. The check's deadline (timeout, 5 s) holds a DNS lookup, a TCP connect,
// a TLS handshake and an HTTP exchange with a retransmission or two at the round trips of most
// links; at 800 ms a round trip it does not (four round trips are 3.2 s before any loss, and one
// lost segment costs its retransmission timer), and a healthy satellite link with some loss
// failed half its checks. A monitor whose last good check measured a slow link gives the check
//
//	checkDeadline = max(timeout, slowLinkBase + slowLinkRTTs × RTT), at most 2 × timeout
//
// with RTT the larger of the last good check's and the latest check's (CheckOptions.LinkRTT: a
// link that just became slow has no good check yet): 7.4 s at 800 ms; nothing changes below
// 500 ms; the monitor's backstop is 3 × timeout. Only the outer deadline moves: the connect
// budget still follows this check's own round trip, so a block is named as fast as before.
const (
	slowLinkBase = time.Second
	slowLinkRTTs = 8
)

// checkDeadline is the deadline of a check whose monitor measured lastRTT on its last good check.
func checkDeadline(timeout, lastRTT time.Duration) time.Duration {
	return max(timeout, min(2*timeout, slowLinkBase+slowLinkRTTs*lastRTT))
}
