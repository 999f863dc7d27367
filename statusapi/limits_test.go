package statusapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestConnLimiter walks the admission rules: a per-user cap for ordinary users, a shared pool
// that leaves headroom for root and the daemon's own user, and a hard total.
func TestConnLimiter(t *testing.T) {
	const owner = 1000
	tests := []struct {
		name string
		held map[int]int // open connections per uid before the new one (-1: unknown user)
		peer peer
		ok   bool
	}{
		{"a first connection", nil, peer{uid: 4242}, true},
		{"a user below the per-user cap", map[int]int{4242: maxConnsPerUser - 1}, peer{uid: 4242}, true},
		{"a user at the per-user cap", map[int]int{4242: maxConnsPerUser}, peer{uid: 4242}, false},
		{"another user while one is at the cap", map[int]int{4242: maxConnsPerUser}, peer{uid: 4343}, true},
		{"an ordinary user when the shared pool is full", spread(maxConns - reservedConns), peer{uid: 4242}, false},
		{"root when the shared pool is full", spread(maxConns - reservedConns), peer{uid: 0}, true},
		{"the daemon's user when the shared pool is full", spread(maxConns - reservedConns), peer{uid: owner}, true},
		{"root at the hard total", spread(maxConns), peer{uid: 0}, false},
		{"root above the per-user cap", map[int]int{0: 3 * maxConnsPerUser}, peer{uid: 0}, true},
		{"an unknown user (Windows) is not capped per user", map[int]int{-1: 3 * maxConnsPerUser}, peer{uid: -1, err: errUnknownPeer}, true},
		{"an unknown user does not get the headroom", spread(maxConns - reservedConns), peer{uid: -1, err: errUnknownPeer}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newConnLimiter(func(uid int) bool { return uid == 0 || uid == owner })
			for uid, n := range tt.held {
				p := peer{uid: uid}
				if uid == -1 {
					p.err = errUnknownPeer
				}
				for range n {
					l.n[l.key(p)]++
					l.total++
				}
			}
			err := l.acquire(tt.peer)
			if (err == nil) != tt.ok {
				t.Fatalf("acquire = %v, want allowed %v", err, tt.ok)
			}
			if err == nil {
				l.release(tt.peer)
			}
			total := 0
			for _, n := range tt.held {
				total += n
			}
			if l.total != total {
				t.Errorf("after acquire and release the total is %d, want %d", l.total, total)
			}
		})
	}
}

// spread is n connections held by distinct ordinary users, none near the per-user cap.
func spread(n int) map[int]int {
	m := map[int]int{}
	for i := range n {
		m[5000+i%(n/4+1)]++
	}
	return m
}

var errUnknownPeer = fmt.Errorf("peer credentials: %w", errors.ErrUnsupported)

// TestConnectionCapAnswers503 opens the per-user cap of silent connections as one ordinary user
// of a system daemon: the next one of that user is answered 503 and closed at once, while
// root (another peer, told apart by the credentials) still gets its status.
func TestConnectionCapAnswers503(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	peers := &switchPeers{uid: 4242}
	ts := startServer(t, ServerOptions{Source: src, System: true, Peers: peers}, true)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range maxConnsPerUser {
		c, err := net.Dial("unix", ts.path)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	waitFor(t, "the server to count the held connections", func() bool { return ts.conns.count(peer{uid: 4242}) == maxConnsPerUser })

	extra, err := net.Dial("unix", ts.path)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(10 * time.Second)) // a failsafe, not a speed assertion
	resp, err := http.ReadResponse(bufio.NewReader(extra), nil)
	if err != nil {
		t.Fatalf("the connection over the cap: %v, want an HTTP 503 answer", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "uid 4242") {
		t.Errorf("over the cap: HTTP %d %s, want 503 naming uid 4242", resp.StatusCode, body)
	}

	peers.set(0)
	if _, err := NewClient(ts.path).Status(t.Context()); err != nil {
		t.Fatalf("root's status while uid 4242 holds %d connections: %v", maxConnsPerUser, err)
	}
}

// TestIdleConnectionClosed leaves a kept-alive connection idle: the server closes it (a client
// cannot hold a slot with a request a minute).
func TestIdleConnectionClosed(t *testing.T) {
	checkNoLeaks(t)
	ts := startServer(t, ServerOptions{Source: newFakeSource(diagnosis.CauseOK)}, false)
	c, err := net.Dial("unix", ts.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /v1/status HTTP/1.1\r\nHost: spotwatch\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.SetReadDeadline(time.Now().Add(idleTimeout + 10*time.Second))
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("reading the idle connection: %v, want EOF (closed by the server after %v)", err, idleTimeout)
	}
}

// TestHistoryLimitCapped asks a real store of more records than one answer may hold for the
// largest limit accepted: it gets the newest maxHistoryRecords, and the store is asked for no
// more.
func TestHistoryLimitCapped(t *testing.T) {
	checkNoLeaks(t)
	store, err := history.Open(filepath.Join(t.TempDir(), "history.log"), history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const n = maxHistoryRecords + 200
	for i := range n {
		r := history.Record{Time: fixedNow.Add(time.Duration(i) * time.Second), Code: 0, Cause: "ok", Title: fmt.Sprint(i)}
		if err := store.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var asked []int
	last := func(limit int) ([]history.Record, error) {
		mu.Lock()
		asked = append(asked, limit)
		mu.Unlock()
		return store.Last(limit)
	}
	ts := startServer(t, ServerOptions{Source: newFakeSource(diagnosis.CauseOK), History: last}, false)
	tests := []struct {
		limit     string
		wantAsked int
		wantLen   int
	}{
		{"10", 10, 10},
		{fmt.Sprint(maxHistoryRecords), maxHistoryRecords, maxHistoryRecords},
		{fmt.Sprint(maxHistoryLimit), maxHistoryRecords, maxHistoryRecords},
	}
	for _, tt := range tests {
		t.Run("limit="+tt.limit, func(t *testing.T) {
			mu.Lock()
			asked = nil
			mu.Unlock()
			var got []history.Record
			lim := 0
			fmt.Sscan(tt.limit, &lim)
			got, err := NewClient(ts.path).History(t.Context(), lim)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantLen || got[len(got)-1].Title != fmt.Sprint(n-1) {
				t.Errorf("%d records ending with %q, want the newest %d", len(got), got[len(got)-1].Title, tt.wantLen)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(asked) != 1 || asked[0] != tt.wantAsked {
				t.Errorf("the store was asked for %v, want [%d]", asked, tt.wantAsked)
			}
		})
	}
}

// TestCheckRequestsCoalesced sends 50 check requests at once: the first is passed on, the rest
// share one more check when the interval has passed, and nobody is refused.
func TestCheckRequestsCoalesced(t *testing.T) {
	checkNoLeaks(t)
	tests := []struct {
		name     string
		interval time.Duration
		want     int // checks passed on in the end
	}{
		{"within the interval", time.Hour, 1},
		{"the queued check runs when the interval ends", 300 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newFakeSource(diagnosis.CauseOK)
			ts := startServer(t, ServerOptions{Source: src}, false)
			ts.checks.interval = tt.interval
			c := NewClient(ts.path)
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			for range 50 {
				wg.Go(func() { errs <- c.CheckNow(t.Context()) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("a check request was refused: %v", err)
				}
			}
			waitFor(t, "the checks to be passed on", func() bool { checks, _ := src.counts(); return checks >= tt.want })
			if tt.interval < time.Second {
				time.Sleep(3 * tt.interval) // give an extra check the chance to (wrongly) run
			}
			if checks, _ := src.counts(); checks != tt.want {
				t.Fatalf("50 requests ran %d checks, want %d", checks, tt.want)
			}
			ts.shutdown(t)
			if checks, _ := src.counts(); checks != tt.want {
				t.Fatalf("%d checks after the shutdown, want %d", checks, tt.want)
			}
		})
	}
}

// switchPeers says every connection comes from uid, which the test may change.
type switchPeers struct {
	mu  sync.Mutex
	uid int
}

func (p *switchPeers) PeerUID(net.Conn) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.uid, nil
}

func (p *switchPeers) set(uid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uid = uid
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
