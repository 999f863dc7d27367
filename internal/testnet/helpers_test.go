package testnet_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

// closeLater closes c at the end of the test, failing it if Close errs or takes over 5 s.
func closeLater(t *testing.T, c io.Closer) {
	t.Helper()
	t.Cleanup(func() { closeWithin(t, c, 5*time.Second) })
}

func closeWithin(t *testing.T, c io.Closer, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(d):
		t.Errorf("Close did not return within %v", d)
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func newCA(t *testing.T) *testnet.CA {
	t.Helper()
	ca, err := testnet.NewCA("spotwatch test CA", "spotwatch tests")
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	return ca
}

// pinnedClient returns an HTTP client that trusts ca, never reuses connections, follows no
// redirects and sends every request to addr whatever its host name.
func pinnedClient(ca *testnet.CA, addr string) *http.Client {
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
		Proxy:             nil,
	}
	if ca != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: ca.Pool()}
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get fetches url with c and returns the response and its body.
func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body of %s: %v", url, err)
	}
	return resp, string(b)
}

// tlsHandshake dials addr and handshakes with serverName, trusting ca, within d.
func tlsHandshake(addr, serverName string, ca *testnet.CA, d time.Duration) (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var dialer net.Dialer
	raw, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{ServerName: serverName}
	if ca != nil {
		cfg.RootCAs = ca.Pool()
	}
	_ = raw.SetDeadline(time.Now().Add(d))
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		_ = raw.Close()
		return nil, err
	}
	_ = raw.SetDeadline(time.Time{})
	return c, nil
}
