package netstate

import "net/netip"

// tableRoute is one entry of a routing table as macOS and Windows list it, before selection.
type tableRoute struct {
	Dst       netip.Prefix // the destination
	Gateway   netip.Addr   // the next hop; the zero Addr or an unspecified one when on-link
	Interface string
}

// The halves of each family's address space: a VPN client that routes everything through its
// tunnel without replacing the default route installs both (OpenVPN's def1, wg-quick on macOS).
var halves = map[string][2]netip.Prefix{
	"ipv4": {netip.MustParsePrefix("0.0.0.0/1"), netip.MustParsePrefix("128.0.0.0/1")},
	"ipv6": {netip.MustParsePrefix("::/1"), netip.MustParsePrefix("8000::/1")},
}

// selectDefaults returns the default routes of a routing table, in table order: every /0 route,
// and, once per interface, a pair of /1 routes covering both halves of a family through that
// interface, listed first because it wins over any /0 (a longer prefix).
func selectDefaults(table []tableRoute) []Route {
	var split, whole []Route
	seen := map[Route]bool{}
	for _, r := range table {
		if !r.Dst.IsValid() {
			continue
		}
		fam := family(r.Dst.Addr())
		route := Route{Family: fam, Interface: r.Interface}
		if r.Gateway.IsValid() && !r.Gateway.IsUnspecified() {
			route.Gateway = r.Gateway.Unmap().WithZone("").String()
		}
		switch {
		case r.Dst.Bits() == 0:
			whole = append(whole, route)
		case r.Dst.Bits() == 1 && r.Dst.Masked() == halves[fam][0]:
			if other, ok := findHalf(table, halves[fam][1], r.Interface); ok && !seen[route] {
				seen[route] = true
				if route.Gateway == "" {
					route.Gateway = other
				}
				split = append(split, route)
			}
		}
	}
	return append(split, whole...)
}

// findHalf finds the route to half through iface, returning its gateway.
func findHalf(table []tableRoute, half netip.Prefix, iface string) (string, bool) {
	for _, r := range table {
		if r.Interface == iface && r.Dst.IsValid() && r.Dst.Bits() == 1 && r.Dst.Masked() == half {
			if r.Gateway.IsValid() && !r.Gateway.IsUnspecified() {
				return r.Gateway.Unmap().WithZone("").String(), true
			}
			return "", true
		}
	}
	return "", false
}

func family(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "ipv4"
	}
	return "ipv6"
}

// dedupeDNS returns the DNS server addresses in order, each once, without the placeholders
// Windows lists for an adapter with no IPv6 DNS server (the deprecated site-local
// fec0:0:0:ffff::1, ::2 and ::3) and without zones.
func dedupeDNS(addrs []netip.Addr) []string {
	placeholder := netip.MustParsePrefix("fec0:0:0:ffff::/64")
	var out []string
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		if !a.IsValid() || a.IsUnspecified() || placeholder.Contains(a) || seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, a.String())
	}
	return out
}
