package netstate

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/route"
)

// DefaultRoutes reads the IPv4 and IPv6 default routes from a dump of the kernel's routing
// table (sysctl NET_RT_DUMP, no privileges needed). The change events come from the same
// routing socket's messages in internal/netwatch.
func DefaultRoutes() ([]Route, bool, error) {
	b, err := route.FetchRIB(syscall.AF_UNSPEC, route.RIBTypeRoute, 0)
	if err != nil {
		return nil, false, fmt.Errorf("dumping the routing table: %w", err)
	}
	msgs, err := route.ParseRIB(route.RIBTypeRoute, b)
	if err != nil {
		return nil, false, fmt.Errorf("parsing the routing table: %w", err)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, false, fmt.Errorf("listing interfaces for the routing table: %w", err)
	}
	names := map[int]string{}
	for _, ifi := range ifaces {
		names[ifi.Index] = ifi.Name
	}
	var rib []ribRoute
	for _, m := range msgs {
		if rm, ok := m.(*route.RouteMessage); ok {
			rib = append(rib, fromRouteMessage(rm))
		}
	}
	return selectDefaults(ribTable(rib, func(i int) string { return names[i] })), true, nil
}

// fromRouteMessage keeps what ribTable needs of a parsed route message.
func fromRouteMessage(m *route.RouteMessage) ribRoute {
	r := ribRoute{Flags: uint32(m.Flags), Index: m.Index}
	addr := func(i int) string {
		if i >= len(m.Addrs) {
			return ""
		}
		switch a := m.Addrs[i].(type) {
		case *route.Inet4Addr:
			return netip.AddrFrom4(a.IP).String()
		case *route.Inet6Addr:
			return netip.AddrFrom16(a.IP).String()
		}
		return "" // a link address, or none
	}
	r.Dst, r.Gateway, r.Netmask = addr(syscall.RTAX_DST), addr(syscall.RTAX_GATEWAY), addr(syscall.RTAX_NETMASK)
	return r
}

// readState reads the default routes from the routing table, recognises a VPN by the name of
// the interface carrying one (utun, ipsec, ppp…) and names it after the connected VPN services
// of `scutil --nc list`, and reads the DNS servers from `scutil --dns` (scutil_darwin.go).
func readState() (State, error) {
	var st State
	routes, known, rerr := DefaultRoutes()
	st.Routes, st.RoutesKnown = routes, known
	// Without the services (scutil failed) the interface name alone decides, as on Linux: that
	// is no error of the state.
	services, _ := vpnServices()
	st.VPN = vpnOnRoutes(routes, func(name string) (Adapter, bool) { return connectedVPNAdapter(name, services) })
	dns, derr := readDNSServers()
	st.DNSServers = dns
	return st, errors.Join(rerr, derr)
}
