package testnet

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// SNIFilterServer is a TLS server behind an SNI filter: a ClientHello whose server name
// contains the blocked substring (case-insensitive) is answered with a TCP RST (the client sees
// ECONNRESET, not a TLS alert); any other completes TLS with a certificate the CA issues for the
// requested name and is served by the handler.
type SNIFilterServer struct {
	cs      *connServer
	web     *HTTPServer
	handoff *handoffListener
	cfg     *tls.Config
	blocked string
	resets  atomic.Int64
}

// StartSNIFilter serves on ln, resetting ClientHellos whose SNI contains blocked (an empty
// blocked resets nothing) and serving h over HTTPS to the others; a nil h answers 200 "OK".
func StartSNIFilter(ln net.Listener, ca *CA, blocked string, h http.Handler) (*SNIFilterServer, error) {
	if ca == nil {
		return nil, errors.New("starting SNI filter: nil CA")
	}
	if ln == nil {
		return nil, errors.New("starting SNI filter: nil listener")
	}
	if h == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("OK\n"))
		})
	}
	s := &SNIFilterServer{
		handoff: newHandoffListener(ln.Addr()),
		cfg:     &tls.Config{GetCertificate: ca.GetCertificate, NextProtos: []string{"http/1.1"}},
		blocked: strings.ToLower(blocked),
	}
	s.web = startHTTP(s.handoff, h, s.cfg, false)
	cs, err := startConnServer(ln, s.handle)
	if err != nil {
		_ = s.web.Close()
		return nil, fmt.Errorf("starting SNI filter: %w", err)
	}
	s.cs = cs
	return s, nil
}

// StartLocalSNIFilter serves on 127.0.0.1.
func StartLocalSNIFilter(ca *CA, blocked string, h http.Handler) (*SNIFilterServer, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartSNIFilter(ln, ca, blocked, h)
}

func (s *SNIFilterServer) handle(c net.Conn) bool {
	sni, raw, err := readClientHello(c)
	if err != nil {
		return false
	}
	if s.blocked != "" && strings.Contains(strings.ToLower(sni), s.blocked) {
		s.resets.Add(1)
		reset(c)
		return false
	}
	return s.handoff.push(tls.Server(newReplayConn(c, raw), s.cfg))
}

// Resets returns how many connections the filter has reset.
func (s *SNIFilterServer) Resets() int { return int(s.resets.Load()) }

// Addr returns the address the server listens on (host:port).
func (s *SNIFilterServer) Addr() string { return s.cs.Addr() }

// Close stops the server, closes its connections and waits for its goroutines.
func (s *SNIFilterServer) Close() error {
	err := s.cs.Close()
	if werr := s.web.Close(); err == nil {
		err = werr
	}
	return err
}

// handoffListener is a net.Listener whose connections are pushed to it by another server.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to whoever calls Accept; false (c not taken) once the listener is closed.
func (l *handoffListener) push(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
