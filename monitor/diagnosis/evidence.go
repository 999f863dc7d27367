package diagnosis

import (
	"fmt"
	"net"
	"strings"

	"github.com/spotwatch/spotwatch/internal/failure"
)

// evidence indexes the probes of a report for the classifier's questions.
type evidence struct {
	refs    []Probe // internet references
	spotify []Probe // probes of Spotify's own endpoints
	control []Probe // DoH answers, neutral-SNI handshakes, plain answers on TLS ports
}

func newEvidence(probes []Probe) evidence {
	var e evidence
	for _, p := range probes {
		switch p.Role {
		case RoleReference:
			e.refs = append(e.refs, p)
		case RoleSpotify:
			e.spotify = append(e.spotify, p)
		case RoleControl:
			e.control = append(e.control, p)
		}
	}
	return e
}

// accessPoints are the TCP probes of Spotify's access points that got as far as connecting.
func (e evidence) accessPoints() []Probe {
	return e.where(e.spotify, func(p Probe) bool { return p.Kind == KindTCP && p.Detail.Step != failure.StepDNS })
}

// spotifyHTTPS are the HTTPS probes of Spotify's endpoints (apresolve included).
func (e evidence) spotifyHTTPS() []Probe {
	return e.where(e.spotify, func(p Probe) bool { return p.Kind == KindHTTPS })
}

// systemDNS are the lookups of Spotify names through the system resolver.
func (e evidence) systemDNS() []Probe {
	return e.where(e.spotify, func(p Probe) bool { return p.Kind == KindDNS && p.Detail.Resolver == "system" })
}

// directDNS are the direct queries of Spotify names to the configured DNS server.
func (e evidence) directDNS() []Probe {
	return e.where(e.spotify, func(p Probe) bool { return p.Kind == KindDNS && p.Detail.Resolver != "system" })
}

func (e evidence) doh() []Probe {
	return e.where(e.control, func(p Probe) bool { return p.Kind == KindDoH })
}

func (e evidence) where(probes []Probe, keep func(Probe) bool) []Probe {
	var out []Probe
	for _, p := range probes {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// spotifyWorks: an access point accepts a connection and every Spotify HTTPS endpoint the app
// needs answers over a certificate the public roots vouch for, on some address family.
// apresolve is not needed: without it the app falls back to ap.spotify.com.
func (e evidence) spotifyWorks() bool {
	return anyOK(e.accessPoints()) && e.httpsWorks()
}

// httpsWorks: every Spotify HTTPS endpoint the app needs answered well on some address family.
func (e evidence) httpsWorks() bool {
	needed := e.where(e.spotifyHTTPS(), func(p Probe) bool { return p.Detail.Service != "apresolve" })
	if len(needed) == 0 {
		return false
	}
	for _, target := range targets(needed) {
		if !e.okOrSlow(e.where(needed, func(p Probe) bool { return p.Target == target })) {
			return false
		}
	}
	return true
}

// answeredSlowly: the connection opened and Spotify's genuine certificate came back, but the
// answer to the request did not arrive before the deadline. That is a slow link (a satellite, a
// congested mobile cell), not a block: Spotify is there.
func answeredSlowly(p Probe) bool {
	return !p.OK && p.Failure == failure.GenericTimeout && p.Detail.Step == failure.StepHTTP &&
		p.Detail.PublicTrust != nil && *p.Detail.PublicTrust && p.Detail.Interceptor == ""
}

// httpsWorking counts the needed Spotify HTTPS endpoints (apresolve aside) that answered well.
func (e evidence) httpsWorking() int {
	needed := e.where(e.spotifyHTTPS(), func(p Probe) bool { return p.Detail.Service != "apresolve" && p.OK })
	return len(targets(needed))
}

// portalSeen: portal references were answered by something else (a redirect, 511, another
// page) and none gave its expected answer.
func (e evidence) portalSeen() bool {
	hijacked := e.where(e.refs, func(p Probe) bool { return p.Kind == KindHTTP && !p.OK && p.Detail.Status != 0 })
	return len(hijacked) > 0 && e.referencesUp() == 0
}

// ipReferencesUp counts references reached without DNS: TCP to IP literals, and DoH resolvers
// (reached by IP) that answered at all.
func (e evidence) ipReferencesUp() int {
	n := 0
	for _, p := range e.refs {
		if p.Kind == KindTCP && p.OK {
			n++
		}
	}
	answered := map[string]bool{}
	for _, p := range e.doh() {
		if p.Detail.RCode != "" {
			answered[p.Detail.Resolver] = true
		}
	}
	return n + len(answered)
}

// nameReferencesUp counts HTTP references that gave their expected answer.
func (e evidence) nameReferencesUp() int {
	n := 0
	for _, p := range e.refs {
		if p.Kind == KindHTTP && p.OK {
			n++
		}
	}
	return n
}

// referencesUp counts the references that answered as expected. The internet is up when two
// agree, so one vendor's outage or one blocked reference is not "no internet".
func (e evidence) referencesUp() int { return e.ipReferencesUp() + e.nameReferencesUp() }

func anyOK(probes []Probe) bool {
	for _, p := range probes {
		if p.OK {
			return true
		}
	}
	return false
}

// lostOnTheWay: a Spotify HTTPS probe (not through a proxy) timed out while connecting or in its
// TLS handshake, to the very ip:port where another Spotify HTTPS probe of the same check got
// Spotify's answer. Before the ClientHello nothing on the path can tell the two connections apart,
// and a filter that reads the server name matches every Spotify name, not one: this is packet loss
// on a slow link (a satellite, a congested cell), which the app's own retries get through.
//
// A lookup of a Spotify name that timed out through the system resolver while the same resolver
// answered another Spotify name with addresses in the same check is the same loss: a resolver
// that filters Spotify by silence matches every Spotify name, not one of them.
func (e evidence) lostOnTheWay(p Probe) bool {
	if !p.OK && p.Failure == failure.DNSTimeout && p.Detail.Step == failure.StepDNS && p.Detail.Via == "" {
		return e.systemResolverAnsweredSpotify()
	}
	if p.OK || p.Failure != failure.GenericTimeout || p.Detail.Via != "" || p.Detail.Addr == "" ||
		(p.Detail.Step != failure.StepConnect && p.Detail.Step != failure.StepTLS) {
		return false
	}
	for _, q := range e.spotifyHTTPS() {
		if q.OK && q.Detail.Via == "" && q.Detail.Addr == p.Detail.Addr {
			return true
		}
	}
	return false
}

// systemResolverAnsweredSpotify: the system resolver gave public addresses for some Spotify name
// in this check.
func (e evidence) systemResolverAnsweredSpotify() bool {
	return anyOK(e.where(e.systemDNS(), func(p Probe) bool { return len(p.Detail.Addrs) > 0 && !p.Detail.Bogon }))
}

// okOrSlow is anyOK that also accepts an answer that was only slow (answeredSlowly) or a
// connection lost on a slow link (lostOnTheWay).
func (e evidence) okOrSlow(probes []Probe) bool {
	for _, p := range probes {
		if p.OK || answeredSlowly(p) || e.lostOnTheWay(p) {
			return true
		}
	}
	return false
}

// failures returns the failed probes among probes.
func failures(probes []Probe) []Probe {
	var out []Probe
	for _, p := range probes {
		if !p.OK {
			out = append(out, p)
		}
	}
	return out
}

// all reports whether every probe satisfies cond (and there is at least one).
func all(probes []Probe, cond func(Probe) bool) bool {
	for _, p := range probes {
		if !cond(p) {
			return false
		}
	}
	return len(probes) > 0
}

func portOf(p Probe) string {
	for _, hp := range []string{p.Detail.Addr, p.Target} {
		if _, port, err := net.SplitHostPort(hp); err == nil {
			return port
		}
	}
	return ""
}

// describeProbe renders a probe as one evidence line a user can check.
func describeProbe(p Probe) string {
	var b strings.Builder
	b.WriteString(p.Name)
	b.WriteString(": ")
	if p.OK {
		b.WriteString("ok")
	} else {
		b.WriteString(p.Failure)
		if p.Detail.Step != "" && !failure.IsDNS(p.Failure) {
			fmt.Fprintf(&b, " at %s", p.Detail.Step)
		}
	}
	var extra []string
	if len(p.Detail.Addrs) > 0 {
		extra = append(extra, strings.Join(p.Detail.Addrs, ", "))
	}
	if p.Detail.RCode != "" && p.Detail.RCode != "NOERROR" {
		extra = append(extra, p.Detail.RCode)
	}
	if p.Detail.Addr != "" {
		extra = append(extra, "at "+p.Detail.Addr)
	}
	if p.Detail.Via != "" {
		extra = append(extra, "via "+p.Detail.Via)
	}
	if p.Detail.Status != 0 {
		extra = append(extra, fmt.Sprintf("HTTP %d", p.Detail.Status))
	}
	if p.Detail.Location != "" {
		extra = append(extra, "to "+p.Detail.Location)
	}
	if p.Detail.Interceptor != "" {
		extra = append(extra, "certificate from "+p.Detail.Interceptor)
	} else if p.Detail.Issuer != "" && p.Detail.PublicTrust != nil && !*p.Detail.PublicTrust {
		extra = append(extra, "issuer "+p.Detail.Issuer)
	}
	switch {
	case p.Detail.BlockPage != "":
		extra = append(extra, p.Detail.BlockPage+" block page")
	case p.Detail.BlockShape && p.Detail.PageTitle != "":
		extra = append(extra, "block page \""+p.Detail.PageTitle+"\"")
	case p.Detail.BlockShape:
		extra = append(extra, "block page")
	}
	if p.Detail.Software != "" {
		extra = append(extra, fmt.Sprintf("says it is %q", p.Detail.Software))
	}
	if len(extra) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(extra, "; "))
	}
	fmt.Fprintf(&b, " (%d ms)", p.MS)
	return b.String()
}

// describeAll renders probes as evidence lines, each probe once (follow-up probes of several
// endpoints at one address repeat each other).
func describeAll(probes []Probe) []string {
	out := make([]string, 0, len(probes))
	seen := map[string]bool{}
	for _, p := range probes {
		key := p.Name + "|" + p.Detail.Addr + "|" + p.Failure
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, describeProbe(p))
	}
	return out
}
