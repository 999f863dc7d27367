//go:build !windows

package netwatch

import "time"

// newSampler reads the wall clock and Go's monotonic clock, which stops while the computer
// sleeps on Linux (CLOCK_MONOTONIC) and macOS (mach_absolute_time).
func newSampler() func() sample {
	base := time.Now()
	return func() sample {
		t := time.Now()
		return sample{wall: t.Round(0), awake: t.Sub(base)}
	}
}
