package testnet_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"testing"
	"time"
)

func TestCAIssueVerifies(t *testing.T) {
	ca := newCA(t)
	tests := []struct {
		name      string
		expired   bool
		names     []string
		ips       []net.IP
		verifyFor string
		wantErr   func(error) bool
	}{
		{name: "dns name", names: []string{"api.spotify.com"}, verifyFor: "api.spotify.com"},
		{name: "second name", names: []string{"api.spotify.com", "spclient.wg.spotify.com"}, verifyFor: "spclient.wg.spotify.com"},
		{name: "ip", ips: []net.IP{net.IPv4(127, 0, 0, 1)}, verifyFor: "127.0.0.1"},
		{name: "wrong name", names: []string{"api.spotify.com"}, verifyFor: "example.org",
			wantErr: func(err error) bool { var h x509.HostnameError; return errors.As(err, &h) }},
		{name: "expired", expired: true, names: []string{"api.spotify.com"}, verifyFor: "api.spotify.com",
			wantErr: func(err error) bool {
				var c x509.CertificateInvalidError
				return errors.As(err, &c) && c.Reason == x509.Expired
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issue := ca.Issue
			if tt.expired {
				issue = ca.IssueExpired
			}
			cert, err := issue(tt.names, tt.ips)
			if err != nil {
				t.Fatalf("issuing: %v", err)
			}
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err != nil {
				t.Fatalf("parsing leaf: %v", err)
			}
			_, err = leaf.Verify(x509.VerifyOptions{DNSName: tt.verifyFor, Roots: ca.Pool()})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Verify: %v", err)
			case tt.wantErr != nil && !tt.wantErr(err):
				t.Fatalf("Verify error = %v, not the one expected", err)
			}
			if tt.expired && !leaf.NotAfter.Before(time.Now()) {
				t.Errorf("expired certificate is valid until %v", leaf.NotAfter)
			}
		})
	}
}

func TestCAIssueNeedsASubject(t *testing.T) {
	if _, err := newCA(t).Issue(nil, nil); err == nil {
		t.Fatal("Issue(nil, nil) succeeded")
	}
}

func TestCAPEMAndCertificate(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	block, rest := pem.Decode(ca.PEM())
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("PEM is not one CERTIFICATE block: %q", ca.PEM())
	}
	if !bytes.Equal(block.Bytes, ca.Certificate().Raw) {
		t.Error("PEM does not hold Certificate()")
	}
	c := ca.Certificate()
	if !c.IsCA || c.Subject.CommonName != "spotwatch test CA" || c.Subject.Organization[0] != "spotwatch tests" {
		t.Errorf("CA certificate: IsCA=%v subject=%v", c.IsCA, c.Subject)
	}
	// A certificate from another CA does not verify against this pool.
	cert, err := other.Issue([]string{"api.spotify.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{DNSName: "api.spotify.com", Roots: ca.Pool()})
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) {
		t.Errorf("foreign certificate: Verify error = %v, want UnknownAuthorityError", err)
	}
}
