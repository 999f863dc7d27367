//go:build linux

// Package labworld runs a small Internet inside a network-namespace lab (internal/lab):
// Spotify (apresolve, api and spclient over HTTPS, raw-TCP access points), the connectivity
// references (plain HTTP by name, TCP 443 and DNS-over-HTTPS by IP), the client's DNS server,
// and the servers some faults send traffic to (a captive portal, a proxy that refuses Spotify,
// a TLS-intercepting server, a block-page server). Every server is a real one from
// internal/testnet, listening on its lab.Plan address in the servers namespace, so a spotwatch
// binary run in the client namespace reaches it through the lab's router, where faults are
// injected.
//
// Addresses (lab.DefaultPlan):
//
//	203.0.113.10  Spotify HTTPS 443 (apresolve.spotify.com, api.spotify.com, spclient.wg.spotify.com)
//	203.0.113.11  access points ap.spotify.com and ap-gae2.spotify.com: raw TCP 4070, 443, 80
//	203.0.113.20-22  TCP 443 references, each also a DoH resolver (the first two are configured)
//	203.0.113.30  plain-HTTP references (connectivitycheck.gstatic.com, www.msftconnecttest.com, captive.apple.com)
//	203.0.113.40  captive portal on 80 (target of lab.RedirectHTTP)
//	203.0.113.41  HTTP proxy on 3128 that answers 403 to CONNECT to spotify.com
//	203.0.113.42  TLS-intercepting server on 443: Spotify's answers under an inspection CA's certificate
//	203.0.113.43  FortiGuard block page over HTTPS on 443 (FortiGate CA) and plain HTTP on 80
//	203.0.113.53  the client's DNS server (UDP and TCP 53), named by the client's resolv.conf
//
// The client's resolver answers from Zone, which faults change; the DoH references answer from
// DoHZone, which always tells the truth. Spotify's CA is trusted through SSL_CERT_FILE (as an
// OS's store would trust a public CA) and listed in tls.public_roots; the inspection CA is
// trusted only when a scenario says so (TrustInterceptor).
package labworld

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/testnet"
)

// Names of the world.
var (
	// spotifyHTTPSNames are served by Spotify's HTTPS server.
	spotifyHTTPSNames = []string{"apresolve.spotify.com", "api.spotify.com", "spclient.wg.spotify.com"}
	// accessPointNames are the access points' names: the configured fallback and what
	// apresolve answers.
	accessPointNames = []string{"ap.spotify.com", "ap-gae2.spotify.com"}
	// accessPoints is what the world's apresolve answers.
	accessPoints = []string{"ap-gae2.spotify.com:4070", "ap-gae2.spotify.com:443", "ap-gae2.spotify.com:80"}
	// referenceNames are the hosts of the default plain-HTTP references.
	referenceNames = []string{"connectivitycheck.gstatic.com", "www.msftconnecttest.com", "captive.apple.com"}
)

// SpotifyNames are every Spotify name the world knows.
func SpotifyNames() []string {
	return append(append([]string{}, spotifyHTTPSNames...), accessPointNames...)
}

// ProxyPort is the proxy's port.
const ProxyPort = 3128

// PortalLogin is where the captive portal sends every request.
const PortalLogin = "http://portal.lab.example/login"

// World is a running lab Internet. Close stops its servers (the lab closes their listeners too).
type World struct {
	Lab          *lab.Lab
	Plan         lab.Plan
	CA           *testnet.CA        // the "public" CA of every genuine server
	InspectionCA *testnet.CA        // the intercepting server's CA (a corporate TLS-inspection root)
	FortiGate    *testnet.CA        // the block-page server's CA
	Zone         *testnet.Zone      // what the client's DNS server answers; faults change it
	DoHZone      *testnet.Zone      // what the DoH references answer: always the truth
	DNS          *testnet.DNSServer // the client's DNS server
	Proxy        *testnet.ProxyServer
	Dir          string // the world's files: public roots, config, the client's HOME
	PublicPEM    string // the public CA's PEM (tls.public_roots)
	ConfigFile   string // spotwatch's configuration for this world (WriteConfig rewrites it)

	spotify atomic.Pointer[http.Handler] // what Spotify's HTTPS server answers with now
	mu      sync.Mutex
	closers []func() error
}

// Start starts every server of the world in l's servers namespace, trusts the public CA in the
// client (SSL_CERT_FILE), gives the client an empty HOME and writes the configuration file.
func Start(ctx context.Context, l *lab.Lab) (w *World, err error) {
	w = &World{Lab: l, Plan: l.Plan(), Zone: testnet.NewZone(), DoHZone: testnet.NewZone(), Dir: filepath.Join(l.Dir(), "world")}
	defer func() {
		if err != nil {
			w.Close()
			w = nil
		}
	}()
	if err := os.MkdirAll(filepath.Join(w.Dir, "home"), 0o755); err != nil {
		return nil, fmt.Errorf("creating the world's directory: %w", err)
	}
	for _, c := range []struct {
		ca      **testnet.CA
		cn, org string
	}{
		{&w.CA, "spotwatch lab public root", "spotwatch lab"},
		{&w.InspectionCA, "Example Corp TLS Inspection CA", "Example Corp"},
		{&w.FortiGate, "FortiGate CA", "Fortinet"},
	} {
		if *c.ca, err = testnet.NewCA(c.cn, c.org); err != nil {
			return nil, fmt.Errorf("creating the %s: %w", c.cn, err)
		}
	}
	w.PublicPEM = filepath.Join(w.Dir, "public-roots.pem")
	if err := os.WriteFile(w.PublicPEM, w.CA.PEM(), 0o644); err != nil {
		return nil, fmt.Errorf("writing the public roots: %w", err)
	}
	setTruth(w.Zone, w.Plan)
	setTruth(w.DoHZone, w.Plan)
	w.SetSpotifyHandler(nil)
	for _, start := range []func() error{w.startDNS, w.startSpotify, w.startReferences, w.startFaultServers} {
		if err := start(); err != nil {
			return nil, err
		}
	}
	if err := w.TrustInterceptor(false); err != nil {
		return nil, err
	}
	l.SetEnv("HOME", filepath.Join(w.Dir, "home"))
	l.SetEnv("XDG_CONFIG_HOME", filepath.Join(w.Dir, "home", ".config"))
	if _, err := w.WriteConfig(""); err != nil {
		return nil, err
	}
	return w, nil
}

// setTruth fills z with the world's genuine addresses.
func setTruth(z *testnet.Zone, p lab.Plan) {
	for _, name := range spotifyHTTPSNames {
		z.SetA(name, p.Spotify)
	}
	for _, name := range accessPointNames {
		z.SetA(name, p.AccessPoint)
	}
	for _, name := range referenceNames {
		z.SetA(name, p.HTTPRef)
	}
}

// Close stops the world's servers.
func (w *World) Close() error {
	w.mu.Lock()
	closers := w.closers
	w.closers = nil
	w.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (w *World) onClose(f func() error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closers = append(w.closers, f)
}

// ConfigYAML is spotwatch's configuration for the world: the defaults with the references,
// DoH resolvers and public roots of the lab. dns.server stays unset: the client's resolver is
// its resolv.conf, as on a real machine.
func (w *World) ConfigYAML() string {
	var tcp, doh []string
	for _, a := range w.Plan.TCPRefs {
		tcp = append(tcp, fmt.Sprintf("%q", lab.Addr(a, 443)))
	}
	for _, a := range w.Plan.TCPRefs[:2] {
		doh = append(doh, fmt.Sprintf("%q", "https://"+a.String()+testnet.DoHPath))
	}
	return fmt.Sprintf("internet:\n  tcp: [%s]\n  doh: [%s]\ntls:\n  public_roots: %q\n",
		strings.Join(tcp, ", "), strings.Join(doh, ", "), w.PublicPEM)
}

// WriteConfig writes ConfigYAML plus extra (more top-level keys) as the world's configuration
// file and returns its path.
func (w *World) WriteConfig(extra string) (string, error) {
	path := filepath.Join(w.Dir, "spotwatch.yaml")
	if err := os.WriteFile(path, []byte(w.ConfigYAML()+extra), 0o644); err != nil {
		return "", fmt.Errorf("writing the world's configuration: %w", err)
	}
	w.ConfigFile = path
	return path, nil
}

// SetSpotifyHandler makes Spotify's HTTPS servers answer with h; nil restores Spotify's own
// answers (testnet.SpotifyHandler).
func (w *World) SetSpotifyHandler(h http.Handler) {
	if h == nil {
		h = testnet.SpotifyHandler(accessPoints)
	}
	w.spotify.Store(&h)
}

// TrustInterceptor puts the inspection CA into the client's trust store (SSL_CERT_FILE) beside
// the public CA, as a corporate device or an antivirus does, or takes it out again.
func (w *World) TrustInterceptor(trusted bool) error {
	pem := w.CA.PEM()
	if trusted {
		pem = append(append([]byte{}, pem...), w.InspectionCA.PEM()...)
	}
	_, err := w.Lab.TrustCA(pem)
	return err
}

// PointSpotify makes the client's DNS server answer every Spotify name with addr, as a
// filtering resolver that sends blocked names to its block page does.
func (w *World) PointSpotify(addr netip.Addr) {
	for _, name := range SpotifyNames() {
		w.Zone.SetA(name, addr)
	}
}

// SpotifyDNS makes the client's DNS server answer every Spotify name (spotify.com and below)
// with mode; the DoH references still tell the truth.
func (w *World) SpotifyDNS(mode testnet.Mode) { w.Zone.SetModeSuffix("spotify.com", mode) }

// ResetDNS makes the client's DNS server tell the truth again.
func (w *World) ResetDNS() {
	w.Zone.SetModeSuffix("spotify.com", testnet.Answer)
	setTruth(w.Zone, w.Plan)
}

// ProxyURL is the proxy's URL, for HTTPS_PROXY.
func (w *World) ProxyURL() string { return "http://" + lab.Addr(w.Plan.Proxy, ProxyPort) }

// listen opens a TCP listener on addr:port in the servers namespace.
func (w *World) listen(addr netip.Addr, port uint16) (net.Listener, error) {
	return w.Lab.Listen(lab.Servers, "tcp4", lab.Addr(addr, port))
}

func (w *World) startDNS() error {
	addr := lab.Addr(w.Plan.DNS, 53)
	udp, err := w.Lab.ListenPacket(lab.Servers, "udp4", addr)
	if err != nil {
		return err
	}
	tcp, err := w.Lab.Listen(lab.Servers, "tcp4", addr)
	if err != nil {
		return err
	}
	if w.DNS, err = testnet.StartDNSZone(w.Zone, udp, tcp); err != nil {
		return fmt.Errorf("starting the client's DNS server: %w", err)
	}
	w.onClose(w.DNS.Close)
	return nil
}

// spotifyCertNames are the names of every Spotify certificate in the world.
var spotifyCertNames = append(append([]string{}, spotifyHTTPSNames...), "*.spotify.com")

func (w *World) startSpotify() error {
	cert, err := w.CA.Issue(spotifyCertNames, nil)
	if err != nil {
		return fmt.Errorf("issuing Spotify's certificate: %w", err)
	}
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { (*w.spotify.Load()).ServeHTTP(rw, r) })
	if err := w.startHTTPS(w.Plan.Spotify, cert, h); err != nil {
		return err
	}
	for _, port := range []uint16{4070, 443, 80} {
		ln, err := w.listen(w.Plan.AccessPoint, port)
		if err != nil {
			return err
		}
		srv, err := testnet.StartTCP(ln, testnet.Accept)
		if err != nil {
			return fmt.Errorf("starting the access point on port %d: %w", port, err)
		}
		w.onClose(srv.Close)
	}
	return nil
}

func (w *World) startReferences() error {
	ln, err := w.listen(w.Plan.HTTPRef, 80)
	if err != nil {
		return err
	}
	ref, err := testnet.StartHTTP(ln, testnet.ReferenceHandler())
	if err != nil {
		return fmt.Errorf("starting the HTTP references: %w", err)
	}
	w.onClose(ref.Close)
	for _, a := range w.Plan.TCPRefs {
		cert, err := w.CA.Issue(nil, []net.IP{a.AsSlice()})
		if err != nil {
			return fmt.Errorf("issuing the certificate of DoH resolver %v: %w", a, err)
		}
		ln, err := w.listen(a, 443)
		if err != nil {
			return err
		}
		doh, err := testnet.StartDoH(ln, cert, w.DoHZone)
		if err != nil {
			return fmt.Errorf("starting DoH resolver %v: %w", a, err)
		}
		w.onClose(doh.Close)
	}
	return nil
}

func (w *World) startFaultServers() error {
	ln, err := w.listen(w.Plan.Portal, 80)
	if err != nil {
		return err
	}
	portal, err := testnet.StartHTTP(ln, testnet.PortalHandler(PortalLogin))
	if err != nil {
		return fmt.Errorf("starting the captive portal: %w", err)
	}
	w.onClose(portal.Close)

	if ln, err = w.listen(w.Plan.Proxy, ProxyPort); err != nil {
		return err
	}
	if w.Proxy, err = testnet.StartProxy(ln, w.dialUpstream); err != nil {
		return fmt.Errorf("starting the proxy: %w", err)
	}
	w.Proxy.Deny("spotify.com")
	w.onClose(w.Proxy.Close)

	inspected, err := w.InspectionCA.Issue(spotifyCertNames, nil)
	if err != nil {
		return fmt.Errorf("issuing the interception certificate: %w", err)
	}
	if err := w.startHTTPS(w.Plan.Interceptor, inspected, testnet.SpotifyHandler(accessPoints)); err != nil {
		return err
	}

	blockCert, err := w.FortiGate.Issue(spotifyCertNames, nil)
	if err != nil {
		return fmt.Errorf("issuing the block page's certificate: %w", err)
	}
	if err := w.startHTTPS(w.Plan.BlockPage, blockCert, testnet.BlockPageHandler(testnet.BlockFortiGuard)); err != nil {
		return err
	}
	if ln, err = w.listen(w.Plan.BlockPage, 80); err != nil {
		return err
	}
	plain, err := testnet.StartHTTP(ln, testnet.BlockPageHandler(testnet.BlockFortiGuard))
	if err != nil {
		return fmt.Errorf("starting the plain-HTTP block page: %w", err)
	}
	w.onClose(plain.Close)
	return nil
}

func (w *World) startHTTPS(addr netip.Addr, cert tls.Certificate, h http.Handler) error {
	ln, err := w.listen(addr, 443)
	if err != nil {
		return err
	}
	srv, err := testnet.StartHTTPS(ln, cert, h)
	if err != nil {
		return fmt.Errorf("starting HTTPS on %v: %w", addr, err)
	}
	w.onClose(srv.Close)
	return nil
}

// dialUpstream is the proxy's way out: it resolves names as the world's resolver does and
// dials from the servers namespace, where the upstreams live.
func (w *World) dialUpstream(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("proxy upstream %q: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		mode, addrs := w.Zone.ModeOf(host)
		ip = netip.Addr{}
		for _, a := range addrs {
			if a.Is4() && mode == testnet.Answer {
				ip = a
				break
			}
		}
		if !ip.IsValid() {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
	}
	return w.Lab.Dial(ctx, lab.Servers, "tcp4", net.JoinHostPort(ip.String(), port))
}
