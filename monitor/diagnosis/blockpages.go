package diagnosis

import (
	"net/http"
	"net/netip"
	"strings"
)

// blockFingerprint is one fingerprint of a web filter's block page (after ooni/blocking-fingerprints):
// a fragment of the body, of the Location header, or a header with a value.
type blockFingerprint struct {
	filter   string
	body     string // fragment of the body (case-insensitive)
	location string // fragment of the Location header
	header   string // a header name…
	value    string // …and a fragment of its value
}

var blockPages = []blockFingerprint{
	{filter: "FortiGuard", body: "fortiguard"},
	{filter: "FortiGuard", location: "fortiguard"},
	{filter: "Cisco Umbrella (OpenDNS)", body: "block.opendns.com"},
	{filter: "Cisco Umbrella (OpenDNS)", location: "block.opendns.com"},
	{filter: "Cisco Umbrella (OpenDNS)", location: "opendns.com/block"},
	{filter: "Zscaler", body: "zscaler"},
	{filter: "Zscaler", location: "zscaler"},
	{filter: "Palo Alto Networks", body: "urlblock.php"},
	{filter: "Palo Alto Networks", location: "urlblock.php"},
	{filter: "Forcepoint (Websense)", body: "blockpage.cgi"},
	{filter: "Forcepoint (Websense)", location: "blockpage.cgi"},
	{filter: "Barracuda", body: "barracuda web filter"},
	{filter: "Barracuda", body: "barracudanetworks"},
	{filter: "Lightspeed", body: "lightspeedsystems"},
	{filter: "Lightspeed", location: "lightspeedsystems"},
	{filter: "Netsweeper", body: "netsweeper"},
	{filter: "Netsweeper", location: "webadmin/deny"},
	{filter: "Pi-hole", body: "pi-hole"},
	{filter: "Pi-hole", body: "pi.hole"},
	{filter: "NextDNS", header: "Blocked-By", value: "nextdns"},
	{filter: "Securly", body: "securly.com"},
	{filter: "GoGuardian", body: "goguardian"},
	{filter: "ContentKeeper", body: "contentkeeper"},
	{filter: "SonicWall", body: "sonicwall"},
	{filter: "Sophos", body: "sophos web appliance"},
}

// matchBlockPage returns the filter whose block page this response is, or "".
func matchBlockPage(header http.Header, body []byte) string {
	lowerBody := strings.ToLower(string(body))
	location := strings.ToLower(header.Get("Location"))
	for _, bp := range blockPages {
		switch {
		case bp.body != "" && strings.Contains(lowerBody, bp.body):
			return bp.filter
		case bp.location != "" && strings.Contains(location, bp.location):
			return bp.filter
		case bp.header != "" && strings.Contains(strings.ToLower(header.Get(bp.header)), bp.value):
			return bp.filter
		}
	}
	return ""
}

// filterAddrs are addresses DNS filters answer with to send a blocked name to their block page.
var filterAddrs = []struct {
	filter string
	prefix netip.Prefix
}{
	{"Cisco Umbrella (OpenDNS)", netip.MustParsePrefix("146.112.61.104/29")},
	{"Cisco Umbrella (OpenDNS)", netip.MustParsePrefix("::ffff:146.112.61.104/125")},
}

// matchFilterAddr returns the DNS filter an answer points to, or "".
func matchFilterAddr(addrs []string) string {
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		for _, f := range filterAddrs {
			if f.prefix.Contains(a) {
				return f.filter
			}
		}
	}
	return ""
}
