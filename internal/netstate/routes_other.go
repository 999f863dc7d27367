//go:build !linux && !darwin && !windows

package netstate

// DefaultRoutes cannot read the routing table without cgo on this OS: the routes are unknown,
// and a check relies on interfaces and references instead.
func DefaultRoutes() ([]Route, bool, error) { return nil, false, nil }

// readState knows no routes on this OS; the DNS servers come from /etc/resolv.conf where there
// is one.
func readState() (State, error) {
	dns, err := readResolvConf(resolvConf)
	return State{DNSServers: dns}, err
}
