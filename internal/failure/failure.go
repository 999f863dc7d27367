// Package failure maps the error of one network probe step (a DNS lookup, a TCP connect, a TLS
// handshake, an HTTP exchange) to a small, stable failure string, the way ooni/probe-cli's
// netxlite does: the OS error number first, then Go error types, then the error text. The strings
// are the `failure` field of a probe in `spotwatch check --json` (docs/design.md, "Failure strings"); they are part of
// the output contract and never change.
package failure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// The failure strings of docs/design.md "Failure strings".
const (
	ConnectionRefused     = "connection_refused"
	ConnectionReset       = "connection_reset"
	HostUnreachable       = "host_unreachable"
	NetworkUnreachable    = "network_unreachable"
	PermissionDenied      = "permission_denied" // also a Windows firewall's outbound block (WSAEACCES)
	GenericTimeout        = "generic_timeout_error"
	EOFError              = "eof_error"
	DNSNXDomain           = "dns_nxdomain"
	DNSNoData             = "dns_nodata" // set by the caller: a direct query answered NOERROR with no records
	DNSServFail           = "dns_servfail"
	DNSRefused            = "dns_refused"
	DNSTimeout            = "dns_timeout"
	DNSBogon              = "dns_bogon" // set by the caller when IsBogon reports an answer
	SSLUnknownAuthority   = "ssl_unknown_authority"
	SSLInvalidHostname    = "ssl_invalid_hostname"
	SSLInvalidCertificate = "ssl_invalid_certificate"
	SSLNotTLS             = "ssl_not_tls"
	HTTPUnexpectedBody    = "http_unexpected_body"
	ProxyRefused          = "proxy_refused"
	Interrupted           = "interrupted" // the probe's context was canceled

	// ResponseTooLarge is an answer (status line and headers, or body) longer than the probe
	// reads: the probe stopped reading at its bound instead of holding the rest in memory.
	ResponseTooLarge = "response_too_large"
	// LocalResourceExhausted is spotwatch's own machine or process out of a resource a probe
	// needs (file descriptors, memory, socket buffers: EMFILE, ENFILE, ENOMEM, ENOBUFS). It
	// says nothing about the network: a check that meets it is an internal error.
	LocalResourceExhausted = "local_resource_exhausted"

	HTTPStatusPrefix = "http_status_"      // followed by the status code: http_status_403
	DNSRCodePrefix   = "dns_rcode_"        // followed by a lower-case RCODE name: dns_rcode_formerr
	UnknownPrefix    = "unknown_failure: " // followed by the error text

	dnsPrefix = "dns_"
)

// Classify returns the failure string of err, or "" when err is nil. The order is: a canceled
// context; the OS error number; *net.DNSError; timeouts; EOF; certificate and TLS errors; this
// package's HTTP error types; the error text; and else UnknownPrefix followed by the text.
func Classify(err error) string {
	return classify(err, errnoFailure)
}

// classify is Classify with the OS's errno table passed in, so that tests on one OS can run the
// table of another.
func classify(err error, errnoFailure func(syscall.Errno) string) string {
	if err == nil {
		return ""
	}
	if f := byType(err, errnoFailure); f != "" {
		return f
	}
	if f := fromText(err.Error()); f != "" {
		return f
	}
	return UnknownPrefix + err.Error()
}

// byType classifies err by the values and types in its tree; "" when none decides.
func byType(err error, errnoFailure func(syscall.Errno) string) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if f := errnoFailure(errno); f != "" {
			return f
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return classifyDNS(err, dnsErr)
	}
	if isTimeout(err) {
		return GenericTimeout
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return EOFError
	}
	if f := classifyTLS(err); f != "" {
		return f
	}
	return classifyHTTP(err)
}

// classifyDNS classifies a resolver error, "" when nothing decides. Go reports NXDOMAIN and
// NODATA both as "no such host" (IsNotFound), so NODATA reads as dns_nxdomain here; SERVFAIL and
// REFUSED both read as "server misbehaving" (dns_servfail). A direct query (FromRCode) tells
// them apart.
func classifyDNS(err error, dnsErr *net.DNSError) string {
	switch {
	case dnsErr.IsTimeout || errors.Is(err, context.DeadlineExceeded):
		return DNSTimeout
	case dnsErr.IsNotFound:
		return DNSNXDomain
	}
	// Go's resolver has no error types for these: its DNSError carries only the text.
	f := fromText(dnsErr.Err)
	switch {
	case f == LocalResourceExhausted:
		return f // the resolver could not open its socket: not a DNS answer at all
	case IsTimeout(f):
		return DNSTimeout
	case f != "":
		return f
	case dnsErr.IsTemporary:
		return DNSServFail
	}
	return ""
}

// classifyTLS classifies certificate verification errors (which crypto/tls wraps in
// *tls.CertificateVerificationError) and a first record that is not TLS.
func classifyTLS(err error) string {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownAuthority):
		return SSLUnknownAuthority
	case errors.As(err, &hostname):
		return SSLInvalidHostname
	case errors.As(err, &invalid):
		return SSLInvalidCertificate
	case errors.As(err, &recordHeader):
		return SSLNotTLS
	}
	return ""
}

// classifyHTTP classifies this package's HTTP-level error types.
func classifyHTTP(err error) string {
	var (
		proxy    *ProxyRefusedError
		status   *HTTPStatusError
		body     *UnexpectedBodyError
		tooLarge *ResponseTooLargeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return ResponseTooLarge
	case errors.As(err, &proxy):
		return ProxyRefused
	case errors.As(err, &status):
		return HTTPStatusPrefix + strconv.Itoa(status.Status)
	case errors.As(err, &body):
		return HTTPUnexpectedBody
	}
	return ""
}

// isTimeout reports whether err is a context deadline, an I/O deadline, or has an error in its
// tree whose Timeout method says so (net.Error, url.Error, syscall.Errno…).
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	return anyTimeout(err)
}

// anyTimeout walks the tree of err, following Unwrap() error and Unwrap() []error.
func anyTimeout(err error) bool {
	for err != nil {
		if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if anyTimeout(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// fromText classifies an error by its text, for errors whose types were lost on the way (for
// example flattened into a string by a library) and for the texts of other OSes. It returns ""
// when no text matches.
func fromText(text string) string {
	s := strings.ToLower(text)
	switch {
	case strings.Contains(s, "operation was canceled"):
		return Interrupted
	case strings.Contains(s, "too many open files"), // EMFILE, ENFILE
		strings.Contains(s, "cannot allocate memory"),              // ENOMEM
		strings.Contains(s, "no buffer space available"),           // ENOBUFS
		strings.Contains(s, "too many open sockets"),               // Windows WSAEMFILE
		strings.Contains(s, "lacked sufficient buffer space"),      // Windows WSAENOBUFS
		strings.Contains(s, "not enough memory resources"),         // Windows ERROR_NOT_ENOUGH_MEMORY
		strings.Contains(s, "insufficient system resources exist"): // Windows ERROR_NO_SYSTEM_RESOURCES
		return LocalResourceExhausted
	case strings.Contains(s, "server response headers exceeded"): // net/http's MaxResponseHeaderBytes
		return ResponseTooLarge
	case strings.Contains(s, "connection refused"),
		strings.Contains(s, "actively refused"): // Windows WSAECONNREFUSED
		return ConnectionRefused
	case strings.Contains(s, "connection reset"),
		strings.Contains(s, "broken pipe"),
		strings.Contains(s, "forcibly closed by the remote host"),  // Windows WSAECONNRESET
		strings.Contains(s, "network name is no longer available"): // Windows ERROR_NETNAME_DELETED
		return ConnectionReset
	case strings.Contains(s, "no route to host"),
		strings.Contains(s, "host is unreachable"),
		strings.Contains(s, "unreachable host"): // Windows WSAEHOSTUNREACH
		return HostUnreachable
	case strings.Contains(s, "network is unreachable"),
		strings.Contains(s, "unreachable network"): // Windows WSAENETUNREACH
		return NetworkUnreachable
	case strings.Contains(s, "permission denied"),
		strings.Contains(s, "operation not permitted"),
		strings.Contains(s, "forbidden by its access permissions"): // Windows WSAEACCES
		return PermissionDenied
	case strings.Contains(s, "i/o timeout"),
		strings.Contains(s, "timed out"),
		strings.Contains(s, "deadline exceeded"),
		strings.Contains(s, "failed to respond"): // Windows WSAETIMEDOUT
		return GenericTimeout
	case strings.Contains(s, "no such host"):
		return DNSNXDomain
	case strings.Contains(s, "server misbehaving"),
		strings.Contains(s, "lame referral"),
		strings.Contains(s, "temporary failure in name resolution"),       // glibc EAI_AGAIN
		strings.Contains(s, "temporary error during hostname resolution"): // Windows WSATRY_AGAIN
		return DNSServFail
	case strings.Contains(s, "first record does not look like a tls handshake"):
		return SSLNotTLS
	case strings.Contains(s, "certificate signed by unknown authority"):
		return SSLUnknownAuthority
	case strings.Contains(s, "certificate is valid for"),
		strings.Contains(s, "certificate is not valid for any names"):
		return SSLInvalidHostname
	case strings.Contains(s, "certificate has expired"),
		strings.Contains(s, "certificate is not yet valid"):
		return SSLInvalidCertificate
	case s == "eof", strings.HasSuffix(s, ": eof"), strings.Contains(s, "unexpected eof"):
		return EOFError
	}
	return ""
}

// IsTimeout reports whether the failure string s is a timeout (generic or DNS).
func IsTimeout(s string) bool {
	return s == GenericTimeout || s == DNSTimeout
}

// IsDNS reports whether the failure string s is a DNS failure (dns_*, including dns_bogon and
// dns_rcode_*).
func IsDNS(s string) bool {
	return strings.HasPrefix(s, dnsPrefix)
}
