package testnet

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// HelloAction is what a HelloServer does once it has read a client's TLS ClientHello.
type HelloAction int

// The behaviours of a HelloServer, as middleboxes that filter TLS behave.
const (
	ResetAfterHello HelloAction = iota // close with SO_LINGER 0: the client gets ECONNRESET
	FINAfterHello                      // close normally: the client gets EOF
	HangAfterHello                     // never answer (until Close): the client times out
)

var helloActionNames = [...]string{"ResetAfterHello", "FINAfterHello", "HangAfterHello"}

func (a HelloAction) String() string {
	if a >= 0 && int(a) < len(helloActionNames) {
		return helloActionNames[a]
	}
	return "HelloAction(" + strconv.Itoa(int(a)) + ")"
}

// helloTimeout bounds how long a server waits for a ClientHello.
const helloTimeout = 10 * time.Second

// HelloServer is a raw TCP server that reads the TLS ClientHello and then resets, closes or
// hangs, never answering TLS. It stands for a firewall or filter that kills TLS to a port.
type HelloServer struct {
	cs     *connServer
	action HelloAction

	mu   sync.Mutex
	snis []string
}

// StartHello serves action on ln.
func StartHello(ln net.Listener, action HelloAction) (*HelloServer, error) {
	s := &HelloServer{action: action}
	cs, err := startConnServer(ln, s.handle)
	if err != nil {
		return nil, fmt.Errorf("starting %v server: %w", action, err)
	}
	s.cs = cs
	return s, nil
}

// StartLocalHello serves action on 127.0.0.1.
func StartLocalHello(action HelloAction) (*HelloServer, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartHello(ln, action)
}

func (s *HelloServer) handle(c net.Conn) bool {
	sni, _, err := readClientHello(c)
	if err == nil {
		s.mu.Lock()
		s.snis = append(s.snis, sni)
		s.mu.Unlock()
	}
	switch s.action {
	case ResetAfterHello:
		reset(c)
	case HangAfterHello:
		_, _ = io.Copy(io.Discard, c) // until the client leaves or Close closes c
	}
	return false // FINAfterHello and the others: a normal close
}

// ServerNames returns the SNI of every ClientHello read so far, in order ("" for none).
func (s *HelloServer) ServerNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.snis...)
}

// Addr returns the address the server listens on (host:port).
func (s *HelloServer) Addr() string { return s.cs.Addr() }

// Close stops the server, closes its connections and waits for its goroutines.
func (s *HelloServer) Close() error { return s.cs.Close() }

// errHelloRead stops the TLS handshake once the ClientHello is parsed.
var errHelloRead = errors.New("ClientHello read")

// readClientHello reads the client's ClientHello from c and returns its server name and every
// byte read from c, so that the connection can be replayed to a real TLS server. It uses
// crypto/tls to parse the hello on a copy of the stream and discards whatever tls would write.
func readClientHello(c net.Conn) (sni string, raw []byte, err error) {
	_ = c.SetReadDeadline(time.Now().Add(helloTimeout))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	var buf bytes.Buffer
	parsed := false
	cfg := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni, parsed = h.ServerName, true
		return nil, errHelloRead
	}}
	herr := tls.Server(&readOnlyConn{Conn: c, r: io.TeeReader(c, &buf)}, cfg).Handshake()
	if !parsed {
		return "", buf.Bytes(), fmt.Errorf("reading ClientHello: %w", herr)
	}
	return sni, buf.Bytes(), nil
}

// readOnlyConn reads from r and discards writes; Close does nothing.
type readOnlyConn struct {
	net.Conn
	r io.Reader
}

func (c *readOnlyConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *readOnlyConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *readOnlyConn) Close() error                { return nil }

// replayConn is c with the bytes already read from it put back in front.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func newReplayConn(c net.Conn, prefix []byte) net.Conn {
	return &replayConn{Conn: c, r: io.MultiReader(bytes.NewReader(prefix), c)}
}
