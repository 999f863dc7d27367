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

// blockWords are the words a filter's block page uses to say so, in its title or first heading.
var blockWords = []string{"blocked", "access denied", "policy", "category", "not allowed", "restricted"}

// blockPageShape reports whether an answer has a block page's shape though no vendor's
// fingerprint matched, and returns the page's title (or first heading) as found: a 403 or 451
// (a filter's refusal; Spotify's endpoints answer 401 or 404 to a probe), or a 4xx or 200 whose
// title or first heading speaks of blocking. The caller asks only about answers that came over
// a certificate that is not Spotify's, or as plain HTTP where Spotify's TLS should be: there, a
// page saying "blocked" is no Spotify page.
func blockPageShape(status int, body []byte) (title string, ok bool) {
	title = pageTitle(body)
	switch {
	case status == 403 || status == 451:
		return title, true
	case status != 200 && (status < 400 || status > 499):
		return title, false
	}
	heading := strings.ToLower(title + " " + firstElement(body, "h1"))
	for _, w := range blockWords {
		if strings.Contains(heading, w) {
			return title, true
		}
	}
	return title, false
}

// pageTitle is an HTML page's <title>, or its first <h1> when it has none; "" for neither.
func pageTitle(body []byte) string {
	if t := firstElement(body, "title"); t != "" {
		return t
	}
	return firstElement(body, "h1")
}

// maxTitle bounds a title taken from a page (the report cleans and caps it again).
const maxTitle = 120

// firstElement is the text of the first <tag …>…</tag> in body, whitespace collapsed, without
// inner markup; "" when there is none. It is a scanner, not an HTML parser: block pages are
// small and plain, and anything odd simply yields no title.
func firstElement(body []byte, tag string) string {
	lower := asciiLower(body) // byte for byte: its indices are body's
	open := strings.Index(lower, "<"+tag)
	if open < 0 {
		return ""
	}
	rest := lower[open+1+len(tag):]
	if rest == "" || (rest[0] != '>' && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\n') {
		return ""
	}
	start := strings.IndexByte(rest, '>')
	if start < 0 {
		return ""
	}
	begin := open + 1 + len(tag) + start + 1
	end := strings.Index(lower[begin:], "</"+tag)
	if end < 0 {
		return ""
	}
	text := string(body[begin : begin+end])
	var b strings.Builder
	inTag := false
	for _, r := range text {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(out) > maxTitle {
		out = strings.ToValidUTF8(out[:maxTitle], "")
	}
	return out
}

// asciiLower lowercases A-Z only, so the result has body's length and byte offsets (Unicode
// lowercasing can change a string's length).
func asciiLower(body []byte) string {
	b := make([]byte, len(body))
	for i, c := range body {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}
