//go:build linux

package labworld

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/testnet"
)

// What the client itself sees, asked from the client namespace through the router: the
// world's proof that it is healthy, and a scenario's proof that its fault is in place.

// patience is how long one of these looks may take; inside the lab answers take milliseconds.
const patience = 3 * time.Second

// Resolve asks the client's DNS server (over UDP, from the client) for name's A records.
func (w *World) Resolve(ctx context.Context, name string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	conn, err := w.Lab.DialFromClient(ctx, "udp4", lab.Addr(w.Plan.DNS, 53))
	if err != nil {
		return nil, fmt.Errorf("reaching the DNS server from the client: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(name), dns.TypeA)
	dc := &dns.Conn{Conn: conn}
	if err := dc.WriteMsg(msg); err != nil {
		return nil, fmt.Errorf("asking the DNS server for %s: %w", name, err)
	}
	resp, err := dc.ReadMsg()
	if err != nil {
		return nil, fmt.Errorf("reading the DNS answer for %s: %w", name, err)
	}
	return resp, nil
}

// ResolveA returns the A records the client's DNS server gives for name, or an error naming
// the RCODE when it gives none.
func (w *World) ResolveA(ctx context.Context, name string) ([]netip.Addr, error) {
	resp, err := w.Resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	if resp.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%s: %s", name, dns.RcodeToString[resp.Rcode])
	}
	var addrs []netip.Addr
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			if ip, ok := netip.AddrFromSlice(a.A); ok {
				addrs = append(addrs, ip.Unmap())
			}
		}
	}
	return addrs, nil
}

// Answer is what one GET from the client got.
type Answer struct {
	Status int
	Header http.Header
	Body   string
	Issuer string // the leaf certificate's issuer CN, for HTTPS
}

// Get fetches rawURL from the client, connecting to at (ip:port) whatever the URL's host
// resolves to. HTTPS is verified against roots, or not at all when roots is nil.
func (w *World) Get(ctx context.Context, at netip.AddrPort, rawURL string, roots *x509.CertPool) (Answer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Answer{}, err
	}
	var issuer string
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return w.Lab.DialFromClient(ctx, "tcp4", at.String())
		},
		TLSClientConfig:   &tls.Config{ServerName: u.Hostname(), RootCAs: roots, InsecureSkipVerify: roots == nil},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: patience, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Answer{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("GET %s at %v from the client: %w", rawURL, at, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Answer{}, fmt.Errorf("reading %s at %v: %w", rawURL, at, err)
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		issuer = resp.TLS.PeerCertificates[0].Issuer.CommonName
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Issuer: issuer}, nil
}

// Connect opens a TCP connection from the client to at and closes it.
func (w *World) Connect(ctx context.Context, at netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	c, err := w.Lab.DialFromClient(ctx, "tcp4", at.String())
	if err != nil {
		return fmt.Errorf("connecting from the client to %v: %w", at, err)
	}
	return c.Close()
}

// ProxyConnect asks the proxy, from the client, for a tunnel to target (host:port) and returns
// the proxy's status.
func (w *World) ProxyConnect(ctx context.Context, target string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	c, err := w.Lab.DialFromClient(ctx, "tcp4", lab.Addr(w.Plan.Proxy, ProxyPort))
	if err != nil {
		return 0, fmt.Errorf("reaching the proxy from the client: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if err := req.Write(c); err != nil {
		return 0, fmt.Errorf("sending CONNECT %s: %w", target, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		return 0, fmt.Errorf("reading the proxy's answer to CONNECT %s: %w", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ClientHostsFile is the client's /etc/hosts as commands in the client namespace read it.
func (w *World) ClientHostsFile(ctx context.Context) (string, error) {
	out, err := w.Lab.Command(ctx, "cat", "/etc/hosts").Output()
	if err != nil {
		return "", fmt.Errorf("reading the client's /etc/hosts: %w", err)
	}
	return string(out), nil
}

// Healthy proves, from the client, that the world is as it should be with no fault: the DNS
// server tells the truth, Spotify answers over the public CA, the access points and references
// accept, the DoH resolvers answer, the portal and block page are in place but unused, the
// client has its default route via eth0, no proxy and no Spotify name in its hosts file. It
// returns every discrepancy.
func (w *World) Healthy(ctx context.Context) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	p := w.Plan
	truth := map[string]netip.Addr{}
	for _, n := range spotifyHTTPSNames {
		truth[n] = p.Spotify
	}
	for _, n := range accessPointNames {
		truth[n] = p.AccessPoint
	}
	for _, n := range referenceNames {
		truth[n] = p.HTTPRef
	}
	for name, want := range truth {
		got, err := w.ResolveA(ctx, name)
		if err != nil || !slices.Equal(got, []netip.Addr{want}) {
			bad("DNS %s = %v (%v), want %v", name, got, err, want)
		}
	}
	spotify := netip.AddrPortFrom(p.Spotify, 443)
	for _, u := range []string{"https://api.spotify.com/v1/me", "https://spclient.wg.spotify.com/", "https://apresolve.spotify.com/?type=accesspoint"} {
		a, err := w.Get(ctx, spotify, u, w.CA.Pool())
		switch {
		case err != nil:
			bad("%v", err)
		case a.Status >= 500:
			bad("GET %s: HTTP %d", u, a.Status)
		case strings.HasPrefix(u, "https://apresolve") && !strings.Contains(a.Body, accessPoints[0]):
			bad("apresolve answered %q", a.Body)
		}
	}
	for _, port := range []uint16{4070, 443, 80} {
		if err := w.Connect(ctx, netip.AddrPortFrom(p.AccessPoint, port)); err != nil {
			bad("access point: %v", err)
		}
	}
	if a, err := w.Get(ctx, netip.AddrPortFrom(p.HTTPRef, 80), "http://connectivitycheck.gstatic.com/generate_204", nil); err != nil || a.Status != http.StatusNoContent {
		bad("generate_204: %+v %v", a.Status, err)
	}
	for _, ref := range p.TCPRefs {
		if err := w.dohAnswers(ctx, ref); err != nil {
			bad("%v", err)
		}
	}
	if a, err := w.Get(ctx, netip.AddrPortFrom(p.Portal, 80), "http://captive.apple.com/hotspot-detect.html", nil); err != nil || a.Status != http.StatusFound {
		bad("captive portal: %v %v", a.Status, err)
	}
	if code, err := w.ProxyConnect(ctx, "api.spotify.com:443"); err != nil || code != http.StatusForbidden {
		bad("proxy: CONNECT api.spotify.com:443 answered %d (%v), want 403", code, err)
	}
	if up := w.Lab.Uplink(); up != "eth0" {
		bad("the client's uplink is %s, want eth0", up)
	}
	if out, err := w.Lab.Command(ctx, "ip", "-4", "route", "show", "default").Output(); err != nil || !strings.Contains(string(out), "default via "+p.RouterClient.String()) {
		bad("the client's default route: %q %v", out, err)
	}
	if hosts, err := w.ClientHostsFile(ctx); err != nil || strings.Contains(hosts, "spotify") {
		bad("the client's hosts file: %q %v", hosts, err)
	}
	for _, kv := range w.Lab.Env() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasSuffix(strings.ToLower(k), "_proxy") {
			bad("the client's environment sets %s", kv)
		}
	}
	if bundle, err := os.ReadFile(w.sslCertFile()); err != nil || !bytes.Equal(bundle, w.CA.PEM()) {
		bad("the client's trust store is not the public CA alone (%v)", err)
	}
	return errors.Join(errs...)
}

// dohAnswers asks the DoH resolver at ip for api.spotify.com from the client, verifying its
// certificate against the public CA.
func (w *World) dohAnswers(ctx context.Context, ip netip.Addr) error {
	msg := new(dns.Msg)
	msg.SetQuestion("api.spotify.com.", dns.TypeA)
	wire, err := msg.Pack()
	if err != nil {
		return err
	}
	u := "https://" + ip.String() + testnet.DoHPath + "?dns=" + base64.RawURLEncoding.EncodeToString(wire)
	a, err := w.Get(ctx, netip.AddrPortFrom(ip, 443), u, w.CA.Pool())
	if err != nil {
		return err
	}
	answer := new(dns.Msg)
	if a.Status != http.StatusOK || answer.Unpack([]byte(a.Body)) != nil || len(answer.Answer) != 1 {
		return fmt.Errorf("DoH %v: HTTP %d, answer %v", ip, a.Status, answer.Answer)
	}
	return nil
}

func (w *World) sslCertFile() string {
	for _, kv := range w.Lab.Env() {
		if v, ok := strings.CutPrefix(kv, "SSL_CERT_FILE="); ok {
			return v
		}
	}
	return filepath.Join(w.Lab.Dir(), "no-ssl-cert-file")
}
