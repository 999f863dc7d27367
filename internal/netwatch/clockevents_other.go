//go:build !linux

package netwatch

import (
	"context"
	"errors"
)

// clockEvents has no source on this OS: the clocks are compared on a timer.
func clockEvents(context.Context) (<-chan struct{}, error) { return nil, errors.ErrUnsupported }
