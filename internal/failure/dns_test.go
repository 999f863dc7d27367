package failure

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestFromRCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rcode int
		want  string
	}{
		{dns.RcodeSuccess, ""},
		{dns.RcodeNameError, DNSNXDomain},
		{dns.RcodeServerFailure, DNSServFail},
		{dns.RcodeRefused, DNSRefused},
		{dns.RcodeFormatError, "dns_rcode_formerr"},
		{dns.RcodeNotImplemented, "dns_rcode_notimp"},
		{dns.RcodeBadCookie, "dns_rcode_badcookie"},
		{4000, "dns_rcode_4000"},
	}
	for _, tt := range tests {
		if got := FromRCode(tt.rcode); got != tt.want {
			t.Errorf("FromRCode(%d) = %q, want %q", tt.rcode, got, tt.want)
		}
	}
}

// TestFromRCodeDirectQuery asks a real DNS server directly, which tells apart what Go's resolver
// cannot (REFUSED from SERVFAIL).
func TestFromRCodeDirectQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rcode int
		want  string
	}{
		{dns.RcodeSuccess, ""},
		{dns.RcodeNameError, DNSNXDomain},
		{dns.RcodeServerFailure, DNSServFail},
		{dns.RcodeRefused, DNSRefused},
		{dns.RcodeNotImplemented, "dns_rcode_notimp"},
	}
	for _, tt := range tests {
		t.Run(dns.RcodeToString[tt.rcode], func(t *testing.T) {
			t.Parallel()
			addr := serveDNS(t, answerRCode(tt.rcode, true))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			q := new(dns.Msg)
			q.SetQuestion(spotifyName, dns.TypeA)
			var c dns.Client
			r, _, err := c.ExchangeContext(ctx, q, addr)
			if err != nil {
				t.Fatalf("querying %s: %v", addr, err)
			}
			if got := FromRCode(r.Rcode); got != tt.want {
				t.Errorf("FromRCode(%d) = %q, want %q", r.Rcode, got, tt.want)
			}
		})
	}
}

func TestIsBogon(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want bool
	}{
		{"0.0.0.0", true},
		{"0.255.255.255", true},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"10.0.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"172.15.255.255", false},
		{"192.168.1.1", true},
		{"192.169.0.1", false},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"100.128.0.1", false},
		{"169.254.169.254", true},
		{"198.18.0.1", true},
		{"198.19.255.255", true},
		{"198.20.0.1", false},
		{"224.0.0.251", true},
		{"239.255.255.250", true},
		{"240.0.0.1", true},
		{"255.255.255.255", true},
		{"35.186.224.24", false}, // a Spotify address
		{"1.1.1.1", false},
		{"198.51.100.7", false}, // documentation range: not in the list
		{"::", true},
		{"::1", true},
		{"::2", false},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"febf::1", true},
		{"fec0::1", false},
		{"::ffff:127.0.0.1", true},
		{"::ffff:0.0.0.0", true},
		{"::ffff:10.1.2.3", true},
		{"::ffff:35.186.224.24", false},
		{"2600:1901:1:c36::", false}, // a Spotify address
		{"2001:db8::1", false},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := IsBogon(a); got != tt.want {
			t.Errorf("IsBogon(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if IsBogon(netip.Addr{}) {
		t.Error("IsBogon(zero Addr) = true, want false")
	}
}
