package testnet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPServer serves an http.Handler over plain HTTP or HTTPS.
type HTTPServer struct {
	srv       *http.Server
	ln        net.Listener
	scheme    string
	ctx       context.Context // parent of every request's context; cancelled by Close
	cancel    context.CancelFunc
	serveDone chan struct{}
	conns     sync.WaitGroup // one per connection, from StateNew to StateClosed/StateHijacked
	once      sync.Once
	closeErr  error
}

// StartHTTP serves h over plain HTTP on ln.
func StartHTTP(ln net.Listener, h http.Handler) (*HTTPServer, error) {
	if ln == nil {
		return nil, errors.New("starting HTTP server: nil listener")
	}
	return startHTTP(ln, h, nil, false), nil
}

// StartLocalHTTP serves h over plain HTTP on 127.0.0.1.
func StartLocalHTTP(h http.Handler) (*HTTPServer, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartHTTP(ln, h)
}

// StartHTTPS serves h over HTTPS (HTTP/1.1 and HTTP/2) on ln with the certificate cert.
func StartHTTPS(ln net.Listener, cert tls.Certificate, h http.Handler) (*HTTPServer, error) {
	return StartHTTPSConfig(ln, &tls.Config{Certificates: []tls.Certificate{cert}}, h)
}

// StartHTTPSConfig serves h over HTTPS on ln with a TLS configuration that must provide
// Certificates or GetCertificate (for instance CA.ServerConfig, which issues a certificate for
// whatever name the client asks for).
func StartHTTPSConfig(ln net.Listener, cfg *tls.Config, h http.Handler) (*HTTPServer, error) {
	if ln == nil {
		return nil, errors.New("starting HTTPS server: nil listener")
	}
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil) {
		return nil, errors.New("starting HTTPS server: no certificate in the TLS configuration")
	}
	return startHTTP(ln, h, cfg.Clone(), true), nil
}

// StartLocalHTTPS serves h over HTTPS on 127.0.0.1 with the certificate cert.
func StartLocalHTTPS(cert tls.Certificate, h http.Handler) (*HTTPServer, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartHTTPS(ln, cert, h)
}

// startHTTP serves h on ln. With cfg and tlsWrap, it terminates TLS itself (ServeTLS); with
// cfg and !tlsWrap, ln already yields *tls.Conn.
func startHTTP(ln net.Listener, h http.Handler, cfg *tls.Config, tlsWrap bool) *HTTPServer {
	if h == nil {
		h = http.NotFoundHandler()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &HTTPServer{ln: ln, scheme: "http", ctx: ctx, cancel: cancel, serveDone: make(chan struct{})}
	if cfg != nil {
		s.scheme = "https"
	}
	s.srv = &http.Server{
		Handler:           h,
		TLSConfig:         cfg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnState:         s.connState,
	}
	go func() {
		defer close(s.serveDone)
		if cfg != nil && tlsWrap {
			_ = s.srv.ServeTLS(ln, "", "")
		} else {
			_ = s.srv.Serve(ln)
		}
	}()
	return s
}

func (s *HTTPServer) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.conns.Done()
	}
}

// Addr returns the address the server listens on (host:port).
func (s *HTTPServer) Addr() string { return s.ln.Addr().String() }

// URL returns "http://host:port" or "https://host:port".
func (s *HTTPServer) URL() string { return s.scheme + "://" + s.Addr() }

// Close stops the server, closes its connections, cancels the contexts of running requests and
// waits for the connections to end. Hijacked connections are their hijacker's business.
func (s *HTTPServer) Close() error {
	s.once.Do(func() {
		s.cancel()
		if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("closing HTTP server: %w", err)
		}
		<-s.serveDone
		_ = s.srv.Close() // a connection accepted while closing
		s.conns.Wait()
	})
	return s.closeErr
}

func listenLocal() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	return ln, nil
}
