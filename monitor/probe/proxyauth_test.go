package probe

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/internal/testnet"
)

// TestDialViaSendsTheProxyLogin tunnels through a real loopback proxy that requires a login:
// the login in the proxy URL opens the tunnel (an authenticated proxy that allows Spotify is not
// a block), while a missing or wrong one is the proxy's refusal, 407.
func TestDialViaSendsTheProxyLogin(t *testing.T) {
	echo := startEcho(t)
	px, err := testnet.StartLocalProxy(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	px.RequireLogin("alice", "s3cret pw")
	proxyHost := px.Addr()

	tests := []struct {
		name       string
		proxyURL   string
		wantStatus int // 0: the tunnel opens
	}{
		{"right login", "http://alice:s3cret%20pw@" + proxyHost, 0},
		{"no login", "http://" + proxyHost, 407},
		{"wrong password", "http://alice:guess@" + proxyHost, 407},
		{"user name only", "http://alice@" + proxyHost, 407},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.proxyURL)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			path := newNetPath("", time.Second, nil, false)
			conn, err := path.dialVia(ctx, u, echo)
			if tt.wantStatus != 0 {
				var refused *failure.ProxyRefusedError
				if !errors.As(err, &refused) || refused.Status != tt.wantStatus {
					t.Fatalf("dialVia error = %v, want the proxy's refusal %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("dialVia through an authenticated proxy: %v", err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 4)
			if _, err := io.ReadFull(conn, got); err != nil || string(got) != "ping" {
				t.Fatalf("through the tunnel: read %q, %v; want the echo of ping", got, err)
			}
		})
	}
}

// startEcho serves a TCP echo on 127.0.0.1 and returns its address.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}
