package statusapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// This file bounds what one local user can take from the daemon: connections (each is a file
// descriptor, and a daemon out of descriptors cannot run its checks), event streams and checks.

// peer is the user at the other end of a connection, as the kernel told it when the connection
// was accepted. err is set where the OS cannot tell (Windows) or asking failed.
type peer struct {
	uid int
	err error
}

// known reports whether the peer's user id is known.
func (p peer) known() bool { return p.err == nil }

// connLimiter counts open connections per user and admits new ones:
//   - an ordinary user holds at most maxConnsPerUser connections;
//   - ordinary users (and peers of unknown user) together hold at most maxConns-reservedConns,
//     so that root and the daemon's own user always find a free slot;
//   - nobody opens more than maxConns in all.
//
// Peers of unknown user (Windows has no peer credentials) share the pool but have no per-user
// cap: there the socket's ACL already limits who connects.
type connLimiter struct {
	privileged func(uid int) bool

	mu    sync.Mutex
	n     map[int]int // open connections per key (see key)
	total int
}

// unknownUser is the key of connections whose user is not known.
const unknownUser = -1

func newConnLimiter(privileged func(uid int) bool) *connLimiter {
	return &connLimiter{privileged: privileged, n: map[int]int{}}
}

func (l *connLimiter) key(p peer) int {
	if !p.known() {
		return unknownUser
	}
	return p.uid
}

// acquire takes a slot for a connection of p, or says why there is none.
func (l *connLimiter) acquire(p peer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	privileged := p.known() && l.privileged(p.uid)
	switch {
	case l.total >= maxConns:
		return fmt.Errorf("the daemon has %d connections open, its maximum", l.total)
	case !privileged && l.total >= maxConns-reservedConns:
		return fmt.Errorf("the daemon has %d connections open; the last %d are kept for root and the daemon's user", l.total, reservedConns)
	case !privileged && p.known() && l.n[p.uid] >= maxConnsPerUser:
		return fmt.Errorf("uid %d already has %d connections open, the most one user may", p.uid, maxConnsPerUser)
	}
	l.n[l.key(p)]++
	l.total++
	return nil
}

// release gives back a slot taken by acquire.
func (l *connLimiter) release(p peer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.key(p)
	if l.n[k]--; l.n[k] <= 0 {
		delete(l.n, k)
	}
	l.total--
}

// count is the number of open connections of p's user.
func (l *connLimiter) count(p peer) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[l.key(p)]
}

// streamCounter counts open event streams per user. Peers of unknown user share one count.
type streamCounter struct {
	mu sync.Mutex
	n  map[int]int
}

// acquire takes one of the maxStreamsPerUser stream slots of p's user; false when they are all
// taken.
func (c *streamCounter) acquire(p peer) bool {
	k := unknownUser
	if p.known() {
		k = p.uid
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[k] >= maxStreamsPerUser {
		return false
	}
	if c.n == nil {
		c.n = map[int]int{}
	}
	c.n[k]++
	return true
}

func (c *streamCounter) release(p peer) {
	k := unknownUser
	if p.known() {
		k = p.uid
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[k]--; c.n[k] <= 0 {
		delete(c.n, k)
	}
}

// limitListener admits the connections the limiter allows. One it refuses gets a short 503
// answer and is closed at once, without reaching the HTTP server: it holds no slot, no
// goroutine and its descriptor only for as long as the write takes.
type limitListener struct {
	net.Listener
	peers   PeerCredentials
	limiter *connLimiter
	log     *slog.Logger
}

// refusalWriteTimeout bounds the write of the 503 to a refused connection (it fits in the
// socket's buffer: the write does not wait for the peer unless its buffer is full).
const refusalWriteTimeout = 100 * time.Millisecond

// Accept returns the next admitted connection, tagged with its peer (see peerConn).
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, err := l.peers.PeerUID(c)
		p := peer{uid: uid, err: err}
		if err := l.limiter.acquire(p); err != nil {
			l.log.Debug("refused a status API connection", "uid", uid, "reason", err)
			refuse(c, err.Error())
			continue
		}
		return &peerConn{Conn: c, peer: p, release: func() { l.limiter.release(p) }}, nil
	}
}

// refuse answers 503 with the reason and closes c.
func refuse(c net.Conn, reason string) {
	body := fmt.Sprintf("{\"error\":%q}\n", "too many connections: "+reason)
	c.SetWriteDeadline(time.Now().Add(refusalWriteTimeout))
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	c.Close()
}

// peerConn is an admitted connection: it knows its peer and gives its slot back when closed.
type peerConn struct {
	net.Conn
	peer    peer
	once    sync.Once
	release func()
}

func (c *peerConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// checkGate passes "check now" requests on to the monitor at most once per interval. A request
// within the interval of the last one passed on is not refused: it queues one check for when
// the interval ends, shared by every request that comes until then. Whoever asks (root
// included) thus gets a check that starts after the request, at most interval later, and a
// flood of requests costs at most one check per interval.
type checkGate struct {
	interval time.Duration
	run      func() // starts a check

	mu      sync.Mutex
	last    time.Time   // when a check was last passed on
	queued  *time.Timer // the queued check, if any
	stopped bool
}

// request passes a check on now (queued false) or queues one for start (queued true).
func (g *checkGate) request(now time.Time) (start time.Time, queued bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	next := g.last.Add(g.interval)
	if g.queued != nil {
		return next, true
	}
	if g.stopped {
		return now, false // shutting down: the monitor is stopping too
	}
	if g.last.IsZero() || !now.Before(next) {
		g.last = now
		g.run()
		return now, false
	}
	g.queued = time.AfterFunc(next.Sub(now), func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.queued = nil
		if g.stopped {
			return
		}
		g.last = time.Now()
		g.run()
	})
	return next, true
}

// stop drops a queued check and passes no more on (the server is shutting down).
func (g *checkGate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	if g.queued != nil {
		g.queued.Stop()
		g.queued = nil
	}
}

// peerOf returns the peer of the connection a request came on.
func (s *Server) peerOf(ctx context.Context) peer {
	if p, ok := ctx.Value(peerKey{}).(peer); ok {
		return p
	}
	conn, _ := ctx.Value(connKey{}).(net.Conn)
	if conn == nil {
		return peer{uid: unknownUser, err: errNoConn}
	}
	uid, err := s.auth.peers.PeerUID(conn)
	return peer{uid: uid, err: err}
}
