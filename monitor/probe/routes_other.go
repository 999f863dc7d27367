//go:build !linux

package monitor

// defaultRoutes cannot read the routing table without cgo on this OS: the routes are unknown,
// and the classifier relies on interfaces and references instead.
func defaultRoutes() ([]Route, bool, error) { return nil, false, nil }
