package testnet_test

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

func TestSpotifyHandlerOverHTTPS(t *testing.T) {
	ca := newCA(t)
	cert, err := ca.Issue([]string{"apresolve.spotify.com", "api.spotify.com", "spclient.wg.spotify.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := testnet.StartLocalHTTPS(cert, testnet.SpotifyHandler([]string{"ap-gae2.spotify.com:4070", "ap-gae2.spotify.com:443"}))
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Errorf("URL() = %q", s.URL())
	}
	c := pinnedClient(ca, s.Addr())
	const aps = `"accesspoint":["ap-gae2.spotify.com:4070","ap-gae2.spotify.com:443"]`
	const dealer = `"dealer":["gae2-dealer.spotify.com:443","guc3-dealer.spotify.com:443"]`
	const spclient = `"spclient":["gae2-spclient.spotify.com:443","guc3-spclient.spotify.com:443"]`
	tests := []struct {
		url, ctype, body string
		status           int
	}{
		{"https://apresolve.spotify.com/?type=accesspoint&type=dealer&type=spclient", "application/json", "{" + aps + "," + dealer + "," + spclient + "}", 200},
		{"https://apresolve.spotify.com/", "application/json", "{" + aps + "," + dealer + "," + spclient + "}", 200},
		{"https://apresolve.spotify.com/?type=accesspoint", "application/json", "{" + aps + "}", 200},
		{"https://apresolve.spotify.com/?type=spclient&type=dealer", "application/json", "{" + dealer + "," + spclient + "}", 200},
		{"https://api.spotify.com/v1/me", "application/json", `{"error":{"status":401,"message":"No token provided"}}`, 401},
		{"https://spclient.wg.spotify.com/other", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			resp, body := get(t, c, tt.url)
			if resp.StatusCode != tt.status || body != tt.body || resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("got %d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.status, tt.ctype, tt.body)
			}
		})
	}
}

func TestHTTPSCertificates(t *testing.T) {
	ca := newCA(t)
	expired, err := ca.IssueExpired([]string{"api.spotify.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	old, err := testnet.StartHTTPS(ln, expired, testnet.StatusHandler(200))
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, old)
	_, err = pinnedClient(ca, old.Addr()).Get("https://api.spotify.com/v1/me")
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("expired certificate: error = %v, want x509 Expired", err)
	}

	// ServerConfig issues a certificate for any name the client asks for.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	anyName, err := testnet.StartHTTPSConfig(ln2, ca.ServerConfig(), testnet.StatusHandler(http.StatusServiceUnavailable))
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, anyName)
	for _, host := range []string{"api.spotify.com", "example.org"} {
		resp, body := get(t, pinnedClient(ca, anyName.Addr()), "https://"+host+"/")
		if resp.StatusCode != 503 || body != "503 Service Unavailable\n" {
			t.Errorf("%s: %d %q", host, resp.StatusCode, body)
		}
		if got := resp.TLS.PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != host {
			t.Errorf("%s: certificate names %v", host, got)
		}
	}
	if _, err := testnet.StartHTTPSConfig(ln2, nil, nil); err == nil {
		t.Error("StartHTTPSConfig without a certificate succeeded")
	}
}

func TestBlockPages(t *testing.T) {
	tests := []struct {
		kind      string
		status    int
		header    [2]string // name, value prefix
		fragments []string
	}{
		{testnet.BlockFortiGuard, 403, [2]string{"Content-Type", "text/html"}, []string{
			"<title>FortiGuard Web Filter Block Override</title>", "Web Page Blocked",
			"You have tried to access a web page which is in violation of your internet usage policy.",
			"Powered By FortiGuard", "FortiGuard Web Filtering", "https://www.fortiguard.com/webfilter?q=apresolve.spotify.com%2F"}},
		{testnet.BlockOpenDNS, 302, [2]string{"Location", "https://block.opendns.com/?url=apresolve.spotify.com%2F"}, []string{
			"This site is blocked due to content filtering.", "https://block.opendns.com/?url="}},
		{testnet.BlockPiHole, 200, [2]string{"X-Pi-hole", "A black hole for Internet advertisements."}, []string{
			"<!-- Pi-hole: A black hole for Internet advertisements", `<body id="blockpage">`, "Website Blocked", "apresolve.spotify.com/"}},
		{testnet.BlockNextDNS, 403, [2]string{"Blocked-By", "NextDNS"}, []string{"<title>Blocked by NextDNS</title>"}},
		{testnet.BlockPaloAlto, 503, [2]string{"Content-Type", "text/html"}, []string{
			`<body bgcolor="#e7e8e9"><div id="content"><h1>Web Page Blocked</h1>`,
			"Access to the web page you were trying to visit has been blocked in accordance with company policy.",
			"/php/urlblock.php?args="}},
		{testnet.BlockZscaler, 403, [2]string{"Content-Type", "text/html"}, []string{"<title>Internet Security by Zscaler</title>", "Website blocked"}},
	}
	if len(tests) != len(testnet.BlockPageKinds()) {
		t.Errorf("testing %d kinds, BlockPageKinds has %d", len(tests), len(testnet.BlockPageKinds()))
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s, err := testnet.StartLocalHTTP(testnet.BlockPageHandler(tt.kind))
			if err != nil {
				t.Fatal(err)
			}
			closeLater(t, s)
			resp, body := get(t, pinnedClient(nil, s.Addr()), "http://apresolve.spotify.com/")
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if v := resp.Header.Get(tt.header[0]); !strings.HasPrefix(v, tt.header[1]) {
				t.Errorf("header %s = %q, want prefix %q", tt.header[0], v, tt.header[1])
			}
			for _, f := range tt.fragments {
				if !strings.Contains(body, f) {
					t.Errorf("body lacks %q:\n%s", f, body)
				}
			}
		})
	}
	if _, _, _, err := testnet.BlockPageFor("nosuch", "x/"); err == nil {
		t.Error("BlockPageFor(unknown kind) succeeded")
	}
}
