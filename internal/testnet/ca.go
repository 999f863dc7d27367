package testnet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// CA is a self-signed ECDSA P-256 certificate authority that issues server certificates.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey

	mu    sync.Mutex
	cache map[string]*tls.Certificate // GetCertificate's leaves by name or IP
}

// NewCA creates a CA whose subject is CN=commonName, O=organization, valid from an hour ago for
// ten years.
func NewCA(commonName, organization string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{organization}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing CA certificate: %w", err)
	}
	return &CA{cert: cert, key: key, cache: make(map[string]*tls.Certificate)}, nil
}

// Certificate returns the CA's own certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// PEM returns the CA certificate PEM-encoded (for SSL_CERT_FILE or a public_roots file).
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// Pool returns a new pool holding only the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return pool
}

// Issue returns a server certificate for the DNS names and IP addresses, valid from an hour ago
// for 30 days. Its chain holds the leaf only; clients verify it against Pool.
func (ca *CA) Issue(names []string, ips []net.IP) (tls.Certificate, error) {
	now := time.Now()
	return ca.issue(names, ips, now.Add(-time.Hour), now.AddDate(0, 0, 30))
}

// IssueExpired returns a certificate like Issue's that expired a day ago (valid for one day
// before that).
func (ca *CA) IssueExpired(names []string, ips []net.IP) (tls.Certificate, error) {
	now := time.Now()
	return ca.issue(names, ips, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
}

func (ca *CA) issue(names []string, ips []net.IP, notBefore, notAfter time.Time) (tls.Certificate, error) {
	if len(names) == 0 && len(ips) == 0 {
		return tls.Certificate{}, errors.New("issuing certificate: no names and no IP addresses")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generating leaf key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	cn := ""
	if len(names) > 0 {
		cn = names[0]
	} else {
		cn = ips[0].String()
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     names,
		IPAddresses:  ips,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("creating certificate for %v %v: %w", names, ips, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parsing certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// GetCertificate is a tls.Config.GetCertificate that issues (once, then caches) a certificate
// for the ClientHello's server name, or, when the client sent none, for the local IP address
// the connection arrived on. It lets one server answer for any name.
func (ca *CA) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	key := hello.ServerName
	var names []string
	var ips []net.IP
	if key != "" {
		names = []string{key}
	} else {
		ip := localIP(hello.Conn)
		if ip == nil {
			return nil, errors.New("issuing certificate: no server name and no local IP")
		}
		key = ip.String()
		ips = []net.IP{ip}
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.cache[key]; ok {
		return c, nil
	}
	c, err := ca.Issue(names, ips)
	if err != nil {
		return nil, err
	}
	ca.cache[key] = &c
	return &c, nil
}

// ServerConfig returns a TLS server configuration that uses GetCertificate.
func (ca *CA) ServerConfig() *tls.Config {
	return &tls.Config{GetCertificate: ca.GetCertificate}
}

func localIP(c net.Conn) net.IP {
	if c == nil {
		return nil
	}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return n, nil
}
