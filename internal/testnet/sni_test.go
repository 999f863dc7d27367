package testnet_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

func TestSNIFilter(t *testing.T) {
	ca := newCA(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := testnet.StartSNIFilter(ln, ca, "spotify", nil)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)
	tests := []struct {
		sni     string
		blocked bool
	}{
		{"api.spotify.com", true},
		{"APResolve.Spotify.com", true},
		{"example.org", false},
		{"www.msftconnecttest.com", false},
	}
	resets := 0
	for _, tt := range tests {
		t.Run(tt.sni, func(t *testing.T) {
			c, err := tlsHandshake(s.Addr(), tt.sni, ca, 5*time.Second)
			if tt.blocked {
				resets++
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("handshake error = %v, want ECONNRESET", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			defer c.Close()
			if err := c.ConnectionState().PeerCertificates[0].VerifyHostname(tt.sni); err != nil {
				t.Errorf("certificate: %v", err)
			}
		})
	}
	if s.Resets() != resets {
		t.Errorf("Resets() = %d, want %d", s.Resets(), resets)
	}
	resp, body := get(t, pinnedClient(ca, s.Addr()), "https://example.org/")
	if resp.StatusCode != http.StatusOK || body != "OK\n" {
		t.Errorf("HTTP through the filter: %d %q", resp.StatusCode, body)
	}
}

func TestSNIFilterServesHandler(t *testing.T) {
	ca := newCA(t)
	s, err := testnet.StartLocalSNIFilter(ca, "spotify", testnet.ReferenceHandler())
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)
	resp, body := get(t, pinnedClient(ca, s.Addr()), "https://www.msftconnecttest.com/connecttest.txt")
	if resp.StatusCode != 200 || body != testnet.MSConnectTestBody {
		t.Errorf("%d %q", resp.StatusCode, body)
	}
	_, err = pinnedClient(ca, s.Addr()).Get("https://api.spotify.com/v1/me")
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("HTTPS to a blocked name: error = %v, want ECONNRESET", err)
	}
	// Non-TLS bytes are dropped without an answer.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: api.spotify.com\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 10)); n != 0 || err == nil || isTimeout(err) {
		t.Errorf("plain HTTP to the filter: read %d, %v; want the connection closed", n, err)
	}
}
