//go:build !linux

package netwatch

// defaultRoutes is only read on Linux. Elsewhere the poller serves only where OS events are
// missing, and a changed network almost always shows in its interfaces and addresses too.
func defaultRoutes() (string, error) { return "", nil }
