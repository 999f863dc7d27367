package diagnosis

import (
	"strings"
	"testing"
)

// TestClassifySilentVariants proves the silent variant of each "reset" cause gets the same
// verdict (issue 16), and a DNS redirect to a block page without a vendor's fingerprint is
// block_page with the resolver's evidence, not tls_intercepted.
func TestClassifySilentVariants(t *testing.T) {
	apOK := ok(ap(apHost+":4070", apIP+":4070"))
	apiOK := ok(spotifyHTTPS(apiURL, apiAddr, 401))
	stalled := fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "tls")
	stalled.Detail.SystemTrust, stalled.Detail.PublicTrust, stalled.Detail.Issuer = nil, nil, ""
	neutral := Probe{Name: "tls " + apiAddr + " with neutral SNI example.org", Kind: KindTLS, Role: RoleControl, Target: apiAddr, Detail: Detail{Addr: apiAddr, SNI: neutralSNI}}
	neutralElsewhere := neutral
	neutralElsewhere.Detail.Addr = "35.186.224.99:443"
	proxied := healthyFacts()
	proxied.Proxy = &Proxy{URL: "http://10.0.0.1:3128", Source: "HTTPS_PROXY environment variable"}
	proxyStalled := fail(spotifyHTTPS(apiURL, "", 0), "generic_timeout_error", "proxy")
	proxyStalled.Detail.Via = "http://10.0.0.1:3128"
	proxyStalled.Detail.SystemTrust, proxyStalled.Detail.PublicTrust = nil, nil

	const blockIP, blockAddr = "203.0.113.44", "203.0.113.44:443"
	const title = "Web Page Blocked — This site is blocked by your organization's policy"
	shaped := func(u string) Probe {
		p := fail(spotifyHTTPS(u, blockAddr, 403), "http_unexpected_body", "http")
		p.Detail.SystemTrust, p.Detail.PublicTrust, p.Detail.Issuer = ptr(false), ptr(false), "Web Filter"
		p.Detail.BlockShape, p.Detail.PageTitle = true, title
		return p
	}
	redirected := []Probe{
		ok(sysDNS("apresolve.spotify.com", blockIP)), ok(sysDNS("api.spotify.com", blockIP)), ok(sysDNS("ap.spotify.com", blockIP)),
		ok(doh("apresolve.spotify.com", "35.186.224.24")), ok(doh("api.spotify.com", "35.186.224.24")), ok(doh("ap.spotify.com", "34.158.1.10")),
		shaped(apiURL), shaped("https://apresolve.spotify.com/"),
		fail(ap("ap.spotify.com:4070", blockIP+":4070"), "connection_refused", "connect"),
	}
	// The same without the public resolver's answers: still a block page, by its shape.
	var noControl []Probe
	for _, p := range redirected {
		if p.Kind != KindDoH {
			noControl = append(noControl, p)
		}
	}
	// A resolver that tells the truth and a box on the path that serves the page: a block page,
	// but no DNS redirect.
	onPath := []Probe{ok(sysDNS("api.spotify.com", "35.186.224.24")), ok(doh("api.spotify.com", "35.186.224.24")), fail(spotifyHTTPS(apiURL, apiAddr, 403), "http_unexpected_body", "http")}
	onPath[2].Detail.PublicTrust, onPath[2].Detail.BlockShape = ptr(false), true
	// An interceptor that passes Spotify's own 401 through: no block page, interception.
	passThrough := fail(spotifyHTTPS(apiURL, apiAddr, 401), "ssl_unknown_authority", "tls")
	passThrough.Detail.PublicTrust, passThrough.Detail.Issuer = ptr(false), "Example Corp TLS Inspection CA"

	tests := []struct {
		name   string
		rep    Report
		cause  Cause
		in     []string // fragments the summary must contain
		notFix string   // a fragment the fix must not contain
	}{
		{"sni filter drops the handshake", report(healthyFacts(), withRefs(apOK, stalled, ok(neutral))...), CauseSNIFiltered, []string{"get no answer"}, ""},
		{"sni stall, the control at another address", report(healthyFacts(), withRefs(apOK, stalled, ok(neutralElsewhere))...), CauseUnknown, nil, ""},
		{"every handshake swallowed while access points connect", report(healthyFacts(), withRefs(apOK, stalled, fail(neutral, "generic_timeout_error", "tls"))...), CauseFirewallDrop, []string{"time out"}, ""},
		{"handshakes reset for any name (the reset variant)", report(healthyFacts(), withRefs(apOK, fail(spotifyHTTPS(apiURL, apiAddr, 0), "connection_reset", "tls"), fail(neutral, "connection_reset", "tls"))...), CauseFirewallReject, nil, ""},
		{"access points dropped while https works", report(healthyFacts(), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"), fail(ap(apHost+":443", apIP+":443"), "generic_timeout_error", "connect"), apiOK)...), CauseFirewallDrop, []string{apHost + ":4070"}, ""},
		{"proxy accepts and never answers CONNECT", report(proxied, withRefs(proxyStalled)...), CauseProxyBlocked, []string{"does not answer"}, ""},
		{"dns redirect to a block page", report(healthyFacts(), withRefs(redirected...)...), CauseBlockPage, []string{blockIP, "35.186.224.24", title}, "scanning"},
		{"block page by shape, no public resolver asked", report(healthyFacts(), withRefs(noControl...)...), CauseBlockPage, []string{title, "api.spotify.com"}, "scanning"},
		{"block page by shape on the path", report(healthyFacts(), withRefs(onPath...)...), CauseBlockPage, []string{"api.spotify.com"}, "DNS server"},
		{"interceptor passes Spotify's 401 through", report(healthyFacts(), withRefs(apOK, passThrough)...), CauseTLSIntercepted, []string{"Example Corp"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Classify(tt.rep)
			if d.Cause != tt.cause {
				t.Fatalf("Classify = %s, want %s\nsummary: %s\nevidence:\n  %s", d.Cause, tt.cause, d.Summary, strings.Join(d.Evidence, "\n  "))
			}
			for _, in := range tt.in {
				if !strings.Contains(d.Summary, in) {
					t.Errorf("summary %q does not mention %q", d.Summary, in)
				}
			}
			if fix := strings.Join(d.Fix, "\n"); tt.notFix != "" && strings.Contains(fix, tt.notFix) {
				t.Errorf("the fix mentions %q:\n%s", tt.notFix, fix)
			}
		})
	}
}

// TestBlockPageShape: what counts as a block page without a vendor's fingerprint.
func TestBlockPageShape(t *testing.T) {
	long := "<title>" + strings.Repeat("Blocked ", 40) + "</title>"
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
		title  string
	}{
		{"issue 16's page", 403, "<html><head><title>Web Page Blocked — This site is blocked by your organization's policy</title></head><body><h1>Web Page Blocked</h1></body></html>", true, "Web Page Blocked — This site is blocked by your organization's policy"},
		{"a bare 403", 403, "", true, ""},
		{"451 unavailable for legal reasons", 451, "<h1>Unavailable</h1>", true, "Unavailable"},
		{"200 saying access denied", 200, "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD></HTML>", true, "Access Denied"},
		{"200 whose heading names a category", 200, "<html><body><h1 class=x>Category: <b>Streaming</b></h1></body></html>", true, "Category: Streaming"},
		{"404 saying not allowed", 404, "<title>Site not allowed</title>", true, "Site not allowed"},
		{"Spotify's 401", 401, `{"error":{"status":401,"message":"No token provided"}}`, false, ""},
		{"Spotify's empty 404", 404, "", false, ""},
		{"apresolve's JSON", 200, `{"accesspoint":["ap-gae2.spotify.com:4070"]}`, false, ""},
		{"a redirect", 302, "<title>Blocked</title>", false, "Blocked"},
		{"a 500", 500, "<title>Access Denied</title>", false, "Access Denied"},
		{"an ordinary page", 200, "<title>Spotify – Web Player</title>", false, "Spotify – Web Player"},
		{"policy only in the body's footer", 200, "<title>Home</title><p>Privacy Policy</p>", false, "Home"},
		{"unicode before the title keeps offsets", 200, "İİİİ<title>İ Blocked</title>", true, "İ Blocked"},
		{"an unclosed title", 200, "<title>Blocked", false, ""},
		{"titles is not title", 200, "<titles>Blocked</titles>", false, ""},
		{"a long title is capped", 200, long, true, strings.TrimSpace(strings.Repeat("Blocked ", 40))[:maxTitle]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title, got := BlockPageShape(tt.status, []byte(tt.body))
			if got != tt.want || title != tt.title {
				t.Errorf("BlockPageShape(%d, %q) = %q, %v; want %q, %v", tt.status, tt.body, title, got, tt.title, tt.want)
			}
		})
	}
}
