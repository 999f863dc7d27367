//go:build !linux && !windows && !darwin

package netstate

import (
	"context"
	"errors"
)

// WatchMetered is not implemented on this OS (Linux, Windows and macOS have it); it returns
// errors.ErrUnsupported at once.
func WatchMetered(ctx context.Context, bus string, onChange func(Metered)) error {
	return errors.ErrUnsupported
}
