package testnet

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"
)

// DialFunc dials a network address, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// ProxyServer is an HTTP proxy: CONNECT tunnels bytes both ways, absolute-URI requests
// (GET http://host/path) are forwarded. Hosts matching a Deny rule get 403 Forbidden;
// upstreams it cannot reach get 502 Bad Gateway; a request that is not a proxy request gets
// 400 Bad Request (what a client talking to a proxy as if it were the origin sees).
type ProxyServer struct {
	web       *HTTPServer
	dial      DialFunc
	transport *http.Transport
	forward   *httputil.ReverseProxy

	mu       sync.Mutex
	login    string // "user:password" a client must send in Proxy-Authorization; "" = none
	deny     []string
	requests []string
	closed   bool
	tunnels  map[net.Conn]struct{}
	wg       sync.WaitGroup // CONNECT handlers; Add only under mu while !closed

	once     sync.Once
	closeErr error
}

// StartProxy serves a proxy on ln that reaches upstreams with dial (nil: a net.Dialer, whose
// system resolver knows no test names). To resolve test names, pass
// (&net.Dialer{Resolver: dnsServer.Resolver()}).DialContext. dial runs on whatever OS thread
// the runtime picks, so in a network-namespace lab it must itself dial from the namespace the
// proxy's upstreams live in.
func StartProxy(ln net.Listener, dial DialFunc) (*ProxyServer, error) {
	if ln == nil {
		return nil, errors.New("starting proxy: nil listener")
	}
	if dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		dial = d.DialContext
	}
	p := &ProxyServer{dial: dial, tunnels: make(map[net.Conn]struct{})}
	p.transport = &http.Transport{
		DialContext:           dial,
		DisableKeepAlives:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	p.forward = &httputil.ReverseProxy{
		Rewrite:   func(*httputil.ProxyRequest) {}, // Out.URL is In's absolute URL already
		Transport: p.transport,
		ErrorLog:  log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "Bad Gateway: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.web = startHTTP(ln, http.HandlerFunc(p.serveHTTP), nil, false)
	return p, nil
}

// StartLocalProxy serves a proxy on 127.0.0.1 (see StartProxy).
func StartLocalProxy(dial DialFunc) (*ProxyServer, error) {
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartProxy(ln, dial)
}

// Deny makes the proxy answer 403 Forbidden to CONNECT and requests for hostSuffix and its
// subdomains ("spotify.com" covers api.spotify.com, not notspotify.com). An empty hostSuffix
// denies every host.
func (p *ProxyServer) Deny(hostSuffix string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deny = append(p.deny, strings.TrimSuffix(strings.ToLower(hostSuffix), "."))
}

// RequireLogin makes the proxy answer 407 Proxy Authentication Required, with a Basic
// challenge, to every request that does not carry this user name and password.
func (p *ProxyServer) RequireLogin(user, password string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.login = user + ":" + password
}

// authorized reports whether r carries the login the proxy requires (true when it needs none).
func (p *ProxyServer) authorized(r *http.Request) bool {
	p.mu.Lock()
	login := p.login
	p.mu.Unlock()
	if login == "" {
		return true
	}
	scheme, encoded, ok := strings.Cut(r.Header.Get("Proxy-Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(encoded)
	return err == nil && string(got) == login
}

func (p *ProxyServer) denied(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.deny {
		if d == "" || host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// Requests returns the requests the proxy received, in order, as "CONNECT host:port" or
// "GET http://host/path".
func (p *ProxyServer) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

func (p *ProxyServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.URL.String()
	if r.Method == http.MethodConnect {
		target = r.Host
	}
	p.mu.Lock()
	p.requests = append(p.requests, r.Method+" "+target)
	p.mu.Unlock()

	switch {
	case !p.authorized(r):
		w.Header().Set("Proxy-Authenticate", `Basic realm="spotwatch test proxy"`)
		http.Error(w, "Proxy Authentication Required", http.StatusProxyAuthRequired)
	case r.Method == http.MethodConnect:
		p.connect(w, r)
	case r.URL.IsAbs() && r.URL.Host != "":
		if p.denied(r.URL.Hostname()) {
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		r.Header.Del("Proxy-Connection")
		r.Header.Del("Proxy-Authorization")
		p.forward.ServeHTTP(w, r)
	default:
		http.Error(w, "Bad Request: not a proxy request", http.StatusBadRequest)
	}
}

func (p *ProxyServer) connect(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		http.Error(w, "Bad Request: CONNECT needs host:port", http.StatusBadRequest)
		return
	}
	if p.denied(host) {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	if !p.begin() {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	defer p.wg.Done()

	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	up, err := p.dial(ctx, "tcp", r.Host)
	cancel()
	if err != nil {
		http.Error(w, "Bad Gateway: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = up.Close()
		http.Error(w, "CONNECT needs HTTP/1.1", http.StatusHTTPVersionNotSupported)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	if !p.track(client, up) {
		_ = client.Close()
		_ = up.Close()
		return
	}
	defer p.untrack(client, up)
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	// Either direction ending ends the tunnel; Close also ends it by closing both ends.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(up, buf) // buf holds what the client sent after its CONNECT, then client
		_ = up.Close()
		_ = client.Close()
	}()
	_, _ = io.Copy(client, up)
	_ = up.Close()
	_ = client.Close()
	<-done
}

// begin counts a CONNECT handler in wg; false once the proxy is closed.
func (p *ProxyServer) begin() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	return true
}

func (p *ProxyServer) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range conns {
		p.tunnels[c] = struct{}{}
	}
	return true
}

func (p *ProxyServer) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.tunnels, c)
	}
}

// Addr returns the address the proxy listens on (host:port).
func (p *ProxyServer) Addr() string { return p.web.Addr() }

// URL returns "http://host:port", the proxy URL for clients.
func (p *ProxyServer) URL() string { return p.web.URL() }

// Close stops the proxy, ends its tunnels and waits for its goroutines.
func (p *ProxyServer) Close() error {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		for c := range p.tunnels {
			_ = c.Close()
		}
		p.mu.Unlock()
		if err := p.web.Close(); err != nil {
			p.closeErr = fmt.Errorf("closing proxy: %w", err)
		}
		p.wg.Wait()
		p.transport.CloseIdleConnections()
	})
	return p.closeErr
}
