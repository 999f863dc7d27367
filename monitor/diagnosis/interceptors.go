package diagnosis

import (
	"crypto/x509"
	"strings"
)

// matchInterceptor returns the inspection product named anywhere in the chain, or "".
func matchInterceptor(chain []*x509.Certificate) string {
	table := products()
	for _, cert := range chain {
		for _, name := range append(nameParts(cert.Subject.CommonName, cert.Subject.Organization), nameParts(cert.Issuer.CommonName, cert.Issuer.Organization)...) {
			lower := strings.ToLower(name)
			for _, p := range table {
				for _, fragment := range p.issuers {
					if strings.Contains(lower, strings.ToLower(fragment)) {
						return p.name
					}
				}
			}
		}
	}
	return ""
}

func nameParts(cn string, orgs []string) []string {
	return append([]string{cn}, orgs...)
}
