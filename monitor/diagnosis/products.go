package diagnosis

// The product table: every product spotwatch can name (docs/design.md, "Products"), one row each, with how it
// is recognised and how its fix is worded. The probes recognise products through
// matchInterceptor (certificate chains), matchBlockPage (HTTP answers), matchRelay (the headers a
// proxy adds to answers it relays), and the classifier through matchFilterAddr (DNS answers) and
// matchResolver (a resolver's version.bind); the fix catalogue words its steps through
// productNamed. Add a product by adding a row.

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
)

// productKind is what a product is, which decides who can change its settings.
type productKind string

// Product kinds.
const (
	kindSecuritySuite productKind = "security suite"    // antivirus or internet security on this computer: it scans HTTPS itself
	kindInterceptor   productKind = "interceptor"       // a network's TLS-inspection gateway
	kindBlockPage     productKind = "block-page vendor" // a network web filter that answers with its block page
	kindDNSFilter     productKind = "DNS filter"        // a filtering DNS service or server, often run at home
	kindProxy         productKind = "proxy"             // a proxy Spotify is sent through
	kindVPNClient     productKind = "VPN client"        // a VPN that carries the default route
)

// productKinds are all the kinds, for the table's tests.
var productKinds = []productKind{kindSecuritySuite, kindInterceptor, kindBlockPage, kindDNSFilter, kindProxy, kindVPNClient}

// changer is who can change a product's settings, which is whom the fix addresses.
type changer int

// Who changes a product's settings.
const (
	changerUnknown changer = iota // a product spotwatch does not know
	changerUser                   // the person at this computer (security software)
	changerOwner                  // whoever runs the filter (often the household)
	changerIT                     // the network's IT administrator
)

// changer is who can change a product of kind k.
func (k productKind) changer() changer {
	switch k {
	case kindSecuritySuite:
		return changerUser
	case kindDNSFilter:
		return changerOwner
	case kindInterceptor, kindBlockPage, kindProxy, kindVPNClient:
		return changerIT
	}
	return changerUnknown
}

// product is one row of the product table.
type product struct {
	name string // the name shown to the user (in titles, summaries and fix steps)
	kind productKind

	// How it is recognised; any of these may be empty, not all of them.
	issuers []string           // fragments of its CA's CN or O, matched case-insensitively across the chain
	pages   []blockFingerprint // fingerprints of its block page
	answers []netip.Prefix     // addresses its DNS answers send a blocked name to
	// versions are fragments of its answer to the CHAOS TXT query version.bind (lower case).
	versions []string
	// relays are fragments of the Via or X-Cache header it adds to answers it relays (lower case):
	// how a proxy that inspects HTTPS shows itself when its CA's name does not.
	relays []string

	// setting completes "Turn off HTTPS scanning in <name> for Spotify, or add an exception: " for
	// security software, and "Allow Spotify in <name>: " for a DNS filter. It may be empty: the
	// fix then says where such settings usually are, or whom to ask.
	setting string
}

// Settings several products share.
const (
	piholeSetting = "open Domains in its web interface and add " + spotifyDomains + " to the allowlist with Add domain as wildcard ticked"
)

// squidPages are Squid's own answers: the X-Squid-Error header of its error pages (ERR_ACCESS_DENIED
// for a denying ACL), its Server header, and the "(squid/5.7)" signature of its error page.
var squidPages = []blockFingerprint{{header: "X-Squid-Error", value: "err_"}, {header: "Server", value: "squid"}, {body: "(squid/"}}

// products returns the product table, built once: every light check's answer is matched
// against its block pages, and a table rebuilt per call was 8 KB of garbage a check. Callers
// only read it. Matching tries the rows in this order, and within a row its fingerprints in
// order: the first that matches names the product.
var products = sync.OnceValue(productTable)

// productTable builds the product table (see products).
func productTable() []product {
	return []product{
		{name: "Kaspersky", kind: kindSecuritySuite,
			issuers: []string{"Kaspersky Anti-Virus Personal Root", "Kaspersky Lab"},
			setting: "open Settings > Network settings and choose Do not scan encrypted connections, or under Manage exclusions add " + spotifyDomains},
		{name: "Avast", kind: kindSecuritySuite,
			issuers: []string{"avast! Web/Mail Shield"},
			setting: "open Menu > Settings > Protection > Core Shields > Web Shield and untick Enable HTTPS scanning, or add " + spotifyDomains + " under Exceptions"},
		{name: "AVG", kind: kindSecuritySuite,
			issuers: []string{"AVG Web/Mail Shield"},
			setting: "open Menu > Settings > Basic protection > Core Protection > Web Shield and untick Enable HTTPS scanning, or add " + spotifyDomains + " under Exceptions"},
		{name: "ESET", kind: kindSecuritySuite,
			issuers: []string{"ESET SSL Filter"},
			setting: "press F5 for Advanced setup, open Protections > SSL/TLS and set Spotify to Ignore in the list of SSL/TLS filtered applications"},
		{name: "Bitdefender", kind: kindSecuritySuite,
			issuers: []string{"Bitdefender Personal CA"},
			setting: "open Protection > Online Threat Prevention > Settings and turn Encrypted web scan off, or add " + spotifyDomains + " under Exceptions"},
		{name: "Norton", kind: kindSecuritySuite,
			issuers: []string{"Norton Web/Mail Shield"}},
		{name: "McAfee Web Gateway", kind: kindInterceptor,
			issuers: []string{"McAfee Web Gateway"}},
		{name: "FortiGuard", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "fortiguard"}, {location: "fortiguard"}}},
		{name: "Cisco Umbrella (OpenDNS)", kind: kindDNSFilter,
			pages:   []blockFingerprint{{body: "block.opendns.com"}, {location: "block.opendns.com"}, {location: "opendns.com/block"}},
			answers: []netip.Prefix{netip.MustParsePrefix("146.112.61.104/29"), netip.MustParsePrefix("::ffff:146.112.61.104/125")},
			setting: "sign in at https://dashboard.opendns.com, open Settings, pick your network, and under Web Content Filtering > Manage individual domains add " + spotifyDomains + " as Always allow"},
		{name: "Zscaler", kind: kindInterceptor,
			issuers: []string{"Zscaler"},
			pages:   []blockFingerprint{{body: "zscaler"}, {location: "zscaler"}}},
		{name: "Fortinet FortiGate", kind: kindInterceptor,
			issuers: []string{"FortiGate CA", "Fortinet"}},
		{name: "Cisco Umbrella", kind: kindInterceptor,
			issuers: []string{"Cisco Umbrella"}},
		{name: "Forcepoint", kind: kindInterceptor,
			issuers: []string{"Forcepoint Cloud CA"}},
		{name: "Blue Coat", kind: kindInterceptor,
			issuers: []string{"Blue Coat"}},
		{name: "Smoothwall", kind: kindInterceptor,
			issuers: []string{"Smoothwall"}},
		{name: "Cyberoam", kind: kindInterceptor,
			issuers: []string{"Cyberoam"}},
		{name: "Palo Alto Networks", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "urlblock.php"}, {location: "urlblock.php"}}},
		{name: "Forcepoint (Websense)", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "blockpage.cgi"}, {location: "blockpage.cgi"}}},
		{name: "Barracuda", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "barracuda web filter"}, {body: "barracudanetworks"}}},
		{name: "Lightspeed", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "lightspeedsystems"}, {location: "lightspeedsystems"}}},
		{name: "Netsweeper", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "netsweeper"}, {location: "webadmin/deny"}}},
		{name: "Pi-hole", kind: kindDNSFilter,
			pages:    []blockFingerprint{{body: "pi-hole"}, {body: "pi.hole"}},
			versions: []string{"pi-hole"},
			setting:  piholeSetting},
		{name: "NextDNS", kind: kindDNSFilter,
			pages:   []blockFingerprint{{header: "Blocked-By", value: "nextdns"}},
			setting: "open the Allowlist tab at https://my.nextdns.io and add " + spotifyDomains},
		{name: "Securly", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "securly.com"}}},
		{name: "GoGuardian", kind: kindBlockPage,
			pages: []blockFingerprint{{body: "goguardian"}}},
		{name: "ContentKeeper", kind: kindInterceptor,
			issuers: []string{"ContentKeeper"},
			pages:   []blockFingerprint{{body: "contentkeeper"}}},
		{name: "SonicWall", kind: kindInterceptor,
			issuers: []string{"SonicWALL"},
			pages:   []blockFingerprint{{body: "sonicwall"}}},
		{name: "Sophos", kind: kindInterceptor,
			issuers: []string{"Sophos SSL CA", "sophosutm Proxy CA"},
			pages:   []blockFingerprint{{body: "sophos web appliance"}}},
		{name: "Netskope", kind: kindInterceptor,
			issuers: []string{"caadmin.netskope.com", "Netskope"}},
		// Squid is named by its own answers: its error page when an ACL denies Spotify, and the
		// Via header ("1.1 host (squid/5.7)") on what it relays after ssl-bump, whose CA is
		// whatever name its owner gave it.
		{name: "Squid", kind: kindProxy,
			pages:  squidPages,
			relays: []string{"(squid/", "(squid)"}},
		{name: "mitmproxy", kind: kindInterceptor,
			issuers: []string{"mitmproxy"}},
		// The resolvers are named by version.bind, which each answers unless told not to; after
		// Pi-hole, whose FTL is a dnsmasq that says so ("dnsmasq-pi-hole-…").
		{name: "dnsmasq", kind: kindDNSFilter,
			versions: []string{"dnsmasq-"},
			setting:  "remove the address=/spotify.com/ line (and any for scdn.co or spotifycdn.com) from its configuration, /etc/dnsmasq.conf or a file in /etc/dnsmasq.d, and restart dnsmasq; on a Pi-hole, add " + spotifyDomains + " to its allowlist instead"},
		{name: "Unbound", kind: kindDNSFilter,
			versions: []string{"unbound"},
			setting:  "remove the local-zone and local-data lines for spotify.com, scdn.co and spotifycdn.com from unbound.conf and the files it includes, then run unbound-control reload"},
	}
}

// matchResolver returns the DNS server product whose version.bind answer this is, or "".
func matchResolver(version string) string {
	lower := strings.ToLower(version)
	for _, p := range products() {
		for _, fragment := range p.versions {
			if strings.Contains(lower, fragment) {
				return p.name
			}
		}
	}
	return ""
}

// matchRelay returns the proxy whose Via or X-Cache header an answer carries, or "".
func matchRelay(header http.Header) string {
	lower := strings.ToLower(strings.Join(append(header.Values("Via"), header.Values("X-Cache")...), "\n"))
	if lower == "" {
		return ""
	}
	for _, p := range products() {
		for _, fragment := range p.relays {
			if strings.Contains(lower, fragment) {
				return p.name
			}
		}
	}
	return ""
}

// productNamed returns the row of the product named name (as a recogniser named it), or a zero
// product when spotwatch knows none by that name.
func productNamed(name string) product {
	if strings.TrimSpace(name) == "" {
		return product{}
	}
	for _, p := range products() {
		if strings.EqualFold(p.name, name) {
			return p
		}
	}
	return product{}
}
