// Package testworld builds a small Internet on loopback for spotwatch's tests: Spotify (apresolve,
// access points, api, spclient), connectivity references, DNS and DoH resolvers, and the fault
// servers (SNI filter, interception, block pages, a refusing proxy…) that the diagnosis must
// recognise. Everything listens on its own address in a random 127.X.Y.0/24 block on the real
// ports (53, 80, 443, 4070), so the configuration is spotwatch's default with only the resolver,
// the IP-literal references and the trust roots changed. Binding those ports needs root.
//
// A fault is switched on by pointing names at a fault server in the DNS zone, exactly as a
// filtering resolver or a transparent middlebox would.
package testworld

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/testnet"
)

// Host numbers inside the world's /24.
const (
	HostSpotify         = 1  // apresolve, api, spclient over HTTPS
	HostAP1             = 2  // access point ap-gae2.spotify.com: raw TCP on 4070, 443, 80
	HostAP2             = 3  // access point ap-gew1.spotify.com
	HostReferences      = 10 // the plain-HTTP connectivity references
	HostTCPRef1         = 11 // IP-literal TCP references on 443 (.11, .12, .13)
	HostDoH1            = 20 // DoH resolvers (.20, .21)
	HostSNIFilter       = 30 // resets a ClientHello naming Spotify, serves other names
	HostInterceptor     = 31 // HTTPS with a certificate from a "Kaspersky" root the system trusts
	HostResetAfterHello = 32 // resets every ClientHello
	HostPlainOnTLS      = 33 // plain HTTP FortiGuard block page on port 443
	HostBlockPage       = 34 // HTTPS FortiGuard block page under a FortiGate certificate
	HostUnavailable     = 35 // Spotify answering 503 over a good certificate
	HostNothing         = 36 // nothing listens: connections are refused
	HostPortal          = 40 // a captive portal: every HTTP request is redirected
	HostProxy           = 41 // an HTTP proxy that refuses CONNECT to Spotify with 403
	HostDNS             = 53 // the resolver the checks use as the system's
)

// SpotifyNames are the Spotify host names of the world (the default config's).
var spotifyHTTPSNames = []string{"apresolve.spotify.com", "api.spotify.com", "spclient.wg.spotify.com"}

// AccessPoints is what the world's apresolve answers.
var AccessPoints = []string{
	"ap-gae2.spotify.com:4070", "ap-gae2.spotify.com:443", "ap-gae2.spotify.com:80",
	"ap-gew1.spotify.com:4070", "ap-gew1.spotify.com:443", "ap-gew1.spotify.com:80",
}

var referenceNames = []string{"connectivitycheck.gstatic.com", "www.msftconnecttest.com", "captive.apple.com"}

// World is a running loopback Internet. Close stops it.
type World struct {
	Base       netip.Addr    // 127.X.Y.0
	CA         *testnet.CA   // the "public" CA every genuine server's certificate comes from
	Kaspersky  *testnet.CA   // an antivirus root installed in the system store
	Zone       *testnet.Zone // what the system resolver answers; faults change it
	DoHZone    *testnet.Zone // what the public DoH resolvers answer: always the truth
	DNS        *testnet.DNSServer
	Proxy      *testnet.ProxyServer
	Dir        string // temporary files: hosts file, root PEMs, config
	HostsFile  string // an (initially empty) hosts file the checks read
	PublicPEM  string // PEM of the public roots (tls.public_roots)
	SystemPEM  string // PEM of the system store (public CA + antivirus root), for SSL_CERT_FILE
	mu         sync.Mutex
	closers    []func() error
	refClosers []func() error // the internet references, stopped by StopReferences
	apServers  map[string]*testnet.TCPServer
}

// New starts a world with its temporary files under dir.
func New(dir string) (_ *World, err error) {
	// w is not the result: on failure New returns nil, and the deferred Close must still see the
	// half-made world.
	w := &World{Zone: testnet.NewZone(), DoHZone: testnet.NewZone(), Dir: dir, apServers: map[string]*testnet.TCPServer{}}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("testworld: choosing the world's addresses: %w", err)
	}
	w.Base = netip.AddrFrom4([4]byte{127, 100 + b[0]%150, b[1], 0})
	if w.CA, err = testnet.NewCA("spotwatch test public root", "spotwatch tests"); err != nil {
		return nil, fmt.Errorf("testworld: the public CA: %w", err)
	}
	if w.Kaspersky, err = testnet.NewCA("Kaspersky Anti-Virus Personal Root Certificate", "AO Kaspersky Lab"); err != nil {
		return nil, fmt.Errorf("testworld: the intercepting CA: %w", err)
	}
	if err := w.writeFiles(); err != nil {
		return nil, fmt.Errorf("testworld: %w", err)
	}
	w.setTruth(w.Zone)
	w.setTruth(w.DoHZone)
	for _, start := range []func() error{w.startDNS, w.startSpotify, w.startReferences, w.startFaults} {
		if err := start(); err != nil {
			return nil, fmt.Errorf("testworld: %w", err)
		}
	}
	return w, nil
}

// Addr returns the address of host n in the world.
func (w *World) Addr(n int) netip.Addr {
	a := w.Base.As4()
	a[3] = byte(n)
	return netip.AddrFrom4(a)
}

// HostPort returns "127.X.Y.n:port".
func (w *World) HostPort(n, port int) string {
	return netip.AddrPortFrom(w.Addr(n), uint16(port)).String()
}

// setTruth fills a zone with the world's genuine addresses.
func (w *World) setTruth(z *testnet.Zone) {
	for _, name := range spotifyHTTPSNames {
		z.SetA(name, w.Addr(HostSpotify))
	}
	z.SetA("ap.spotify.com", w.Addr(HostAP1))
	z.SetA("ap-gae2.spotify.com", w.Addr(HostAP1))
	z.SetA("ap-gew1.spotify.com", w.Addr(HostAP2))
	for _, name := range referenceNames {
		z.SetA(name, w.Addr(HostReferences))
	}
}

// Config returns spotwatch's default configuration aimed at this world.
func (w *World) Config() *config.Config {
	cfg := config.Default()
	cfg.DNS.Server = w.HostPort(HostDNS, 53)
	cfg.Internet.TCP = []string{w.HostPort(HostTCPRef1, 443), w.HostPort(HostTCPRef1+1, 443), w.HostPort(HostTCPRef1+2, 443)}
	cfg.Internet.DoH = []string{"https://" + w.Addr(HostDoH1).String() + "/dns-query", "https://" + w.Addr(HostDoH1+1).String() + "/dns-query"}
	cfg.HostsFile = w.HostsFile
	cfg.TLS.PublicRoots = w.PublicPEM
	return cfg
}

// WriteConfig writes the world's configuration as a YAML file and returns its path.
func (w *World) WriteConfig(extra string) (string, error) {
	cfg := w.Config()
	var b strings.Builder
	fmt.Fprintf(&b, "dns:\n  server: %q\n", cfg.DNS.Server)
	fmt.Fprintf(&b, "internet:\n  tcp: [%s]\n  doh: [%s]\n", quoteAll(cfg.Internet.TCP), quoteAll(cfg.Internet.DoH))
	fmt.Fprintf(&b, "hosts_file: %q\ntls:\n  public_roots: %q\n", cfg.HostsFile, cfg.TLS.PublicRoots)
	b.WriteString(extra)
	path := filepath.Join(w.Dir, "spotwatch.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// SystemRoots is the pool a check uses as the system store: the public CA and the antivirus root.
func (w *World) SystemRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(w.CA.Certificate())
	pool.AddCert(w.Kaspersky.Certificate())
	return pool
}

// PointSpotify makes the system resolver answer Spotify's HTTPS names (and, with aps, the
// access points too) with host n: a transparent middlebox or a DNS redirect to a fault server.
func (w *World) PointSpotify(n int, aps bool) {
	for _, name := range spotifyHTTPSNames {
		w.Zone.SetA(name, w.Addr(n))
	}
	if aps {
		for _, name := range []string{"ap.spotify.com", "ap-gae2.spotify.com", "ap-gew1.spotify.com"} {
			w.Zone.SetA(name, w.Addr(n))
		}
	}
}

// PointEverything makes the system resolver answer every name with host n (a captive portal).
func (w *World) PointEverything(n int) {
	w.PointSpotify(n, true)
	for _, name := range referenceNames {
		w.Zone.SetA(name, w.Addr(n))
	}
}

// StopAccessPoint stops the world's access points on port (e.g. 4070): a firewall that
// blocks that port only.
func (w *World) StopAccessPoint(port int) error {
	for _, host := range []int{HostAP1, HostAP2} {
		addr := w.HostPort(host, port)
		w.mu.Lock()
		srv := w.apServers[addr]
		delete(w.apServers, addr)
		w.mu.Unlock()
		if srv != nil {
			if err := srv.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

// StopReferences stops every internet reference (HTTP, TCP and DoH): the internet is down.
func (w *World) StopReferences() error { return w.refsDown() }

func (w *World) refsDown() error {
	w.mu.Lock()
	closers := w.refClosers
	w.refClosers = nil
	w.mu.Unlock()
	var firstErr error
	for _, c := range closers {
		if err := c(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// Close stops every server.
func (w *World) Close() error {
	w.mu.Lock()
	closers := w.closers
	w.closers = nil
	servers := w.apServers
	w.apServers = map[string]*testnet.TCPServer{}
	w.mu.Unlock()
	var firstErr error
	for _, s := range servers {
		if err := s.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (w *World) onClose(f func() error) {
	w.mu.Lock()
	w.closers = append(w.closers, f)
	w.mu.Unlock()
}

func (w *World) listen(n, port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", w.HostPort(n, port))
	if err != nil {
		return nil, fmt.Errorf("listening on %s (binding ports below 1024 needs root): %w", w.HostPort(n, port), err)
	}
	return ln, nil
}

func (w *World) writeFiles() error {
	w.HostsFile = filepath.Join(w.Dir, "hosts")
	w.PublicPEM = filepath.Join(w.Dir, "public-roots.pem")
	w.SystemPEM = filepath.Join(w.Dir, "system-roots.pem")
	system := append(append([]byte{}, w.CA.PEM()...), w.Kaspersky.PEM()...)
	for path, data := range map[string][]byte{
		w.HostsFile: []byte("127.0.0.1 localhost\n"),
		w.PublicPEM: w.CA.PEM(),
		w.SystemPEM: system,
	} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// WriteHosts replaces the world's hosts file.
func (w *World) WriteHosts(content string) error {
	return os.WriteFile(w.HostsFile, []byte(content), 0o644)
}

func (w *World) startDNS() error {
	udp, err := net.ListenPacket("udp", w.HostPort(HostDNS, 53))
	if err != nil {
		return fmt.Errorf("listening for DNS (needs root): %w", err)
	}
	tcp, err := w.listen(HostDNS, 53)
	if err != nil {
		udp.Close()
		return err
	}
	if w.DNS, err = testnet.StartDNSZone(w.Zone, udp, tcp); err != nil {
		return err
	}
	w.onClose(w.DNS.Close)
	return nil
}

func (w *World) startSpotify() error {
	cert, err := w.CA.Issue(append(spotifyHTTPSNames, "*.spotify.com"), nil)
	if err != nil {
		return err
	}
	if err := w.startHTTPS(HostSpotify, cert, testnet.SpotifyHandler(AccessPoints)); err != nil {
		return err
	}
	for _, host := range []int{HostAP1, HostAP2} {
		for _, port := range []int{4070, 443, 80} {
			ln, err := w.listen(host, port)
			if err != nil {
				return err
			}
			srv, err := testnet.StartTCP(ln, testnet.Accept)
			if err != nil {
				return err
			}
			w.mu.Lock()
			w.apServers[w.HostPort(host, port)] = srv
			w.mu.Unlock()
		}
	}
	return nil
}

func (w *World) startReferences() error {
	ln, err := w.listen(HostReferences, 80)
	if err != nil {
		return err
	}
	httpRef, err := testnet.StartHTTP(ln, testnet.ReferenceHandler())
	if err != nil {
		return err
	}
	w.refClosers = append(w.refClosers, httpRef.Close)
	for i := range 3 {
		ln, err := w.listen(HostTCPRef1+i, 443)
		if err != nil {
			return err
		}
		srv, err := testnet.StartTCP(ln, testnet.Accept)
		if err != nil {
			return err
		}
		w.refClosers = append(w.refClosers, srv.Close)
	}
	for i := range 2 {
		ip := w.Addr(HostDoH1 + i)
		cert, err := w.CA.Issue(nil, []net.IP{ip.AsSlice()})
		if err != nil {
			return err
		}
		ln, err := w.listen(HostDoH1+i, 443)
		if err != nil {
			return err
		}
		doh, err := testnet.StartDoH(ln, cert, w.DoHZone)
		if err != nil {
			return err
		}
		w.refClosers = append(w.refClosers, doh.Close)
	}
	w.onClose(w.refsDown)
	return nil
}

func (w *World) startFaults() error {
	sni, err := w.listen(HostSNIFilter, 443)
	if err != nil {
		return err
	}
	sniSrv, err := testnet.StartSNIFilter(sni, w.CA, "spotify", testnet.SpotifyHandler(AccessPoints))
	if err != nil {
		return err
	}
	w.onClose(sniSrv.Close)

	kasperskyCert, err := w.Kaspersky.Issue(append(spotifyHTTPSNames, "*.spotify.com"), nil)
	if err != nil {
		return err
	}
	if err := w.startHTTPS(HostInterceptor, kasperskyCert, testnet.SpotifyHandler(AccessPoints)); err != nil {
		return err
	}

	reset, err := w.listen(HostResetAfterHello, 443)
	if err != nil {
		return err
	}
	resetSrv, err := testnet.StartHello(reset, testnet.ResetAfterHello)
	if err != nil {
		return err
	}
	w.onClose(resetSrv.Close)

	status, header, body, err := testnet.BlockPageFor(testnet.BlockFortiGuard, "https://api.spotify.com/v1/me")
	if err != nil {
		return err
	}
	plain, err := w.listen(HostPlainOnTLS, 443)
	if err != nil {
		return err
	}
	plainSrv, err := testnet.StartPlainHTTP(plain, status, header, body)
	if err != nil {
		return err
	}
	w.onClose(plainSrv.Close)

	fortigate, err := testnet.NewCA("FortiGate CA", "Fortinet")
	if err != nil {
		return err
	}
	blockCert, err := fortigate.Issue(append(spotifyHTTPSNames, "*.spotify.com"), nil)
	if err != nil {
		return err
	}
	if err := w.startHTTPS(HostBlockPage, blockCert, testnet.BlockPageHandler(testnet.BlockFortiGuard)); err != nil {
		return err
	}

	goodCert, err := w.CA.Issue(append(spotifyHTTPSNames, "*.spotify.com"), nil)
	if err != nil {
		return err
	}
	if err := w.startHTTPS(HostUnavailable, goodCert, testnet.StatusHandler(http.StatusServiceUnavailable)); err != nil {
		return err
	}

	portal, err := w.listen(HostPortal, 80)
	if err != nil {
		return err
	}
	portalSrv, err := testnet.StartHTTP(portal, testnet.PortalHandler("http://portal.example/login"))
	if err != nil {
		return err
	}
	w.onClose(portalSrv.Close)

	proxyLn, err := w.listen(HostProxy, 3128)
	if err != nil {
		return err
	}
	resolver := w.DNS.Resolver()
	dialer := &net.Dialer{Resolver: resolver}
	if w.Proxy, err = testnet.StartProxy(proxyLn, dialer.DialContext); err != nil {
		return err
	}
	w.Proxy.Deny("spotify.com")
	w.onClose(w.Proxy.Close)
	return nil
}

func (w *World) startHTTPS(n int, cert tls.Certificate, h http.Handler) error {
	ln, err := w.listen(n, 443)
	if err != nil {
		return err
	}
	srv, err := testnet.StartHTTPS(ln, cert, h)
	if err != nil {
		return err
	}
	w.onClose(srv.Close)
	return nil
}

// ProxyURL is the URL of the world's proxy.
func (w *World) ProxyURL() string { return "http://" + w.HostPort(HostProxy, 3128) }

// Resolve answers name from the world's system resolver (for tests' own assertions).
func (w *World) Resolve(ctx context.Context, name string) ([]string, error) {
	return w.DNS.Resolver().LookupHost(ctx, name)
}
