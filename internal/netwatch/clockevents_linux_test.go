//go:build linux

package netwatch

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestClockEventsOnClockSet sets the wall clock to what it reads (as root: a few microseconds
// back at most) and sees the event the kernel sends for a resume too; then ctx closes it.
func TestClockEventsOnClockSet(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jumped, err := clockEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // twice: the timer is armed again after each
		var now unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_REALTIME, &now); err != nil {
			t.Fatal(err)
		}
		if err := unix.ClockSettime(unix.CLOCK_REALTIME, &now); err != nil {
			t.Fatalf("setting the clock (as root): %v", err)
		}
		select {
		case <-jumped:
		case <-time.After(5 * time.Second):
			t.Fatalf("clock set %d: no event in 5 s", i+1)
		}
	}
	cancel()
	select {
	case _, ok := <-jumped:
		if ok {
			t.Fatal("an event after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the channel did not close after cancel")
	}
}
