//go:build !linux

package netstate

import (
	"context"
	"errors"
)

// WatchMetered is not implemented on this OS; it returns errors.ErrUnsupported at once. On
// Windows the way in without COM is iphlpapi's GetNetworkConnectivityHint and
// NotifyNetworkConnectivityHintChange (Windows 10 2004 and later: the hint's ConnectivityCost,
// fixed or variable meaning metered; not written yet). macOS's "expensive" and "constrained"
// paths are NWPathMonitor's, reachable only through cgo.
func WatchMetered(ctx context.Context, bus string, onChange func(Metered)) error {
	return errors.ErrUnsupported
}
