package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/proxy"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// stepError records at which step of a probe an error happened (dns, connect, proxy, tls, http),
// so the evidence can say "the proxy refused" rather than only "refused".
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// atStep wraps err with the step it happened at, keeping an inner step if there is one.
func atStep(step string, err error) error {
	if err == nil {
		return nil
	}
	var se *stepError
	if errors.As(err, &se) {
		return err
	}
	return &stepError{step: step, err: err}
}

// stepOf returns the step an error happened at, or "".
func stepOf(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.step
	}
	return ""
}

// netPath is how the probes of one check reach the network: the resolver that plays the system
// resolver, a plain dialer, and the proxy Spotify would use. It holds no connections: every
// probe dials its own, so nothing is kept alive between checks.
type netPath struct {
	resolver   *net.Resolver
	dnsTimeout time.Duration // one lookup's deadline, shorter than the check's so a silent resolver is named
	ipv6       bool          // the machine has IPv6: names are resolved to AAAA records too
	dialer     net.Dialer
	hosts      map[string][]netip.Addr // the hosts file's Spotify entries, answered before DNS as the OS does

	mu      sync.Mutex
	lookups map[string]*lookupCall // each name is resolved once per check, whoever asks first

	pace *pace // the link's round trip and Spotify's connection attempts
}

// lookupCall is one name's resolution, shared by every probe of the check that needs it.
type lookupCall struct {
	done  chan struct{}
	addrs []netip.Addr
	err   error
}

// dnsAttempt is how long one DNS query may take before it is sent again. A recursive resolver
// answers a cache miss well within it; a lost UDP packet costs one attempt, not the lookup.
const dnsAttempt = time.Second

// newNetPath returns a netPath whose "system" resolver is the OS's, or the DNS server at
// dnsServer (host:port) when it is set, with the hosts-file entries answered first. Names are
// resolved to IPv6 addresses too only when the machine has IPv6 (ipv6).
func newNetPath(dnsServer string, dnsTimeout time.Duration, hosts []diagnosis.HostsEntry, ipv6 bool) *netPath {
	p := &netPath{resolver: net.DefaultResolver, dnsTimeout: dnsTimeout, ipv6: ipv6, dialer: net.Dialer{KeepAlive: -1},
		hosts: map[string][]netip.Addr{}, lookups: map[string]*lookupCall{}, pace: newPace(0)}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h.Addr); err == nil {
			name := strings.ToLower(strings.TrimSuffix(h.Name, "."))
			p.hosts[name] = append(p.hosts[name], a.Unmap())
		}
	}
	if dnsServer != "" {
		p.resolver = &net.Resolver{
			PreferGo: true,
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, dnsServer)
			},
		}
	}
	return p
}

// lookup resolves host through the system resolver; an IP literal resolves to itself. The
// first caller for a name does the lookup; later callers in the same check share its answer.
func (p *netPath) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if addrs, ok := p.hosts[name]; ok {
		return addrs, nil
	}
	p.mu.Lock()
	call, shared := p.lookups[name]
	if !shared {
		call = &lookupCall{done: make(chan struct{})}
		p.lookups[name] = call
	}
	p.mu.Unlock()
	if !shared {
		call.addrs, call.err = p.resolve(ctx, host)
		close(call.done)
	}
	select {
	case <-call.done:
		return call.addrs, call.err
	case <-ctx.Done():
		return nil, atStep(failure.StepDNS, fmt.Errorf("resolving %s: %w", host, ctx.Err()))
	}
}

// resolve asks the resolver for the address families the machine can use: IPv4, and IPv6 when
// it has IPv6, as getaddrinfo with AI_ADDRCONFIG does. Each family is asked on its own, so a
// lost answer for one costs that family one attempt, not the other's answer too. The lookup
// fails only when every family fails (with the IPv4 error, the one the app would meet).
func (p *netPath) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, p.dnsTimeout)
	defer cancel()
	if !p.ipv6 {
		return p.resolveFamily(ctx, "ip4", host)
	}
	var v4, v6 []netip.Addr
	var err4, err6 error
	var wg sync.WaitGroup
	wg.Go(func() { v4, err4 = p.resolveFamily(ctx, "ip4", host) })
	wg.Go(func() { v6, err6 = p.resolveFamily(ctx, "ip6", host) })
	wg.Wait()
	if err4 != nil && err6 != nil {
		return nil, err4
	}
	return append(v4, v6...), nil
}

// resolveFamily looks host up in one address family ("ip4" or "ip6"), sending the query again
// after each dnsAttempt that timed out, until ctx ends.
func (p *netPath) resolveFamily(ctx context.Context, network, host string) ([]netip.Addr, error) {
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, dnsAttempt)
		addrs, err := p.resolver.LookupNetIP(attempt, network, host)
		cancelAttempt()
		if dnsErr := (*net.DNSError)(nil); err == nil || errors.As(err, &dnsErr) && !dnsErr.IsTimeout && attempt.Err() == nil {
			p.pace.heardDNS()
		}
		if err == nil {
			for i, a := range addrs {
				addrs[i] = a.Unmap()
			}
			return addrs, nil
		}
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsTimeout || ctx.Err() != nil {
			return nil, atStep(failure.StepDNS, fmt.Errorf("resolving %s: %w", host, err))
		}
	}
}

// dial connects to addr (ip:port) directly.
func (p *netPath) dial(ctx context.Context, addr string) (net.Conn, error) {
	start := time.Now()
	conn, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, atStep(failure.StepConnect, p.budgetCut(ctx, start, fmt.Errorf("connecting to %s: %w", addr, err)))
	}
	return conn, nil
}

// budgetCut rewrites the error of a connection attempt begun at start that the connect
// budget's end interrupted: an attempt that had the whole budget timed out; one that began
// later was merely interrupted (and the report leaves it out). Other errors pass unchanged.
func (p *netPath) budgetCut(ctx context.Context, start time.Time, err error) error {
	if err == nil || !errors.Is(context.Cause(ctx), errConnectBudget) {
		return err
	}
	if budget, ok := p.pace.budget(); ok && time.Since(start) >= budget-budget/10 {
		return fmt.Errorf("%v: %w: %w", err, errConnectBudget, os.ErrDeadlineExceeded)
	}
	return fmt.Errorf("%w (the check ended: %v)", context.Canceled, err)
}

// dialReference connects to an internet reference, timing the handshake as the link's RTT.
func (p *netPath) dialReference(ctx context.Context, addr string) (net.Conn, error) {
	start := time.Now()
	conn, err := p.dial(ctx, addr)
	if err == nil {
		p.pace.observeRTT(time.Since(start))
	}
	return conn, err
}

// dialSpotify connects to one of Spotify's endpoints (an access point, or an HTTPS server),
// counting the attempt for the connect budget.
func (p *netPath) dialSpotify(ctx context.Context, addr string) (net.Conn, error) {
	p.pace.dialing(time.Now())
	conn, err := p.dial(ctx, addr)
	if err == nil {
		p.pace.connected()
	}
	return conn, err
}

// dialSpotifyVia connects to one of Spotify's endpoints through the proxy, counting the attempt
// for the connect budget: a connection to Spotify opens when the proxy opens the tunnel, so a
// proxy that accepts the connection and never answers CONNECT is met within the budget, like a
// firewall that drops.
func (p *netPath) dialSpotifyVia(ctx context.Context, px *url.URL, target string) (net.Conn, error) {
	p.pace.dialing(time.Now())
	conn, err := p.dialVia(ctx, px, target)
	if err == nil {
		p.pace.connected()
	}
	return conn, err
}

// dialVia connects to target (host:port) through the proxy: an HTTP CONNECT tunnel for http and
// https proxies, SOCKS5 for socks5 ones. Errors reaching or negotiating with the proxy are
// reported at the "proxy" step.
func (p *netPath) dialVia(ctx context.Context, px *url.URL, target string) (net.Conn, error) {
	switch px.Scheme {
	case "socks5", "socks5h", "socks":
		var auth *proxy.Auth
		if px.User != nil {
			password, _ := px.User.Password()
			auth = &proxy.Auth{User: px.User.Username(), Password: password}
		}
		d, err := proxy.SOCKS5("tcp", px.Host, auth, &p.dialer)
		if err != nil {
			return nil, atStep(failure.StepProxy, fmt.Errorf("setting up SOCKS proxy %s: %w", px.Host, err))
		}
		start := time.Now()
		conn, err := d.(proxy.ContextDialer).DialContext(ctx, "tcp", target)
		if err != nil {
			return nil, atStep(failure.StepProxy, p.budgetCut(ctx, start, fmt.Errorf("connecting to %s through SOCKS proxy %s: %w", target, px.Host, err)))
		}
		return conn, nil
	case "socks4", "socks4a":
		return p.dialSOCKS4(ctx, px, target)
	case "http", "https", "":
	default:
		return nil, atStep(failure.StepProxy, fmt.Errorf("unsupported proxy scheme %q", px.Scheme))
	}
	proxyAddr := px.Host
	if px.Port() == "" {
		proxyAddr = net.JoinHostPort(px.Hostname(), "8080")
	}
	host, port, err := net.SplitHostPort(proxyAddr)
	if err != nil {
		return nil, atStep(failure.StepProxy, fmt.Errorf("proxy address %q: %w", proxyAddr, err))
	}
	addrs, err := p.lookup(ctx, host)
	if err != nil {
		return nil, atStep(failure.StepProxy, err)
	}
	start := time.Now()
	conn, err := p.dialer.DialContext(ctx, "tcp", net.JoinHostPort(addrs[0].String(), port))
	if err != nil {
		return nil, atStep(failure.StepProxy, p.budgetCut(ctx, start, fmt.Errorf("connecting to proxy %s: %w", proxyAddr, err)))
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: target},
		Host:   target,
		Header: http.Header{"User-Agent": {userAgent()}},
	}
	// A proxy that asks for a login gets the one in its URL, as the Spotify app sends the one in
	// its settings; without it, a working authenticated proxy would look like a blocking one.
	if px.User != nil {
		password, _ := px.User.Password()
		req.SetBasicAuth(px.User.Username(), password)
		req.Header["Proxy-Authorization"] = req.Header["Authorization"]
		delete(req.Header, "Authorization")
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, atStep(failure.StepProxy, fmt.Errorf("sending CONNECT %s to proxy %s: %w", target, proxyAddr, err))
	}
	// The answer's head is read within headerCap. Its body is never read: after a refusal the
	// connection is closed, and after a 200 the bytes that follow belong to the tunnel.
	resp, _, br, err := readHead(conn, req)
	if err != nil {
		conn.Close()
		return nil, atStep(failure.StepProxy, p.budgetCut(ctx, start, fmt.Errorf("reading the proxy's answer to CONNECT %s: %w", target, err)))
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		refused := error(&failure.ProxyRefusedError{Status: resp.StatusCode, Proxy: px.Redacted()})
		if product := diagnosis.MatchBlockPage(resp.Header, nil); product != "" {
			refused = namedRefusal{product: product, err: refused}
		}
		return nil, atStep(failure.StepProxy, refused)
	}
	if br.Buffered() > 0 {
		conn.Close()
		return nil, atStep(failure.StepProxy, fmt.Errorf("proxy %s sent data before the tunnel opened", proxyAddr))
	}
	return conn, nil
}

// dialSOCKS4 connects to target through a SOCKS4 proxy, the kind Windows' proxy settings name
// with "socks=" and Spotify's prefs with a socks4 proxy. socks4 sends the target's address,
// resolved here as a browser does; socks4a sends its name for the proxy to resolve. The proxy's
// refusal (reply code 91-93) is the proxy refusing Spotify.
func (p *netPath) dialSOCKS4(ctx context.Context, px *url.URL, target string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(target)
	if err != nil {
		return nil, atStep(failure.StepProxy, fmt.Errorf("SOCKS4 target %q: %w", target, err))
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, atStep(failure.StepProxy, fmt.Errorf("SOCKS4 target port %q: %w", portText, err))
	}
	req := []byte{4, 1, byte(port >> 8), byte(port)}
	addr, isIP := netip.ParseAddr(host)
	var name []byte
	switch {
	case isIP == nil && addr.Unmap().Is4():
		a := addr.Unmap().As4()
		req = append(req, a[:]...)
	case px.Scheme == "socks4a":
		req = append(req, 0, 0, 0, 1) // 0.0.0.x: the name follows the user id
		name = append([]byte(host), 0)
	default:
		addrs, err := p.lookup(ctx, host)
		if err != nil {
			return nil, atStep(failure.StepDNS, err)
		}
		var v4 []byte
		for _, a := range addrs {
			if a.Unmap().Is4() {
				b := a.Unmap().As4()
				v4 = b[:]
				break
			}
		}
		if v4 == nil {
			return nil, atStep(failure.StepProxy, fmt.Errorf("SOCKS4 proxy %s cannot reach %s: it has no IPv4 address", px.Host, host))
		}
		req = append(req, v4...)
	}
	if px.User != nil {
		req = append(req, px.User.Username()...)
	}
	req = append(append(req, 0), name...)

	proxyAddr := px.Host
	if px.Port() == "" {
		proxyAddr = net.JoinHostPort(px.Hostname(), "1080")
	}
	start := time.Now()
	conn, err := p.dialer.DialContext(ctx, "tcp", proxyAddr)
	if err != nil {
		return nil, atStep(failure.StepProxy, p.budgetCut(ctx, start, fmt.Errorf("connecting to SOCKS4 proxy %s: %w", proxyAddr, err)))
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	reply := make([]byte, 8)
	if _, err = conn.Write(req); err == nil {
		_, err = io.ReadFull(conn, reply)
	}
	if err != nil {
		conn.Close()
		return nil, atStep(failure.StepProxy, p.budgetCut(ctx, start, fmt.Errorf("asking SOCKS4 proxy %s for %s: %w", proxyAddr, target, err)))
	}
	if reply[1] != 90 { // 90: granted; 91: rejected; 92, 93: identd failures
		conn.Close()
		return nil, atStep(failure.StepProxy, &failure.ProxyRefusedError{Proxy: px.Redacted()})
	}
	return conn, nil
}

// namedRefusal is a proxy's refusal whose headers name the proxy product (Squid's X-Squid-Error).
type namedRefusal struct {
	product string
	err     error
}

func (e namedRefusal) Error() string { return e.product + ": " + e.err.Error() }
func (e namedRefusal) Unwrap() error { return e.err }
