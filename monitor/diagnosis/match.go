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

// BlockPageShape reports whether an answer with this status and body looks like a web filter's
// block page though no known fingerprint matched (a 403 or 451, or a 4xx or 200 whose title
// speaks of blocking), and returns the page's title. Probes ask it only about answers over a
// certificate that is not Spotify's, or plain HTTP on a TLS port, and record Detail.BlockShape.
func BlockPageShape(status int, body []byte) (title string, ok bool) {
	return blockPageShape(status, body)
}
