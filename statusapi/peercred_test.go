package statusapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// fakePeers says every connection comes from uid, or fails with err.
type fakePeers struct {
	uid int
	err error
}

func (f fakePeers) PeerUID(net.Conn) (int, error) { return f.uid, f.err }

func TestAuthorizer(t *testing.T) {
	unsupported := fmt.Errorf("peer credentials on plan9: %w", errors.ErrUnsupported)
	conn, other := net.Pipe()
	defer conn.Close()
	defer other.Close()
	tests := []struct {
		name       string
		peers      fakePeers
		unverified bool
		conn       net.Conn
		allowed    bool
		reason     string
	}{
		{"the owner", fakePeers{uid: 1000}, false, conn, true, ""},
		{"root", fakePeers{uid: 0}, false, conn, true, ""},
		{"another user", fakePeers{uid: 1001}, false, conn, false, "you are uid 1001, the daemon runs as uid 1000"},
		{"another user of a user daemon", fakePeers{uid: 1001}, true, conn, false, "you are uid 1001"},
		{"nobody", fakePeers{uid: 65534}, false, conn, false, "uid 65534"},
		{"credentials fail", fakePeers{err: errors.New("EBADF")}, true, conn, false, "cannot be verified: EBADF"},
		{"unsupported, user daemon or Windows", fakePeers{err: unsupported}, true, conn, true, ""},
		{"unsupported, system daemon", fakePeers{err: unsupported}, false, conn, false, "cannot be verified"},
		{"no connection", fakePeers{uid: 1000}, true, nil, false, "connection is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := authorizer{peers: tt.peers, owner: 1000, unverified: tt.unverified}
			err := a.allow(tt.conn)
			if (err == nil) != tt.allowed {
				t.Fatalf("allow = %v, want allowed %v", err, tt.allowed)
			}
			if err != nil && (!errors.Is(err, errForbidden) || !strings.Contains(err.Error(), tt.reason)) {
				t.Errorf("refusal %q does not wrap errForbidden and say %q", err, tt.reason)
			}
		})
	}
}

// TestForbiddenThroughServer runs the authoriser in the server with a fake credential source:
// a foreign user reads but gets 403 on POST, with a JSON error, and nothing reaches the source.
func TestForbiddenThroughServer(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	ts := startServer(t, ServerOptions{Source: src, System: true, Peers: fakePeers{uid: 4242}}, true)
	ts.auth.owner = 1000
	c := NewClient(ts.path)
	if _, err := c.Status(t.Context()); err != nil {
		t.Fatalf("a foreign user cannot read: %v", err)
	}
	for name, call := range map[string]func() error{
		"CheckNow": func() error { return c.CheckNow(t.Context()) },
		"Pause":    func() error { _, err := c.Pause(t.Context(), 3600e9); return err },
	} {
		err := call()
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden || !strings.Contains(se.Message, "uid 4242") {
			t.Errorf("%s by a foreign user: %v, want a 403 naming uid 4242", name, err)
		}
	}
	if checks, pauses := src.counts(); checks != 0 || len(pauses) != 0 {
		t.Errorf("forbidden requests reached the source: %d checks, pauses %v", checks, pauses)
	}
}
