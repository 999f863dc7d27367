package netwatch

import (
	"context"
	"time"
)

// resumeSettings tune the sleep/resume detector.
type resumeSettings struct {
	interval  time.Duration // how often to compare the clocks where no event says when to
	threshold time.Duration // how far the wall clock must run ahead to count as a resume
	now       func() sample // reads both clocks
	// clockEvents, where the OS has them, says when the wall clock jumped (a resume, or the
	// clock set): the clocks are compared then, and never on a timer. nil, or an error, or its
	// channel closing = compare every interval.
	clockEvents func(context.Context) (<-chan struct{}, error)
}

// defaultResume takes a 5 s jump as a resume (a suspend shorter than that hardly matters, and
// NTP never steps a healthy clock that far), compared when the OS says the clock jumped
// (Linux: clockEvents), else every 5 s.
func defaultResume() resumeSettings {
	return resumeSettings{interval: 5 * time.Second, threshold: 5 * time.Second, now: newSampler(), clockEvents: clockEvents}
}

// sample is one reading of the wall clock and of a clock that stops while the computer sleeps.
type sample struct {
	wall  time.Time     // without monotonic reading
	awake time.Duration // time the system has been awake, from an arbitrary origin
}

// wallJump says how much further the wall clock moved than the awake clock between two samples:
// about the time spent asleep. It is negative when the wall clock was set back.
func wallJump(prev, cur sample) time.Duration {
	return cur.wall.Sub(prev.wall) - (cur.awake - prev.awake)
}

// detectResume compares the clocks when the OS says the wall clock jumped, or every rs.interval
// where it cannot, and emits a resume Change when the wall clock ran ahead of the awake clock by
// more than rs.threshold. It returns when ctx is done.
func detectResume(ctx context.Context, rs resumeSettings, emit func(Change)) {
	var jumped <-chan struct{}
	if rs.clockEvents != nil {
		if ch, err := rs.clockEvents(ctx); err == nil {
			jumped = ch
		}
	}
	var tick <-chan time.Time
	if jumped == nil {
		t := time.NewTicker(rs.interval)
		defer t.Stop()
		tick = t.C
	}
	prev := rs.now()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-jumped:
			if !ok { // the events stopped: compare on a timer from now on
				jumped = nil
				t := time.NewTicker(rs.interval)
				defer t.Stop()
				tick = t.C
				continue
			}
		case <-tick:
		}
		cur := rs.now()
		if wallJump(prev, cur) > rs.threshold {
			emit(Change{Reason: ReasonResume})
		}
		prev = cur
	}
}

// unbiasedDuration converts Windows' unbiased interrupt time, in 100 ns ticks, to a Duration.
func unbiasedDuration(ticks uint64) time.Duration { return time.Duration(ticks) * 100 }
