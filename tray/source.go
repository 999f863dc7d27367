package tray

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/spotwatch/spotwatch/internal/clock"
	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
)

// Source is where the tray gets the monitor's state and sends the user's requests: the
// daemon's status API client (*api.Client), or Local for a monitor in this process.
type Source interface {
	// Events streams events, the current state first. Both channels close when the stream
	// ends; before that, errs receives why (unless ctx ended it).
	Events(ctx context.Context) (<-chan monitor.Event, <-chan error)
	// CheckNow asks for a check at once.
	CheckNow(ctx context.Context) error
	// Pause pauses notifications for d (0 resumes) and returns when the pause ends.
	Pause(ctx context.Context, d time.Duration) (time.Time, error)
}

// HistorySource gives the newest state changes, oldest first (*api.Client, MemoryHistory).
type HistorySource interface {
	History(ctx context.Context, limit int) ([]history.Record, error)
}

// errDropped is why a Local event stream ends: the monitor dropped a subscriber that fell
// behind. The tray subscribes again.
var errDropped = errors.New("the monitor dropped the tray's subscription (it fell behind)")

// Local is a Source for a monitor running in this process.
type Local struct {
	Monitor *monitor.Monitor
	Clock   clock.Clock // nil: the real clock
}

// Events subscribes to the monitor.
func (l Local) Events(ctx context.Context) (<-chan monitor.Event, <-chan error) {
	sub, cancel := l.Monitor.Subscribe()
	events := make(chan monitor.Event)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(events)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub:
				if !ok {
					errs <- errDropped
					return
				}
				select {
				case events <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return events, errs
}

// CheckNow asks the monitor for a check.
func (l Local) CheckNow(context.Context) error {
	l.Monitor.CheckNow()
	return nil
}

// Pause pauses the monitor's notifications for d; 0 resumes them.
func (l Local) Pause(_ context.Context, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, errors.New("pausing notifications: negative duration")
	}
	var until time.Time
	if d > 0 {
		c := l.Clock
		if c == nil {
			c = clock.Real{}
		}
		until = c.Now().Add(d)
	}
	l.Monitor.Pause(until)
	return until, nil
}

// MemoryHistory keeps the newest state changes of a monitor in this process, for "Open
// history" when no daemon keeps the durable history. It is a monitor.HistoryWriter.
type MemoryHistory struct {
	mu      sync.Mutex
	records []history.Record
	max     int
}

// NewMemoryHistory keeps up to max records.
func NewMemoryHistory(max int) *MemoryHistory {
	return &MemoryHistory{max: max}
}

// Append adds a record, forgetting the oldest beyond the bound.
func (h *MemoryHistory) Append(r history.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	if over := len(h.records) - h.max; over > 0 {
		h.records = append([]history.Record(nil), h.records[over:]...)
	}
	return nil
}

// History returns the newest limit records, oldest first (all when limit ≤ 0).
func (h *MemoryHistory) History(_ context.Context, limit int) ([]history.Record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	recs := h.records
	if limit > 0 && len(recs) > limit {
		recs = recs[len(recs)-limit:]
	}
	return append([]history.Record(nil), recs...), nil
}

// Backoff of reconnections to the daemon.
const (
	backoffMin = 500 * time.Millisecond
	backoffMax = 30 * time.Second
)

// update is what follow tells the tray: an event, or that the stream was lost.
type update struct {
	ev   monitor.Event
	lost error // non-nil: the stream ended, reconnecting
}

// follow streams src's events into out until ctx ends, reconnecting with exponential backoff
// (backoffMin doubling to backoffMax, back to backoffMin once a stream delivered an event).
func follow(ctx context.Context, src Source, clk clock.Clock, out chan<- update) {
	wait := backoffMin
	for {
		streamCtx, cancel := context.WithCancel(ctx)
		events, errs := src.Events(streamCtx)
		got := false
		for ev := range events {
			got = true
			select {
			case out <- update{ev: ev}:
			case <-ctx.Done():
			}
		}
		err := <-errs
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the event stream ended")
		}
		select {
		case out <- update{lost: err}:
		case <-ctx.Done():
			return
		}
		if got {
			wait = backoffMin
		}
		t := clk.NewTimer(wait)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, backoffMax)
	}
}
