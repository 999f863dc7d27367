//go:build !linux

package apptrigger

import (
	"context"
	"time"
)

// pollPresence is the start source where there is no event: the process list every ProcessPoll.
func pollPresence(ctx context.Context, running chan bool, emit func(Event), opts Options) {
	was := opts.Present()
	setRunning(running, was)
	tick := time.NewTicker(opts.ProcessPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := opts.Present()
		if now && !was {
			opts.Logger.Info("the Spotify app started", "seen", "process list")
			emit(Event{Reason: ReasonStarted, Detail: "process list"})
		}
		if now != was {
			setRunning(running, now)
		}
		was = now
	}
}

// appExecutables finds none: only Linux follows the app's executable being run.
func appExecutables([]string) []string { return nil }
