package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// hugeAnswer is how much a hostile server below tries to send: the 128 MB header that once
// drove a check to 689 MB of memory.
const hugeAnswer = 128 << 20

// Bounds the tests hold the probes to. The probes read at most a few tens of KB; the margins
// leave room for the kernel's socket buffers (the server's writes succeed until they are full)
// and for the rest of the check's allocations.
const (
	maxSentBytes  = 32 << 20 // far under hugeAnswer: the client stopped reading early
	maxAllocBytes = 16 << 20 // bytes allocated by the whole process while the probe ran
)

// hostileServer answers every connection with head and then streams filler bytes up to
// hugeAnswer in all, counting the bytes its writes managed to hand to the kernel. With tlsCfg it
// speaks TLS first; asProxy makes it read a CONNECT request instead of a GET.
type hostileServer struct {
	ln     net.Listener
	tlsCfg *tls.Config
	head   string
	filler string
	sent   atomic.Int64
	wg     sync.WaitGroup
}

func startHostile(t *testing.T, tlsCfg *tls.Config, head, filler string) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on loopback: %v", err)
	}
	s := &hostileServer{ln: ln, tlsCfg: tlsCfg, head: head, filler: filler}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *hostileServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			var conn net.Conn = c
			if s.tlsCfg != nil {
				conn = tls.Server(c, s.tlsCfg)
			}
			// Read the request's head (a GET or a CONNECT, no body).
			if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
				return
			}
			n, err := io.WriteString(conn, s.head)
			s.sent.Add(int64(n))
			if err != nil {
				return
			}
			chunk := []byte(strings.Repeat(s.filler, (64<<10)/len(s.filler)))
			for total := int64(len(s.head)); total < hugeAnswer; total += int64(len(chunk)) {
				n, err := conn.Write(chunk)
				s.sent.Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
	}
}

func (s *hostileServer) addr() string { return s.ln.Addr().String() }

// allocatedDuring returns the bytes the process allocated while f ran.
func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hostileAnswers are the answers that must not be read whole: headers without end, in one line
// or in many, a status line without end, and bodies far over the cap (with a length, chunked,
// and until the connection closes).
var hostileAnswers = []struct {
	name   string
	head   string
	filler string
}{
	{"one endless header", "HTTP/1.1 200 OK\r\nX-Evil: ", "a"},
	{"endless header lines", "HTTP/1.1 200 OK\r\n", "X-Evil: aaaaaaaaaaaaaaaa\r\n"},
	{"endless status line", "HTTP/1.1 200 ", "a"},
	{"huge body with a length", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", hugeAnswer), "a"},
	{"huge body until close", "HTTP/1.1 200 OK\r\n\r\n", "a"},
	{"huge chunk", fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", hugeAnswer), "a"},
}

// TestHTTPSProbeBoundsTheAnswer serves a Spotify name from a server with a genuine certificate
// that answers with megabytes of header or body: the probe reads a bounded part, fails with
// response_too_large, and neither memory nor the bytes pulled from the server grow with the
// answer.
func TestHTTPSProbeBoundsTheAnswer(t *testing.T) {
	ca, err := testnet.NewCA("spotwatch test public root", "spotwatch tests")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue([]string{"api.spotify.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := trust{system: ca.Pool(), public: testPublicRoots(t, ca)}
	for _, tt := range hostileAnswers {
		t.Run(tt.name, func(t *testing.T) {
			srv := startHostile(t, &tls.Config{Certificates: []tls.Certificate{cert}}, tt.head, tt.filler)
			_, port, _ := net.SplitHostPort(srv.addr())
			u := &url.URL{Scheme: "https", Host: net.JoinHostPort("api.spotify.com", port), Path: "/"}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var res httpsResult
			alloc := allocatedDuring(func() {
				res = fetchHTTPS(ctx, newNetPath("", time.Second, nil, false), tr, nil, u, "127.0.0.1", diagnosis.RoleSpotify)
			})
			p := res.probe
			if p.OK || p.Failure != failure.ResponseTooLarge || p.Detail.Step != "http" {
				t.Errorf("probe: ok=%v failure=%q step=%q, want failure %q at http", p.OK, p.Failure, p.Detail.Step, failure.ResponseTooLarge)
			}
			if len(res.body) > bodyCap {
				t.Errorf("kept a body of %d bytes, over the cap of %d", len(res.body), bodyCap)
			}
			if alloc > maxAllocBytes {
				t.Errorf("allocated %d MB while probing, want < %d MB", alloc>>20, maxAllocBytes>>20)
			}
			if sent := srv.sent.Load(); sent > maxSentBytes {
				t.Errorf("the server sent %d MB, want < %d MB", sent>>20, maxSentBytes>>20)
			}
		})
	}
}

// TestProxyConnectBoundsTheAnswer puts a hostile HTTP proxy between the probe and Spotify: an
// answer to CONNECT without end is response_too_large at the proxy step; a refusal with a huge
// body is a refusal, read without its body.
func TestProxyConnectBoundsTheAnswer(t *testing.T) {
	tests := []struct {
		name    string
		head    string
		filler  string
		failure string
	}{
		{"one endless header", "HTTP/1.1 200 Connection established\r\nX-Evil: ", "a", failure.ResponseTooLarge},
		{"endless header lines", "HTTP/1.1 200 Connection established\r\n", "X-Evil: aaaaaaaaaaaaaaaa\r\n", failure.ResponseTooLarge},
		{"endless status line", "HTTP/1.1 200 ", "a", failure.ResponseTooLarge},
		{"refusal with a huge body", fmt.Sprintf("HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n", hugeAnswer), "a", failure.ProxyRefused},
		{"refusal with a huge chunk", fmt.Sprintf("HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", hugeAnswer), "a", failure.ProxyRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startHostile(t, nil, tt.head, tt.filler)
			px := &url.URL{Scheme: "http", Host: srv.addr()}
			u := &url.URL{Scheme: "https", Host: "api.spotify.com", Path: "/"}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var res httpsResult
			alloc := allocatedDuring(func() {
				res = fetchHTTPS(ctx, newNetPath("", time.Second, nil, false), trust{}, px, u, "", diagnosis.RoleSpotify)
			})
			p := res.probe
			if p.OK || p.Failure != tt.failure || p.Detail.Step != "proxy" {
				t.Errorf("probe: ok=%v failure=%q step=%q, want failure %q at proxy", p.OK, p.Failure, p.Detail.Step, tt.failure)
			}
			if alloc > maxAllocBytes {
				t.Errorf("allocated %d MB while probing, want < %d MB", alloc>>20, maxAllocBytes>>20)
			}
			if sent := srv.sent.Load(); sent > maxSentBytes {
				t.Errorf("the proxy sent %d MB, want < %d MB", sent>>20, maxSentBytes>>20)
			}
		})
	}
}

// TestReadAnswerWithinBounds: answers that fit the caps are read whole, as before.
func TestReadAnswerWithinBounds(t *testing.T) {
	req := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "api.spotify.com", Path: "/"}}
	tests := []struct {
		name   string
		answer string
		status int
		body   int
	}{
		{"small", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, 2},
		{"headers just under the cap", "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("p", headerCap-200) + "\r\nContent-Length: 0\r\n\r\n", 200, 0},
		{"body of exactly the cap", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", bodyCap, strings.Repeat("b", bodyCap)), 200, bodyCap},
		{"chunked body of exactly the cap", fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", bodyCap, strings.Repeat("b", bodyCap)), 200, bodyCap},
		{"body until close", "HTTP/1.1 503 Service Unavailable\r\n\r\ndown", 503, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, err := readAnswer(strings.NewReader(tt.answer), req)
			if err != nil {
				t.Fatalf("readAnswer: %v", err)
			}
			if resp.StatusCode != tt.status || len(body) != tt.body {
				t.Errorf("got status %d and %d body bytes, want %d and %d", resp.StatusCode, len(body), tt.status, tt.body)
			}
		})
	}
}

// TestReadAnswerTooLarge: one byte over a cap is response_too_large.
func TestReadAnswerTooLarge(t *testing.T) {
	req := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "api.spotify.com", Path: "/"}}
	tests := []struct {
		name   string
		answer string
	}{
		{"headers over the cap", "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("p", headerCap) + "\r\n\r\n"},
		{"body one byte over the cap", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", bodyCap+1, strings.Repeat("b", bodyCap+1))},
		{"chunked body over the cap", fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", bodyCap+1, strings.Repeat("b", bodyCap+1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body, err := readAnswer(strings.NewReader(tt.answer), req)
			var tooLarge *failure.ResponseTooLargeError
			if !errors.As(err, &tooLarge) || failure.Classify(err) != failure.ResponseTooLarge {
				t.Errorf("readAnswer error = %v (%s), want a ResponseTooLargeError", err, failure.Classify(err))
			}
			if len(body) > bodyCap {
				t.Errorf("kept %d body bytes, over the cap", len(body))
			}
		})
	}
}

// TestDoHAndPortalProbesBoundTheAnswer: the DoH control and the captive-portal references read
// bounded answers too, and name the bound they met.
func TestDoHAndPortalProbesBoundTheAnswer(t *testing.T) {
	ca, err := testnet.NewCA("spotwatch test public root", "spotwatch tests")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range hostileAnswers {
		t.Run("doh: "+tt.name, func(t *testing.T) {
			srv := startHostile(t, &tls.Config{Certificates: []tls.Certificate{cert}}, tt.head, tt.filler)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var probes []diagnosis.Probe
			alloc := allocatedDuring(func() {
				probes = probeDoH(ctx, newNetPath("", time.Second, nil, false), trust{system: ca.Pool()}, "https://"+srv.addr()+"/dns-query", []string{"api.spotify.com"})
			})
			if len(probes) != 1 || probes[0].Failure != failure.ResponseTooLarge {
				t.Errorf("probes = %+v, want one failed with %q", probes, failure.ResponseTooLarge)
			}
			if alloc > maxAllocBytes {
				t.Errorf("allocated %d MB while probing, want < %d MB", alloc>>20, maxAllocBytes>>20)
			}
			if sent := srv.sent.Load(); sent > maxSentBytes {
				t.Errorf("the server sent %d MB, want < %d MB", sent>>20, maxSentBytes>>20)
			}
		})
		t.Run("portal: "+tt.name, func(t *testing.T) {
			srv := startHostile(t, nil, tt.head, tt.filler)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			path := newNetPath("", time.Second, nil, false)
			client := httpClient(path, envProxyFunc(func(string) string { return "" }))
			ref := config.HTTPReference{URL: "http://" + srv.addr() + "/hotspot-detect.html", Status: 200, Body: "Success"}
			var p diagnosis.Probe
			alloc := allocatedDuring(func() { p = probePortalReference(ctx, client, ref, path.pace) })
			if p.OK || p.Failure != failure.ResponseTooLarge {
				t.Errorf("probe: ok=%v failure=%q, want %q", p.OK, p.Failure, failure.ResponseTooLarge)
			}
			if alloc > maxAllocBytes {
				t.Errorf("allocated %d MB while probing, want < %d MB", alloc>>20, maxAllocBytes>>20)
			}
			if sent := srv.sent.Load(); sent > maxSentBytes {
				t.Errorf("the server sent %d MB, want < %d MB", sent>>20, maxSentBytes>>20)
			}
		})
	}
}
