package statusapi

import "time"

// CheckScheduler is implemented by a Source that knows its configured check interval (the
// daemon's): the metrics then export spotwatch_check_interval_seconds, which the fleet's
// staleness rule compares the last check's age with.
type CheckScheduler interface {
	CheckInterval() time.Duration
}

// CheckModer is implemented by a Source whose checks run in more than one mode: CheckMode
// returns ModeFull or ModeLight. A Source without it runs full checks.
type CheckModer interface {
	CheckMode() string
}

// The check modes of spotwatch_check_mode.
const (
	ModeFull  = "full"  // the whole diagnosis: every probe
	ModeLight = "light" // a steady-state check that escalates to a full one on any failure
)
