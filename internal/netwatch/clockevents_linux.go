//go:build linux

package netwatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// clockEvents sends whenever the kernel says the wall clock jumped: the clock was set, or the
// computer resumed from sleep (the kernel tells timerfd of a resume as of a clock set). It is a
// timerfd on CLOCK_REALTIME armed a century ahead with TFD_TIMER_CANCEL_ON_SET, whose read
// fails with ECANCELED then; the runtime's poller waits on it, so nothing wakes while the clock
// runs on. The channel closes when ctx is done or the timer cannot be armed again.
func clockEvents(ctx context.Context) (<-chan struct{}, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("creating a timerfd: %w", err)
	}
	arm := func() error {
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(time.Now().AddDate(100, 0, 0).UnixNano())}
		return unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec, nil)
	}
	if err := arm(); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("arming a timerfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "timerfd")
	jumped := make(chan struct{}, 1)
	stop := context.AfterFunc(ctx, func() { f.Close() })
	go func() {
		defer close(jumped)
		defer stop()
		defer f.Close()
		var expirations [8]byte
		for {
			_, err := f.Read(expirations[:])
			switch {
			case errors.Is(err, unix.ECANCELED):
				select {
				case jumped <- struct{}{}:
				default:
				}
			case err != nil:
				return // closed: ctx is done
			}
			if err := arm(); err != nil {
				return
			}
		}
	}()
	return jumped, nil
}
