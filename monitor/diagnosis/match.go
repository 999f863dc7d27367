package diagnosis

import (
	"crypto/x509"
	"net/http"
)

// MatchInterceptor names the TLS-inspection product that issued chain (leaf first), or "" when
// no known product did. Probes record it in Detail.Interceptor; the table is in products.go.
func MatchInterceptor(chain []*x509.Certificate) string { return matchInterceptor(chain) }

// MatchBlockPage names the filter whose block page header and body are, or "" when they match no
// known fingerprint. Probes record it in Detail.BlockPage; the table is in products.go.
func MatchBlockPage(header http.Header, body []byte) string { return matchBlockPage(header, body) }

// BlockPageFilters lists the filters whose block pages MatchBlockPage recognises: every name it
// can return.
func BlockPageFilters() []string {
	var out []string
	for _, p := range products() {
		if len(p.pages) > 0 {
			out = append(out, p.name)
		}
	}
	return out
}

// MatchRelay names the proxy whose Via or X-Cache header an answer carries (Squid's "(squid/5.7)"),
// or "" when none is known. Probes record it in Detail.Interceptor for an answer that came over a
// certificate no public root issued; the table is in products.go.
func MatchRelay(header http.Header) string { return matchRelay(header) }
