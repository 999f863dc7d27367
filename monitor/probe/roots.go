package probe

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// publicRoots is the public root list a certificate is judged against besides the system store:
// Mozilla's roots (bundled) plus the PEM file tls.public_roots. It keeps each root as DER,
// indexed by subject, and parses only the few a verification can use (poolFor). A pool of
// every root parsed would hold ~450 KB for the daemon's life, a third of its live heap, which
// every garbage collection scans again (docs/design.md §7, "Memory"); the bundled DER is the
// binary's own read-only data, so the index holds little more than the subjects.
type publicRoots struct {
	bySubject map[string][]publicRoot
}

// publicRoot is one root: its DER and the bundle's constraint on the chains it may end (a
// distrust date), nil for none.
type publicRoot struct {
	der        []byte
	constraint func([]*x509.Certificate) error
}

// loadPublicRoots indexes the bundled roots and those of the PEM file extra ("" for none).
func loadPublicRoots(extra string) (*publicRoots, error) {
	r := &publicRoots{bySubject: map[string][]publicRoot{}}
	for root := range bundle.Roots() {
		if err := r.add(root.Certificate, root.Constraint); err != nil {
			return nil, fmt.Errorf("parsing the bundled public roots: %w", err)
		}
	}
	if extra == "" {
		return r, nil
	}
	data, err := os.ReadFile(extra)
	if err != nil {
		return nil, fmt.Errorf("reading tls.public_roots: %w", err)
	}
	found := false
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		// As x509.CertPool.AppendCertsFromPEM: a block that does not parse is skipped.
		if r.add(block.Bytes, nil) == nil {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("tls.public_roots %s: no PEM certificate in it", extra)
	}
	return r, nil
}

// add indexes one root by its subject, once parsed to check it and read the subject.
func (r *publicRoots) add(der []byte, constraint func([]*x509.Certificate) error) error {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	subject := string(cert.RawSubject)
	r.bySubject[subject] = append(r.bySubject[subject], publicRoot{der: der, constraint: constraint})
	return nil
}

// poolFor is a pool of the roots that can end a chain built from the presented certificates:
// those named as the issuer (or subject) of one of them. x509 builds chains only through the
// presented certificates up to a root whose subject is the issuer of the last one taken, so a
// verification against this pool reaches every chain it would reach against all the roots. A
// nil list is an empty pool: nothing is publicly trusted (never the system store's nil).
func (r *publicRoots) poolFor(chain []*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	if r == nil {
		return pool
	}
	added := map[string]bool{}
	for _, c := range chain {
		for _, name := range [2][]byte{c.RawIssuer, c.RawSubject} {
			if added[string(name)] {
				continue
			}
			added[string(name)] = true
			for _, root := range r.bySubject[string(name)] {
				cert, err := x509.ParseCertificate(root.der) // parsed when indexed: cannot fail
				if err != nil {
					continue
				}
				if root.constraint == nil {
					pool.AddCert(cert)
				} else {
					pool.AddCertWithConstraint(cert, root.constraint)
				}
			}
		}
	}
	return pool
}

// len is how many roots the list holds.
func (r *publicRoots) len() int {
	n := 0
	for _, roots := range r.bySubject {
		n += len(roots)
	}
	return n
}
