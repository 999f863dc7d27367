package probe

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// The light check (issue 17, docs/design.md §6 "Light mode") is what a monitor runs while the
// state is ok: the least that still proves Spotify works the way the app reaches it. One raw
// TCP connect to the first configured access point (port 4070 by default, the app's first
// choice, so a blocked 4070 is noticed), and one HTTPS request to the first Spotify endpoint
// over a TLS session resumed from the previous check (no certificate chain on the wire), with
// names resolved as the system resolves them, hosts file and proxy included. No internet
// reference is asked: they only matter once Spotify fails, and then the monitor runs the full
// check, which asks them all.
//
// A light check never names a cause. It passes (Code 0, ok) or it fails, and a failure only
// tells the monitor to run the full diagnosis at once.

// CheckOptions are what a monitor knows from earlier checks and passes to the next one.
type CheckOptions struct {
	// Light asks for the light check instead of the full one.
	Light bool
	// LastRTT is the link's round trip measured by the last good check (diagnosis.Result.RTT),
	// 0 when unknown. A full check given it decides silence within silenceBudget(LastRTT)
	// rather than at its deadline; a light check bounds itself by it.
	LastRTT time.Duration
	// LinkRTT is the round trip the latest check measured, good or not (0 when unknown): a full
	// check's deadline grows with it on a slow link (checkDeadline).
	LinkRTT time.Duration
}

// lightSessions is how many TLS sessions the light check keeps for resumption: one per
// Spotify endpoint it may ask, with room for a proxy's.
const lightSessions = 4

// lightDeadline bounds a light check: on a fast link 2 s, room for a lost SYN and a lost
// segment; with a known round trip 1 s + 6 RTTs (a lookup, a connect, a resumed handshake and
// a request are four sequential round trips); never longer than the configured timeout. A light
// check that runs out only calls for the full check, so the bound costs no false alarm.
func lightDeadline(timeout, lastRTT time.Duration) time.Duration {
	if lastRTT <= 0 {
		return timeout
	}
	return min(timeout, max(2*time.Second, connectRetry+6*lastRTT))
}

// DiagnoseWith runs the check o asks for and classifies it: the light check's verdict (ok, or
// a failure that calls for the full check), or the full diagnosis.
func (c *Checker) DiagnoseWith(ctx context.Context, o CheckOptions) diagnosis.Result {
	if o.Light {
		rep := c.Light(ctx, o.LastRTT)
		res := diagnosis.NewResult(rep, lightVerdict(rep))
		res.Light = true
		return res
	}
	rep := c.CheckWith(ctx, o)
	return diagnosis.NewResult(rep, diagnosis.Classify(rep))
}

// lightVerdict is ok when every probe of a light check succeeded; otherwise a failure that
// names no cause (the full check will).
func lightVerdict(rep diagnosis.Report) diagnosis.Diagnosis {
	for _, p := range rep.Probes {
		if !p.OK {
			return diagnosis.Diagnosis{Code: diagnosis.CodeBlocked, Cause: diagnosis.CauseUnknown,
				Title: "The light check failed", Summary: fmt.Sprintf("%s failed (%s): a full check follows.", p.Name, p.Failure)}
		}
	}
	if len(rep.Probes) == 0 {
		return diagnosis.Diagnosis{Code: diagnosis.CodeBlocked, Cause: diagnosis.CauseUnknown,
			Title: "The light check failed", Summary: "Nothing to probe: a full check follows."}
	}
	return diagnosis.Diagnosis{Code: diagnosis.CodeOK, Cause: diagnosis.CauseOK, Title: "Spotify is reachable (light check)"}
}

// Light runs the light check: local facts, one access-point connect and one HTTPS request
// over a resumed TLS session, concurrently, under lightDeadline.
func (c *Checker) Light(ctx context.Context, lastRTT time.Duration) diagnosis.Report {
	start := time.Now()
	rep := diagnosis.Report{StartedAt: start.UTC().Truncate(time.Millisecond), OS: c.goos}
	var px *url.URL
	rep.Facts, px = gatherPathFacts(c.factsForLight())
	deadline := lightDeadline(c.cfg.Timeout, lastRTT)
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	ipv6 := hasIPv6(rep.Facts)
	path := newNetPath(c.cfg.DNS.Server, dnsTimeout(deadline), rep.Facts.HostsEntries, ipv6)

	var mu sync.Mutex
	var wg sync.WaitGroup
	add := func(p diagnosis.Probe) {
		mu.Lock()
		rep.Probes = append(rep.Probes, cleanProbe(p))
		mu.Unlock()
	}
	if aps := c.cfg.Spotify.FallbackAccessPoints; len(aps) > 0 {
		wg.Go(func() { add(c.lightAccessPoint(ctx, path, px, ipv6, aps[0])) })
	}
	target := c.apresolve
	if len(c.spotifyHTTPS) > 0 {
		target = c.spotifyHTTPS[0]
	}
	wg.Go(func() { add(c.lightHTTPS(ctx, path, px, target, ipv6)) })
	wg.Wait()
	rep.Duration = time.Since(start)
	return rep
}

// lightAccessPoint connects to one access point: its first address, or through the proxy.
func (c *Checker) lightAccessPoint(ctx context.Context, path *netPath, px *url.URL, ipv6 bool, ap string) diagnosis.Probe {
	if px != nil {
		return probeAccessPoint(ctx, path, px, ap, "")
	}
	host, _, _ := net.SplitHostPort(ap)
	ips, failed := resolveFor(ctx, path, host, ipv6, diagnosis.Probe{Name: "tcp access point " + host, Kind: diagnosis.KindTCP, Role: diagnosis.RoleSpotify, Target: host})
	if failed != nil {
		return *failed
	}
	return probeAccessPoint(ctx, path, px, ap, ips[0])
}

// lightHTTPS fetches u once, at its first address or through the proxy, resuming the TLS
// session of an earlier check when the server allows it. The certificate is judged as in the
// full check; a session is only ever kept from a handshake whose chain passed, because a chain
// that fails ends the handshake. A resumed session brings back the chain it was made with (Go
// keeps it with the session), and only the server that made the session can resume it, so an
// interceptor cannot: the verdict remembered for that chain is taken again while every
// certificate in it is still valid (judgedChains), rather than verified twice more each minute.
func (c *Checker) lightHTTPS(ctx context.Context, path *netPath, px *url.URL, u *url.URL, ipv6 bool) diagnosis.Probe {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	p := diagnosis.Probe{Name: "https " + u.String() + " (light)", Kind: diagnosis.KindHTTPS, Role: diagnosis.RoleSpotify, Target: u.String(), Detail: diagnosis.Detail{SNI: host}}
	ip := ""
	if px == nil {
		ips, failed := resolveFor(ctx, path, host, ipv6, p)
		if failed != nil {
			return *failed
		}
		ip = ips[0]
	}
	timed(&p, func() error {
		var conn net.Conn
		var err error
		if px != nil {
			p.Detail.Via = px.Redacted()
			conn, err = path.dialVia(ctx, px, net.JoinHostPort(host, port))
		} else {
			p.Detail.Addr, p.Detail.Family = net.JoinHostPort(ip, port), familyOf(ip)
			conn, err = path.dialSpotify(ctx, p.Detail.Addr)
		}
		if err != nil {
			return err
		}
		// The answer is read whole before the reset (Connection: close, bounded by bodyCap).
		defer abort(conn)
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		tlsConn := tls.Client(conn, &tls.Config{
			ServerName: host, NextProtos: []string{"http/1.1"}, CurvePreferences: probeCurves,
			ClientSessionCache: c.sessions,
			// The chain is judged by inspectChain (both root pools, inspection CAs), as in the
			// full check; failing here fails the handshake, so no session is kept from it.
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if cs.DidResume && c.judged.recall(&p.Detail, host, cs.PeerCertificates, time.Now()) {
					return nil
				}
				if err := inspectChain(&p.Detail, c.trust, host, cs.PeerCertificates); err != nil {
					return err
				}
				c.judged.remember(p.Detail, host, cs.PeerCertificates)
				return nil
			},
		})
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return atStep(failure.StepTLS, fmt.Errorf("TLS handshake with %s: %w", host, err))
		}
		if tlsConn.ConnectionState().DidResume {
			p.Detail.Resumed = true
		}
		resp, body, err := get(tlsConn, u)
		if err != nil {
			return atStep(failure.StepHTTP, err)
		}
		p.Detail.Status = resp.StatusCode
		if p.Detail.BlockPage = diagnosis.MatchBlockPage(resp.Header, body); p.Detail.BlockPage != "" {
			return atStep(failure.StepHTTP, fmt.Errorf("%s answered with a %s block page: %w", host, p.Detail.BlockPage, &failure.UnexpectedBodyError{Want: "Spotify's answer"}))
		}
		if resp.StatusCode >= 500 {
			return atStep(failure.StepHTTP, &failure.HTTPStatusError{Status: resp.StatusCode})
		}
		return nil
	})
	return p
}

// judgedChainsMax bounds the remembered verdicts: one per session kept, with room to spare.
const judgedChainsMax = 2 * lightSessions

// judgedChains remembers the chains that passed inspectChain in a light check, by host and
// leaf, with what the report says of them, for the sessions resumed from those handshakes.
type judgedChains struct {
	mu      sync.Mutex
	verdict map[judgedKey]judgedChain
}

type judgedKey struct {
	host string
	leaf [sha256.Size]byte
}

type judgedChain struct {
	detail   diagnosis.Detail // Issuer, Chain, Interceptor, SystemTrust, PublicTrust as judged
	notAfter time.Time        // the earliest expiry in the chain
}

func newJudgedChains() *judgedChains {
	return &judgedChains{verdict: map[judgedKey]judgedChain{}}
}

// remember keeps the verdict of a chain that passed.
func (j *judgedChains) remember(d diagnosis.Detail, host string, chain []*x509.Certificate) {
	if len(chain) == 0 {
		return
	}
	notAfter := chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotAfter.Before(notAfter) {
			notAfter = c.NotAfter
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.verdict) >= judgedChainsMax {
		clear(j.verdict)
	}
	j.verdict[judgedKey{host, sha256.Sum256(chain[0].Raw)}] = judgedChain{
		detail:   diagnosis.Detail{Issuer: d.Issuer, Chain: d.Chain, Interceptor: d.Interceptor, SystemTrust: d.SystemTrust, PublicTrust: d.PublicTrust},
		notAfter: notAfter,
	}
}

// recall fills d from the verdict remembered for this host and chain, if there is one and the
// chain has not expired by now.
func (j *judgedChains) recall(d *diagnosis.Detail, host string, chain []*x509.Certificate, now time.Time) bool {
	if len(chain) == 0 {
		return false
	}
	j.mu.Lock()
	v, ok := j.verdict[judgedKey{host, sha256.Sum256(chain[0].Raw)}]
	j.mu.Unlock()
	if !ok || !now.Before(v.notAfter) {
		return false
	}
	d.Issuer, d.Chain, d.Interceptor, d.SystemTrust, d.PublicTrust = v.detail.Issuer, v.detail.Chain, v.detail.Interceptor, v.detail.SystemTrust, v.detail.PublicTrust
	return true
}
