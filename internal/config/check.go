package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The checks of single string values. Each returns an error whose text is the message shown
// after "FILE:LINE: KEY: ".

// checkURL returns a check for an absolute URL with one of schemes and a host.
func checkURL(schemes ...string) func(string) error {
	return func(s string) error {
		u, err := url.Parse(s) // lowercases the scheme
		if err != nil || !slices.Contains(schemes, u.Scheme) {
			return fmt.Errorf("not an %s URL: %q", strings.Join(schemes, " or "), s)
		}
		if u.Hostname() == "" {
			return fmt.Errorf("no host in URL %q", s)
		}
		if p := u.Port(); p != "" && !validPort(p) {
			return fmt.Errorf("bad port in URL %q: want 1-65535", s)
		}
		return nil
	}
}

// checkHostPort checks "host:port": a host name or IP address (IPv6 in brackets), and a port
// from 1 to 65535.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		msg := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			msg = ae.Err
		}
		if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
			msg += "; put an IPv6 address in brackets: [::1]:53"
		}
		return fmt.Errorf("not host:port: %q (%s)", s, msg)
	}
	switch {
	case host == "":
		return fmt.Errorf("no host in %q", s)
	case !validPort(port):
		return fmt.Errorf("bad port in %q: want 1-65535", s)
	case !validHost(host):
		return fmt.Errorf("bad host in %q", s)
	}
	return nil
}

// checkDNSServer checks the ip:port of a DNS server.
func checkDNSServer(s string) error {
	if _, err := netip.ParseAddr(s); err == nil {
		return fmt.Errorf("no port in %q: write %q", s, net.JoinHostPort(s, "53"))
	}
	if err := checkHostPort(s); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(s)
	if _, err := netip.ParseAddr(host); err != nil {
		return fmt.Errorf("the DNS server must be an IP address, got %q", s)
	}
	return nil
}

// checkLoopback checks a host:port on a loopback address: 127.0.0.0/8, ::1 or localhost.
func checkLoopback(s string) error {
	if err := checkHostPort(s); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(s)
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() {
		return nil
	}
	return fmt.Errorf("not a loopback address: %q (use 127.0.0.1, [::1] or localhost)", s)
}

// checkTextfile checks a metrics file for node_exporter's textfile collector, which reads only
// files named *.prom. Whether its directory exists is the daemon's concern at each write (the
// directory may come with node_exporter later).
func checkTextfile(path string) error {
	if base := filepath.Base(path); filepath.Ext(base) != ".prom" || base == ".prom" {
		return fmt.Errorf("want a file name ending in .prom, such as /var/lib/prometheus/node-exporter/spotwatch.prom (node_exporter reads only *.prom): %s", quotePath(path))
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("a directory, not a file: %s", quotePath(path))
	}
	return nil
}

// checkDomain checks a domain name (not an IP address).
func checkDomain(s string) error {
	if _, err := netip.ParseAddr(s); err == nil {
		return fmt.Errorf("an IP address, not a domain name: %q", s)
	}
	if !validName(s) {
		return fmt.Errorf("not a domain name: %q", s)
	}
	return nil
}

// maxPEMSize caps the size of tls.public_roots (Mozilla's whole set is about 250 KB).
const maxPEMSize = 16 << 20

// checkPEMFile checks that path is a readable regular file holding at least one PEM certificate.
func checkPEMFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", quotePath(path), unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file: %s", quotePath(path))
	}
	if fi.Size() > maxPEMSize {
		return fmt.Errorf("larger than %d bytes: %s", maxPEMSize, quotePath(path))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", quotePath(path), unwrapPath(err))
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return fmt.Errorf("no PEM certificate in %s", quotePath(path))
	}
	return nil
}

// checkOneOf returns a check for one of values.
func checkOneOf(values ...string) func(string) error {
	return func(s string) error {
		if !slices.Contains(values, s) {
			return fmt.Errorf("must be one of %s; got %q", strings.Join(values, ", "), s)
		}
		return nil
	}
}

// optional lets "" (the default) pass, and checks any other value.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

// validPort reports whether p is a decimal port number from 1 to 65535.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strings.Trim(p, "0123456789") == ""
}

// validHost reports whether h is an IP address or a host name.
func validHost(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil || validName(h)
}

// validName reports whether s is a DNS name: dot-separated labels of 1-63 letters, digits,
// hyphens (not at either end) or underscores, 253 characters at most, with an optional final dot.
func validName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// quotePath quotes a file path for a message as the user wrote it: in double quotes, with a
// backslash kept as one backslash (%q would show `C:\\ProgramData\\x.pem` for a Windows path).
// Only what a reader could not see or tell apart is escaped as in Go: a double quote, a control
// character, an invalid byte.
func quotePath(p string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, p[i])
		case r == '"':
			b.WriteString(`\"`)
		case unicode.IsPrint(r): // the backslash too
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}
