// Package clock lets time-driven code (the monitor's schedule, the tray's reminders) run on the
// real clock in production and on a fake one in tests, where a test moves time by hand.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the code uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// NewTimer returns a real timer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Fake is a clock that moves only when Advance is called. Timers fire, in deadline order, as
// Advance passes their deadlines. Safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	wake   chan struct{} // closed and replaced whenever a timer is created or reset
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start, wake: make(chan struct{})} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clock: f, c: make(chan time.Time, 1), at: f.now.Add(d), active: true}
	f.timers = append(f.timers, t)
	f.notify()
	return t
}

// Advance moves the time forward by d, firing every timer whose deadline it passes.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	for {
		sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
		var next *fakeTimer
		for _, t := range f.timers {
			if t.active && !t.at.After(end) {
				next = t
				break
			}
		}
		if next == nil {
			break
		}
		f.now = next.at
		next.active = false
		select {
		case next.c <- f.now:
		default:
		}
	}
	f.now = end
	f.mu.Unlock()
}

// Set jumps the time to t (a wall-clock jump such as a resume from sleep); timers do not fire.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
}

// Waiters returns how many timers are pending.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.timers {
		if t.active {
			n++
		}
	}
	return n
}

// NextDeadline returns the earliest pending timer's deadline, and false if there is none.
func (f *Fake) NextDeadline() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best time.Time
	found := false
	for _, t := range f.timers {
		if t.active && (!found || t.at.Before(best)) {
			best, found = t.at, true
		}
	}
	return best, found
}

// Changed returns a channel closed the next time a timer is created or reset, so a test can
// wait for the code under test to go back to sleep.
func (f *Fake) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wake
}

func (f *Fake) notify() {
	close(f.wake)
	f.wake = make(chan struct{})
}

type fakeTimer struct {
	clock  *Fake
	c      chan time.Time
	at     time.Time
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.active
	t.at, t.active = t.clock.now.Add(d), true
	select { // drop a stale tick, as time.Timer does since Go 1.23
	case <-t.c:
	default:
	}
	t.clock.notify()
	return was
}
