package probe

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
)

// socks4Server is a SOCKS4/4a proxy on 127.0.0.1: it records each request (user id, the
// address or name asked for) and opens the tunnel, or refuses (reply 91) when refuse is set.
type socks4Server struct {
	ln     net.Listener
	refuse bool

	mu   sync.Mutex
	seen []string // "user@target" per request
}

func startSOCKS4(t *testing.T, refuse bool) *socks4Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socks4Server{ln: ln, refuse: refuse}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *socks4Server) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	head := make([]byte, 8)
	if _, err := io.ReadFull(r, head); err != nil || head[0] != 4 || head[1] != 1 {
		return
	}
	user, err := r.ReadString(0)
	if err != nil {
		return
	}
	host := net.IP(head[4:8]).String()
	if head[4] == 0 && head[5] == 0 && head[6] == 0 && head[7] != 0 { // socks4a: a name follows
		name, err := r.ReadString(0)
		if err != nil {
			return
		}
		host = name[:len(name)-1]
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(head[2])<<8|int(head[3])))
	s.mu.Lock()
	s.seen = append(s.seen, user[:len(user)-1]+"@"+target)
	s.mu.Unlock()
	if s.refuse {
		c.Write([]byte{0, 91, 0, 0, 0, 0, 0, 0})
		return
	}
	up, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		c.Write([]byte{0, 91, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{0, 90, 0, 0, 0, 0, 0, 0})
	go io.Copy(up, r)
	io.Copy(c, up)
}

func (s *socks4Server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// TestDialViaSOCKS4 tunnels through a real SOCKS4 proxy, the kind Windows' "socks=" setting
// names: socks4 sends the target's IPv4 address (a name resolved here first), socks4a sends the
// name, the URL's user name goes as the user id, and a refusal is the proxy refusing Spotify.
func TestDialViaSOCKS4(t *testing.T) {
	echo := startEcho(t)
	_, port, _ := net.SplitHostPort(echo)
	tests := []struct {
		name     string
		scheme   string
		user     string
		target   string
		refuse   bool
		wantSeen string
	}{
		{"socks4 to an address", "socks4", "", echo, false, "@" + echo},
		{"socks4 resolves the name itself", "socks4", "", "localhost:" + port, false, "@127.0.0.1:" + port},
		{"socks4a lets the proxy resolve", "socks4a", "", "localhost:" + port, false, "@localhost:" + port},
		{"user id from the URL", "socks4", "alice@", echo, false, "alice@" + echo},
		{"refused", "socks4", "", echo, true, "@" + echo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSOCKS4(t, tt.refuse)
			u, err := url.Parse(tt.scheme + "://" + tt.user + srv.ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := newNetPath("", time.Second, nil, false).dialVia(ctx, u, tt.target)
			if got := srv.requests(); len(got) != 1 || got[0] != tt.wantSeen {
				t.Errorf("the proxy saw %q, want [%q]", got, tt.wantSeen)
			}
			if tt.refuse {
				var refused *failure.ProxyRefusedError
				if !errors.As(err, &refused) || failure.Classify(err) != failure.ProxyRefused {
					t.Fatalf("dialVia error = %v (%s), want the proxy's refusal", err, failure.Classify(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("dialVia through SOCKS4: %v", err)
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
