package testnet_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

func startDoH(t *testing.T) (*testnet.DoHServer, *testnet.CA) {
	t.Helper()
	ca := newCA(t)
	zone := testnet.NewZone()
	zone.SetA("apresolve.spotify.com", spotifyIP)
	zone.SetMode("blocked.spotify.com", testnet.NXDomain)
	zone.SetMode("silent.spotify.com", testnet.Silent)
	d, err := testnet.StartLocalDoH(ca, zone)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, d)
	return d, ca
}

func dohClient(ca *testnet.CA, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool()},
		DisableKeepAlives: true,
	}}
}

// dohRequest builds a GET or POST RFC 8484 request for name/A.
func dohRequest(t *testing.T, ctx context.Context, method, url, name string) *http.Request {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	m.Id = 0
	wire, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var req *http.Request
	if method == http.MethodGet {
		req, err = http.NewRequestWithContext(ctx, method, url+"?dns="+base64.RawURLEncoding.EncodeToString(wire), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, url, bytes.NewReader(wire))
		if err == nil {
			req.Header.Set("Content-Type", "application/dns-message")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/dns-message")
	return req
}

func TestDoHAnswers(t *testing.T) {
	d, ca := startDoH(t)
	c := dohClient(ca, 5*time.Second)
	tests := []struct {
		method, name string
		wantRcode    int
		want         []string
	}{
		{http.MethodGet, "apresolve.spotify.com", dns.RcodeSuccess, []string{spotifyIP.String()}},
		{http.MethodPost, "apresolve.spotify.com", dns.RcodeSuccess, []string{spotifyIP.String()}},
		{http.MethodGet, "blocked.spotify.com", dns.RcodeNameError, nil},
		{http.MethodPost, "blocked.spotify.com", dns.RcodeNameError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.name, func(t *testing.T) {
			resp, err := c.Do(dohRequest(t, context.Background(), tt.method, d.URL(), tt.name))
			if err != nil {
				t.Fatalf("DoH request: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/dns-message" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			m := new(dns.Msg)
			if err := m.Unpack(body); err != nil {
				t.Fatalf("unpacking answer: %v", err)
			}
			if m.Rcode != tt.wantRcode || !slices.Equal(answers(m), tt.want) {
				t.Errorf("answer rcode %s %v, want %s %v", dns.RcodeToString[m.Rcode], answers(m), dns.RcodeToString[tt.wantRcode], tt.want)
			}
		})
	}
	if d.Queries() != len(tests) {
		t.Errorf("Queries() = %d, want %d", d.Queries(), len(tests))
	}
}

func TestDoHBadRequests(t *testing.T) {
	d, ca := startDoH(t)
	c := dohClient(ca, 5*time.Second)
	tests := []struct {
		name   string
		method string
		url    string
		ctype  string
		body   string
		status int
	}{
		{"no dns parameter", http.MethodGet, d.URL(), "", "", http.StatusBadRequest},
		{"not base64url", http.MethodGet, d.URL() + "?dns=***", "", "", http.StatusBadRequest},
		{"not a DNS message", http.MethodPost, d.URL(), "application/dns-message", "xx", http.StatusBadRequest},
		{"wrong content type", http.MethodPost, d.URL(), "application/json", "{}", http.StatusUnsupportedMediaType},
		{"wrong method", http.MethodPut, d.URL(), "", "", http.StatusMethodNotAllowed},
		{"wrong path", http.MethodGet, "https://" + d.Addr() + "/resolve", "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, bytes.NewReader([]byte(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestDoHSilentHangs(t *testing.T) {
	d, ca := startDoH(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	resp, err := dohClient(ca, 0).Do(dohRequest(t, ctx, http.MethodGet, d.URL(), "silent.spotify.com"))
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("answer %d %q %q, want none", resp.StatusCode, resp.Header, b)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want deadline exceeded", err)
	}
}
