//go:build !linux && !darwin

package statusapi

import (
	"errors"
	"fmt"
	"runtime"
)

// peerUID is not implemented here: on Windows AF_UNIX sockets carry no peer credentials.
func peerUID(uintptr) (int, error) {
	return 0, fmt.Errorf("peer credentials on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
