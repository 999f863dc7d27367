// Package netstate reads the machine's network state that more than one part of spotwatch needs:
// the default routes, the VPN adapter carrying one, and the DNS servers in use. The facts of a
// check (monitor/probe) and the network watcher's polling fallback (internal/netwatch) read them
// here, so both see the same routes.
//
// Linux reads /proc, macOS a routing-socket dump (golang.org/x/net/route), Windows the IP Helper
// API (GetIpForwardTable2, GetAdaptersAddresses); none needs cgo or administrator rights. The
// decisions — which table entries are default routes, which adapter is a VPN — are pure
// functions in portable files, tested on every OS.
package netstate

import "fmt"

// Route is a default route.
type Route struct {
	Family    string // ipv4 or ipv6
	Interface string // the interface name (Linux, macOS) or the adapter's friendly name (Windows)
	Gateway   string // "" when the route has none
}

// State is the network state a check's facts report.
type State struct {
	Routes      []Route
	RoutesKnown bool     // false where the routing table cannot be read
	VPN         string   // the VPN adapter carrying a default route, "" when none
	DNSServers  []string // the DNS servers in use, "" entries never; nil when unknown
}

// Read reads the default routes, the VPN adapter carrying one and the DNS servers. A fact that
// cannot be read is left empty and its error returned; the others are still filled in.
func Read() (State, error) {
	st, err := readState()
	if err != nil {
		err = fmt.Errorf("reading the network state: %w", err)
	}
	return st, err
}

// vpnOnRoutes returns the label of the first adapter carrying a default route that is a VPN,
// or "". adapter looks an adapter up by the route's interface name; nil, or an adapter it does
// not know, leaves the name alone to decide.
func vpnOnRoutes(routes []Route, adapter func(name string) (Adapter, bool)) string {
	for _, r := range routes {
		a := Adapter{Name: r.Interface}
		if adapter != nil {
			if found, ok := adapter(r.Interface); ok {
				a = found
			}
		}
		if IsVPN(a) {
			return a.Label()
		}
	}
	return ""
}
