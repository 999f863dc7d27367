package diagnosis

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestProductTable holds every row of the product table to its contract: a unique name, a known
// kind, at least one recogniser that names this very product (no earlier row shadows it), and
// fix wording that names it.
func TestProductTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range products() {
		t.Run(p.name, func(t *testing.T) {
			if strings.TrimSpace(p.name) == "" {
				t.Fatalf("a product without a name: %+v", p)
			}
			if key := strings.ToLower(p.name); seen[key] {
				t.Errorf("name %q is used twice", p.name)
			} else {
				seen[key] = true
			}
			if !slices.Contains(productKinds, p.kind) || p.kind.changer() == changerUnknown {
				t.Errorf("kind %q is not a known kind", p.kind)
			}
			if len(p.issuers)+len(p.pages)+len(p.answers)+len(p.versions)+len(p.relays) == 0 {
				t.Errorf("no recogniser: no issuer fragment, block-page fingerprint, DNS answer, version.bind or relay header")
			}
			for _, fragment := range p.issuers {
				chain := []*x509.Certificate{{Issuer: pkix.Name{CommonName: "Example " + fragment + " Root"}}}
				if got := matchInterceptor(chain); got != p.name {
					t.Errorf("issuer fragment %q is recognised as %q", fragment, got)
				}
			}
			for _, fp := range p.pages {
				header, body := http.Header{}, ""
				switch {
				case fp.body != "":
					body = "<html>" + strings.ToUpper(fp.body) + "</html>"
				case fp.location != "":
					header.Set("Location", "http://"+fp.location+"/")
				case fp.header != "":
					header.Set(fp.header, fp.value)
				default:
					t.Errorf("an empty block-page fingerprint")
					continue
				}
				if got := matchBlockPage(header, []byte(body)); got != p.name {
					t.Errorf("block-page fingerprint %+v is recognised as %q", fp, got)
				}
			}
			for _, prefix := range p.answers {
				if got := matchFilterAddr([]string{prefix.Addr().String()}); got != p.name {
					t.Errorf("DNS answer %s is recognised as %q", prefix.Addr(), got)
				}
			}
			for _, fragment := range p.versions {
				if got := matchResolver("Example " + strings.ToUpper(fragment) + "1.0"); got != p.name {
					t.Errorf("version.bind fragment %q is recognised as %q", fragment, got)
				}
			}
			for _, fragment := range p.relays {
				for _, h := range []string{"Via", "X-Cache"} {
					if got := matchRelay(http.Header{h: {"1.1 proxy.example " + fragment}}); got != p.name {
						t.Errorf("%s fragment %q is recognised as %q", h, fragment, got)
					}
				}
			}
			checkProductFix(t, p)
		})
	}
}

// checkProductFix checks that the fix for p names p and says what to do with it rather than
// falling back to the wording for an unknown product.
func checkProductFix(t *testing.T, p product) {
	t.Helper()
	if productNamed(p.name).name != p.name || productNamed(strings.ToUpper(p.name)).name != p.name {
		t.Errorf("productNamed does not find %q", p.name)
	}
	switch p.kind.changer() {
	case changerUser:
		steps := interceptionSteps(p.name)
		if !strings.HasPrefix(steps[0], "Turn off HTTPS scanning in "+p.name) {
			t.Errorf("interception fix does not address %s: %q", p.name, steps[0])
		}
	case changerOwner:
		if p.setting == "" {
			t.Errorf("a DNS filter without the setting that allows Spotify")
		}
		if got := allowInFilter(p.name); !strings.HasPrefix(got, "Allow Spotify in "+p.name+": ") {
			t.Errorf("DNS-filter fix does not address %s: %q", p.name, got)
		}
		if got := blockPageAsk(p.name); !strings.HasPrefix(got, "If you run "+p.name) {
			t.Errorf("block-page fix does not address %s: %q", p.name, got)
		}
	case changerIT:
		if got := interceptionSteps(p.name)[0]; !strings.Contains(got, "("+p.name+")") {
			t.Errorf("interception fix does not name %s: %q", p.name, got)
		}
		if got := allowInFilter(p.name); !strings.Contains(got, "who runs "+p.name+" ") {
			t.Errorf("DNS-filter fix does not name %s: %q", p.name, got)
		}
		if got := blockPageAsk(p.name); !strings.HasSuffix(got, " in "+p.name+".") {
			t.Errorf("block-page fix does not name %s: %q", p.name, got)
		}
	}
}

// TestUnknownProductGetsGenericFix: a name the table does not hold gets the wording for an
// unknown product, never a neighbour's wording by a shared substring.
func TestUnknownProductGetsGenericFix(t *testing.T) {
	for _, name := range []string{"", "Kasper", "Avast Business Hub", "OpenDNS"} {
		if p := productNamed(name); p.name != "" {
			t.Errorf("productNamed(%q) = %q, want none", name, p.name)
		}
	}
	if got := blockPageAsk("Example Filter"); !strings.HasPrefix(got, "Ask whoever runs Example Filter (IT at work or school") {
		t.Errorf("unknown filter: %q", got)
	}
}

// TestProductRecognisers: the answers of the products in the lab (internal/lab/products_test.go)
// name them, and answers of other software name nothing.
func TestProductRecognisers(t *testing.T) {
	for _, c := range []struct{ version, want string }{
		{"dnsmasq-2.90", "dnsmasq"},
		{"dnsmasq-pi-hole-v2.90", "Pi-hole"},
		{"unbound 1.17.1", "Unbound"},
		{"9.18.49-1~deb12u3-Debian", ""}, // BIND gives a bare number: nothing to name it by
		{"PowerDNS Recursor 4.8.8", ""},
		{"", ""},
	} {
		if got := matchResolver(c.version); got != c.want {
			t.Errorf("matchResolver(%q) = %q, want %q", c.version, got, c.want)
		}
	}
	for _, c := range []struct {
		header http.Header
		want   string
	}{
		{http.Header{"Via": {"1.1 proxy.lab.example (squid/5.7)"}}, "Squid"},
		{http.Header{"X-Cache": {"MISS from proxy.lab.example"}, "Via": {"1.1 proxy (squid)"}}, "Squid"},
		{http.Header{"Via": {"1.1 varnish (Varnish/7.1)"}}, ""},
		{http.Header{}, ""},
	} {
		if got := matchRelay(c.header); got != c.want {
			t.Errorf("matchRelay(%v) = %q, want %q", c.header, got, c.want)
		}
	}
	// Squid's refusal of a CONNECT: the head is all a client reads.
	refusal := http.Header{"Server": {"squid/5.7"}, "X-Squid-Error": {"ERR_ACCESS_DENIED 0"}}
	if got := matchBlockPage(refusal, nil); got != "Squid" {
		t.Errorf("Squid's refusal is recognised as %q", got)
	}
	if got := matchBlockPage(http.Header{"Server": {"nginx"}}, []byte("<html>Forbidden</html>")); got != "" {
		t.Errorf("nginx's 403 is recognised as %q", got)
	}
}
