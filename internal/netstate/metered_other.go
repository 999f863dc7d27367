//go:build !linux && !windows

package netstate

import (
	"context"
	"errors"
)

// WatchMetered is not implemented on this OS (Linux and Windows have it); it returns
// errors.ErrUnsupported at once.
func WatchMetered(ctx context.Context, bus string, onChange func(Metered)) error {
	return errors.ErrUnsupported
}
