//go:build !linux && !darwin && !windows

package netwatch

import (
	"log/slog"
	"time"
)

// pollInterval is how often the fallback compares the network fingerprint where the system has
// no change events this package reads.
const pollInterval = 2 * time.Second

// openEvents polls: this system has no change events this package reads.
func openEvents(logger *slog.Logger) (runFunc, error) {
	return NewPoller(pollInterval).runner(logger), nil
}
