package testnet

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// connServer accepts TCP connections and runs handle on each in its own goroutine. handle
// returns true when it handed the connection to someone else; otherwise the connection is
// closed when handle returns. Close stops accepting, closes the connections being handled and
// waits for every goroutine.
type connServer struct {
	ln     net.Listener
	handle func(net.Conn) (handedOff bool)
	done   chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup // accept loop + handlers; Add only under mu while !closed

	once     sync.Once
	closeErr error
}

func startConnServer(ln net.Listener, handle func(net.Conn) bool) (*connServer, error) {
	if ln == nil {
		return nil, errors.New("starting server: nil listener")
	}
	s := &connServer{ln: ln, handle: handle, done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *connServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: try again, Close ends the loop
			continue
		}
		if !s.track(c) {
			_ = c.Close()
			return
		}
		go func() {
			defer s.wg.Done()
			if !s.handle(c) {
				_ = c.Close()
			}
			s.untrack(c)
		}()
	}
}

// track registers c and counts its handler in wg; false once the server is closed.
func (s *connServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *connServer) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

func (s *connServer) Addr() string { return s.ln.Addr().String() }

func (s *connServer) Close() error {
	s.once.Do(func() {
		close(s.done)
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("closing listener: %w", err)
		}
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s.closeErr
}

// reset closes c with SO_LINGER 0, so the peer receives a TCP RST (ECONNRESET) instead of a FIN.
func reset(c net.Conn) {
	if l, ok := c.(interface{ SetLinger(int) error }); ok {
		_ = l.SetLinger(0)
	}
	_ = c.Close()
}
