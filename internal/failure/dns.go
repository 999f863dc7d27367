package failure

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// FromRCode returns the failure string of a direct DNS query's RCODE (miekg/dns Rcode values):
// "" for NOERROR, dns_nxdomain, dns_servfail, dns_refused, and "dns_rcode_<name>" (lower case,
// e.g. dns_rcode_formerr) for the rest. A NOERROR answer without records of the asked type is
// NODATA: the caller, who sees the answers, reports DNSNoData then.
func FromRCode(rcode int) string {
	switch rcode {
	case dns.RcodeSuccess:
		return ""
	case dns.RcodeNameError:
		return DNSNXDomain
	case dns.RcodeServerFailure:
		return DNSServFail
	case dns.RcodeRefused:
		return DNSRefused
	}
	if name, ok := dns.RcodeToString[rcode]; ok {
		return DNSRCodePrefix + strings.ToLower(name)
	}
	return DNSRCodePrefix + strconv.Itoa(rcode)
}

// bogons are the ranges a public name never resolves to (docs/design.md, "Failure strings"). A DNS filter answers
// with them (0.0.0.0, 127.0.0.1, ::) to block a name. Read only.
var bogons = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
}

// IsBogon reports whether a is in a bogon range, also as an IPv4-mapped IPv6 address
// (::ffff:127.0.0.1) or with an IPv6 zone. The zero Addr is not a bogon.
func IsBogon(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range bogons {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
