package testnet_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestHelloServers(t *testing.T) {
	tests := []struct {
		action  testnet.HelloAction
		wait    time.Duration
		wantErr func(error) bool
		want    string
	}{
		{testnet.ResetAfterHello, 5 * time.Second, func(err error) bool { return errors.Is(err, syscall.ECONNRESET) }, "ECONNRESET"},
		{testnet.FINAfterHello, 5 * time.Second, func(err error) bool { return errors.Is(err, io.EOF) }, "EOF"},
		{testnet.HangAfterHello, 500 * time.Millisecond, isTimeout, "a timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.action.String(), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s, err := testnet.StartHello(ln, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			closeLater(t, s)
			_, err = tlsHandshake(s.Addr(), "api.spotify.com", nil, tt.wait)
			if !tt.wantErr(err) {
				t.Errorf("handshake error = %v, want %s", err, tt.want)
			}
			if got := s.ServerNames(); !slices.Equal(got, []string{"api.spotify.com"}) {
				t.Errorf("ServerNames() = %v", got)
			}
		})
	}
}

func TestHangAfterHelloCloseEndsConnection(t *testing.T) {
	s, err := testnet.StartLocalHello(testnet.HangAfterHello)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := tlsHandshake(s.Addr(), "api.spotify.com", nil, 10*time.Second)
		done <- err
	}()
	waitFor(t, "the ClientHello", func() bool { return len(s.ServerNames()) > 0 })
	closeWithin(t, s, 5*time.Second)
	select {
	case err := <-done:
		if err == nil || isTimeout(err) {
			t.Errorf("handshake error after Close = %v, want the connection closed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client still waiting after Close")
	}
}

func TestPlainHTTPOnTLSPort(t *testing.T) {
	status, header, body, err := testnet.BlockPageFor(testnet.BlockFortiGuard, "api.spotify.com/")
	if err != nil {
		t.Fatal(err)
	}
	s, err := testnet.StartLocalPlainHTTP(status, header, body)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)

	_, err = tlsHandshake(s.Addr(), "api.spotify.com", nil, 5*time.Second)
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) || !strings.Contains(err.Error(), "first record does not look like a TLS handshake") {
		t.Errorf("TLS client error = %v, want first record does not look like a TLS handshake", err)
	}

	// A plain HTTP client reads the block page.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: api.spotify.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status || string(got) != body || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("plain HTTP answer %d %q, body %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
}
