package testnet_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

// TestCloseLeavesNoGoroutines starts every server, leaves clients connected to them (a hung
// TLS handshake, an open access-point connection, a tunnel, a silent DoH request, a silent DNS
// query over TCP), closes the servers and checks that the goroutine count settles back.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	ca := newCA(t)
	var servers []io.Closer
	start := func(c io.Closer, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, c)
	}
	dnsSrv, err := testnet.StartLocalDNS()
	start(dnsSrv, err)
	dnsSrv.SetA("apresolve.spotify.com", netip.MustParseAddr("127.0.0.1"))
	dnsSrv.SetMode("silent.spotify.com", testnet.Silent)
	doh, err := testnet.StartLocalDoH(ca, dnsSrv.Zone)
	start(doh, err)
	cert, err := ca.Issue([]string{"apresolve.spotify.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	spotify, err := testnet.StartLocalHTTPS(cert, testnet.SpotifyHandler(nil))
	start(spotify, err)
	hang, err := testnet.StartLocalHello(testnet.HangAfterHello)
	start(hang, err)
	rst, err := testnet.StartLocalHello(testnet.ResetAfterHello)
	start(rst, err)
	plain, err := testnet.StartLocalPlainHTTP(200, nil, "blocked")
	start(plain, err)
	sni, err := testnet.StartLocalSNIFilter(ca, "spotify", nil)
	start(sni, err)
	ap, err := testnet.StartLocalTCP(testnet.Accept)
	start(ap, err)
	portal, err := testnet.StartLocalHTTP(testnet.PortalHandler("http://portal.example/"))
	start(portal, err)
	d := &net.Dialer{Resolver: dnsSrv.Resolver()}
	proxy, err := testnet.StartLocalProxy(d.DialContext)
	start(proxy, err)

	// Clients, some of which stay connected.
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	dial := func(addr string) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		return c
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clientErrs := make(chan error, 4)
	go func() { // hangs until the server closes
		_, err := tlsHandshake(hang.Addr(), "api.spotify.com", nil, 30*time.Second)
		clientErrs <- err
	}()
	go func() { // silent DoH: hangs until the server closes
		_, err := dohClient(ca, 0).Do(dohRequest(t, ctx, http.MethodPost, doh.URL(), "silent.spotify.com"))
		clientErrs <- err
	}()
	go func() { // silent DNS over TCP
		c := &dns.Client{Net: "tcp", Timeout: 30 * time.Second}
		m := new(dns.Msg)
		m.SetQuestion("silent.spotify.com.", dns.TypeA)
		_, _, err := c.Exchange(m, dnsSrv.Addr())
		clientErrs <- err
	}()
	if _, err := tlsHandshake(rst.Addr(), "api.spotify.com", nil, 5*time.Second); err == nil {
		t.Error("handshake with ResetAfterHello succeeded")
	}
	if _, err := tlsHandshake(plain.Addr(), "api.spotify.com", nil, 5*time.Second); err == nil {
		t.Error("handshake with plain HTTP succeeded")
	}
	if c, err := tlsHandshake(sni.Addr(), "example.org", ca, 5*time.Second); err != nil {
		t.Errorf("handshake with SNI filter: %v", err)
	} else {
		open = append(open, c)
	}
	dial(ap.Addr()).Write([]byte("hello"))
	get(t, pinnedClient(nil, portal.Addr()), "http://captive.apple.com/hotspot-detect.html")
	get(t, pinnedClient(ca, spotify.Addr()), "https://apresolve.spotify.com/")
	tunnel := dial(proxy.Addr())
	fmt.Fprintf(tunnel, "CONNECT %s HTTP/1.1\r\nHost: x\r\n\r\n", ap.Addr())
	if resp, err := http.ReadResponse(bufio.NewReader(tunnel), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	// An idle keep-alive connection to an HTTP server.
	keep := dial(spotify.Addr())
	open = append(open, keep)
	waitFor(t, "the hanging clients", func() bool {
		return doh.Queries() > 0 && dnsSrv.Queries() > 0 && len(hang.ServerNames()) > 0
	})

	for _, s := range servers {
		closeWithin(t, s, 5*time.Second)
	}
	for range 3 {
		select {
		case <-clientErrs:
		case <-time.After(10 * time.Second):
			t.Fatal("a client is still waiting after its server closed")
		}
	}
	for _, c := range open {
		c.Close()
	}

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
