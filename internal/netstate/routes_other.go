//go:build !linux

package netstate

// DefaultRoutes cannot read the routing table without cgo on this OS: the routes are unknown,
// and a check relies on interfaces and references instead.
func DefaultRoutes() ([]Route, bool, error) { return nil, false, nil }
