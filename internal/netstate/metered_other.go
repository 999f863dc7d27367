//go:build !linux

package netstate

import (
	"context"
	"errors"
)

// WatchMetered is not implemented on this OS: Windows' connection cost is
// INetworkCostManager, a COM interface, and macOS's "expensive" and "constrained" paths are
// NWPathMonitor's, reachable only through cgo. It returns an error at once.
func WatchMetered(ctx context.Context, bus string, onChange func(Metered)) error {
	return errors.ErrUnsupported
}
