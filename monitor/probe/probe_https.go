package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// neutralSNI is the server name of the SNI cross-check: a name no filter blocks.
const neutralSNI = "example.org"

// probeCurves are the key exchanges a probe offers: X25519 first, as browsers did before the
// post-quantum hybrids, and P-256. The hybrid X25519MLKEM768 that Go offers by default adds
// over 1 KB to every ClientHello and ServerHello and most of a handshake's CPU; a reachability
// probe protects no secret that would need it.
var probeCurves = []tls.CurveID{tls.X25519, tls.CurveP256}

// trust holds the two root pools a Spotify certificate is judged against.
type trust struct {
	system *x509.CertPool // nil = the OS's verifier
	public *publicRoots   // Mozilla's roots plus tls.public_roots
}

// httpsResult is what one HTTPS fetch saw; body is kept for callers that parse it (apresolve).
// neutral is the neutral-SNI control a silent handshake got (handshake.go), if any.
type httpsResult struct {
	probe   diagnosis.Probe
	body    []byte
	neutral *diagnosis.Probe
}

// fetchHTTPS does a TLS handshake with u's host at ip (or through the proxy px when ip is
// empty), judges the certificate against both root pools, then sends one GET with no redirects
// and reads a capped body. It reads the answer even over a certificate it does not trust, so a
// block page behind an interception certificate can be recognised; nothing secret is sent.
func fetchHTTPS(ctx context.Context, path *netPath, tr trust, px *url.URL, u *url.URL, ip string, role diagnosis.Role) httpsResult {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	p := diagnosis.Probe{Name: "https " + u.String(), Kind: diagnosis.KindHTTPS, Role: role, Target: u.String(), Detail: diagnosis.Detail{SNI: host}}
	var body []byte
	var neutral *diagnosis.Probe
	timed(&p, func() error {
		var raw net.Conn
		var err error
		if ip == "" {
			p.Detail.Via = px.Redacted()
			raw, err = path.dialSpotifyVia(ctx, px, net.JoinHostPort(host, port))
		} else {
			p.Detail.Addr, p.Detail.Family = net.JoinHostPort(ip, port), familyOf(ip)
			raw, err = path.dialSpotify(ctx, p.Detail.Addr)
		}
		if err != nil {
			return err
		}
		conn := &countingConn{Conn: raw}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		tlsConn := tls.Client(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}, CurvePreferences: probeCurves})
		if ip == "" {
			err = tlsConn.HandshakeContext(ctx) // through a proxy the address is the proxy's: no control
		} else {
			neutral, err = handshakeWatched(ctx, path, tlsConn, conn, p.Detail.Addr)
		}
		if err != nil {
			return atStep(failure.StepTLS, cutShort(ctx, fmt.Errorf("TLS handshake with %s: %w", host, err)))
		}
		certErr := inspectChain(&p.Detail, tr, host, tlsConn.ConnectionState().PeerCertificates)
		var resp *http.Response
		resp, body, err = get(tlsConn, u)
		if err != nil && certErr == nil {
			return atStep(failure.StepHTTP, cutShort(ctx, err))
		}
		if resp != nil {
			p.Detail.Status, p.Detail.Location = resp.StatusCode, resp.Header.Get("Location")
			p.Detail.BlockPage = diagnosis.MatchBlockPage(resp.Header, body)
			if certErr != nil && p.Detail.Interceptor == "" {
				// An inspecting proxy whose CA's name says nothing (Squid's ssl-bump) may sign its relaying.
				p.Detail.Interceptor = diagnosis.MatchRelay(resp.Header)
			}
			if p.Detail.BlockPage == "" && certErr != nil {
				// Over a certificate that is not Spotify's, a page that looks like a block page
				// is one, whoever made it.
				p.Detail.PageTitle, p.Detail.BlockShape = diagnosis.BlockPageShape(resp.StatusCode, body)
			}
		}
		switch {
		case p.Detail.BlockPage != "":
			return atStep(failure.StepHTTP, fmt.Errorf("%s answered with a %s block page: %w", host, p.Detail.BlockPage, &failure.UnexpectedBodyError{Want: "Spotify's answer"}))
		case p.Detail.BlockShape:
			return atStep(failure.StepHTTP, fmt.Errorf("%s answered with a block page (HTTP %d %q): %w", host, resp.StatusCode, p.Detail.PageTitle, &failure.UnexpectedBodyError{Want: "Spotify's answer"}))
		case certErr != nil:
			return atStep(failure.StepTLS, certErr)
		case resp.StatusCode >= 500:
			return atStep(failure.StepHTTP, &failure.HTTPStatusError{Status: resp.StatusCode})
		}
		return nil
	})
	return httpsResult{probe: p, body: body, neutral: neutral}
}

// inspectChain records who issued the presented chain and whether it verifies for host against
// the system store and against the public roots. A chain trusted only by the system store, or
// issued by a known inspection product, is interception.
func inspectChain(d *diagnosis.Detail, tr trust, host string, chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return errors.New("the server presented no certificate")
	}
	leaf := chain[0]
	d.Issuer = leaf.Issuer.CommonName
	if d.Issuer == "" {
		d.Issuer = leaf.Issuer.String()
	}
	for _, c := range chain {
		d.Chain = append(d.Chain, c.Subject.String())
	}
	d.Interceptor = diagnosis.MatchInterceptor(chain)
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	_, sysErr := leaf.Verify(x509.VerifyOptions{DNSName: host, Intermediates: intermediates, Roots: tr.system})
	_, pubErr := leaf.Verify(x509.VerifyOptions{DNSName: host, Intermediates: intermediates, Roots: tr.public.poolFor(chain)})
	d.SystemTrust, d.PublicTrust = ptr(sysErr == nil), ptr(pubErr == nil)
	switch {
	case sysErr != nil:
		return fmt.Errorf("verifying %s's certificate (issuer %s): %w", host, leaf.Issuer.CommonName, sysErr)
	case pubErr != nil:
		return fmt.Errorf("%s's certificate comes from %q, which this computer trusts but no public root list does: %w",
			host, leaf.Issuer.CommonName, x509.UnknownAuthorityError{Cert: leaf})
	case d.Interceptor != "":
		return fmt.Errorf("%s's certificate was issued by %s's inspection CA: %w", host, d.Interceptor, x509.UnknownAuthorityError{Cert: leaf})
	}
	return nil
}

// get sends one GET for u over conn and reads the answer within headerCap and bodyCap.
func get(conn net.Conn, u *url.URL) (*http.Response, []byte, error) {
	req := &http.Request{
		Method: http.MethodGet,
		URL:    u,
		Host:   u.Host,
		Header: http.Header{"User-Agent": {userAgent()}, "Accept": {"*/*"}, "Connection": {"close"}},
		Close:  true,
	}
	if err := req.Write(conn); err != nil {
		return nil, nil, fmt.Errorf("sending GET %s: %w", u, err)
	}
	resp, body, err := readAnswer(conn, req)
	if err != nil {
		return resp, body, fmt.Errorf("reading the answer to GET %s: %w", u, err)
	}
	return resp, body, nil
}

// probeNeutralSNI is the SNI cross-check: a TLS handshake with the same address but a neutral
// server name. If it succeeds where Spotify's name was reset or ignored, a filter reads the SNI.
func probeNeutralSNI(ctx context.Context, path *netPath, addr string) diagnosis.Probe {
	p := diagnosis.Probe{Name: "tls " + addr + " with neutral SNI " + neutralSNI, Kind: diagnosis.KindTLS, Role: diagnosis.RoleControl, Target: addr,
		Detail: diagnosis.Detail{Addr: addr, SNI: neutralSNI, Family: familyOfHostPort(addr)}}
	timed(&p, func() error {
		conn, err := path.dial(ctx, addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		tlsConn := tls.Client(conn, &tls.Config{ServerName: neutralSNI, InsecureSkipVerify: true, CurvePreferences: probeCurves})
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return atStep(failure.StepTLS, cutShort(ctx, fmt.Errorf("TLS handshake with %s as %s: %w", addr, neutralSNI, err)))
		}
		return nil
	})
	return p
}

// probePlainOnTLSPort fetches the page a non-TLS answer on a TLS port serves (a transparent
// proxy or a block page), so its filter can be named.
func probePlainOnTLSPort(ctx context.Context, path *netPath, addr string, u *url.URL) diagnosis.Probe {
	p := diagnosis.Probe{Name: "http " + addr + " (plain answer on the TLS port)", Kind: diagnosis.KindHTTP, Role: diagnosis.RoleControl, Target: addr, Detail: diagnosis.Detail{Addr: addr}}
	timed(&p, func() error {
		conn, err := path.dial(ctx, addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		plain := *u
		plain.Scheme = "http"
		resp, body, err := get(conn, &plain)
		if err != nil {
			return atStep(failure.StepHTTP, cutShort(ctx, err))
		}
		p.Detail.Status, p.Detail.Location = resp.StatusCode, resp.Header.Get("Location")
		p.Detail.BlockPage = diagnosis.MatchBlockPage(resp.Header, body)
		if p.Detail.BlockPage == "" {
			p.Detail.PageTitle, p.Detail.BlockShape = diagnosis.BlockPageShape(resp.StatusCode, body)
		}
		if p.Detail.BlockPage != "" || p.Detail.BlockShape {
			return &failure.UnexpectedBodyError{Want: "TLS"}
		}
		return nil
	})
	return p
}

// pickAddrs chooses the addresses to probe: the first IPv4 one, and the first IPv6 one when the
// machine has IPv6. Unspecified addresses (0.0.0.0, ::) are never dialled: on most systems they
// reach the machine itself.
func pickAddrs(addrs []netip.Addr, ipv6 bool) []string {
	var v4, v6 string
	for _, a := range addrs {
		switch {
		case a.IsUnspecified():
		case a.Is4() && v4 == "":
			v4 = a.String()
		case a.Is6() && v6 == "" && ipv6:
			v6 = a.String()
		}
	}
	var out []string
	for _, s := range []string{v4, v6} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
