package netwatch

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// jumpingClock is a resume sampler whose wall clock jumps a minute at every reading.
func jumpingClock() func() sample {
	var n atomic.Int64
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return func() sample {
		i := time.Duration(n.Add(1))
		return sample{wall: t0.Add(i * time.Minute), awake: i * time.Millisecond}
	}
}

// TestWatchSerializesCallbacks has an event source and the resume detector emit as fast as they
// can: onChange must never run twice at once, and never after watch returned.
func TestWatchSerializesCallbacks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var inFlight, calls, resumes, routes atomic.Int64
	var returned atomic.Bool
	onChange := func(c Change) {
		if inFlight.Add(1) != 1 {
			t.Error("onChange called concurrently")
		}
		if returned.Load() {
			t.Error("onChange called after watch returned")
		}
		switch c.Reason {
		case ReasonResume:
			resumes.Add(1)
		case ReasonRoute:
			routes.Add(1)
		}
		if calls.Add(1) == 200 {
			cancel()
		}
		time.Sleep(50 * time.Microsecond)
		inFlight.Add(-1)
	}
	run := func(ctx context.Context, emit func(Change)) error {
		for ctx.Err() == nil {
			emit(Change{Reason: ReasonRoute})
			time.Sleep(20 * time.Microsecond)
		}
		return nil
	}
	rs := resumeSettings{interval: 100 * time.Microsecond, threshold: time.Second, now: jumpingClock()}
	if err := watch(ctx, onChange, slog.New(slog.DiscardHandler), run, rs); err != nil {
		t.Fatalf("watch: %v", err)
	}
	returned.Store(true)
	time.Sleep(10 * time.Millisecond)
	if resumes.Load() == 0 || routes.Load() == 0 {
		t.Errorf("got %d resume and %d route changes, want both", resumes.Load(), routes.Load())
	}
}

// TestWatchDoesNotBlockSource checks that a slow onChange never holds up the event source: the
// changes it cannot take yet are dropped beyond a few pending ones.
func TestWatchDoesNotBlockSource(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	var calls atomic.Int64
	onChange := func(Change) {
		calls.Add(1)
		<-release
	}
	const emitted = 1000
	run := func(ctx context.Context, emit func(Change)) error {
		for range emitted {
			emit(Change{Reason: ReasonLink})
		}
		close(release)
		time.Sleep(20 * time.Millisecond) // let onChange drain the queue
		cancel()
		return nil
	}
	rs := resumeSettings{interval: time.Hour, threshold: time.Second, now: newSampler()}
	done := make(chan error, 1)
	go func() { done <- watch(ctx, onChange, slog.New(slog.DiscardHandler), run, rs) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event source blocked on a busy onChange")
	}
	if n := calls.Load(); n < 2 || n > pendingChanges+1 {
		t.Errorf("onChange called %d times for %d changes emitted while it was busy, want 2 to %d",
			n, emitted, pendingChanges+1)
	}
}

func TestWatchReturnsSourceError(t *testing.T) {
	boom := errors.New("socket gone")
	run := func(context.Context, func(Change)) error { return boom }
	rs := resumeSettings{interval: time.Hour, threshold: time.Second, now: newSampler()}
	err := watch(context.Background(), func(Change) {}, slog.New(slog.DiscardHandler), run, rs)
	if !errors.Is(err, boom) {
		t.Errorf("watch = %v, want %v", err, boom)
	}
}
