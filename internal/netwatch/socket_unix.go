//go:build linux || darwin

package netwatch

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// socket is a non-blocking event socket driven by the runtime's poller: a read parks the
// goroutine until the socket is readable (no busy polling), and close wakes a parked read.
type socket struct {
	f  *os.File
	rc syscall.RawConn
}

// newSocket takes over fd, which must be non-blocking so that os.NewFile makes it pollable.
func newSocket(fd int, name string) (*socket, error) {
	f := os.NewFile(uintptr(fd), name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wrapping %s socket: %w", name, err)
	}
	return &socket{f: f, rc: rc}, nil
}

// read calls op when the socket is readable, until op stops failing with EAGAIN.
func (s *socket) read(op func(fd int) error) error {
	var opErr error
	err := s.rc.Read(func(fd uintptr) bool {
		opErr = retryEINTR(func() error { return op(int(fd)) })
		return !errors.Is(opErr, unix.EAGAIN)
	})
	if err != nil {
		return err
	}
	return opErr
}

// close closes the socket and wakes a read parked on it.
func (s *socket) close() error { return s.f.Close() }

func retryEINTR(op func() error) error {
	for {
		if err := op(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
