//go:build !linux

package probe

import "github.com/spotwatch/spotwatch/monitor/diagnosis"

// defaultRoutes cannot read the routing table without cgo on this OS: the routes are unknown,
// and the classifier relies on interfaces and references instead.
func defaultRoutes() ([]diagnosis.Route, bool, error) { return nil, false, nil }
