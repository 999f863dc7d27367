package testnet

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// PlainHTTPServer answers whatever a client sends first — an HTTP request or a TLS
// ClientHello — with one fixed HTTP/1.1 response, then closes. On a TLS port it stands for a
// transparent proxy or a block page: a TLS client fails with "tls: first record does not look
// like a TLS handshake" (ssl_not_tls).
type PlainHTTPServer struct {
	cs       *connServer
	response []byte
}

// StartPlainHTTP serves the response (status, extra header, body) on ln. Content-Type defaults
// to text/html; charset=utf-8; Content-Length and Connection: close are always set.
func StartPlainHTTP(ln net.Listener, status int, header http.Header, body string) (*PlainHTTPServer, error) {
	s := &PlainHTTPServer{response: rawResponse(status, header, body)}
	cs, err := startConnServer(ln, s.handle)
	if err != nil {
		return nil, fmt.Errorf("starting plain HTTP server: %w", err)
	}
	s.cs = cs
	return s, nil
}

// StartLocalPlainHTTP serves the response on 127.0.0.1.
func StartLocalPlainHTTP(status int, header http.Header, body string) (*PlainHTTPServer, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartPlainHTTP(ln, status, header, body)
}

func (s *PlainHTTPServer) handle(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(helloTimeout))
	buf := make([]byte, 64<<10)
	if _, err := c.Read(buf); err != nil {
		return false
	}
	if _, err := c.Write(s.response); err != nil {
		return false
	}
	// Send FIN, then drain what the client still sends so the close is not turned into a RST
	// (closing with unread data resets the connection).
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.Copy(io.Discard, c)
	return false
}

// Addr returns the address the server listens on (host:port).
func (s *PlainHTTPServer) Addr() string { return s.cs.Addr() }

// Close stops the server, closes its connections and waits for its goroutines.
func (s *PlainHTTPServer) Close() error { return s.cs.Close() }

// rawResponse renders a complete HTTP/1.1 response.
func rawResponse(status int, header http.Header, body string) []byte {
	h := header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.Bytes()
}
