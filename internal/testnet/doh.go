package testnet

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/miekg/dns"
)

// DoHPath is the path a DoHServer answers on.
const DoHPath = "/dns-query"

// dohContentType is the media type of RFC 8484 DNS messages.
const dohContentType = "application/dns-message"

// DoHServer is a DNS-over-HTTPS server (RFC 8484: GET ?dns=base64url and POST
// application/dns-message on /dns-query) answering from a Zone. A Silent name gets no HTTP
// response: the request hangs until the client gives up or the server closes.
type DoHServer struct {
	web     *HTTPServer
	zone    *Zone
	queries atomic.Int64
}

// StartDoH serves zone over HTTPS on ln with cert (for a DoH server reached by IP, the cert
// needs an IP SAN of that address; see StartLocalDoH).
func StartDoH(ln net.Listener, cert tls.Certificate, zone *Zone) (*DoHServer, error) {
	if zone == nil {
		return nil, errors.New("starting DoH server: nil zone")
	}
	d := &DoHServer{zone: zone}
	mux := http.NewServeMux()
	mux.HandleFunc(DoHPath, d.serveHTTP)
	web, err := StartHTTPS(ln, cert, mux)
	if err != nil {
		return nil, fmt.Errorf("starting DoH server: %w", err)
	}
	d.web = web
	return d, nil
}

// StartLocalDoH serves zone on 127.0.0.1 with a certificate from ca for IP 127.0.0.1.
func StartLocalDoH(ca *CA, zone *Zone) (*DoHServer, error) {
	cert, err := ca.Issue(nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("starting DoH server: %w", err)
	}
	ln, err := listenLocal()
	if err != nil {
		return nil, err
	}
	return StartDoH(ln, cert, zone)
}

func (d *DoHServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var wire []byte
	switch r.Method {
	case http.MethodGet:
		q := strings.TrimRight(r.URL.Query().Get("dns"), "=")
		if q == "" {
			http.Error(w, "missing dns parameter", http.StatusBadRequest)
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(q)
		if err != nil {
			http.Error(w, "dns parameter is not base64url", http.StatusBadRequest)
			return
		}
		wire = b
	case http.MethodPost:
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != dohContentType {
			http.Error(w, "content type must be "+dohContentType, http.StatusUnsupportedMediaType)
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, dns.MaxMsgSize+1))
		if err != nil || len(b) > dns.MaxMsgSize {
			http.Error(w, "bad request body", http.StatusBadRequest)
			return
		}
		wire = b
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	req := new(dns.Msg)
	if err := req.Unpack(wire); err != nil {
		http.Error(w, "malformed DNS message", http.StatusBadRequest)
		return
	}
	d.queries.Add(1)
	m := d.zone.Respond(req)
	if m == nil { // Silent: hang, then drop the connection without a response
		<-r.Context().Done()
		panic(http.ErrAbortHandler)
	}
	out, err := m.Pack()
	if err != nil {
		http.Error(w, "packing answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", dohContentType)
	w.Header().Set("Cache-Control", "max-age="+strconv.Itoa(TTL))
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
}

// Zone returns the zone the server answers from.
func (d *DoHServer) Zone() *Zone { return d.zone }

// Queries returns how many well-formed DNS queries the server received.
func (d *DoHServer) Queries() int { return int(d.queries.Load()) }

// Addr returns the address the server listens on (host:port).
func (d *DoHServer) Addr() string { return d.web.Addr() }

// URL returns the DoH endpoint, https://host:port/dns-query.
func (d *DoHServer) URL() string { return d.web.URL() + DoHPath }

// Close stops the server and waits for its connections to end.
func (d *DoHServer) Close() error { return d.web.Close() }
