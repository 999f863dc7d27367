//go:build linux

package lab

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tiny servers that prove the lab; the real ones live in internal/testnet.

// serveTCP runs handle for each connection on ln until the test ends.
func serveTCP(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				handle(c)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

// listen opens a TCP listener in the servers namespace or fails the test.
func listen(t *testing.T, l *Lab, addr string) net.Listener {
	t.Helper()
	ln, err := l.Listen(Servers, "tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// startBanner answers each connection on addr with "name\n", then echoes.
func startBanner(t *testing.T, l *Lab, addr, name string) {
	t.Helper()
	serveTCP(t, listen(t, l, addr), func(c net.Conn) {
		io.WriteString(c, name+"\n")
		io.Copy(c, c)
	})
}

// startTLS serves TLS on addr with a certificate for names and writes "tls NAME\n" after
// each handshake.
func startTLS(t *testing.T, l *Lab, addr string, cert tls.Certificate) {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	serveTCP(t, listen(t, l, addr), func(c net.Conn) {
		tc := tls.Server(c, cfg)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		io.WriteString(tc, "tls "+tc.ConnectionState().ServerName+"\n")
		tc.Close()
	})
}

// startHTTP serves h on addr.
func startHTTP(t *testing.T, l *Lab, addr string, h http.Handler) {
	t.Helper()
	ln := listen(t, l, addr)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
}

// startUDPEcho echoes datagrams on addr.
func startUDPEcho(t *testing.T, l *Lab, addr string) {
	t.Helper()
	pc, err := l.ListenPacket(Servers, "udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
}

// selfSigned makes a certificate for names, and a pool that trusts it.
func selfSigned(t *testing.T, names ...string) (tls.Certificate, *x509.CertPool, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "swlab test"},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, pemCert
}

// readLine connects from the client to addr and returns the first line the server sends.
func readLine(ctx context.Context, l *Lab, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := l.DialFromClient(ctx, "tcp4", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	d, _ := ctx.Deadline()
	c.SetDeadline(d)
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// tlsHello does a TLS handshake from the client to addr naming serverName and returns the
// server's first line.
func tlsHello(ctx context.Context, l *Lab, addr, serverName string, pool *x509.CertPool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	raw, err := l.DialFromClient(ctx, "tcp4", addr)
	if err != nil {
		return "", err
	}
	c := tls.Client(raw, &tls.Config{ServerName: serverName, RootCAs: pool})
	defer c.Close()
	d, _ := ctx.Deadline()
	c.SetDeadline(d)
	if err := c.HandshakeContext(ctx); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if errors.Is(err, io.EOF) && line != "" {
		err = nil
	}
	return strings.TrimSpace(line), err
}
