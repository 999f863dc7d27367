package diagnosis

import (
	"net/http"
	"net/netip"
	"strings"
)

// blockFingerprint is one fingerprint of a web filter's block page (after ooni/blocking-fingerprints):
// a fragment of the body, of the Location header, or a header with a value. The fingerprints are
// the pages of the product table (products.go).
type blockFingerprint struct {
	body     string // fragment of the body (case-insensitive)
	location string // fragment of the Location header
	header   string // a header name…
	value    string // …and a fragment of its value
}

// matchBlockPage returns the filter whose block page this response is, or "".
func matchBlockPage(header http.Header, body []byte) string {
	lowerBody := strings.ToLower(string(body))
	location := strings.ToLower(header.Get("Location"))
	for _, p := range products() {
		for _, fp := range p.pages {
			switch {
			case fp.body != "" && strings.Contains(lowerBody, fp.body):
				return p.name
			case fp.location != "" && strings.Contains(location, fp.location):
				return p.name
			case fp.header != "" && strings.Contains(strings.ToLower(header.Get(fp.header)), fp.value):
				return p.name
			}
		}
	}
	return ""
}

// matchFilterAddr returns the DNS filter an answer points to, or "".
func matchFilterAddr(addrs []string) string {
	table := products()
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		for _, p := range table {
			for _, prefix := range p.answers {
				if prefix.Contains(a) {
					return p.name
				}
			}
		}
	}
	return ""
}
