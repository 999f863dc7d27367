// Package netwatch tells the monitor when the network may have changed, so that it re-checks at
// once instead of waiting for its next scheduled check. It listens to the operating system's
// own change events (Linux: rtnetlink; macOS: a route socket; Windows: the IP Helper change
// notifications), falls back to polling a cheap fingerprint of the interfaces and default routes
// elsewhere, and on every system notices a resume from sleep as a jump of the wall clock.
//
// The watchers block on the OS (no polling where events exist), so an idle watcher costs only
// the resume detector's wake-up every few seconds.
package netwatch

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Reasons a Change names.
const (
	ReasonRoute    = "route"    // a route was added, removed or changed
	ReasonAddress  = "address"  // an interface address was added, removed or changed
	ReasonLink     = "link"     // an interface appeared, went away, or went up or down
	ReasonResume   = "resume"   // the computer woke from sleep
	ReasonPoll     = "poll"     // the polling fallback saw a different fingerprint
	ReasonOverflow = "overflow" // the OS dropped events (the watcher's queue overflowed)
)

// Change says the network may have changed, and why (one of the Reason constants).
type Change struct{ Reason string }

// runFunc is an OS event source: it runs on the goroutine that called Watch (so sockets it
// opens belong to that goroutine's network namespace), calls emit at most once per batch of OS
// messages, and returns nil when ctx is done or an error when it stopped working.
type runFunc func(ctx context.Context, emit func(Change)) error

// pendingChanges bounds the changes waiting for onChange. When it is full a change is dropped:
// the ones already queued make the caller re-check anyway.
const pendingChanges = 8

// Watch calls onChange (from one goroutine, never concurrently) whenever the network may have
// changed: a route or address added/removed/changed, a link up/down, or a resume from sleep
// (the wall clock jumped ahead of the monotonic clock). It returns nil when ctx is done, after
// the last onChange call has returned, or an error if it could not start or the OS event source
// failed (then callers fall back to polling via NewPoller).
//
// Watch makes no initial call: callers check once at start themselves.
func Watch(ctx context.Context, onChange func(Change), logger *slog.Logger) error {
	logger = orDiscard(logger)
	run, err := openEvents(logger)
	if err != nil {
		return fmt.Errorf("starting network change events: %w", err)
	}
	return watch(ctx, onChange, logger, run, defaultResume())
}

// watch runs the event source on the calling goroutine, the resume detector beside it, and calls
// onChange from a third goroutine for each change they emit.
func watch(ctx context.Context, onChange func(Change), logger *slog.Logger, run runFunc, rs resumeSettings) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	events := make(chan Change, pendingChanges)
	emit := func(c Change) {
		select {
		case events <- c:
		default:
			logger.Debug("network change dropped, others are pending", "reason", c.Reason)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case c := <-events:
				onChange(c)
			}
		}
	})
	wg.Go(func() { detectResume(ctx, rs, emit) })

	err := run(ctx, emit)
	cancel()
	wg.Wait()
	return err
}

func orDiscard(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return logger
}
