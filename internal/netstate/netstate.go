// Package netstate reads the machine's network state that more than one part of spotwatch needs:
// the default routes. The facts of a check (monitor/probe) and the network watcher's polling
// fallback (internal/netwatch) read them here, so both see the same routes.
package netstate

// Route is a default route.
type Route struct {
	Family    string // ipv4 or ipv6
	Interface string
	Gateway   string // "" when the route has none
}
