package failure

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/spotwatch/spotwatch/internal/testutil"
)

// spotifyName is the name the TLS and DNS tests ask for; the trailing dot keeps Go's resolver
// from trying search domains.
const spotifyName = "api.spotify.test."

// TestClassifyRealErrors produces each error for real over loopback and classifies it.
func TestClassifyRealErrors(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	now := time.Now()
	good := serveTLS(t, pki.leaf(t, "api.spotify.test", now.Add(-time.Hour), now.Add(time.Hour)))
	expired := serveTLS(t, pki.leaf(t, "api.spotify.test", now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
	trusting := &tls.Config{ServerName: "api.spotify.test", RootCAs: pki.roots}

	tests := []struct {
		name    string
		produce func(t *testing.T, ctx context.Context) error
		want    string
		// underWine is what wine 8 may give instead of want, where wine differs from Windows;
		// "" when it must give want too.
		underWine string
	}{
		{
			name: "dial a closed port",
			produce: func(t *testing.T, ctx context.Context) error {
				var d net.Dialer
				c, err := d.DialContext(ctx, "tcp", closedPort(t))
				if err == nil {
					c.Close()
				}
				return err
			},
			want: ConnectionRefused,
		},
		{
			name: "read after the server resets",
			produce: func(t *testing.T, ctx context.Context) error {
				c := dialAndGreet(t, ctx, serveTCP(t, resetAfterGreeting))
				_, err := c.Read(make([]byte, 1))
				return err
			},
			want: ConnectionReset,
			// Wine 8 sometimes ends a recv on a connection the peer reset with 0 bytes (EOF)
			// instead of WSAECONNRESET, depending on whether the RST arrived before the recv.
			underWine: EOFError,
		},
		{
			// The OS's error differs (EPIPE on Linux, WSAECONNRESET or WSAECONNABORTED on
			// Windows); the failure string is the contract.
			name: "write after the reset was read",
			produce: func(t *testing.T, ctx context.Context) error {
				c := dialAndGreet(t, ctx, serveTCP(t, resetAfterGreeting))
				if _, err := c.Read(make([]byte, 1)); Classify(err) != ConnectionReset {
					t.Fatalf("read: got %v (%s), want %s", err, Classify(err), ConnectionReset)
				}
				_, err := c.Write([]byte("hello"))
				if err == nil {
					t.Errorf("write after the reset: no error")
				}
				return err
			},
			want: ConnectionReset,
		},
		{
			name: "RST right after the ClientHello",
			produce: func(t *testing.T, ctx context.Context) error {
				addr := serveTCP(t, func(c net.Conn) {
					if readClientHello(c) == nil {
						resetClose(c)
					}
				})
				return tlsHandshake(ctx, addr, &tls.Config{ServerName: "api.spotify.test"})
			},
			want: ConnectionReset,
		},
		{
			name: "FIN right after the ClientHello",
			produce: func(t *testing.T, ctx context.Context) error {
				addr := serveTCP(t, func(c net.Conn) { _ = readClientHello(c) })
				return tlsHandshake(ctx, addr, &tls.Config{ServerName: "api.spotify.test"})
			},
			want: EOFError,
		},
		{
			name: "FIN in the middle of a TLS record (unexpected EOF)",
			produce: func(t *testing.T, ctx context.Context) error {
				addr := serveTCP(t, func(c net.Conn) {
					if readClientHello(c) == nil {
						_, _ = c.Write([]byte{0x16, 0x03, 0x03})
					}
				})
				return tlsHandshake(ctx, addr, &tls.Config{ServerName: "api.spotify.test"})
			},
			want: EOFError,
		},
		{
			name: "read deadline on a server that never answers",
			produce: func(t *testing.T, ctx context.Context) error {
				return readOnce(ctx, serveTCP(t, drain), 100*time.Millisecond)
			},
			want: GenericTimeout,
		},
		{
			name: "TLS handshake deadline on a server that never answers",
			produce: func(t *testing.T, ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				return tlsHandshake(ctx, serveTCP(t, drain), &tls.Config{ServerName: "api.spotify.test"})
			},
			want: GenericTimeout,
		},
		{
			name: "TLS to a plain-HTTP server",
			produce: func(t *testing.T, ctx context.Context) error {
				srv := httptest.NewServer(nil)
				t.Cleanup(srv.Close)
				return tlsHandshake(ctx, srv.Listener.Addr().String(), &tls.Config{ServerName: "api.spotify.test"})
			},
			want: SSLNotTLS,
		},
		{
			name: "certificate from an untrusted CA",
			produce: func(t *testing.T, ctx context.Context) error {
				return tlsHandshake(ctx, good, &tls.Config{ServerName: "api.spotify.test"})
			},
			want: SSLUnknownAuthority,
		},
		{
			name: "certificate for another name",
			produce: func(t *testing.T, ctx context.Context) error {
				return tlsHandshake(ctx, good, &tls.Config{ServerName: "spclient.wg.spotify.test", RootCAs: pki.roots})
			},
			want: SSLInvalidHostname,
		},
		{
			name: "expired certificate",
			produce: func(t *testing.T, ctx context.Context) error {
				return tlsHandshake(ctx, expired, trusting)
			},
			want: SSLInvalidCertificate,
		},
		{
			name: "valid certificate",
			produce: func(t *testing.T, ctx context.Context) error {
				return tlsHandshake(ctx, good, trusting)
			},
			want: "",
		},
		{
			name: "resolver answers NXDOMAIN",
			produce: func(t *testing.T, ctx context.Context) error {
				_, err := resolverAt(serveDNS(t, answerRCode(dns.RcodeNameError, true))).LookupHost(ctx, spotifyName)
				return err
			},
			want: DNSNXDomain,
		},
		{
			// Go reports NODATA as "no such host" too; only a direct query tells them apart.
			name: "resolver answers NOERROR without records",
			produce: func(t *testing.T, ctx context.Context) error {
				_, err := resolverAt(serveDNS(t, answerRCode(dns.RcodeSuccess, true))).LookupHost(ctx, spotifyName)
				return err
			},
			want: DNSNXDomain,
		},
		{
			name: "resolver answers SERVFAIL",
			produce: func(t *testing.T, ctx context.Context) error {
				_, err := resolverAt(serveDNS(t, answerRCode(dns.RcodeServerFailure, true))).LookupHost(ctx, spotifyName)
				return err
			},
			want: DNSServFail,
		},
		{
			// Go reports REFUSED as "server misbehaving", like SERVFAIL.
			name: "resolver answers REFUSED",
			produce: func(t *testing.T, ctx context.Context) error {
				_, err := resolverAt(serveDNS(t, answerRCode(dns.RcodeRefused, true))).LookupHost(ctx, spotifyName)
				return err
			},
			want: DNSServFail,
		},
		{
			name: "resolver gives a lame referral",
			produce: func(t *testing.T, ctx context.Context) error {
				_, err := resolverAt(serveDNS(t, answerRCode(dns.RcodeSuccess, false))).LookupHost(ctx, spotifyName)
				return err
			},
			want: DNSServFail,
		},
		{
			name: "resolver answers nothing",
			produce: func(t *testing.T, ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
				_, err := resolverAt(serveDNS(t, answerNothing)).LookupHost(ctx, spotifyName)
				return err
			},
			want: DNSTimeout,
		},
		{
			name: "dial by name the resolver says does not exist",
			produce: func(t *testing.T, ctx context.Context) error {
				d := net.Dialer{Resolver: resolverAt(serveDNS(t, answerRCode(dns.RcodeNameError, true)))}
				c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(spotifyName, "443"))
				if err == nil {
					c.Close()
				}
				return err
			},
			want: DNSNXDomain,
		},
		{
			name: "dial with a canceled context",
			produce: func(t *testing.T, ctx context.Context) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				var d net.Dialer
				c, err := d.DialContext(ctx, "tcp", serveTCP(t, drain))
				if err == nil {
					c.Close()
				}
				return err
			},
			want: Interrupted,
		},
		{
			name: "lookup with a canceled context",
			produce: func(t *testing.T, ctx context.Context) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				_, err := resolverAt(serveDNS(t, answerNothing)).LookupHost(ctx, spotifyName)
				return err
			},
			want: Interrupted,
		},
		{
			name: "TLS handshake canceled while the server is silent",
			produce: func(t *testing.T, ctx context.Context) error {
				ctx, cancel := context.WithCancel(ctx)
				time.AfterFunc(100*time.Millisecond, cancel)
				return tlsHandshake(ctx, serveTCP(t, drain), &tls.Config{ServerName: "api.spotify.test"})
			},
			want: Interrupted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := tt.produce(t, ctx)
			if got := Classify(err); testutil.UnderWine() && tt.underWine != "" && got == tt.underWine {
				t.Logf("under wine: %q (wine's answer for this case), not %q", got, tt.want)
				return
			}
			if got := Classify(err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", err, got, tt.want)
			}
			// Real Go errors must be decided by their types, not by the text fallback.
			if got := byType(err, errnoFailure); got != tt.want {
				t.Errorf("byType(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}

// dialAndGreet dials addr and writes one byte, which a resetAfterGreeting server waits for (a
// server resetting at once can make the connect itself fail with ECONNRESET). The connection
// closes at test cleanup.
func dialAndGreet(t *testing.T, ctx context.Context, addr string) net.Conn {
	t.Helper()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dialing %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatalf("setting deadline: %v", err)
	}
	if _, err := c.Write([]byte{'x'}); err != nil {
		t.Fatalf("greeting %s: %v", addr, err)
	}
	return c
}

// resetAfterGreeting reads the client's byte, then resets the connection.
func resetAfterGreeting(c net.Conn) {
	if _, err := c.Read(make([]byte, 1)); err == nil {
		resetClose(c)
	}
}

// readOnce dials addr and reads once with the given deadline.
func readOnce(ctx context.Context, addr string, deadline time.Duration) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dialing %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(deadline)); err != nil {
		return fmt.Errorf("setting deadline: %w", err)
	}
	if _, err := c.Read(make([]byte, 1)); err != nil {
		return fmt.Errorf("reading from %s: %w", addr, err)
	}
	return nil
}

// TestClassifyTypes covers the classification of errors by type, wrapped the way probes wrap
// them, including this package's HTTP error types.
func TestClassifyTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"context.Canceled", fmt.Errorf("probing: %w", context.Canceled), Interrupted},
		{"context.DeadlineExceeded", fmt.Errorf("probing: %w", context.DeadlineExceeded), GenericTimeout},
		{"os.ErrDeadlineExceeded", fmt.Errorf("reading: %w", os.ErrDeadlineExceeded), GenericTimeout},
		{"io.EOF", fmt.Errorf("reading: %w", ioEOF()), EOFError},
		{"HTTP status", fmt.Errorf("GET https://api.spotify.com/v1/me: %w", &HTTPStatusError{Status: 403}), "http_status_403"},
		{"HTTP status 511", &HTTPStatusError{Status: 511}, "http_status_511"},
		{"unexpected body", fmt.Errorf("GET portal: %w", &UnexpectedBodyError{Want: "Success"}), HTTPUnexpectedBody},
		{"proxy refused", fmt.Errorf("CONNECT: %w", &ProxyRefusedError{Status: 403, Proxy: "http://proxy:3128"}), ProxyRefused},
		{"joined errors", errors.Join(errors.New("first"), fmt.Errorf("second: %w", syscall.ETIMEDOUT)), GenericTimeout},
		{"DNS error with unknown text", &net.DNSError{Err: "cannot unmarshal DNS message", Name: "x"}, UnknownPrefix + "lookup x: cannot unmarshal DNS message"},
		{"DNS temporary error", &net.DNSError{Err: "weird", Name: "x", IsTemporary: true}, DNSServFail},
		{"DNS i/o timeout by text", &net.DNSError{Err: "read udp: i/o timeout", Name: "x"}, DNSTimeout},
		{"response too large", fmt.Errorf("reading the answer to GET https://api.spotify.com/: %w", &ResponseTooLargeError{What: "headers", Limit: 16 << 10}), ResponseTooLarge},
		{"DNS error from a socket that could not be opened", &net.DNSError{Err: "dial udp 127.0.0.53:53: socket: too many open files", Name: "x", IsTemporary: true}, LocalResourceExhausted},
		{"unknown", errors.New("something odd"), UnknownPrefix + "something odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

// ioEOF is the io.EOF a real connection returns when the peer closes.
func ioEOF() error {
	a, b := net.Pipe()
	b.Close()
	_, err := a.Read(make([]byte, 1))
	a.Close()
	return err
}

// TestFromText covers the text fallbacks with the texts of flattened Go errors and of other
// OSes' error messages.
func TestFromText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want string
	}{
		{"dial tcp 127.0.0.1:1: connect: connection refused", ConnectionRefused},
		{"connectex: No connection could be made because the target machine actively refused it.", ConnectionRefused},
		{"read tcp 127.0.0.1:5->127.0.0.1:6: read: connection reset by peer", ConnectionReset},
		{"wsarecv: An existing connection was forcibly closed by the remote host.", ConnectionReset},
		{"wsarecv: The specified network name is no longer available.", ConnectionReset},
		{"write: broken pipe", ConnectionReset},
		{"connect: no route to host", HostUnreachable},
		{"connectex: A socket operation was attempted to an unreachable host.", HostUnreachable},
		{"connect: network is unreachable", NetworkUnreachable},
		{"connectex: A socket operation was attempted to an unreachable network.", NetworkUnreachable},
		{"connect: permission denied", PermissionDenied},
		{"connect: operation not permitted", PermissionDenied},
		{"connectex: An attempt was made to access a socket in a way forbidden by its access permissions.", PermissionDenied},
		{"dial tcp 1.1.1.1:443: i/o timeout", GenericTimeout},
		{"connectex: A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.", GenericTimeout},
		{"net/http: request canceled (Client.Timeout exceeded while awaiting headers)", ""},
		{"lookup api.spotify.com: no such host", DNSNXDomain},
		{"lookup api.spotify.com on 127.0.0.53:53: server misbehaving", DNSServFail},
		{"lookup api.spotify.com: Temporary failure in name resolution", DNSServFail},
		{"remote error: tls: first record does not look like a TLS handshake", SSLNotTLS},
		{"tls: failed to verify certificate: x509: certificate signed by unknown authority", SSLUnknownAuthority},
		{"x509: certificate is valid for example.org, not api.spotify.com", SSLInvalidHostname},
		{"x509: certificate has expired or is not yet valid: current time", SSLInvalidCertificate},
		{"EOF", EOFError},
		{`Get "https://api.spotify.com/v1/me": EOF`, EOFError},
		{"unexpected EOF", EOFError},
		{"dial tcp: operation was canceled", Interrupted},
		{"dial tcp 127.0.0.1:443: socket: too many open files", LocalResourceExhausted},
		{"socket: too many open files in system", LocalResourceExhausted},
		{"dial tcp: socket: cannot allocate memory", LocalResourceExhausted},
		{"write udp: sendto: no buffer space available", LocalResourceExhausted},
		{"socket: Too many open sockets.", LocalResourceExhausted},
		{"wsasend: An operation on a socket could not be performed because the system lacked sufficient buffer space or because a queue was full.", LocalResourceExhausted},
		{"Not enough memory resources are available to process this command.", LocalResourceExhausted},
		{"Insufficient system resources exist to complete the requested service.", LocalResourceExhausted},
		{"net/http: server response headers exceeded 16384 bytes; aborted", ResponseTooLarge},
		{"something else", ""},
	}
	for _, tt := range tests {
		if got := fromText(tt.text); got != tt.want {
			t.Errorf("fromText(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestIsTimeoutIsDNS covers the helpers on failure strings.
func TestIsTimeoutIsDNS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s            string
		timeout, dns bool
	}{
		{GenericTimeout, true, false},
		{DNSTimeout, true, true},
		{DNSNXDomain, false, true},
		{DNSNoData, false, true},
		{DNSBogon, false, true},
		{FromRCode(dns.RcodeFormatError), false, true},
		{ConnectionReset, false, false},
		{"", false, false},
		{UnknownPrefix + "dns_x", false, false},
	}
	for _, tt := range tests {
		if got := IsTimeout(tt.s); got != tt.timeout {
			t.Errorf("IsTimeout(%q) = %v, want %v", tt.s, got, tt.timeout)
		}
		if got := IsDNS(tt.s); got != tt.dns {
			t.Errorf("IsDNS(%q) = %v, want %v", tt.s, got, tt.dns)
		}
	}
}

// TestErrorTexts covers the Error texts of the HTTP error types.
func TestErrorTexts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&HTTPStatusError{Status: 403}, "unexpected HTTP status 403 Forbidden"},
		{&HTTPStatusError{Status: 299}, "unexpected HTTP status 299"},
		{&UnexpectedBodyError{Want: "Success"}, `unexpected HTTP body: want "Success"`},
		{&UnexpectedBodyError{}, "unexpected HTTP body"},
		{&ProxyRefusedError{Status: 407, Proxy: "http://proxy:3128"}, "proxy http://proxy:3128 refused the request with HTTP status 407 Proxy Authentication Required"},
		{&ProxyRefusedError{Proxy: "proxy:3128"}, "proxy proxy:3128 refused the request"},
		{&ProxyRefusedError{Status: 403}, "proxy refused the request with HTTP status 403 Forbidden"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// BenchmarkClassify classifies a few representative real errors.
func BenchmarkClassify(b *testing.B) {
	var d net.Dialer
	_, refused := d.Dial("tcp", closedPort(b))
	timeout := readOnce(b.Context(), serveTCP(b, drain), time.Millisecond)
	_, nxdomain := resolverAt(serveDNS(b, answerRCode(dns.RcodeNameError, true))).LookupHost(b.Context(), spotifyName)
	notTLS := fmt.Errorf("TLS handshake: %w", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"})
	errs := []error{refused, timeout, nxdomain, notTLS, &HTTPStatusError{Status: 403}, errors.New("something odd")}
	for _, err := range errs {
		if f := Classify(err); f == "" {
			b.Fatalf("Classify(%v) = %q", err, f)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range errs {
			Classify(err)
		}
	}
}
