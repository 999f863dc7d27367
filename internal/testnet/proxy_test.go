package testnet_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

// proxyLab is a proxy that resolves names through a test DNS server, an HTTPS Spotify server
// and a plain-HTTP reference server, all on 127.0.0.1.
type proxyLab struct {
	ca      *testnet.CA
	proxy   *testnet.ProxyServer
	spotify *testnet.HTTPServer
	ref     *testnet.HTTPServer
}

func startProxyLab(t *testing.T) *proxyLab {
	t.Helper()
	ca := newCA(t)
	dnsSrv, err := testnet.StartLocalDNS()
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, dnsSrv)
	loopback := netip.MustParseAddr("127.0.0.1")
	for _, name := range []string{"apresolve.spotify.com", "api.spotify.com", "www.msftconnecttest.com"} {
		dnsSrv.SetA(name, loopback)
	}
	cert, err := ca.Issue([]string{"apresolve.spotify.com", "api.spotify.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	spotify, err := testnet.StartLocalHTTPS(cert, testnet.SpotifyHandler([]string{"ap.spotify.com:4070"}))
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, spotify)
	ref, err := testnet.StartLocalHTTP(testnet.ReferenceHandler())
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, ref)
	d := &net.Dialer{Timeout: 5 * time.Second, Resolver: dnsSrv.Resolver()}
	p, err := testnet.StartLocalProxy(d.DialContext)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, p)
	return &proxyLab{ca: ca, proxy: p, spotify: spotify, ref: ref}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (l *proxyLab) client() *http.Client {
	u, _ := url.Parse(l.proxy.URL())
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		Proxy:             http.ProxyURL(u),
		TLSClientConfig:   &tls.Config{RootCAs: l.ca.Pool()},
		DisableKeepAlives: true,
	}}
}

// rawProxyRequest sends request text to the proxy and returns the status code of its answer.
func (l *proxyLab) rawProxyRequest(t *testing.T, request string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", l.proxy.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading proxy answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestProxyTunnelsAndForwards(t *testing.T) {
	l := startProxyLab(t)
	apresolve := fmt.Sprintf("https://apresolve.spotify.com:%s/?type=accesspoint", port(l.spotify.Addr()))
	resp, body := get(t, l.client(), apresolve)
	if resp.StatusCode != 200 || body != `{"accesspoint":["ap.spotify.com:4070"]}` {
		t.Errorf("through CONNECT: %d %q", resp.StatusCode, body)
	}
	ref := fmt.Sprintf("http://www.msftconnecttest.com:%s/connecttest.txt", port(l.ref.Addr()))
	resp, body = get(t, l.client(), ref)
	if resp.StatusCode != 200 || body != testnet.MSConnectTestBody {
		t.Errorf("forwarded GET: %d %q", resp.StatusCode, body)
	}
	want := []string{
		"CONNECT apresolve.spotify.com:" + port(l.spotify.Addr()),
		"GET " + ref,
	}
	if got := l.proxy.Requests(); !slices.Equal(got, want) {
		t.Errorf("Requests() = %q, want %q", got, want)
	}
}

func TestProxyAnswers(t *testing.T) {
	l := startProxyLab(t)
	l.proxy.Deny("spotify.com")
	spotifyPort, refPort := port(l.spotify.Addr()), port(l.ref.Addr())
	tests := []struct {
		name    string
		request string
		status  int
	}{
		{"denied CONNECT", "CONNECT api.spotify.com:443 HTTP/1.1\r\nHost: api.spotify.com:443\r\n\r\n", 403},
		{"denied CONNECT upper case", "CONNECT API.Spotify.COM:" + spotifyPort + " HTTP/1.1\r\nHost: API.Spotify.COM\r\n\r\n", 403},
		{"denied GET", "GET http://apresolve.spotify.com/ HTTP/1.1\r\nHost: apresolve.spotify.com\r\n\r\n", 403},
		{"allowed CONNECT", "CONNECT www.msftconnecttest.com:" + refPort + " HTTP/1.1\r\nHost: www.msftconnecttest.com\r\n\r\n", 200},
		{"unresolvable host", "CONNECT nothing.example:443 HTTP/1.1\r\nHost: nothing.example:443\r\n\r\n", 502},
		{"unresolvable GET", "GET http://nothing.example/ HTTP/1.1\r\nHost: nothing.example\r\n\r\n", 502},
		{"origin-form request", "GET /?type=accesspoint HTTP/1.1\r\nHost: apresolve.spotify.com\r\n\r\n", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := l.rawProxyRequest(t, tt.request); got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
		})
	}
	// The Go client reports the refused CONNECT.
	_, err := l.client().Get(fmt.Sprintf("https://api.spotify.com:%s/v1/me", spotifyPort))
	if err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("HTTPS through a denying proxy: error = %v, want Forbidden", err)
	}
}

func TestProxyCloseEndsTunnels(t *testing.T) {
	l := startProxyLab(t)
	tcp, err := testnet.StartLocalTCP(testnet.Accept)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, tcp)
	c, err := net.Dial("tcp", l.proxy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", tcp.Addr(), tcp.Addr())
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	closeWithin(t, l.proxy, 5*time.Second)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil || isTimeout(err) {
		t.Errorf("tunnel after Close: read error %v, want it closed", err)
	}
}
