package testnet

import (
	"fmt"
	"html"
	"net/http"
)

// The bodies the internet reference servers answer.
const (
	MSConnectTestBody  = "Microsoft Connect Test"
	AppleHotspotBody   = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"
	portalLoginPageFmt = `<html><head><title>Network Login</title><meta http-equiv="refresh" content="0; url=%s"></head>` +
		`<body><p>You must sign in to use this network.</p><p><a href="%s">Sign in</a></p></body></html>`
)

// ReferenceHandler answers as the captive-portal references do when the internet works, on any
// host: /generate_204 → 204 with no body; /connecttest.txt → 200 text/plain
// "Microsoft Connect Test"; /hotspot-detect.html → 200 text/html AppleHotspotBody; anything
// else → 404.
func ReferenceHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/generate_204":
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusNoContent)
		case "/connecttest.txt":
			writeBody(w, http.StatusOK, "text/plain", MSConnectTestBody)
		case "/hotspot-detect.html":
			writeBody(w, http.StatusOK, "text/html", AppleHotspotBody)
		default:
			http.NotFound(w, r)
		}
	})
}

// PortalHandler answers every request as a captive portal does before sign-in: 302 Found to
// loginURL, with a small HTML body linking it.
func PortalHandler(loginURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", loginURL)
		writeBody(w, http.StatusFound, "text/html; charset=utf-8", portalPage(loginURL))
	})
}

// PortalHandler511 answers every request with 511 Network Authentication Required (RFC 6585),
// whose HTML body refreshes to loginURL.
func PortalHandler511(loginURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeBody(w, http.StatusNetworkAuthenticationRequired, "text/html; charset=utf-8", portalPage(loginURL))
	})
}

func portalPage(loginURL string) string {
	u := html.EscapeString(loginURL)
	return fmt.Sprintf(portalLoginPageFmt, u, u)
}
